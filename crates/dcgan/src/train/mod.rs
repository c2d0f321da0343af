//! Adversarial training (docs/paper.md section 2): configuration, one iteration, checkpoints, the loop.
//!
//! - [`TrainConfig`]: everything a run needs, saved as the run's `config.json`.
//! - [`Gan`]: G, D, both Adam states and the z stream; [`Gan::step`] is one iteration.
//! - [`checkpoint`]: the whole state in one safetensors file, written atomically.
//! - [`Evaluator`]: FID and KID during training (`--eval-every`), the best checkpoint kept.
//! - [`run_training`]: the loop over a run folder, with samples, metrics and resume.

mod adam;
pub mod checkpoint;
mod config;
mod eval;
mod gan;
mod loop_;
mod loss;
pub mod metrics;
mod parallel;

pub use adam::{Adam, AdamConfig};
pub use config::TrainConfig;
pub use eval::{Best, EvalConfig, Evaluator};
pub use gan::{Gan, StepStats};
pub use loop_::{Observer, Start, Summary, read_run_config, run_training};
pub use loss::{bce_fake, bce_real, cross_entropy};
