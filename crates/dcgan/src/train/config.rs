//! The training configuration, written first into every run folder as `config.json`.

use serde::{Deserialize, Serialize};

use super::AdamConfig;
use crate::data::DataSource;
use crate::device::DeviceChoice;
use crate::model::ModelConfig;
use crate::{Error, Result};

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The networks.
    pub model: ModelConfig,
    /// The training images.
    pub data: DataSource,
    /// Images per batch (paper: 128).
    pub batch_size: usize,
    /// Iterations to run in total (`--max-iters`; resolved from `epochs` when that is set).
    pub iterations: u64,
    /// Passes over the data (`--epochs`); when set, the run's length is this many epochs of the
    /// dataset it opens, and `iterations` is filled in from it.
    #[serde(default)]
    pub epochs: Option<u64>,
    /// Seed of the weights, the data order and z.
    pub seed: u64,
    /// Adam for both networks.
    pub adam: AdamConfig,
    /// Write a sample grid every this many iterations (0: only at the end).
    pub sample_every: u64,
    /// Write a checkpoint every this many iterations (0: only at the end).
    pub checkpoint_every: u64,
    /// Checkpoints kept (older ones are deleted).
    pub keep_checkpoints: usize,
    /// Images in the fixed-noise sample grid.
    pub grid_samples: usize,
    /// The device the run was started on (a resume may name another).
    pub device: DeviceChoice,
    /// Further devices for data-parallel training (`--device A,B,...`): each iteration cuts the
    /// batch into one shard per device and averages the gradients (docs/multi-gpu.md). Empty on
    /// one device; a resume may change them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<DeviceChoice>,
    /// Sample quality measured during training (`--eval-every`), if asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval: Option<super::EvalConfig>,
    /// A training image that does not decode ends the run (`--strict-data`) instead of being
    /// replaced by the next one and listed in `data-errors.txt`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict_data: bool,
    /// Train on the images a keep-list keeps (`--keep-list`, written by `dcgan dedup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_list: Option<std::path::PathBuf>,
    /// Write TensorBoard event files into the run folder (on unless `--no-tensorboard`).
    #[serde(default = "yes")]
    pub tensorboard: bool,
}

fn yes() -> bool {
    true
}

impl TrainConfig {
    /// The paper's defaults for `model` on `data` (batch 128, Adam 2e-4 / 0.5), one epoch unset.
    pub fn new(model: ModelConfig, data: DataSource) -> Self {
        use crate::defaults::{
            BATCH_SIZE, CHECKPOINT_EVERY, GRID_SAMPLES, KEEP_CHECKPOINTS, SAMPLE_EVERY,
        };
        Self {
            model,
            data,
            batch_size: BATCH_SIZE,
            iterations: 0,
            epochs: None,
            seed: 0,
            adam: AdamConfig::default(),
            sample_every: SAMPLE_EVERY,
            checkpoint_every: CHECKPOINT_EVERY,
            keep_checkpoints: KEEP_CHECKPOINTS,
            grid_samples: GRID_SAMPLES,
            device: DeviceChoice::Flex,
            replicas: Vec::new(),
            eval: None,
            strict_data: false,
            keep_list: None,
            tensorboard: true,
        }
    }

    /// Checks every field, naming the offending setting.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        if self.batch_size < 2 {
            return Err(Error::option(
                "batch_size",
                format!(
                    "{}: batch norm needs at least 2 images per batch",
                    self.batch_size
                ),
            ));
        }
        let devices = 1 + self.replicas.len();
        if devices > 1
            && (!self.batch_size.is_multiple_of(devices) || self.batch_size / devices < 2)
        {
            return Err(Error::option(
                "batch_size",
                format!(
                    "{}: data-parallel training on {devices} devices cuts the batch into {devices} \
                     equal shards of at least 2 images (batch norm needs 2 per shard)",
                    self.batch_size
                ),
            ));
        }
        if self.iterations == 0 && self.epochs.unwrap_or(0) == 0 {
            return Err(Error::option(
                "iterations",
                "the run must have at least one iteration",
            ));
        }
        if !(self.adam.lr > 0.0 && self.adam.lr.is_finite()) {
            return Err(Error::option(
                "lr",
                format!("{}: expected a positive number", self.adam.lr),
            ));
        }
        for (flag, b) in [("beta1", self.adam.beta1), ("beta2", self.adam.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(Error::option(
                    flag,
                    format!("{b}: expected a value in [0, 1)"),
                ));
            }
        }
        if self.keep_checkpoints == 0 {
            return Err(Error::option(
                "keep_checkpoints",
                "must keep at least one checkpoint",
            ));
        }
        if self.grid_samples == 0 {
            return Err(Error::option("grid_samples", "must be at least 1"));
        }
        if let Some(eval) = &self.eval {
            eval.validate()?;
            if self.model.is_conditional() {
                return Err(Error::option(
                    "eval_every",
                    "FID during training is for unconditional models; evaluate a conditional \
                     model with `dcgan conditional-eval`",
                ));
            }
        }
        Ok(())
    }

    /// Fills `iterations` from `epochs` for a dataset of `len` images (whole batches only).
    pub fn resolve_length(&mut self, len: usize) {
        if let Some(epochs) = self.epochs {
            self.iterations = epochs * (len / self.batch_size.max(1)) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_resolve_to_whole_batches_and_lengths_are_validated() {
        let mut c = TrainConfig::new(ModelConfig::default(), DataSource::Builtin);
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("iterations"), "{err}");
        c.epochs = Some(3);
        c.validate().unwrap();
        c.resolve_length(1000); // 7 whole batches of 128 per epoch
        assert_eq!(c.iterations, 21);
        c.batch_size = 1;
        assert!(c.validate().unwrap_err().to_string().contains("batch_size"));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), c);
    }
}
