//! Naming a data source on the command line.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which part of a dataset to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The training images.
    Train,
    /// The test images.
    Test,
}

impl Split {
    /// `train` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Split {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "train" => Ok(Split::Train),
            "test" => Ok(Split::Test),
            other => Err(Error::option(
                "split",
                format!("`{other}`; expected train or test"),
            )),
        }
    }
}

/// Where images come from: `mnist:DIR`, `cifar10:DIR`, `svhn:DIR`, `folder:DIR`, `lsun:DIR` or
/// `builtin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// MNIST or Fashion-MNIST IDX files (raw or gzipped) in a folder.
    Mnist(PathBuf),
    /// CIFAR-10 binary batches (`data_batch_*.bin`, `test_batch.bin`) in a folder.
    Cifar10(PathBuf),
    /// SVHN's `train_32x32.mat` / `test_32x32.mat` in a folder.
    Svhn(PathBuf),
    /// A folder of images, searched recursively.
    Folder(PathBuf),
    /// An LSUN LMDB environment (`bedroom_train_lmdb/`): encoded images under hex keys.
    Lsun(PathBuf),
    /// A packed file (`dcgan data pack`): pixels at one size, memory-mapped.
    Packed(PathBuf),
    /// A deterministic synthetic image set generated in code (no download).
    Builtin,
}

impl DataSource {
    /// The folder, if the source has one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            DataSource::Mnist(p)
            | DataSource::Cifar10(p)
            | DataSource::Svhn(p)
            | DataSource::Folder(p)
            | DataSource::Lsun(p)
            | DataSource::Packed(p) => Some(p),
            DataSource::Builtin => None,
        }
    }

    /// Side of the images as stored, for formats with one size (MNIST 28, CIFAR-10 32); `None`
    /// for folders (any size) and builtin (drawn at the model's size).
    pub fn native_size(&self) -> Option<usize> {
        match self {
            DataSource::Mnist(_) => Some(28),
            DataSource::Cifar10(_) | DataSource::Svhn(_) => Some(32),
            // A file that does not open says why when the dataset is opened.
            DataSource::Packed(file) => super::packed::read_header(file).ok().map(|h| h.size),
            _ => None,
        }
    }

    /// Passes over the data when a run gives no length: [`defaults::BUILTIN_EPOCHS`] on
    /// `builtin` (the quick start: recognisable shapes in under 5 minutes on 2 CPU cores),
    /// [`defaults::EPOCHS`] on everything else.
    ///
    /// [`defaults::BUILTIN_EPOCHS`]: crate::defaults::BUILTIN_EPOCHS
    /// [`defaults::EPOCHS`]: crate::defaults::EPOCHS
    pub fn default_epochs(&self) -> u64 {
        match self {
            DataSource::Builtin => crate::defaults::BUILTIN_EPOCHS,
            _ => crate::defaults::EPOCHS,
        }
    }

    /// Whether two sources are of the same kind (e.g. two copies of MNIST at different paths).
    pub fn same_kind(&self, other: &DataSource) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// Whether the source has a separate test split (folders and LSUN environments do not: an
    /// LSUN split is an environment of its own).
    pub fn has_test_split(&self) -> bool {
        !matches!(
            self,
            DataSource::Folder(_) | DataSource::Lsun(_) | DataSource::Packed(_)
        )
    }

    /// Number of classes of its labels, `None` for an unlabelled folder (a folder's classes are
    /// its subfolders, so it is listed).
    pub fn classes(&self) -> Result<Option<usize>> {
        Ok(match self {
            DataSource::Mnist(_) | DataSource::Cifar10(_) | DataSource::Svhn(_) => Some(10),
            DataSource::Builtin => Some(super::builtin::CLASSES.len()),
            DataSource::Folder(dir) => super::folder::list(dir)?.classes.map(|c| c.len()),
            DataSource::Lsun(_) => None,
            DataSource::Packed(file) => {
                let h = super::packed::read_header(file)?;
                h.classes.filter(|_| h.labels).map(|c| c.len())
            }
        })
    }

    /// Channels of the images as stored: 1 for MNIST and for a folder of greyscale images, 3
    /// otherwise.
    pub fn native_channels(&self) -> Result<usize> {
        Ok(self.detect_channels()?.channels)
    }

    /// [`Self::native_channels`] with the reason, for the line that tells the user which was
    /// chosen. A folder is greyscale when every image examined is single-channel (all of them
    /// up to [`super::folder::CHANNEL_SAMPLE`], an even spread of that many beyond).
    pub fn detect_channels(&self) -> Result<ChannelChoice> {
        let fixed = |channels, reason: &str| ChannelChoice {
            channels,
            reason: reason.to_string(),
        };
        Ok(match self {
            DataSource::Mnist(_) => fixed(1, "MNIST is greyscale"),
            DataSource::Builtin => fixed(3, "the builtin shapes are coloured"),
            DataSource::Cifar10(_) | DataSource::Svhn(_) | DataSource::Lsun(_) => {
                fixed(3, "the dataset is RGB")
            }
            DataSource::Packed(file) => {
                let h = super::packed::read_header(file)?;
                ChannelChoice {
                    channels: h.channels,
                    reason: format!("it was packed with {}", h.channels),
                }
            }
            DataSource::Folder(dir) => {
                let files = super::folder::list(dir)?.files;
                let (grey, examined) = super::folder::count_greyscale(&files);
                let all = if examined == files.len() {
                    format!("all {examined} images")
                } else {
                    format!("{examined} images spread over the {}", files.len())
                };
                if examined > 0 && grey == examined {
                    ChannelChoice {
                        channels: 1,
                        reason: format!("{all} are single-channel (greyscale)"),
                    }
                } else {
                    ChannelChoice {
                        channels: 3,
                        reason: format!("{} of {all} are in colour", examined - grey),
                    }
                }
            }
        })
    }
}

