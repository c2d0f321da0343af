//! `dcgan`: the DCGAN of Radford, Metz and Chintala (2015, arXiv 1511.06434) on Burn.
//!
//! The library holds the science; the `dcgan` binary is a thin command line on top.
//!
//! - [`model`]: the generator and discriminator (docs/paper.md section 1), their configuration,
//!   initialisation and named weights (PyTorch-compatible safetensors).
//! - [`data`]: image sources in their official formats (IDX, CIFAR-10 binary, SVHN `.mat`, image
//!   folders, LSUN's LMDB, packed files, a built-in synthetic set), scaled to `[-1, 1]`, with a
//!   background prefetching loader; fetching the public datasets.
//! - [`dedup`]: the paper's de-duplication by an autoencoder's semantic hash, and keep-lists.
//! - [`train`]: the adversarial training loop (docs/paper.md section 2), Adam, checkpoints and resume.
//! - [`latent`]: latent vectors drawn on the host from seeds; walks and vector arithmetic.
//! - [`bench`]: throughput of training, sampling and the data pipeline (`dcgan bench`).
//! - [`classify`]: the linear L2-SVM on D features (representation learning).
//! - [`conditional`]: the appendix's conditional DCGAN: class inputs and its nearest-neighbour
//!   evaluation.
//! - [`features`]: the discriminator as a feature extractor (layers pooled to 4x4).
//! - [`figures`]: the walk, arithmetic, turn and nearest-neighbour figures.
//! - [`images`]: host image batches that carry their shape (`[n, c, s, s]` in `[-1, 1]`).
//! - [`inside`]: guided backpropagation of D features; forgetting objects by dropping G maps.
//! - [`metrics`]: sample quality: FID, KID, precision/recall, Inception Score, their feature
//!   networks and the evaluation of a generator against real images.
//! - [`nearest`]: nearest training neighbours of samples (the memorisation check).
//! - [`render`]: image grids, contact sheets, figure tables, GIFs and loss plots.
//! - [`run`]: the run folder layout.
//! - [`seeding`]: the random streams of a run, one per role.
//! - [`serve`]: the local web page: runs watched live, the latent explorer.

pub mod bench;
pub mod classify;
pub mod conditional;
pub mod data;
pub mod dedup;
pub mod defaults;
pub mod device;
pub mod error;
pub mod features;
pub mod figures;
pub mod images;
pub mod inside;
pub mod interop;
pub mod latent;
pub mod metrics;
pub mod model;
pub mod nearest;
pub mod render;
pub mod run;
pub mod sample;
pub mod seeding;
pub mod serve;
pub mod train;

pub use error::{Error, Result};

/// Progress of a long computation in stages: `(stage, done, total)`, as the experiments report
/// it (the memorisation check, the metrics, the SVM experiment, the conditional evaluation).
pub type StageProgress<'a> = &'a mut dyn FnMut(&str, usize, usize);
