//! Scoring a generator against real images: features of both sides through one network, then
//! the metrics, with the real side's features cached on disk.
//!
//! Generated images are drawn seed by seed (`dcgan sample --seeds` gives the same images) with G
//! in inference mode, and rounded to 8 bits exactly as writing them to PNG does, so the numbers
//! equal those of a reference tool run on the PNG files. Real images go through the data
//! pipeline of training (shorter side to the model's size, centre crop, the model's channels).

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::network::FeatureNetwork;
use super::stats_file::{StatsMeta, read_npz};
use super::{
    FeatureSet, Fid, Gaussian, InceptionScore, IsConfig, Kid, KidConfig, PrecisionRecall,
    frechet_distance, inception_score, kernel_inception_distance, precision_recall,
};
use crate::data::{DataSource, Dataset, Split, permutation};
use crate::images::Images;
use crate::model::weights::{self, NamedTensor, Tensors};
use crate::model::{Generator, ModelConfig};
use crate::{Error, Result, render, sample};

/// Which metrics to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MetricSet {
    /// Fréchet distance.
    pub fid: bool,
    /// Kernel distance.
    pub kid: bool,
    /// Precision and recall.
    pub precision_recall: bool,
    /// Inception Score (of the generated side).
    pub inception_score: bool,
}

impl MetricSet {
    /// All four.
    pub const ALL: Self = Self {
        fid: true,
        kid: true,
        precision_recall: true,
        inception_score: true,
    };

    /// Parses a list such as `fid,kid,pr,is`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut set = Self {
            fid: false,
            kid: false,
            precision_recall: false,
            inception_score: false,
        };
        for part in text.split(',').map(str::trim) {
            match part {
                "fid" => set.fid = true,
                "kid" => set.kid = true,
                "pr" | "precision-recall" => set.precision_recall = true,
                "is" => set.inception_score = true,
                "all" => set = Self::ALL,
                _ => {
                    return Err(Error::option(
                        "metrics",
                        format!("unknown metric `{part}`; expected fid, kid, pr, is or all"),
                    ));
                }
            }
        }
        Ok(set)
    }
}

/// The settings of the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct MetricSettings {
    /// Which to compute.
    pub metrics: MetricSet,
    /// KID's subsets.
    pub kid: KidConfig,
    /// Neighbourhood size of precision and recall.
    pub k: usize,
    /// The Inception Score's splits.
    pub inception_score: IsConfig,
}

impl Default for MetricSettings {
    fn default() -> Self {
        Self {
            metrics: MetricSet::ALL,
            kid: KidConfig::default(),
            k: super::precision_recall::DEFAULT_K,
            inception_score: IsConfig::default(),
        }
    }
}

/// Progress: `(stage, done, total)`.
pub use crate::StageProgress as Progress;

/// One side of a comparison in feature space.
#[derive(Debug, Clone)]
pub struct FeatureSide {
    /// What the images are, in words.
    pub description: String,
    /// How many.
    pub n: usize,
    /// Their features (absent when only statistics were read from a file).
    pub features: Option<FeatureSet>,
    /// Their class logits (generated sides).
    pub logits: Option<FeatureSet>,
    /// The Gaussian FID compares.
    pub gaussian: Gaussian,
    /// Whether the features came from the cache.
    pub cached: bool,
}

impl FeatureSide {
    fn from_features(
        description: String,
        features: FeatureSet,
        logits: Option<FeatureSet>,
        cached: bool,
    ) -> Result<Self> {
        Ok(Self {
            description,
            n: features.len(),
            gaussian: Gaussian::fit(&features)?,
            features: Some(features),
            logits,
            cached,
        })
    }

    /// Statistics read from a pytorch-fid `.npz` file, checked against `network`: a file whose
    /// metadata names another network, or whose length differs from the network's features, is
    /// refused.
    pub fn from_stats_file(path: &Path, network: &FeatureNetwork) -> Result<Self> {
        let (gaussian, meta) = read_npz(path)?;
        if gaussian.dim() != network.dim() {
            return Err(Error::format(
                path,
                format!(
                    "holds {}-dimensional statistics, but {} gives {}-dimensional features: \
                     statistics of another network or layer",
                    gaussian.dim(),
                    network.name(),
                    network.dim()
                ),
            ));
        }
        if let Some(meta) = &meta
            && meta.network_id != network.id()
        {
            return Err(Error::format(
                path,
                format!(
                    "was computed with {} (sha256 {}), not with {}",
                    meta.network,
                    &meta.network_id[..12.min(meta.network_id.len())],
                    network.name()
                ),
            ));
        }
        let description = match &meta {
            Some(m) => format!("{} (statistics from {})", m.images, path.display()),
            None => format!("statistics from {}", path.display()),
        };
        Ok(Self {
            description,
            n: gaussian.n.unwrap_or(0),
            features: None,
            logits: None,
            gaussian,
            cached: true,
        })
    }

