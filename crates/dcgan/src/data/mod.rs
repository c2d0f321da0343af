//! Image data in official formats, scaled to `[-1, 1]` (docs/paper.md section 2: no other preprocessing).
//!
//! A source is named as `mnist:DIR` (MNIST or Fashion-MNIST IDX files, raw or `.gz`),
//! `cifar10:DIR` (the binary batches), `svhn:DIR` (`train_32x32.mat`, `test_32x32.mat`),
//! `folder:DIR` (images, recursively; first-level subfolders are class labels), `lsun:DIR` (an
//! LSUN LMDB environment) or `builtin` (a synthetic set generated in code).
//!
//! [`Dataset`] holds either decoded pixels (IDX, CIFAR-10, builtin) or records decoded on
//! demand (the files of a folder, the records of an LMDB environment); [`Loader`] shuffles,
//! batches and prefetches on a background thread. A record decoded on demand that does not
//! decode is replaced by the next one that does, and reported ([`BadRecord`]), unless the
//! dataset is [`Dataset::strict`]: one bad image in millions does not end a day-long run.

mod builtin;
mod cifar;
mod decode;
pub mod fetch;
mod folder;
mod idx;
mod loader;
mod lsun;
mod packed;
mod source;
mod svhn;
mod transform;

pub use builtin::CLASSES as BUILTIN_CLASSES;
pub use cifar::CLASSES as CIFAR10_CLASSES;
pub use loader::{Batch, Loader, permutation};
pub use lsun::decode_record;
pub use packed::{PackHeader, PackReport, pack, read_header as read_pack_header};
pub use source::{ChannelChoice, DataSource, Split};
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
    /// Records that did not decode, each replaced by the next that did.
    pub bad: Vec<BadRecord>,
}

/// A record that did not decode (a corrupt file, a garbage LMDB value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BadRecord {
    /// Its index in the dataset.
    pub index: usize,
    /// The error, naming the file or the record's key.
    pub message: String,
}

/// Consecutive records that may fail to decode before a batch gives up: past this many, the
/// source is broken rather than holding a bad image.
pub const MAX_CONSECUTIVE_BAD: usize = 64;

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
    strict: bool,
    /// The records used, when restricted to a subset (a keep-list): index `i` of the dataset
    /// is record `view[i]` of the source.
    view: Option<Vec<usize>>,
}

