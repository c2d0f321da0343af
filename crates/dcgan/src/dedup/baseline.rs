//! The baseline the hashing is compared with: exact nearest neighbours in pixel space. Every
//! image's nearest other image (Euclidean distance of the 32x32 crops, an exhaustive search:
//! quadratic in the images), declared a duplicate pair when the root-mean-square difference is
//! at most a threshold.

use burn::tensor::Device;

use crate::Result;
use crate::data::Dataset;
use crate::nearest::Knn;

/// Each image's nearest other image and the RMS difference (0-255 levels), by exhaustive
/// search. Images that do not decode get `None`.
pub fn nearest_others(data: &Dataset, device: &Device) -> Result<Vec<Option<(usize, f64)>>> {
    let n = data.len();
    let dim = data.image_len();
    let all: Vec<usize> = (0..n).collect();
    let pixels = data.strict_pixels(&all)?;
    let rows: Vec<f32> = pixels.iter().map(|&b| b as f32).collect();
    let mut out = Vec::with_capacity(n);
    const QUERIES: usize = 1024;
    const CHUNK: usize = 4096;
    for q0 in (0..n).step_by(QUERIES) {
        let q1 = (q0 + QUERIES).min(n);
        let mut knn = Knn::new(&rows[q0 * dim..q1 * dim], dim, 2, device);
        for c0 in (0..n).step_by(CHUNK) {
            let c1 = (c0 + CHUNK).min(n);
            knn.add(&rows[c0 * dim..c1 * dim], &all[c0..c1]);
        }
        for (k, best) in knn.finish().into_iter().enumerate() {
            let me = q0 + k;
            let other = best.into_iter().find(|nb| nb.index != me);
            out.push(other.map(|nb| (nb.index, nb.distance / (dim as f64).sqrt())));
        }
    }
    Ok(out)
}

/// The pairs `(i, nearest other of i)`, `i < j` order, whose RMS difference is at most
/// `max_rms`, sorted and without repeats.
pub fn pairs_within(nearest: &[Option<(usize, f64)>], max_rms: f64) -> Vec<(u32, u32)> {
    let mut pairs: Vec<(u32, u32)> = nearest
        .iter()
        .enumerate()
        .filter_map(|(i, nb)| {
            let (j, d) = (*nb)?;
            (d <= max_rms).then_some((i.min(j) as u32, i.max(j) as u32))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}