    /// The metadata written beside these statistics.
    pub fn meta(&self, network: &FeatureNetwork) -> StatsMeta {
        StatsMeta {
            network: network.name().to_string(),
            network_id: network.id().to_string(),
            images: self.description.clone(),
            n: self.n,
        }
    }
}

/// Batches of images (`next(k)` gives the `k`-th, `None` after the last) through the network.
fn features_of_batches(
    network: &FeatureNetwork,
    mut next: impl FnMut(usize) -> Result<Option<Tensor<4>>>,
    total: usize,
    stage: &str,
    progress: Progress<'_>,
) -> Result<(FeatureSet, FeatureSet)> {
    let (mut f, mut l) = (Vec::new(), Vec::new());
    let (mut dim, mut classes, mut done) = (network.dim(), 1, 0);
    let mut k = 0;
    while let Some(x) = next(k)? {
        k += 1;
        let n = x.dims()[0];
        let (features, logits) = network.forward(x);
        dim = features.dims()[1];
        classes = logits.dims()[1];
        f.extend(NamedTensor::from_tensor(features).values);
        l.extend(NamedTensor::from_tensor(logits).values);
        done += n;
        progress(stage, done, total);
    }
    Ok((FeatureSet::new(dim, f), FeatureSet::new(classes, l)))
}

/// Rounds images in `[-1, 1]` to the 8-bit values a PNG of them holds, back in `[-1, 1]`.
pub fn quantise(images: &Images) -> Images {
    let values = crate::data::to_unit_range(&render::to_bytes(images.values()));
    Images::new(values, images.shape()).expect("the same number of values")
}

/// Features of `n` samples of `g` (seeds `first_seed..first_seed + n`), G in inference mode.
#[allow(clippy::too_many_arguments)]
pub fn generator_side(
    network: &FeatureNetwork,
    g: &Generator,
    model: &ModelConfig,
    first_seed: u64,
    n: usize,
    batch: usize,
    description: String,
    device: &Device,
    progress: Progress<'_>,
) -> Result<FeatureSide> {
    let batch = batch.max(1);
    let (features, logits) = features_of_batches(
        network,
        |k| {
            let start = (k * batch) as u64;
            if start >= n as u64 {
                return Ok(None);
            }
            let end = ((k + 1) * batch).min(n) as u64;
            let seeds: Vec<u64> = (first_seed + start..first_seed + end).collect();
            let z = sample::z_for_seeds(&seeds, model);
            let images = quantise(&sample::generate(g, &z, model.nz, batch, device));
            Ok(Some(images.into_tensor(device)))
        },
        n,
        "generated",
        progress,
    )?;
    FeatureSide::from_features(description, features, Some(logits), false)
}

/// Where to read the real side: a data source and split, at a size and channel count, at most
/// `max_n` images (a fixed random subset when the split has more).
#[derive(Debug, Clone)]
pub struct RealImages {
    /// The images.
    pub source: DataSource,
    /// Which split.
    pub split: Split,
    /// Side they are fitted to.
    pub size: usize,
    /// Channels they are converted to.
    pub channels: usize,
    /// Use at most this many.
    pub max_n: Option<usize>,
}

impl RealImages {
    fn describe(&self, total: usize) -> String {
        let split = match self.split {
            Split::Train => "train",
            Split::Test => "test",
        };
        let subset = if self.max_n.is_some_and(|m| m < total) {
            ", a fixed random subset"
        } else {
            ""
        };
        format!(
            "{} ({split} split{subset}, at {s}x{s}x{})",
            self.source,
            self.channels,
            s = self.size
        )
    }
}

/// Version of the cache's layout and of what goes into its key.
const CACHE_VERSION: u32 = 1;

/// Features of real images, read from `cache_dir` when an earlier run computed them for the same
/// data (by content fingerprint), split, subset, network (weights hash) and preprocessing, and
/// written there otherwise. A damaged cache file is recomputed and replaced.
pub fn real_side(
    network: &FeatureNetwork,
    real: &RealImages,
    batch: usize,
    cache_dir: Option<&Path>,
    device: &Device,
    progress: Progress<'_>,
) -> Result<FeatureSide> {
    images_side(network, real, batch, cache_dir, false, device, progress)
}

