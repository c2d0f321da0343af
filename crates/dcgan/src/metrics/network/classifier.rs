//! A classifier trained by the project on a labelled dataset, whose penultimate layer serves as
//! the feature space of FID, KID and precision/recall where pytorch-fid's Inception weights are
//! not at hand (`--features classifier:RUN`). Results in it are "FID in <this classifier>'s
//! features", comparable only with results in the same classifier.
//!
//! The architecture follows D's (all-convolutional, batch norm, stride-2 convolutions halving
//! the side down to 4x4) with a 3x3 convolution before each halving and ReLU; the last 4x4 map
//! is averaged over space into the feature vector (as Inception's pool3), and one linear layer
//! gives the class logits.
//!
//! ```text
//! 32x32: [c,32,32] -> [w,32,32] -> [w,16,16] -> [2w,16,16] -> [2w,8,8] -> [4w,8,8] -> [4w,4,4]
//!        -> mean over space [4w] (the features) -> linear -> [classes]
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use dcgan_kernels::nn::Conv2d;
use dcgan_kernels::relu;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{DataSource, Dataset, Loader, Split};
use crate::model::BatchNorm2d;
use crate::model::weights::{self, NamedTensor};
use crate::train::{Adam, AdamConfig, cross_entropy};
use crate::{Error, Result};

/// The classifier's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierConfig {
    /// Side of its input images, `4 * 2^n`.
    pub image_size: usize,
    /// Channels of its input images.
    pub channels: usize,
    /// Number of classes.
    pub classes: usize,
    /// Width of the first stage (doubling per stage).
    pub width: usize,
}

impl ClassifierConfig {
    /// Stages (each halving the side) down to 4x4.
    pub fn stages(&self) -> usize {
        (self.image_size / 4).trailing_zeros() as usize
    }

    /// Length of the feature vector: the last stage's width.
    pub fn feature_dimension(&self) -> usize {
        self.width << (self.stages() - 1)
    }

    fn validate(&self) -> Result<()> {
        let s = self.image_size;
        if s < 8 || !s.is_multiple_of(4) || !(s / 4).is_power_of_two() {
            return Err(Error::option(
                "image_size",
                format!("{s}: the classifier needs 4 * 2^n with n >= 1 (8, 16, 32, 64, ...)"),
            ));
        }
        if self.width == 0 || self.width > 1024 {
            return Err(Error::option(
                "width",
                format!("{}: expected 1 to 1024", self.width),
            ));
        }
        Ok(())
    }
}

/// A 3x3 convolution and a stride-2 4x4 convolution, each with batch norm and ReLU.
#[derive(Module, Debug)]
pub struct Stage {
    /// 3x3, stride 1, padding 1.
    pub conv: Conv2d,
    /// Its batch norm.
    pub bn: BatchNorm2d,
    /// 4x4, stride 2, padding 1: halves the side.
    pub down: Conv2d,
    /// Its batch norm.
    pub down_bn: BatchNorm2d,
}

/// The classifier network.
#[derive(Module, Debug)]
pub struct ClassifierNet {
    /// The convolutional stages.
    pub stages: Vec<Stage>,
    /// Features to logits.
    pub head: Linear,
}

fn conv(cin: usize, cout: usize, k: usize, stride: usize, pad: usize, device: &Device) -> Conv2d {
    Conv2d::new([cin, cout], k, stride, pad, false, device)
}

impl ClassifierNet {
    /// The network for `config`, with zero weights (see [`weights::initialize`]).
    pub fn new(config: &ClassifierConfig, device: &Device) -> Self {
        let mut cin = config.channels;
        let stages = (0..config.stages())
            .map(|i| {
                let w = config.width << i;
                let stage = Stage {
                    conv: conv(cin, w, 3, 1, 1, device),
                    bn: BatchNorm2d::new(w, device),
                    down: conv(w, w, 4, 2, 1, device),
                    down_bn: BatchNorm2d::new(w, device),
                };
                cin = w;
                stage
            })
            .collect();
        let head = LinearConfig::new(config.feature_dimension(), config.classes)
            .with_initializer(Initializer::Zeros)
            .init(device);
        Self { stages, head }
    }

    /// The features: the last stage averaged over space.
    ///
    /// # Shapes
    /// - images: `[batch, channels, image_size, image_size]`
    /// - output: `[batch, feature_dimension]`
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        for s in &self.stages {
            x = relu(s.bn.forward(s.conv.forward(x)));
            x = relu(s.down_bn.forward(s.down.forward(x)));
        }
        let [b, c, _, _] = x.dims();
        x.mean_dim(3).mean_dim(2).reshape([b, c])
    }

    /// Class logits from features.
    ///
    /// # Shapes
    /// - features: `[batch, feature_dimension]`
    /// - output: `[batch, classes]`
    pub fn logits(&self, features: Tensor<2>) -> Tensor<2> {
        self.head.forward(features)
    }
}