/// How many channels a source's images have, and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelChoice {
    /// 1 or 3.
    pub channels: usize,
    /// Why, in words: "all 400 images are single-channel (greyscale)".
    pub reason: String,
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Mnist(p) => write!(f, "mnist:{}", p.display()),
            DataSource::Cifar10(p) => write!(f, "cifar10:{}", p.display()),
            DataSource::Svhn(p) => write!(f, "svhn:{}", p.display()),
            DataSource::Folder(p) => write!(f, "folder:{}", p.display()),
            DataSource::Lsun(p) => write!(f, "lsun:{}", p.display()),
            DataSource::Packed(p) => write!(f, "packed:{}", p.display()),
            DataSource::Builtin => f.write_str("builtin"),
        }
    }
}

impl FromStr for DataSource {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "builtin" {
            return Ok(DataSource::Builtin);
        }
        let bad = |m: String| Error::option("data", m);
        let (kind, dir) = s.split_once(':').ok_or_else(|| {
            bad(format!(
                "`{s}`: expected mnist:DIR, cifar10:DIR, svhn:DIR, folder:DIR, lsun:DIR, packed:FILE or \
                 builtin"
            ))
        })?;
        let path = PathBuf::from(dir);
        if dir.is_empty() {
            return Err(bad(format!("`{s}` names no folder")));
        }
        let source = match kind {
            "mnist" | "fashion-mnist" => DataSource::Mnist(path),
            "cifar10" => DataSource::Cifar10(path),
            "svhn" => DataSource::Svhn(path),
            "folder" => DataSource::Folder(path),
            "lsun" => DataSource::Lsun(path),
            "packed" => DataSource::Packed(path),
            _ => {
                return Err(bad(format!(
                    "unknown kind `{kind}` in `{s}`; expected mnist, cifar10, svhn, folder, lsun, \
                     packed or builtin"
                )));
            }
        };
        Ok(source)
    }
}

impl Serialize for DataSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DataSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The folder of a source, checked to exist.
pub(crate) fn existing_dir(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::format(dir, "is not a folder")),
        Err(e) => Err(Error::io(dir, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_and_round_trips() {
        for text in [
            "mnist:/d/m",
            "cifar10:c",
            "svhn:/s",
            "folder:./imgs",
            "lsun:/data/bedroom_train_lmdb",
            "packed:bedrooms64.pack",
            "builtin",
        ] {
            let s: DataSource = text.parse().unwrap();
            assert_eq!(s.to_string(), text);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<DataSource>(&json).unwrap(), s);
        }
        for bad in ["mnist", "mnist:", "lsun:", "lmdb:/x", "imagenet"] {
            let err = bad.parse::<DataSource>().unwrap_err().to_string();
            assert!(err.contains("data"), "{bad}: {err}");
        }
    }
}