/// [`real_side`], keeping the class logits when `logits` (real images scored as the first
/// side have an Inception Score too); those are never cached.
fn images_side(
    network: &FeatureNetwork,
    real: &RealImages,
    batch: usize,
    cache_dir: Option<&Path>,
    logits: bool,
    device: &Device,
    progress: Progress<'_>,
) -> Result<FeatureSide> {
    let dataset = Dataset::open(&real.source, real.split, real.size, Some(real.channels))?;
    let mut indices: Vec<usize> = (0..dataset.len()).collect();
    if let Some(max) = real.max_n.filter(|&m| m < dataset.len()) {
        indices = permutation(dataset.len(), 0, 0);
        indices.truncate(max);
        indices.sort_unstable();
    }
    let description = real.describe(dataset.len());
    let key = {
        let mut h = Sha256::new();
        h.update(format!(
            "v{CACHE_VERSION}|{}|{:?}|{}|{}|{}|{}|{}",
            dataset.fingerprint()?,
            real.split,
            real.size,
            real.channels,
            indices.len(),
            network.id(),
            network.preprocessing()
        ));
        h.finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let cache = cache_dir.map(|d| d.join(format!("real-{key}.safetensors")));
    if let Some(path) = cache.as_ref().filter(|_| !logits)
        && let Some(features) = read_cached(path, network.dim(), indices.len())
    {
        return FeatureSide::from_features(description, features, None, true);
    }
    let batch = batch.max(1);
    let (features, class_logits) = features_of_batches(
        network,
        |k| {
            let part = match indices.chunks(batch).nth(k) {
                Some(p) => p,
                None => return Ok(None),
            };
            Ok(Some(dataset.batch(part)?.into_tensor(device)))
        },
        indices.len(),
        "real",
        progress,
    )?;
    if let Some(path) = &cache {
        let mut tensors = Tensors::new();
        tensors.insert(
            "features".into(),
            NamedTensor {
                shape: vec![features.len(), features.dim],
                values: features.values.clone(),
            },
        );
        let meta = [
            ("images".to_string(), description.clone()),
            ("network".to_string(), network.name().to_string()),
            ("network_id".to_string(), network.id().to_string()),
            ("preprocessing".to_string(), network.preprocessing()),
        ];
        weights::write_safetensors(path, &tensors, meta.into_iter().collect())?;
    }
    FeatureSide::from_features(description, features, logits.then_some(class_logits), false)
}

fn read_cached(path: &Path, dim: usize, n: usize) -> Option<FeatureSet> {
    if !path.exists() {
        return None;
    }
    let (tensors, _) = weights::read_safetensors(path).ok()?;
    let t = tensors.get("features")?;
    (t.shape == [n, dim]).then(|| FeatureSet::new(dim, t.values.clone()))
}

pub use crate::run::default_cache_dir;

/// Everything one evaluation measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The feature network (every number is "in its features").
    pub network: String,
    /// SHA-256 of its weights.
    pub network_id: String,
    /// A short name of the network for each metric's line.
    pub network_label: String,
    /// How images reach it.
    pub preprocessing: String,
    /// The generated (or first) side.
    pub generated: SideSummary,
    /// The real (reference) side.
    pub real: SideSummary,
    /// FID, when asked for.
    pub fid: Option<Fid>,
    /// KID, when asked for.
    pub kid: Option<Kid>,
    /// Precision and recall, when asked for.
    pub precision_recall: Option<PrecisionRecall>,
    /// Inception Score of the generated side, when asked for.
    pub inception_score: Option<InceptionScore>,
    /// The settings used.
    pub settings: MetricSettings,
}

/// What a side was.
#[derive(Debug, Clone, Serialize)]
pub struct SideSummary {
    /// In words.
    pub description: String,
    /// Images.
    pub n: usize,
    /// Read from the cache or a statistics file.
    pub cached: bool,
}

impl From<&FeatureSide> for SideSummary {
    fn from(s: &FeatureSide) -> Self {
        Self {
            description: s.description.clone(),
            n: s.n,
            cached: s.cached,
        }
    }
}

/// The metrics of `generated` against `real`, as `settings` asks.
pub fn score(
    network: &FeatureNetwork,
    generated: &FeatureSide,
    real: &FeatureSide,
    settings: &MetricSettings,
    progress: Progress<'_>,
) -> Result<Report> {
    let m = settings.metrics;
    let need_features = |metric: &str| -> Result<(&FeatureSet, &FeatureSet)> {
        match (&generated.features, &real.features) {
            (Some(g), Some(r)) => Ok((g, r)),
            _ => Err(Error::metric(
                metric,
                "needs the features of both sides, not only their statistics: give real \
                 images instead of a statistics file, or ask for FID alone",
            )),
        }
    };
    let fid = if m.fid {
        progress("FID", 0, 1);
        Some(frechet_distance(&generated.gaussian, &real.gaussian)?)
    } else {
        None
    };
    let kid = if m.kid {
        progress("KID", 0, 1);
        let (g, r) = need_features("KID")?;
        Some(kernel_inception_distance(g, r, &settings.kid)?)
    } else {
        None
    };
    let precision_recall = if m.precision_recall {
        progress("precision/recall", 0, 1);
        let (g, r) = need_features("precision/recall")?;
        Some(precision_recall(g, r, settings.k)?)
    } else {
        None
    };
    let inception_score = match (&generated.logits, m.inception_score) {
        (Some(l), true) => Some(inception_score(l, &settings.inception_score)?),
        _ => None,
    };
    Ok(Report {
        network: network.name().to_string(),
        network_id: network.id().to_string(),
        network_label: network.label(),
        preprocessing: network.preprocessing(),
        generated: generated.into(),
        real: real.into(),
        fid,
        kid,
        precision_recall,
        inception_score,
        settings: *settings,
    })
}

