//! The paper's de-duplication (section 4.1, LSUN): "we fit a 3072-128-3072 de-noising dropout
//! regularized RELU autoencoder on 32x32 downsampled center-crops of training examples. The
//! resulting code layer activations are then binarized via thresholding the ReLU activation
//! [...] and provides a convenient form of semantic-hashing, allowing for linear time
//! de-duplication."
//!
//! [`find_duplicates`] trains the autoencoder ([`autoencoder`]), hashes every image (streamed
//! in chunks: memory is 16 bytes a code), collects candidate pairs from hash buckets
//! ([`hash`]), and confirms each candidate by its pixels ([`near_distance`]: the mean absolute
//! difference of the two crops, each less its mean colour, at the best of the shifts up to 2
//! pixels), so a re-encoded, shifted or re-coloured copy is found and two different images
//! that happen to hash alike are not. Confirmed pairs join into groups; the keep-list keeps
//! the first image of each group ([`keep`]), and `dcgan train --keep-list` honours it.

pub mod autoencoder;
pub mod baseline;
pub mod hash;
pub mod keep;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use autoencoder::{Autoencoder, AutoencoderTraining};
pub use keep::KeepList;

use crate::data::{BadRecord, Dataset};
use crate::images::{ImageShape, Images};
use crate::{Error, Result};

/// Images hashed at a time.
const CHUNK: usize = 2048;
/// Images whose pixels are held at once while candidates are confirmed.
const CONFIRM_BLOCK: usize = 65_536;
/// The shifts each image is hashed at (its probes): every shift of up to one pixel each way,
/// so two images whose relative shift is up to two pixels have probes that line up.
pub const PROBES: [(isize, isize); 9] = [
    (0, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];
/// LSUN bedrooms, for the time estimate.
pub const LSUN_BEDROOMS: usize = 3_033_042;

/// How near-duplicates are found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DedupConfig {
    /// The autoencoder's training.
    pub training: AutoencoderTraining,
    /// Candidates: codes within this many bits (of 128), sharing a 16-bit band.
    pub max_hamming: u32,
    /// Confirmed: a [`near_distance`] at most this (a fraction of the pictures' variation).
    pub max_distance: f64,
    /// Shifts tried, in pixels each way.
    pub max_shift: usize,
}

impl Default for DedupConfig {
    fn default() -> Self {
        Self {
            training: AutoencoderTraining::default(),
            max_hamming: 16,
            max_distance: 0.25,
            max_shift: 2,
        }
    }
}

/// One group of near-duplicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Indices of the images in the source, ascending; the first is kept.
    pub members: Vec<usize>,
    /// Their names (file paths, LSUN keys).
    pub names: Vec<String>,
}

/// Seconds of each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Training the autoencoder.
    pub train: f64,
    /// Decoding and hashing every image.
    pub hash: f64,
    /// Collecting candidate pairs from the buckets.
    pub candidates: f64,
    /// Confirming candidates by their pixels.
    pub confirm: f64,
}

/// What [`find_duplicates`] found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DedupReport {
    /// The source, as `--data` names it.
    pub source: String,
    /// Images in it.
    pub images: usize,
    /// Records that did not decode (neither hashed nor kept).
    pub bad: Vec<BadRecord>,
    /// The settings.
    pub config: DedupConfig,
    /// The autoencoder's final reconstruction error (mean squared, `[-1, 1]` units).
    pub reconstruction_mse: f64,
    /// Candidate pairs from the buckets (each image's nearest codes).
    pub candidates: usize,
    /// Buckets too crowded to search pair by pair (see [`hash::MAX_BUCKET`]), passed over.
    pub crowded_buckets: usize,
    /// Entries (image probes) in them.
    pub crowded_entries: usize,
    /// Of them, confirmed by their pixels.
    pub confirmed: usize,
    /// The groups, largest first.
    pub groups: Vec<Group>,
    /// Images left out by the keep-list (every group member but its first).
    pub removed: usize,
    /// Stage times.
    pub seconds: Timings,
    /// Images hashed per second (decoding included).
    pub hash_rate: f64,
    /// Seconds the hashing would take on LSUN bedrooms' 3,033,042 images at that rate.
    pub lsun_bedrooms_hash_seconds: f64,
    /// Every candidate pair with its [`near_distance`] (not written to the JSON: there may be
    /// millions), for choosing a threshold.
    #[serde(skip)]
    pub candidate_distances: Vec<((u32, u32), f32)>,
}