#[derive(Debug)]
enum Storage {
    /// Decoded, `[n, c, s, s]`.
    Memory(Pixels),
    /// Image files, decoded on demand; with their labels.
    Files(Vec<PathBuf>, Option<Vec<u16>>),
    /// An LMDB environment of encoded images, decoded on demand.
    Lsun(lsun::Lsun),
    /// A packed file of pixels at the model's size (`dcgan data pack`), memory-mapped.
    Packed(packed::Packed),
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
        let cache = crate::run::default_cache_dir();
        Self::open_with_cache(source, split, size, channels, cache.as_deref())
    }

    /// [`Self::open`] keeping what is listed once per source (an LSUN environment's keys) in
    /// `cache_dir` instead of the default cache folder (`None`: no cache).
    pub fn open_with_cache(
        source: &DataSource,
        split: Split,
        size: usize,
        channels: Option<usize>,
        cache_dir: Option<&std::path::Path>,
    ) -> Result<Self> {
        let channels = match channels {
            Some(c) => c,
            None => source.native_channels()?,
        };
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
            DataSource::Lsun(dir) => (Storage::Lsun(lsun::Lsun::open(dir, cache_dir)?), None),
            DataSource::Packed(file) => {
                let p = packed::Packed::open(file)?;
                let h = p.header();
                if h.size != size {
                    return Err(Error::format(
                        file,
                        format!(
                            "holds {0}x{0} images, the model wants {size}x{size}: pack the \
                             source again at that size (dcgan data pack --image-size {size}), \
                             or train at {0}",
                            h.size
                        ),
                    ));
                }
                let classes = h.classes.clone().filter(|_| h.labels);
                (Storage::Packed(p), classes)
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
            strict: false,
            view: None,
        };
        if dataset.is_empty() {
            return Err(Error::format(
                source.path().unwrap_or(std::path::Path::new("builtin")),
                "contains no images",
            ));
        }
        Ok(dataset)
    }

    /// Number of images (of the subset, when restricted).
    pub fn len(&self) -> usize {
        match &self.view {
            Some(v) => v.len(),
            None => self.source_len(),
        }
    }

    /// Number of records in the source.
    fn source_len(&self) -> usize {
        match &self.storage {
            Storage::Memory(p) => p.bytes.len() / self.image_len(),
            Storage::Files(files, _) => files.len(),
            Storage::Lsun(env) => env.len(),
            Storage::Packed(p) => p.len(),
        }
    }

    /// Uses only the records `kept` (ascending indices of the source): the dataset's image `i`
    /// is then record `kept[i]`. Errors when an index is past the source.
    pub fn restrict(mut self, kept: Vec<usize>) -> Result<Self> {
        let n = self.source_len();
        if let Some(&bad) = kept.iter().find(|&&i| i >= n) {
            return Err(Error::option(
                "keep_list",
                format!("index {bad} is past the {n} records of {}", self.source),
            ));
        }
        if kept.is_empty() {
            return Err(Error::option("keep_list", "keeps no image"));
        }
        self.view = Some(kept);
        Ok(self)
    }

    /// The source record of image `i`.
    fn record(&self, i: usize) -> usize {
        self.view.as_ref().map_or(i, |v| v[i])
    }

    /// A digest of the names of every record of the source (file paths, LSUN keys; for formats
    /// read whole, their count), which a keep-list is checked against.
    pub fn listing_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.source_len().to_le_bytes());
        if !matches!(self.storage, Storage::Memory(_) | Storage::Packed(_)) {
            for i in 0..self.source_len() {
                h.update(self.source_record_name(i).as_bytes());
                h.update(b"\n");
            }
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// What names image `i` in its source: a file's path, an LMDB record's key, or its number
    /// in a format read whole.
    pub fn record_name(&self, i: usize) -> String {
        self.source_record_name(self.record(i))
    }

    fn source_record_name(&self, i: usize) -> String {
        match &self.storage {
            Storage::Files(files, _) => files[i].display().to_string(),
            Storage::Lsun(env) => env.key(i),
            Storage::Memory(_) | Storage::Packed(_) => format!("image {i}"),
        }
    }

    /// Makes a record that does not decode an error (`true`) instead of replacing it with the
    /// next one that does (`false`, the default).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Decodes record `i` of the source, fitted to the model.
    fn decode(&self, i: usize) -> Result<Vec<u8>> {
        match &self.storage {
            Storage::Files(files, _) => folder::decode(&files[i], self.size, self.channels),
            Storage::Lsun(env) => env.decode(i, self.size, self.channels),
            Storage::Packed(p) => p.image(i, self.channels),
            Storage::Memory(p) => {
                let n = self.image_len();
                Ok(p.bytes[i * n..(i + 1) * n].to_vec())
            }
        }
    }

    /// Image `i` as the model sees it (bytes, before scaling) with its class; an image that
    /// does not decode is an error, whatever [`Self::strict`] says.
    pub fn image_with_label(&self, i: usize) -> Result<(Vec<u8>, Option<u16>)> {
        let r = self.record(i);
        let bytes = self.decode(r)?;
        Ok((bytes, self.label(r)))
    }

    /// The images at `indices` as bytes (before scaling); an image that does not decode is an
    /// error, whatever [`Self::strict`] says.
    pub fn strict_pixels(&self, indices: &[usize]) -> Result<Vec<u8>> {
        use rayon::prelude::*;
        let images: Vec<Vec<u8>> = indices
            .par_iter()
            .map(|&i| self.decode(self.record(i)))
            .collect::<Result<_>>()?;
        Ok(images.concat())
    }

    /// The class of image `i`, when the source has labels.
    fn label(&self, i: usize) -> Option<u16> {
        match &self.storage {
            Storage::Memory(p) => p.labels.as_ref().map(|l| l[i]),
            Storage::Files(_, l) => l.as_ref().map(|l| l[i]),
            Storage::Packed(p) => p.labels().map(|l| l[i]),
            Storage::Lsun(_) => None,
        }
    }

    /// Record `i`, or when it does not decode the next that does (wrapping round), with the
    /// index used and the records passed over; strict: the first failure is the error.
    fn decode_or_next(&self, i: usize) -> Result<(Vec<u8>, usize, Vec<BadRecord>)> {
        let mut bad = Vec::new();
        for k in 0..MAX_CONSECUTIVE_BAD.min(self.source_len()) {
            let j = (i + k) % self.source_len();
            match self.decode(j) {
                Ok(bytes) => return Ok((bytes, j, bad)),
                Err(e) if self.strict => return Err(e),
                Err(e) => bad.push(BadRecord {
                    index: j,
                    message: e.to_string(),
                }),
            }
        }
        let last = bad.pop().expect("at least one record tried");
        Err(Error::format(
            self.source
                .path()
                .unwrap_or(std::path::Path::new("builtin")),
            format!(
                "{} records in a row from number {i} do not decode, the last: {}",
                bad.len() + 1,
                last.message
            ),
        ))
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
        let mapped: Vec<usize>;
        let indices = match &self.view {
            Some(v) => {
                mapped = indices.iter().map(|&i| v[i]).collect();
                &mapped[..]
            }
            None => indices,
        };
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
                Ok(Pixels {
                    bytes,
                    labels,
                    bad: Vec::new(),
                })
            }
            Storage::Files(_, _) | Storage::Lsun(_) | Storage::Packed(_) => {
                use rayon::prelude::*;
                let decoded: Vec<(Vec<u8>, usize, Vec<BadRecord>)> = indices
                    .par_iter()
                    .map(|&i| self.decode_or_next(i))
                    .collect::<Result<_>>()?;
                let mut bytes = Vec::with_capacity(indices.len() * n);
                let mut used = Vec::with_capacity(indices.len());
                let mut bad = Vec::new();
                for (b, j, passed) in decoded {
                    bytes.extend_from_slice(&b);
                    used.push(j);
                    bad.extend(passed);
                }
                let labels = used.iter().map(|&j| self.label(j)).collect();
                Ok(Pixels { bytes, labels, bad })
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
        if let Some(v) = &self.view {
            h.update(b"kept:");
            v.iter().for_each(|i| h.update((*i as u64).to_le_bytes()));
        }
        match &self.storage {
            Storage::Memory(p) => {
                h.update(&p.bytes);
                if let Some(l) = &p.labels {
                    l.iter().for_each(|v| h.update(v.to_le_bytes()));
                }
            }
            Storage::Packed(p) => h.update(p.fingerprint()),
            Storage::Lsun(env) => {
                // The key list stands for the records (a record is never rewritten in place
                // in a released dataset); the environment's state is in its path's listing.
                for i in 0..env.len() {
                    h.update(env.key(i).as_bytes());
                    h.update(b";");
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