impl Report {
    /// The human summary: what was compared, in which network, then one line per metric, each
    /// naming the network.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![
            format!(
                "scored:   {} ({} images)",
                self.generated.description, self.generated.n
            ),
            format!(
                "against:  {} ({} images)",
                self.real.description, self.real.n
            ),
            format!("features: {}", self.network),
        ];
        let within = format!("in {} features", self.network_label);
        if let Some(f) = &self.fid {
            out.push(format!(
                "FID {:.4}{} {within}",
                f.value,
                if f.regularised {
                    " (1e-6 added to the diagonals)"
                } else {
                    ""
                }
            ));
        }
        if let Some(k) = &self.kid {
            out.push(format!(
                "KID {:.6} +- {:.6} ({} subsets of {}) {within}",
                k.mean, k.std, self.settings.kid.subsets, self.settings.kid.subset_size
            ));
        }
        if let Some(p) = &self.precision_recall {
            out.push(format!(
                "precision {:.4}, recall {:.4} (k = {}) {within}",
                p.precision, p.recall, p.k
            ));
        }
        if let Some(i) = &self.inception_score {
            out.push(format!(
                "Inception Score {:.4} +- {:.4} ({} splits) {within}",
                i.mean, i.std, self.settings.inception_score.splits
            ));
        }
        out
    }
}

/// The first side of an evaluation.
#[derive(Debug, Clone)]
pub enum Generated {
    /// `n` samples of a checkpoint's generator, seeds `first_seed..first_seed + n`.
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// Seed of the first sample.
        first_seed: u64,
        /// Samples.
        n: usize,
    },
    /// Images of a data source (real images against real images: the floor of a metric).
    Images(RealImages),
}

/// The reference side of an evaluation.
#[derive(Debug, Clone)]
pub enum Reference {
    /// Real images.
    Images(RealImages),
    /// Statistics from a pytorch-fid `.npz` (FID only).
    StatsFile(PathBuf),
}

/// Everything `dcgan metrics` does.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The feature network.
    pub network: super::NetworkSpec,
    /// What is scored.
    pub generated: Generated,
    /// What it is scored against.
    pub reference: Reference,
    /// The metrics and their settings.
    pub settings: MetricSettings,
    /// Images per forward pass.
    pub batch: usize,
    /// Where real features are cached (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// Write the generated side's statistics here (pytorch-fid `.npz`).
    pub save_generated_stats: Option<PathBuf>,
    /// Write the reference side's statistics here.
    pub save_reference_stats: Option<PathBuf>,
}

/// Runs an evaluation: opens the network, computes (or reads) both sides, scores them, writes
/// the statistics files asked for.
pub fn evaluate(e: &Evaluation, device: &Device, progress: Progress<'_>) -> Result<Report> {
    let network = FeatureNetwork::open(&e.network, device)?;
    let reference = match &e.reference {
        Reference::Images(r) => real_side(
            &network,
            r,
            e.batch,
            e.cache_dir.as_deref(),
            device,
            progress,
        )?,
        Reference::StatsFile(path) => FeatureSide::from_stats_file(path, &network)?,
    };
    let generated = match &e.generated {
        Generated::Checkpoint {
            path,
            first_seed,
            n,
        } => {
            if *n == 0 {
                return Err(Error::option("n", "must be at least 1"));
            }
            let (g, config) = crate::train::checkpoint::load_generator(path, device)?;
            let description = format!(
                "{} (seeds {first_seed}-{})",
                path.display(),
                first_seed + *n as u64 - 1
            );
            generator_side(
                &network,
                &g,
                &config.model,
                *first_seed,
                *n,
                e.batch,
                description,
                device,
                progress,
            )?
        }
        Generated::Images(r) => images_side(&network, r, e.batch, None, true, device, progress)?,
    };
    let report = score(&network, &generated, &reference, &e.settings, progress)?;
    for (path, side) in [
        (&e.save_generated_stats, &generated),
        (&e.save_reference_stats, &reference),
    ] {
        if let Some(path) = path {
            super::stats_file::write_npz(path, &side.gaussian, &side.meta(&network))?;
        }
    }
    Ok(report)
}