/// Progress: `(stage, done, total)`.
pub type Progress<'a> = &'a mut dyn FnMut(&str, u64, u64);

/// The 32x32 crops of `indices` as bytes, each `None` when it did not decode (with why).
fn crops(data: &Dataset, indices: &[usize]) -> Vec<std::result::Result<Vec<u8>, String>> {
    indices
        .par_iter()
        .map(|&i| {
            data.image_with_label(i)
                .map(|(b, _)| b)
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Finds the near-duplicates of `data`, opened at 32x32 RGB (the paper's crops).
pub fn find_duplicates(
    data: Arc<Dataset>,
    config: &DedupConfig,
    device: &Device,
    progress: Progress,
) -> Result<DedupReport> {
    if data.size != 32 || data.channels != 3 {
        return Err(Error::option(
            "dedup",
            "open the data at 32x32 with 3 channels (the paper's downsampled centre crops)",
        ));
    }
    let n = data.len();
    let mut seconds = Timings::default();
    let t = Instant::now();
    let (net, mse) =
        autoencoder::train(data.clone(), &config.training, device, &mut |i, of, _| {
            progress("training the autoencoder", i, of)
        })?;
    seconds.train = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let probes = PROBES.len();
    let mut codes: Vec<u128> = Vec::with_capacity(n * probes);
    let mut valid: Vec<bool> = Vec::with_capacity(n);
    let mut bad: Vec<BadRecord> = Vec::new();
    for start in (0..n).step_by(CHUNK) {
        let indices: Vec<usize> = (start..(start + CHUNK).min(n)).collect();
        let decoded = crops(&data, &indices);
        let good: Vec<&Vec<u8>> = decoded.iter().filter_map(|r| r.as_ref().ok()).collect();
        let mut hashes = if good.is_empty() {
            Vec::new()
        } else {
            let values: Vec<f32> = good
                .par_iter()
                .flat_map_iter(|b| {
                    PROBES
                        .iter()
                        .flat_map(|&(dx, dy)| shifted(b, 32, 3, dx, dy))
                        .map(|v| v as f32 / 127.5 - 1.0)
                        .collect::<Vec<f32>>()
                })
                .collect();
            let x = Tensor::<2>::from_data(
                TensorData::new(values, [good.len() * probes, autoencoder::INPUT]),
                device,
            );
            net.hashes(x)?
        }
        .into_iter();
        for (r, &index) in decoded.into_iter().zip(&indices) {
            match r {
                Ok(_) => {
                    codes.extend(hashes.by_ref().take(probes));
                    valid.push(true);
                }
                Err(message) => {
                    bad.push(BadRecord { index, message });
                    codes.extend(std::iter::repeat_n(0, probes));
                    valid.push(false);
                }
            }
        }
        progress("hashing", valid.len() as u64, n as u64);
    }
    seconds.hash = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let found = hash::candidate_pairs(&codes, &valid, probes, config.max_hamming);
    let candidates = found.pairs;
    seconds.candidates = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let distances = measure(&data, &candidates, config, progress)?;
    let confirmed: Vec<(u32, u32)> = candidates
        .iter()
        .zip(&distances)
        .filter(|(_, d)| f64::from(**d) <= config.max_distance)
        .map(|(p, _)| *p)
        .collect();
    seconds.confirm = t.elapsed().as_secs_f64();

    let groups: Vec<Group> = hash::groups(n, &confirmed)
        .into_iter()
        .map(|g| {
            let members: Vec<usize> = g.into_iter().map(|i| i as usize).collect();
            Group {
                names: members.iter().map(|&i| data.record_name(i)).collect(),
                members,
            }
        })
        .collect();
    let removed = groups.iter().map(|g| g.members.len() - 1).sum();
    let hash_rate = n as f64 / seconds.hash.max(1e-9);
    let n_candidates = candidates.len();
    Ok(DedupReport {
        crowded_buckets: found.crowded_buckets,
        crowded_entries: found.crowded_entries,
        candidate_distances: candidates.into_iter().zip(distances).collect(),
        source: data.source.to_string(),
        images: n,
        bad,
        config: *config,
        reconstruction_mse: mse,
        candidates: n_candidates,
        confirmed: confirmed.len(),
        groups,
        removed,
        seconds,
        hash_rate,
        lsun_bedrooms_hash_seconds: LSUN_BEDROOMS as f64 / hash_rate,
    })
}

/// The [`near_distance`] of each candidate pair, in blocks of images so that memory stays
/// bounded whatever the number of candidates.
fn measure(
    data: &Dataset,
    candidates: &[(u32, u32)],
    config: &DedupConfig,
    progress: Progress,
) -> Result<Vec<f32>> {
    let mut distances = Vec::with_capacity(candidates.len());
    let mut start = 0;
    while start < candidates.len() {
        // The longest run of pairs whose images fit one block.
        let mut images = std::collections::BTreeSet::new();
        let mut end = start;
        while end < candidates.len() {
            let (a, b) = candidates[end];
            let extra = (!images.contains(&a)) as usize + (!images.contains(&b)) as usize;
            if images.len() + extra > CONFIRM_BLOCK && end > start {
                break;
            }
            images.insert(a);
            images.insert(b);
            end += 1;
        }
        let order: Vec<usize> = images.iter().map(|&i| i as usize).collect();
        let decoded = crops(data, &order);
        let at: std::collections::HashMap<u32, usize> =
            images.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        let block: Vec<f32> = candidates[start..end]
            .par_iter()
            .map(|(a, b)| match (&decoded[at[a]], &decoded[at[b]]) {
                (Ok(x), Ok(y)) => near_distance(x, y, 32, 3, config.max_shift) as f32,
                _ => f32::INFINITY,
            })
            .collect();
        distances.extend(block);
        start = end;
        progress(
            "confirming candidates",
            start as u64,
            candidates.len() as u64,
        );
    }
    Ok(distances)
}

/// `img` (`[channels, side, side]` bytes) moved by (`dx`, `dy`) pixels, the edge repeated
/// where it uncovers.
pub fn shifted(img: &[u8], side: usize, channels: usize, dx: isize, dy: isize) -> Vec<u8> {
    let n = side as isize;
    let mut out = Vec::with_capacity(img.len());
    for c in 0..channels {
        let plane = &img[c * side * side..(c + 1) * side * side];
        for y in 0..n {
            let sy = (y - dy).clamp(0, n - 1);
            for x in 0..n {
                let sx = (x - dx).clamp(0, n - 1);
                out.push(plane[(sy * n + sx) as usize]);
            }
        }
    }
    out
}

/// How far apart two crops (`[channels, side, side]` bytes) are, ignoring a global change of
/// brightness or colour and a small shift, relative to how much the pictures vary: the least,
/// over shifts of up to `max_shift` pixels each way, of the mean absolute difference over the
/// overlap after removing each crop's mean per channel there, divided by the crops' mean
/// absolute deviation from those means (at least 1 level). A copy re-encoded or moved a pixel
/// is a small fraction of its own variation (0.1-0.3); two different pictures differ by about
/// as much as they vary (near 1); two flat, nearly uniform pictures, whose absolute difference
/// is small, are not near by this measure unless they are nearly equal.
pub fn near_distance(a: &[u8], b: &[u8], side: usize, channels: usize, max_shift: usize) -> f64 {
    let s = max_shift as isize;
    let mut best = f64::INFINITY;
    for dy in -s..=s {
        for dx in -s..=s {
            best = best.min(shifted_distance(a, b, side, channels, dx, dy));
        }
    }
    best
}

/// [`near_distance`] at one shift: `b` moved by (`dx`, `dy`) against `a`.
fn shifted_distance(a: &[u8], b: &[u8], side: usize, channels: usize, dx: isize, dy: isize) -> f64 {
    let n = side as isize;
    let (x0, x1) = (dx.max(0), (n + dx).min(n));
    let (y0, y1) = (dy.max(0), (n + dy).min(n));
    let area = ((x1 - x0) * (y1 - y0)) as f64;
    let plane = side * side;
    let (mut diff, mut spread) = (0.0, 0.0);
    for c in 0..channels {
        let (pa, pb) = (
            &a[c * plane..(c + 1) * plane],
            &b[c * plane..(c + 1) * plane],
        );
        let at = |p: &[u8], x: isize, y: isize| p[(y * n + x) as usize] as f64;
        let (mut sa, mut sb) = (0.0, 0.0);
        for y in y0..y1 {
            for x in x0..x1 {
                sa += at(pa, x, y);
                sb += at(pb, x - dx, y - dy);
            }
        }
        let (ma, mb) = (sa / area, sb / area);
        for y in y0..y1 {
            for x in x0..x1 {
                let (va, vb) = (at(pa, x, y) - ma, at(pb, x - dx, y - dy) - mb);
                diff += (va - vb).abs();
                spread += 0.5 * (va.abs() + vb.abs());
            }
        }
    }
    diff / spread.max(area * channels as f64)
}

/// The files [`write_outputs`] wrote.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// `duplicates.json`: the report with every group.
    pub json: PathBuf,
    /// `keep.txt`: the keep-list for `dcgan train --keep-list`.
    pub keep: PathBuf,
    /// `groups.png`: the largest groups, one per row.
    pub sheet: PathBuf,
}

/// Writes the report, the keep-list and a contact sheet of the largest groups into `out`.
pub fn write_outputs(report: &DedupReport, data: &Dataset, out: &Path) -> Result<Outputs> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let json = out.join("duplicates.json");
    let text = serde_json::to_string_pretty(report).expect("report serialises");
    crate::run::write_atomic(&json, text.as_bytes())?;
    let keep = out.join("keep.txt");
    KeepList::from_groups(data, &report.groups, &report.bad).write(&keep)?;
    let sheet = out.join("groups.png");
    group_sheet(data, &report.groups, 12, 10)?.save(&sheet)?;
    Ok(Outputs { json, keep, sheet })
}

/// The `rows` largest groups, up to `columns` members each, at 2x, each row labelled.
fn group_sheet(
    data: &Dataset,
    groups: &[Group],
    rows: usize,
    columns: usize,
) -> Result<crate::render::Canvas> {
    use crate::render::Canvas;
    let (zoom, tile, label_w) = (2u32, 64u32, 110u32);
    let shown: Vec<&Group> = groups.iter().take(rows).collect();
    let height = (shown.len().max(1) as u32) * (tile + 6) + 20;
    let mut canvas = Canvas::new(label_w + columns as u32 * (tile + 4), height);
    canvas.text(4, 4, &format!("largest of {} groups", groups.len()));
    let shape = ImageShape::new(data.channels, data.size);
    for (r, g) in shown.iter().enumerate() {
        let y = 20 + r as u32 * (tile + 6);
        canvas.text(4, y + tile / 2 - 4, &format!("{} images", g.members.len()));
        let take: Vec<usize> = g.members.iter().take(columns).copied().collect();
        let pixels = data.strict_pixels(&take)?;
        let images = Images::new(crate::data::to_unit_range(&pixels), shape)?;
        for k in 0..images.len() {
            canvas.tile(label_w + k as u32 * (tile + 4), y, images.get(k), zoom);
        }
    }
    Ok(canvas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(side: usize, seed: u32) -> Vec<u8> {
        (0..3 * side * side)
            .map(|i| {
                let (c, p) = (i / (side * side), i % (side * side));
                let (x, y) = ((p % side) as u32, (p / side) as u32);
                ((x * 7 + y * 3 + c as u32 * 50 + seed * 31) % 200 + (x * y + seed) % 37) as u8
            })
            .collect()
    }

    #[test]
    fn a_shifted_or_brightened_copy_is_near_and_another_picture_is_not() {
        let side = 32;
        let a = picture(side, 1);
        // Shifted right by 2 (the left columns repeat the edge) and 20 levels brighter.
        let b: Vec<u8> = (0..a.len())
            .map(|i| {
                let (c, p) = (i / (side * side), i % (side * side));
                let (x, y) = (p % side, p / side);
                let sx = x.saturating_sub(2);
                a[c * side * side + y * side + sx].saturating_add(20)
            })
            .collect();
        assert!(shifted_distance(&a, &b, side, 3, 0, 0) > 0.1);
        assert!(
            near_distance(&a, &b, side, 3, 2) < 0.02,
            "{}",
            near_distance(&a, &b, side, 3, 2)
        );
        assert!(near_distance(&a, &b, side, 3, 1) > 0.1);
        let other = picture(side, 9);
        assert!(near_distance(&a, &other, side, 3, 2) > 0.5);
        assert_eq!(near_distance(&a, &a, side, 3, 2), 0.0);
        // Two flat pictures a few levels apart are not near: their difference is as large as
        // their variation.
        let flat = |v: u8, seed: u64| -> Vec<u8> {
            use rand::{Rng, SeedableRng};
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            (0..3 * side * side)
                .map(|_| v + rng.random_range(0..5u8))
                .collect()
        };
        assert!(near_distance(&flat(100, 0), &flat(104, 3), side, 3, 2) > 0.5);
    }
}
