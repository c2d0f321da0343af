//! Image data in official formats, scaled to `[-1, 1]` (docs/paper.md section 2: no other preprocessing).
//!
//! A source is named as `mnist:DIR` (MNIST or Fashion-MNIST IDX files, raw or `.gz`),
//! `cifar10:DIR` (the binary batches), `svhn:DIR` (`train_32x32.mat`, `test_32x32.mat`),
//! `folder:DIR` (images, recursively; first-level
//! subfolders are class labels) or `builtin` (a synthetic set generated in code).
//!
//! [`Dataset`] holds either decoded pixels (IDX, CIFAR-10, builtin) or a list of files decoded on
//! demand (folders); [`Loader`] shuffles, batches and prefetches on a background thread.

mod builtin;
mod cifar;
mod folder;
mod idx;
mod loader;
mod source;
mod svhn;
mod transform;

pub use builtin::CLASSES as BUILTIN_CLASSES;
pub use cifar::CLASSES as CIFAR10_CLASSES;
pub use loader::{Batch, Loader, permutation};
pub use source::{DataSource, Split};
pub use transform::{fit_image, to_unit_range};

use std::path::PathBuf;

use crate::{Error, Result};

/// Pixels of one or more images, `u8` in `[channels, size, size]` order per image.
#[derive(Debug, Clone)]
pub struct Pixels {
    /// Row-major bytes, image after image.
    pub bytes: Vec<u8>,
    /// Class of each image, when the source has labels.
    pub labels: Option<Vec<u16>>,
}

/// A set of square images at the model's size and channel count.
#[derive(Debug)]
pub struct Dataset {
    /// Where it came from (for messages and the run's config).
    pub source: DataSource,
    /// Side in pixels.
    pub size: usize,
    /// 1 or 3.
    pub channels: usize,
    /// Names of the classes, when labelled.
    pub classes: Option<Vec<String>>,
    storage: Storage,
}

#[derive(Debug)]
enum Storage {
    /// Decoded, `[n, c, s, s]`.
    Memory(Pixels),
    /// Image files, decoded on demand; with their labels.
    Files(Vec<PathBuf>, Option<Vec<u16>>),
}

impl Dataset {
    /// Opens `source` for `split`, fitting images to `size` x `size` with `channels` channels
    /// (`None`: the source's own, 1 for MNIST, 3 otherwise).
    pub fn open(
        source: &DataSource,
        split: Split,
        size: usize,
        channels: Option<usize>,
    ) -> Result<Self> {
        let channels = channels.unwrap_or(source.native_channels());
        let (storage, classes) = match source {
            DataSource::Mnist(dir) => {
                let (pixels, classes) = idx::load(dir, split, size, channels)?;
                (Storage::Memory(pixels), Some(classes))
            }
            DataSource::Cifar10(dir) => {
                let (pixels, classes) = cifar::load(dir, split, size, channels)?;
                (Storage::Memory(pixels), Some(classes))
            }
            DataSource::Svhn(dir) => {
                let (pixels, classes) = svhn::load(dir, split, size, channels)?;
                (Storage::Memory(pixels), Some(classes))
            }
            DataSource::Folder(dir) => {
                let listing = folder::list(dir)?;
                (
                    Storage::Files(listing.files, listing.labels),
                    listing.classes,
                )
            }
            DataSource::Builtin => {
                let (pixels, classes) = builtin::generate(split, size, channels);
                (Storage::Memory(pixels), Some(classes))
            }
        };
        let dataset = Self {
            source: source.clone(),
            size,
            channels,
            classes,
            storage,
        };
        if dataset.is_empty() {
            return Err(Error::format(
                source.path().unwrap_or(std::path::Path::new("builtin")),
                "contains no images",
            ));
        }
        Ok(dataset)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        match &self.storage {
            Storage::Memory(p) => p.bytes.len() / self.image_len(),
            Storage::Files(files, _) => files.len(),
        }
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape of its images (as the model sees them, after the transform).
    pub fn shape(&self) -> crate::images::ImageShape {
        crate::images::ImageShape::new(self.channels, self.size)
    }

    /// Bytes per image.
    pub fn image_len(&self) -> usize {
        self.shape().numel()
    }

    /// The images at `indices` (decoding files in parallel), as bytes and labels.
    pub fn pixels(&self, indices: &[usize]) -> Result<Pixels> {
        let n = self.image_len();
        match &self.storage {
            Storage::Memory(p) => {
                let mut bytes = Vec::with_capacity(indices.len() * n);
                for &i in indices {
                    bytes.extend_from_slice(&p.bytes[i * n..(i + 1) * n]);
                }
                let labels = p
                    .labels
                    .as_ref()
                    .map(|l| indices.iter().map(|&i| l[i]).collect());
                Ok(Pixels { bytes, labels })
            }
            Storage::Files(files, labels) => {
                use rayon::prelude::*;
                let decoded: Vec<Vec<u8>> = indices
                    .par_iter()
                    .map(|&i| folder::decode(&files[i], self.size, self.channels))
                    .collect::<Result<_>>()?;
                Ok(Pixels {
                    bytes: decoded.concat(),
                    labels: labels
                        .as_ref()
                        .map(|l| indices.iter().map(|&i| l[i]).collect()),
                })
            }
        }
    }

    /// A digest of what the dataset holds, for caches of what was computed from it: the SHA-256
    /// of the decoded pixels and labels (formats read into memory), or of every file's path,
    /// length and modification time (folders), with the size and channels.
    pub fn fingerprint(&self) -> Result<String> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(format!(
            "{} {}x{}x{};",
            self.source, self.channels, self.size, self.size
        ));
        match &self.storage {
            Storage::Memory(p) => {
                h.update(&p.bytes);
                if let Some(l) = &p.labels {
                    l.iter().for_each(|v| h.update(v.to_le_bytes()));
                }
            }
            Storage::Files(files, _) => {
                for f in files {
                    let m = std::fs::metadata(f).map_err(|e| Error::io(f, e))?;
                    let modified = m
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_nanos())
                        .unwrap_or(0);
                    h.update(format!("{}|{}|{modified};", f.display(), m.len()));
                }
            }
        }
        Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The images at `indices` in `[-1, 1]`.
    pub fn batch(&self, indices: &[usize]) -> Result<crate::images::Images> {
        Ok(self.labelled(indices)?.0)
    }

    /// The images at `indices` in `[-1, 1]`, with their classes when the source has labels.
    pub fn labelled(&self, indices: &[usize]) -> Result<(crate::images::Images, Option<Vec<u16>>)> {
        let p = self.pixels(indices)?;
        let images = crate::images::Images::new(to_unit_range(&p.bytes), self.shape())?;
        Ok((images, p.labels))
    }
}
