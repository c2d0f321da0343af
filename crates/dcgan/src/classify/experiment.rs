//! The paper's section 5 experiment end to end (docs/paper.md section 3), as `dcgan classify`
//! runs it and `RESULTS.md` reports it: a run's D and a randomly initialised D of the same
//! architecture, each with its batch-norm statistics re-estimated on the training images, as
//! feature extractors under the L2-SVM protocol; optionally the same architecture trained on the
//! labels alone. The report serialises to the JSON layout of `results/*.json`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use serde::Serialize;

use super::protocol::{Labelled, Outcome, ProtocolConfig, evaluate, mean_and_spread, plan};
use super::supervised::{self, SupervisedConfig};
use super::svm::accuracy;
use super::{dataset_features, labelled_features, reestimate_on};
use crate::data::{DataSource, Dataset, Split};
use crate::images::Images;
use crate::model::weights::{self, NamedTensor, Tensors};
use crate::model::{Discriminator, ModelConfig};
use crate::train::{TrainConfig, checkpoint};
use crate::{Error, Result};

/// Progress: `(stage, done, total)`, e.g. `("trained D", 4096, 50000)`.
pub use crate::StageProgress as Progress;

/// Where D comes from: a checkpoint's discriminator, or (the paper's random-features baseline)
/// a freshly initialised one of the checkpoint's architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct DSource {
    /// The checkpoint (its configuration gives the architecture either way).
    pub checkpoint: PathBuf,
    /// Replace the trained weights by `weights::initialize(seed)`.
    pub random: Option<u64>,
    /// Keep D's own batch-norm statistics instead of re-estimating them on training images.
    pub keep_batch_norm: bool,
}

impl DSource {
    /// D and the run's training configuration.
    pub fn load(&self, device: &Device) -> Result<(Discriminator, TrainConfig)> {
        let (d, config) = checkpoint::load_discriminator(&self.checkpoint, device)?;
        let d = match self.random {
            Some(seed) => weights::initialize(Discriminator::new(&config.model, device), seed),
            None => d,
        };
        Ok((d, config))
    }
}

/// `n` evenly spaced indices of `0..len` (all of them when `n` is `None` or larger).
pub fn spaced(len: usize, n: Option<usize>) -> Vec<usize> {
    let n = n.unwrap_or(len).min(len);
    (0..n).map(|i| i * len / n.max(1)).collect()
}

/// Training images the batch-norm statistics are re-estimated on by [`export_features`].
pub const REESTIMATE_IMAGES: usize = 10_000;

/// D's features of every image of one split, as [`export_features`] writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureExport {
    /// Images.
    pub n: usize,
    /// Features per image.
    pub dim: usize,
    /// Seconds spent (re-estimation and extraction).
    pub seconds: f64,
}

