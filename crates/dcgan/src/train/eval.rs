//! Sample quality during training (`dcgan train --eval-every N`): every N iterations, FID and KID
//! of a fixed set of samples (seeds `0..samples`, G in inference mode) against the training
//! images, in a named feature network. The real side is computed once (and cached); the best
//! evaluation's whole state is kept as `checkpoints/best.safetensors`.

use std::path::PathBuf;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::Gan;
use super::metrics::EvalStats;
use crate::data::Split;
use crate::metrics::evaluate::{FeatureSide, RealImages, generator_side, real_side};
use crate::metrics::{
    FeatureNetwork, KidConfig, NetworkSpec, frechet_distance, kernel_inception_distance,
};
use crate::run::RunDir;
use crate::{Error, Result};

/// How training evaluates itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// Evaluate every this many iterations (and after the last).
    pub every: u64,
    /// Generated samples per evaluation (seeds `0..samples`, the same each time).
    pub samples: usize,
    /// The feature network.
    pub features: NetworkSpec,
    /// Real training images compared against (a fixed random subset; `None`: all).
    pub real_n: Option<usize>,
    /// Where the real features are cached.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

impl EvalConfig {
    /// Checks the settings, naming the setting at fault.
    pub fn validate(&self) -> Result<()> {
        if self.every == 0 {
            return Err(Error::option("eval_every", "must be at least 1"));
        }
        if self.samples < 2 {
            return Err(Error::option("eval_samples", "must be at least 2"));
        }
        Ok(())
    }

    /// KID's settings for `samples`: torch-fidelity's, with subsets no larger than the samples.
    fn kid(&self, real: usize) -> KidConfig {
        KidConfig {
            subset_size: KidConfig::default().subset_size.min(self.samples).min(real),
            ..KidConfig::default()
        }
    }
}

/// The best evaluation so far, as `best.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Best {
    /// Its iteration.
    pub iteration: u64,
    /// Its FID.
    pub fid: f64,
    /// The feature network.
    pub network: String,
}

/// The network and real features of a run's evaluations.
pub struct Evaluator {
    config: EvalConfig,
    network: FeatureNetwork,
    real: FeatureSide,
    device: Device,
    best: Option<Best>,
}

impl Evaluator {
    /// Opens the network and computes (or reads from the cache) the real features of the run's
    /// training images; reads `best.json` when resuming.
    pub fn start(config: &EvalConfig, gan: &Gan, run: &RunDir) -> Result<Self> {
        config.validate()?;
        let device = gan.device.clone().inner();
        let network = FeatureNetwork::open(&config.features, &device)?;
        if config.samples <= network.dim() {
            return Err(Error::option(
                "eval_samples",
                format!(
                    "{}: FID needs more samples than the {} dimensions of {}'s features \
                     (at least {})",
                    config.samples,
                    network.dim(),
                    network.label(),
                    network.dim() + 1
                ),
            ));
        }
        let m = &gan.config().model;
        let images = RealImages {
            source: gan.config().data.clone(),
            split: Split::Train,
            size: m.image_size,
            channels: m.channels,
            max_n: config.real_n,
        };
        let real = real_side(
            &network,
            &images,
            64,
            config.cache_dir.as_deref(),
            &device,
            &mut |_, _, _| {},
        )?;
        let best = match std::fs::read_to_string(run.best()) {
            Ok(text) => serde_json::from_str(&text).ok(),
            Err(_) => None,
        };
        Ok(Self {
            config: config.clone(),
            network,
            real,
            device,
            best,
        })
    }

    /// The network's short name.
    pub fn label(&self) -> String {
        self.network.label()
    }

    /// Evaluates `gan`'s generator now; when it is the best so far, writes its state to
    /// `checkpoints/best.safetensors` and `best.json`. Returns the scores and whether it was
    /// the best.
    pub fn evaluate(&mut self, gan: &Gan, run: &RunDir) -> Result<(EvalStats, bool)> {
        let started = std::time::Instant::now();
        let m = &gan.config().model;
        let generated = generator_side(
            &self.network,
            &gan.generator(),
            m,
            0,
            self.config.samples,
            64,
            format!("iteration {}", gan.iteration),
            &self.device,
            &mut |_, _, _| {},
        )?;
        let fid = frechet_distance(&generated.gaussian, &self.real.gaussian)?.value;
        let (g, r) = (
            generated.features.as_ref().expect("generated features"),
            self.real.features.as_ref().expect("real features"),
        );
        let kid = kernel_inception_distance(g, r, &self.config.kid(r.len()))?;
        let stats = EvalStats {
            fid,
            kid: kid.mean,
            kid_std: kid.std,
            seconds: started.elapsed().as_secs_f64(),
        };
        let better = self.best.as_ref().is_none_or(|b| fid < b.fid);
        if better {
            super::checkpoint::write(&run.best_checkpoint(), gan)?;
            let best = Best {
                iteration: gan.iteration,
                fid,
                network: self.network.name().to_string(),
            };
            let json = serde_json::to_string_pretty(&best).expect("serialises");
            crate::run::write_atomic(&run.best(), json.as_bytes())?;
            self.best = Some(best);
        }
        Ok((stats, better))
    }
}
