//! CIFAR-10 in its binary format: records of 1 label byte + 3072 pixel bytes (1024 R, 1024 G,
//! 1024 B, row-major 32x32), 10,000 per batch file.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::transform::fit_rgb_planes;
use super::{Pixels, Split, source::existing_dir};
use crate::{Error, Result};

/// Bytes per record.
pub const RECORD: usize = 1 + 3 * 32 * 32;

/// The class names of CIFAR-10 (`batches.meta.txt`).
pub const CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

fn batch_files(dir: &Path, split: Split) -> Result<Vec<PathBuf>> {
    // The official archive unpacks into `cifar-10-batches-bin/`; accept either level.
    let nested = dir.join("cifar-10-batches-bin");
    let base = if nested.is_dir() {
        nested
    } else {
        dir.to_path_buf()
    };
    let names: Vec<String> = match split {
        Split::Train => (1..=5).map(|i| format!("data_batch_{i}.bin")).collect(),
        Split::Test => vec!["test_batch.bin".to_string()],
    };
    let present: Vec<PathBuf> = names
        .iter()
        .map(|n| base.join(n))
        .filter(|p| p.is_file())
        .collect();
    if present.is_empty() {
        return Err(Error::format(
            dir,
            format!(
                "no CIFAR-10 binary batches here: expected {}",
                names.join(", ")
            ),
        ));
    }
    Ok(present)
}

/// Loads `split`, fitted to `size` and `channels`.
pub(crate) fn load(
    dir: &Path,
    split: Split,
    size: usize,
    channels: usize,
) -> Result<(Pixels, Vec<String>)> {
    existing_dir(dir)?;
    let mut bytes = Vec::new();
    let mut labels = Vec::new();
    for path in batch_files(dir, split)? {
        let raw = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        if raw.is_empty() || raw.len() % RECORD != 0 {
            return Err(Error::format(
                &path,
                format!(
                    "{} bytes is not a whole number of {RECORD}-byte CIFAR-10 records: truncated or corrupt",
                    raw.len()
                ),
            ));
        }
        let records: Vec<&[u8]> = raw.chunks_exact(RECORD).collect();
        if let Some((i, r)) = records.iter().enumerate().find(|(_, r)| r[0] > 9) {
            return Err(Error::format(
                &path,
                format!("record {i} has label {}, not 0-9", r[0]),
            ));
        }
        let fitted: Vec<Vec<u8>> = records
            .par_iter()
            .map(|r| fit_rgb_planes(&r[1..], 32, size, channels))
            .collect();
        labels.extend(records.iter().map(|r| r[0] as u16));
        bytes.extend(fitted.concat());
    }
    Ok((
        Pixels {
            bytes,
            labels: Some(labels),
            bad: Vec::new(),
        },
        CLASSES.iter().map(|s| s.to_string()).collect(),
    ))
}
