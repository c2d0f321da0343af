//! Feature networks: what turns images into the vectors the metrics compare.
//!
//! - `inception:FILE`: pytorch-fid's FID Inception-v3 ([`inception`]), with the user's
//!   `pt_inception-2015-12-05-6726825d.pth` (or a safetensors conversion of it): the network of
//!   every published FID.
//! - `classifier:DIR`: a classifier trained by `dcgan classifier train` ([`classifier`]): works
//!   offline, and its numbers compare only with numbers in the same classifier.
//!
//! Every result names the network and the SHA-256 of its weights.

pub mod classifier;
pub mod inception;

use std::io::Read;
use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};
use sha2::{Digest, Sha256};

use super::FeatureSet;
use crate::images::Images;
use crate::model::weights::NamedTensor;
use crate::{Error, Result};

pub use classifier::{ClassifierConfig, ClassifierNet, ClassifierRecord, ClassifierTraining};
pub use inception::InceptionV3;

/// The hash prefix torch hub puts in the name of pytorch-fid's weights file.
const INCEPTION_SHA256_PREFIX: &str = "6726825d";

/// A network named on the command line (`inception:FILE` or `classifier:DIR`), not yet loaded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum NetworkSpec {
    /// pytorch-fid's Inception weights.
    Inception(PathBuf),
    /// A classifier folder.
    Classifier(PathBuf),
}

impl std::str::FromStr for NetworkSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |m: String| Error::option("features", m);
        let (kind, path) = s
            .split_once(':')
            .ok_or_else(|| bad(format!("`{s}`: expected inception:FILE or classifier:DIR")))?;
        if path.is_empty() {
            return Err(bad(format!("`{s}` names no file")));
        }
        match kind {
            "inception" => Ok(Self::Inception(path.into())),
            "classifier" => Ok(Self::Classifier(path.into())),
            _ => Err(bad(format!(
                "unknown network `{kind}` in `{s}`; expected inception:FILE or classifier:DIR"
            ))),
        }
    }
}

impl std::fmt::Display for NetworkSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inception(p) => write!(f, "inception:{}", p.display()),
            Self::Classifier(p) => write!(f, "classifier:{}", p.display()),
        }
    }
}

impl TryFrom<String> for NetworkSpec {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<NetworkSpec> for String {
    fn from(s: NetworkSpec) -> String {
        s.to_string()
    }
}

/// A loaded feature network.
#[derive(Debug)]
pub struct FeatureNetwork {
    kind: Kind,
    name: String,
    id: String,
}

#[derive(Debug)]
enum Kind {
    Inception(Box<InceptionV3>),
    Classifier(Box<ClassifierNet>, ClassifierConfig),
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

impl FeatureNetwork {
    /// Loads the network `spec` names onto `device`.
    pub fn open(spec: &NetworkSpec, device: &Device) -> Result<Self> {
        match spec {
            NetworkSpec::Inception(path) => {
                let id = sha256_file(path)?;
                let file = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                // torch hub names the file with its hash's first 8 hex digits; a file so named
                // whose bytes do not match is damaged.
                if file.contains(INCEPTION_SHA256_PREFIX)
                    && !id.starts_with(INCEPTION_SHA256_PREFIX)
                {
                    return Err(Error::format(
                        path,
                        format!(
                            "its SHA-256 starts {} but the name promises {INCEPTION_SHA256_PREFIX}: \
                             the download is damaged",
                            &id[..8]
                        ),
                    ));
                }
                let tensors = crate::model::weights::read_weights(path)?;
                let net = InceptionV3::from_tensors(&tensors, path, device)?;
                let official = id.starts_with(INCEPTION_SHA256_PREFIX);
                let name = if official {
                    "Inception-v3 pool3 (pytorch-fid, pt_inception-2015-12-05)".to_string()
                } else {
                    format!(
                        "Inception-v3 pool3 (pytorch-fid architecture, weights {file} sha256 {}: \
                         not the published weights)",
                        &id[..12]
                    )
                };
                Ok(Self {
                    kind: Kind::Inception(Box::new(net)),
                    name,
                    id,
                })
            }
            NetworkSpec::Classifier(dir) => {
                let (net, record, id) = classifier::load(dir, device)?;
                let accuracy = record
                    .test_accuracy
                    .map(|a| format!(", test accuracy {:.2}%", 100.0 * a))
                    .unwrap_or_default();
                let name = format!(
                    "classifier {} ({}-d penultimate layer, trained on {}{accuracy}, sha256 {})",
                    dir.display(),
                    record.config.feature_dimension(),
                    record.training.data,
                    &id[..12]
                );
                Ok(Self {
                    kind: Kind::Classifier(Box::new(net), record.config),
                    name,
                    id,
                })
            }
        }
    }

