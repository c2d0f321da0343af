//! The DCGAN generator and discriminator (docs/paper.md section 1).
//!
//! - [`ModelConfig`]: everything that shapes the networks (image size, channels, widths, kernel).
//! - [`Generator`] / [`Discriminator`]: the all-convolutional pair.
//! - [`BatchNorm2d`]: batch norm with PyTorch's running-statistics convention.
//! - [`weights`]: named tensors, host-side initialisation, PyTorch-compatible safetensors.
//! - [`graphs`]: freeing what Burn's autodiff keeps of models dropped untrained.

mod batch_norm;
mod config;
mod discriminator;
mod generator;
pub mod graphs;
pub mod weights;

pub use batch_norm::BatchNorm2d;
pub use config::{LatentDistribution, ModelConfig};
pub use discriminator::{Discriminator, LEAKY_SLOPE};
pub use generator::Generator;
