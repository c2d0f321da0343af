//! Sample quality, measured as the field's reference code measures it:
//!
//! - [`fid`]: the Fréchet distance of Gaussians fitted to features (pytorch-fid).
//! - [`kid`]: the kernel distance over random subsets (torch-fidelity).
//! - [`precision_recall`]: improved precision and recall, k = 3 (Kynkäänniemi et al. 2019, as
//!   torch-fidelity).
//! - [`inception_score`]: the Inception Score of class logits (torch-fidelity).
//! - [`network`]: the feature networks: pytorch-fid's Inception-v3, or a classifier trained
//!   here.
//! - [`evaluate`]: a generator's samples and real images through a network, the real side
//!   cached, and the report.
//! - [`stats_file`]: pytorch-fid's `.npz` statistics.
//!
//! The metrics work on [`FeatureSet`]s: one row of features per image.

pub mod evaluate;
pub mod fid;
mod gaussian;
pub mod inception_score;
pub mod kid;
pub mod network;
mod numpy_rng;
pub mod precision_recall;
pub mod stats_file;

pub use evaluate::{MetricSet, MetricSettings, Report};
pub use fid::{Fid, frechet_distance};
pub use gaussian::{FeatureSet, Gaussian};
pub use inception_score::{InceptionScore, IsConfig, inception_score};
pub use kid::{Kid, KidConfig, kernel_inception_distance};
pub use network::{FeatureNetwork, NetworkSpec};
pub use numpy_rng::RandomState;
pub use precision_recall::{PrecisionRecall, precision_recall};