/// D's features of `split` of `source` written to `out` as safetensors (`features` `[n, dim]`,
/// `labels` `[n]` when the source has them; metadata: data, split, dimension, classes). D's
/// batch-norm statistics are first re-estimated on [`REESTIMATE_IMAGES`] training images unless
/// `d.keep_batch_norm`.
pub fn export_features(
    d: &DSource,
    source: &DataSource,
    split: Split,
    out: &Path,
    device: &Device,
    progress: Progress<'_>,
) -> Result<FeatureExport> {
    let (net, config) = d.load(device)?;
    let model = config.model;
    let data = Dataset::open(source, split, model.image_size, Some(model.channels))?;
    let started = Instant::now();
    let net = if d.keep_batch_norm {
        net
    } else {
        let train = Dataset::open(source, Split::Train, model.image_size, Some(model.channels))?;
        let idx = spaced(train.len(), Some(REESTIMATE_IMAGES));
        progress("batch-norm statistics", 0, idx.len());
        reestimate_on(net, &train, &idx, device)?
    };
    let all: Vec<usize> = (0..data.len()).collect();
    let dim = crate::features::feature_dimension(&model);
    let (values, labels) = dataset_features(&net, &model, &data, &all, device, |done, total| {
        progress("features", done, total)
    })?;
    let n = all.len();
    let mut tensors = Tensors::new();
    tensors.insert(
        "features".into(),
        NamedTensor {
            shape: vec![n, dim],
            values,
        },
    );
    if let Some(l) = labels {
        tensors.insert(
            "labels".into(),
            NamedTensor {
                shape: vec![n],
                values: l.iter().map(|v| *v as f32).collect(),
            },
        );
    }
    let mut meta = std::collections::BTreeMap::new();
    meta.insert("data".into(), source.to_string());
    meta.insert("split".into(), split.name().to_string());
    meta.insert("dimension".into(), dim.to_string());
    if let Some(classes) = &data.classes {
        meta.insert("classes".into(), classes.join(","));
    }
    weights::write_safetensors(out, &tensors, meta)?;
    Ok(FeatureExport {
        n,
        dim,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Everything `dcgan classify` needs.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// D (its architecture also builds the random baseline and the supervised net).
    pub d: DSource,
    /// Labelled training images (their `train` split).
    pub train: DataSource,
    /// Labelled test images (their `test` split).
    pub test: DataSource,
    /// Use this many evenly spaced training images (all: `None`).
    pub max_train: Option<usize>,
    /// Use this many evenly spaced test images (all: `None`).
    pub max_test: Option<usize>,
    /// The SVM protocol: validation split, label draws, the grid of `C`.
    pub protocol: ProtocolConfig,
    /// Seed of the randomly initialised D.
    pub baseline_seed: u64,
    /// Epochs of the supervised baseline (`None`: not run).
    pub supervised_epochs: Option<usize>,
}

/// One feature extractor under the protocol.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureResult {
    /// What the protocol measured.
    pub outcome: Outcome,
    /// Seconds of re-estimation and feature extraction.
    pub extract_seconds: f64,
    /// Seconds of SVM fitting.
    pub fit_seconds: f64,
}

/// The supervised baseline.
#[derive(Debug, Clone, Serialize)]
pub struct SupervisedResult {
    /// Test accuracy of each draw.
    pub accuracies: Vec<f64>,
    /// Their mean.
    pub mean: f64,
    /// `1.96 std` over draws.
    pub spread: f64,
    /// The epoch kept in each draw (by validation accuracy).
    pub best_epochs: Vec<usize>,
    /// Epochs trained.
    pub epochs: usize,
    /// Seconds spent.
    pub seconds: f64,
}

/// The results, keyed as in `results/*.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// The randomly initialised D.
    #[serde(rename = "random D")]
    pub random: FeatureResult,
    /// The supervised baseline, when run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervised: Option<SupervisedResult>,
    /// The run's D.
    #[serde(rename = "trained D")]
    pub trained: FeatureResult,
}

/// What [`run`] measured, with what it was measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The checkpoint D came from.
    pub checkpoint: String,
    /// The seed that replaced the checkpoint's D by a random one, if any.
    pub random_d_instead_of_run: Option<u64>,
    /// The training source.
    pub train: String,
    /// The test source.
    pub test: String,
    /// Class names.
    pub classes: Vec<String>,
    /// Training images used.
    pub train_images: usize,
    /// Test images used.
    pub test_images: usize,
    /// Labels per class (`None`: all).
    pub labels_per_class: Option<usize>,
    /// Training rows held out to choose `C`.
    pub validation: usize,
    /// The values of `C` tried.
    pub c_grid: Vec<f64>,
    /// Features per image.
    pub feature_dimension: usize,
    /// The results.
    pub results: Results,
}

impl Report {
    /// One line per result, as `dcgan classify` prints them.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, r) in [
            ("trained D", &self.results.trained),
            ("random D", &self.results.random),
        ] {
            let o = &r.outcome;
            lines.push(format!(
                "{name:>9}: test accuracy {:.2}% +- {:.2} (C = {}, {} training examples x {} \
                 draw(s), {} features; extraction {:.0} s, SVMs {:.0} s)",
                100.0 * o.mean,
                100.0 * o.spread,
                o.selection.best,
                o.train_size,
                o.accuracies.len(),
                self.feature_dimension,
                r.extract_seconds,
                r.fit_seconds
            ));
        }
        if let Some(s) = &self.results.supervised {
            lines.push(format!(
                "supervised: test accuracy {:.2}% +- {:.2} (D's architecture on the labels alone, \
                 {} draw(s), best epochs {:?}; {:.0} s)",
                100.0 * s.mean,
                100.0 * s.spread,
                s.accuracies.len(),
                s.best_epochs,
                s.seconds
            ));
        }
        lines
    }
}

/// The classes shared by `train` and `test`, or an error naming the source at fault.
fn shared_classes(train: &Dataset, test: &Dataset) -> Result<Vec<String>> {
    let unlabelled = |source: &DataSource| {
        Error::option(
            "data",
            format!(
                "{source} has no labels: classifying needs labelled images (mnist, cifar10, or a \
                 folder with one subfolder per class)"
            ),
        )
    };
    match (&train.classes, &test.classes) {
        (Some(a), Some(b)) if a == b => Ok(a.clone()),
        (Some(a), Some(b)) => Err(Error::option(
            "data",
            format!(
                "the classes of {} ({}) and {} ({}) differ",
                train.source,
                a.join(","),
                test.source,
                b.join(",")
            ),
        )),
        (None, _) => Err(unlabelled(&train.source)),
        (_, None) => Err(unlabelled(&test.source)),
    }
}