/// How the classifier is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierTraining {
    /// The labelled training images.
    pub data: DataSource,
    /// Passes over them.
    pub epochs: u64,
    /// Images per step.
    pub batch_size: usize,
    /// Adam (lr 1e-3, beta1 0.9 by default: a classifier, not a GAN).
    pub adam: AdamConfig,
    /// Seed of the weights, the order and the flips.
    pub seed: u64,
    /// Mirror each training image left-right with probability 1/2.
    pub flip: bool,
    /// Labelled images the accuracy is measured on, for a source without a test split (a
    /// folder); `None`: the source's own test split.
    #[serde(default)]
    pub test: Option<DataSource>,
}

/// What `classifier.json` in a classifier's folder holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierRecord {
    /// The network.
    pub config: ClassifierConfig,
    /// How it was trained.
    pub training: ClassifierTraining,
    /// Class names.
    pub class_names: Vec<String>,
    /// Accuracy on the test images (the source's test split or `training.test`; `None` when
    /// there are none).
    pub test_accuracy: Option<f64>,
    /// Accuracy on the training batches of the last epoch (in training mode).
    pub train_accuracy: f64,
    /// Seconds the training took.
    pub seconds: f64,
}

/// The files of a classifier's folder.
pub fn record_path(dir: &Path) -> PathBuf {
    dir.join("classifier.json")
}

/// The weights file of a classifier's folder.
pub fn weights_path(dir: &Path) -> PathBuf {
    dir.join("classifier.safetensors")
}

/// Progress of [`train`]: `(iteration, total, loss, running accuracy)`.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64, f32, f64);

/// Trains a classifier on the labelled `training.data` and writes it to `out`
/// (`classifier.json`, `classifier.safetensors`); refuses a folder that already holds one.
pub fn train(
    config: &ClassifierConfig,
    training: &ClassifierTraining,
    out: &Path,
    device: &Device,
    progress: Progress<'_>,
) -> Result<ClassifierRecord> {
    config.validate()?;
    if record_path(out).exists() || weights_path(out).exists() {
        return Err(Error::format(
            out,
            "already holds a classifier: choose another folder or remove it first",
        ));
    }
    let started = std::time::Instant::now();
    let open = |split| {
        Dataset::open(
            &training.data,
            split,
            config.image_size,
            Some(config.channels),
        )
    };
    let dataset = open(Split::Train)?;
    let class_names = dataset.classes.clone().ok_or_else(|| {
        Error::option(
            "data",
            format!(
                "{} has no labels: a classifier needs labelled images (mnist, cifar10, svhn, or a \
                 folder with one subfolder per class)",
                training.data
            ),
        )
    })?;
    let mut config = config.clone();
    config.classes = class_names.len();
    let per_epoch = (dataset.len() / training.batch_size.max(1)) as u64;
    let total = training.epochs * per_epoch;
    if total == 0 {
        return Err(Error::option(
            "epochs",
            "the classifier must train at least one whole batch",
        ));
    }
    let ad = device.clone().autodiff();
    let mut net = weights::initialize(ClassifierNet::new(&config, &ad), training.seed);
    let mut adam = Adam::new(training.adam);
    let mut rng = ChaCha8Rng::seed_from_u64(training.seed ^ 0xF11F);
    let mut loader = Loader::start(
        Arc::new(dataset),
        training.batch_size,
        training.seed,
        0,
        total,
        3,
    )?;
    let (mut right, mut seen) = (0usize, 0usize);
    while let Some(batch) = loader.next_batch() {
        let batch = batch?;
        let labels = batch.labels.expect("a labelled source gives labels");
        let mut images = batch.images;
        if training.flip {
            for i in 0..images.len() {
                if rng.random_bool(0.5) {
                    images.mirror(i);
                }
            }
        }
        let x = images.into_tensor(&ad);
        let logits = net.logits(net.features(x));
        let predicted = argmax(
            &NamedTensor::from_tensor(logits.clone().inner()),
            config.classes,
        );
        if batch.iteration % per_epoch == 0 {
            (right, seen) = (0, 0);
        }
        right += predicted
            .iter()
            .zip(&labels)
            .filter(|(p, l)| p == l)
            .count();
        seen += labels.len();
        let loss = cross_entropy(logits, &labels);
        let loss_value = loss.clone().inner().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = adam.step(net, grads);
        progress(
            batch.iteration + 1,
            total,
            loss_value,
            right as f64 / seen as f64,
        );
    }
    let net = net.valid();
    let test_accuracy = match &training.test {
        Some(test) => {
            let data = Dataset::open(test, Split::Train, config.image_size, Some(config.channels))?;
            Some(accuracy(&net, &config, &data, device)?)
        }
        None if training.data.has_test_split() => {
            Some(accuracy(&net, &config, &open(Split::Test)?, device)?)
        }
        None => None,
    };
    let record = ClassifierRecord {
        config,
        training: training.clone(),
        class_names,
        test_accuracy,
        train_accuracy: right as f64 / seen.max(1) as f64,
        seconds: started.elapsed().as_secs_f64(),
    };
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    weights::write_safetensors(&weights_path(out), &weights::list(&net), Default::default())?;
    let json = serde_json::to_string_pretty(&record).expect("record serialises");
    crate::run::write_atomic(&record_path(out), json.as_bytes())?;
    Ok(record)
}