    /// The network wrapped directly (tests, and callers that built one in memory).
    pub fn from_inception(
        net: InceptionV3,
        name: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        Self {
            kind: Kind::Inception(Box::new(net)),
            name: name.into(),
            id: id.into(),
        }
    }

    /// The name every result carries ("FID in <name> features").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A short name: "Inception-v3" (the published weights), "Inception-v3 (other weights)" or
    /// "classifier DIR".
    pub fn label(&self) -> String {
        match &self.kind {
            Kind::Inception(_) if self.id.starts_with(INCEPTION_SHA256_PREFIX) => {
                "Inception-v3".to_string()
            }
            Kind::Inception(_) => format!(
                "Inception-v3 (weights sha256 {})",
                &self.id[..12.min(self.id.len())]
            ),
            Kind::Classifier(..) => self
                .name
                .split(" (")
                .next()
                .unwrap_or(&self.name)
                .to_string(),
        }
    }

    /// The SHA-256 of the weights.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Length of the feature vectors.
    pub fn dim(&self) -> usize {
        match &self.kind {
            Kind::Inception(_) => inception::FEATURES,
            Kind::Classifier(_, c) => c.feature_dimension(),
        }
    }

    /// How images reach the network, for cache keys and reports.
    pub fn preprocessing(&self) -> String {
        match &self.kind {
            Kind::Inception(_) => "8-bit pixels; gray to RGB; bilinear to 299x299 (align_corners \
                                   false); [-1, 1]"
                .to_string(),
            Kind::Classifier(_, c) => format!(
                "8-bit pixels; to {} channel(s); bilinear to {s}x{s} (align_corners false); [-1, 1]",
                c.channels,
                s = c.image_size
            ),
        }
    }

    /// Features and logits of images in `[-1, 1]` of any size and 1 or 3 channels: the
    /// Inception's pool3 and unbiased logits (torch-fidelity's `logits_unbiased`, what the
    /// Inception Score uses), or the classifier's penultimate layer and logits.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, dim]`, `[batch, classes]`
    pub fn forward(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        match &self.kind {
            Kind::Inception(net) => {
                let pool3 = net.pool3(to_channels(images, 3));
                let logits = net.logits(pool3.clone(), false);
                (pool3, logits)
            }
            Kind::Classifier(net, c) => {
                let mut x = to_channels(images, c.channels);
                let [_, _, h, w] = x.dims();
                if (h, w) != (c.image_size, c.image_size) {
                    x = inception::resize_bilinear(x, c.image_size, c.image_size);
                }
                let f = net.features(x);
                let l = net.logits(f.clone());
                (f, l)
            }
        }
    }

    /// Features and logits of host images, `batch` at a time.
    pub fn extract(
        &self,
        images: &Images,
        batch: usize,
        device: &Device,
    ) -> (FeatureSet, FeatureSet) {
        let (mut f, mut l) = (Vec::new(), Vec::new());
        let mut classes = 0;
        for chunk in images.chunks(batch) {
            let (features, logits) = self.forward(chunk.into_tensor(device));
            classes = logits.dims()[1];
            f.extend(NamedTensor::from_tensor(features).values);
            l.extend(NamedTensor::from_tensor(logits).values);
        }
        (
            FeatureSet::new(self.dim(), f),
            FeatureSet::new(classes.max(1), l),
        )
    }
}

/// Images converted to `channels`: gray repeated to RGB (as `PIL.Image.convert("RGB")`), RGB to
/// gray by Rec. 709 luma (as the data pipeline does).
fn to_channels(x: Tensor<4>, channels: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    match (c, channels) {
        (a, b_) if a == b_ => x,
        (1, 3) => x.repeat_dim(1, 3),
        (3, 1) => {
            let weights = Tensor::<4>::from_data(
                TensorData::new(vec![0.2126f32, 0.7152, 0.0722], [1, 3, 1, 1]),
                &x.device(),
            );
            x.mul(weights).sum_dim(1).reshape([b, 1, h, w])
        }
        _ => panic!("images have 1 or 3 channels, not {c}"),
    }
}