/// Runs the experiment: trained and random D under the protocol, then the supervised baseline
/// when asked for. The test images are not looked at until each model's `C` (or epoch) is chosen.
pub fn run(e: &Experiment, device: &Device, progress: Progress<'_>) -> Result<Report> {
    let (trained, config) = e.d.load(device)?;
    let model = config.model;
    let (s, c) = (model.image_size, Some(model.channels));
    let train = Dataset::open(&e.train, Split::Train, s, c)?;
    let test = Dataset::open(&e.test, Split::Test, s, c)?;
    let classes = shared_classes(&train, &test)?;
    let train_idx = spaced(train.len(), e.max_train);
    let test_idx = spaced(test.len(), e.max_test);
    let random = weights::initialize(Discriminator::new(&model, device), e.baseline_seed);

    let mut measure = |name: &str, net: Discriminator| -> Result<(FeatureResult, Vec<u16>)> {
        let started = Instant::now();
        let net = if e.d.keep_batch_norm {
            net
        } else {
            reestimate_on(net, &train, &train_idx, device)?
        };
        let mut features = |data: &Dataset, idx: &[usize]| -> Result<Labelled> {
            labelled_features(&net, &model, data, idx, device, |done, total| {
                progress(name, done, total)
            })
        };
        let tr = features(&train, &train_idx)?;
        let te = features(&test, &test_idx)?;
        let extract_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let outcome = evaluate(&tr, &te, classes.len(), &e.protocol)?;
        let result = FeatureResult {
            outcome,
            extract_seconds,
            fit_seconds: started.elapsed().as_secs_f64(),
        };
        Ok((result, tr.labels))
    };
    let (trained, train_labels) = measure("trained D", trained)?;
    let (random, _) = measure("random D", random)?;
    let supervised = e
        .supervised_epochs
        .map(|epochs| {
            progress("supervised", 0, 1);
            supervised_baseline(
                &model,
                &train,
                &test,
                &train_idx,
                &test_idx,
                &train_labels,
                classes.len(),
                epochs,
                &e.protocol,
                device,
            )
        })
        .transpose()?;
    Ok(Report {
        checkpoint: e.d.checkpoint.display().to_string(),
        random_d_instead_of_run: e.d.random,
        train: e.train.to_string(),
        test: e.test.to_string(),
        classes,
        train_images: train_idx.len(),
        test_images: test_idx.len(),
        labels_per_class: e.protocol.labels_per_class,
        validation: e.protocol.validation,
        c_grid: e.protocol.c_grid.clone(),
        feature_dimension: crate::features::feature_dimension(&model),
        results: Results {
            random,
            supervised,
            trained,
        },
    })
}

/// The supervised baseline on the protocol's own validation rows and label draws (so it sees
/// exactly the labels the SVMs saw), one network per draw, seeded `seed + draw`.
#[allow(clippy::too_many_arguments)]
fn supervised_baseline(
    model: &ModelConfig,
    train: &Dataset,
    test: &Dataset,
    train_idx: &[usize],
    test_idx: &[usize],
    train_labels: &[u16],
    classes: usize,
    epochs: usize,
    protocol: &ProtocolConfig,
    device: &Device,
) -> Result<SupervisedResult> {
    let plan = plan(train_labels, classes, protocol)?;
    let started = Instant::now();
    let pick = |rows: &[usize]| -> Result<(Images, Vec<u16>)> {
        let idx: Vec<usize> = rows.iter().map(|&i| train_idx[i]).collect();
        let (images, labels) = train.labelled(&idx)?;
        Ok((images, labels.unwrap_or_default()))
    };
    let (val_x, val_y) = pick(&plan.validation)?;
    let (test_x, test_y) = test.labelled(test_idx)?;
    let test_y = test_y.unwrap_or_default();
    let mut accuracies = Vec::new();
    let mut best_epochs = Vec::new();
    for (k, draw) in plan.draws.iter().enumerate() {
        let (x, y) = pick(draw)?;
        let config = SupervisedConfig {
            epochs,
            seed: protocol.seed.wrapping_add(k as u64),
            ..SupervisedConfig::default()
        };
        let c = supervised::train(model, classes, &x, &y, &val_x, &val_y, &config, device);
        accuracies.push(accuracy(&c.predict(&test_x, device), &test_y));
        best_epochs.push(c.epoch);
    }
    let (mean, spread) = mean_and_spread(&accuracies);
    Ok(SupervisedResult {
        accuracies,
        mean,
        spread,
        best_epochs,
        epochs,
        seconds: started.elapsed().as_secs_f64(),
    })
}