fn argmax(logits: &NamedTensor, classes: usize) -> Vec<u16> {
    logits
        .values
        .chunks(classes)
        .map(|row| {
            (0..classes)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                .unwrap_or(0) as u16
        })
        .collect()
}

/// Share of `data` (labelled) that `net` (inference mode) classifies correctly.
pub fn accuracy(
    net: &ClassifierNet,
    config: &ClassifierConfig,
    data: &Dataset,
    device: &Device,
) -> Result<f64> {
    let mut right = 0usize;
    let indices: Vec<usize> = (0..data.len()).collect();
    for part in indices.chunks(500) {
        let (images, labels) = data.labelled(part)?;
        let labels = labels
            .ok_or_else(|| Error::option("data", format!("{} has no labels", data.source)))?;
        let x = images.into_tensor(device);
        let predicted = argmax(
            &NamedTensor::from_tensor(net.logits(net.features(x))),
            config.classes,
        );
        right += predicted
            .iter()
            .zip(&labels)
            .filter(|(p, l)| p == l)
            .count();
    }
    Ok(right as f64 / data.len() as f64)
}

/// Loads a trained classifier from its folder: the network (inference mode), its record and
/// the SHA-256 of its weights file (its identity in results and caches).
pub fn load(dir: &Path, device: &Device) -> Result<(ClassifierNet, ClassifierRecord, String)> {
    let rp = record_path(dir);
    let text = std::fs::read_to_string(&rp).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::format(
                dir,
                "is not a classifier folder (no classifier.json): train one with \
                 `dcgan classifier train`",
            )
        } else {
            Error::io(&rp, e)
        }
    })?;
    let record: ClassifierRecord = serde_json::from_str(&text)
        .map_err(|e| Error::format(&rp, format!("not a dcgan classifier record: {e}")))?;
    record.config.validate()?;
    let wp = weights_path(dir);
    let tensors = weights::read_safetensors(&wp)?.0;
    let net = weights::load(ClassifierNet::new(&record.config, device), &tensors, &wp)?;
    let id = super::sha256_file(&wp)?;
    Ok((net, record, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_the_builtin_shapes_and_reloads_to_the_same_features() {
        let device = Device::flex();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("clf");
        let config = ClassifierConfig {
            image_size: 16,
            channels: 3,
            classes: 0,
            width: 8,
        };
        let training = ClassifierTraining {
            data: DataSource::Builtin,
            epochs: 3,
            batch_size: 64,
            adam: AdamConfig {
                lr: 1e-3,
                beta1: 0.9,
                ..AdamConfig::default()
            },
            seed: 1,
            flip: true,
            test: None,
        };
        let record = train(&config, &training, &out, &device, &mut |_, _, _, _| {}).unwrap();
        assert_eq!(record.config.classes, 4);
        assert_eq!(record.config.feature_dimension(), 16);
        // Four shapes: chance is 25%; three epochs of 8,192 images learn them well.
        let acc = record.test_accuracy.unwrap();
        assert!(acc > 0.8, "{acc}");
        let (net, back, id) = load(&out, &device).unwrap();
        assert_eq!(back, record);
        assert_eq!(id.len(), 64);
        let test = Dataset::open(&DataSource::Builtin, Split::Test, 16, Some(3)).unwrap();
        assert_eq!(accuracy(&net, &back.config, &test, &device).unwrap(), acc);
        // A second training into the same folder is refused, the first left as it was.
        let err = train(&config, &training, &out, &device, &mut |_, _, _, _| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("already holds a classifier"), "{err}");
        assert_eq!(load(&out, &device).unwrap().2, id);
    }
}
