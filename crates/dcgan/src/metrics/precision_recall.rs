//! Improved precision and recall (Kynkäänniemi et al. 2019) as torch-fidelity's
//! `prc_features_to_metric`: each feature vector's ball reaches its `k`-th nearest neighbour in
//! its own set (`kthvalue(k + 1)` of the distances, itself included at distance 0); precision is
//! the share of generated vectors inside at least one real ball, recall the share of real vectors
//! inside at least one generated ball.
//!
//! Distances are Euclidean, computed in `f64` block by block (`|a|^2 + |b|^2 - 2 a.b`, one matrix
//! product per pair of blocks), so memory stays at two blocks whatever the set sizes.

use faer::{Accum, Mat, Par};

use super::FeatureSet;
use crate::{Error, Result};

/// Neighbourhood size of the paper and torch-fidelity (`prc_neighborhood`).
pub const DEFAULT_K: usize = 3;
/// Rows per block of the distance computation.
const BLOCK: usize = 1024;

/// Precision, recall and their harmonic mean.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PrecisionRecall {
    /// Share of generated samples on the real manifold.
    pub precision: f64,
    /// Share of real samples on the generated manifold.
    pub recall: f64,
    /// `2 p r / max(1e-5, p + r)` (torch-fidelity's `f_score`).
    pub f_score: f64,
    /// The neighbourhood size used.
    pub k: usize,
}

/// Precision and recall of `generated` against `real` with neighbourhood size `k`.
pub fn precision_recall(
    generated: &FeatureSet,
    real: &FeatureSet,
    k: usize,
) -> Result<PrecisionRecall> {
    if generated.dim != real.dim {
        return Err(Error::metric(
            "precision/recall",
            format!(
                "feature lengths differ ({} and {})",
                generated.dim, real.dim
            ),
        ));
    }
    for (side, f) in [("generated", generated), ("real", real)] {
        if f.len() <= k {
            return Err(Error::metric(
                "precision/recall",
                format!(
                    "the {side} side has {} feature vectors; a {k}-nearest-neighbour ball needs \
                     at least {}",
                    f.len(),
                    k + 1
                ),
            ));
        }
    }
    let real_radii = radii(real, k);
    let generated_radii = radii(generated, k);
    let precision = covered_share(generated, real, &real_radii);
    let recall = covered_share(real, generated, &generated_radii);
    Ok(PrecisionRecall {
        precision,
        recall,
        f_score: 2.0 * precision * recall / (precision + recall).max(1e-5),
        k,
    })
}

/// Squared distances between rows `qs` of `queries` and rows `cs` of `centres`, `[q, c]`, handed
/// to `each(query_row, centre_row, squared_distance)` block by block.
fn for_each_distance(
    queries: &FeatureSet,
    centres: &FeatureSet,
    mut each: impl FnMut(usize, usize, f64),
) {
    let norms = |f: &FeatureSet, r: std::ops::Range<usize>, m: &Mat<f64>| -> Vec<f64> {
        (0..r.len())
            .map(|i| (0..f.dim).map(|c| m[(i, c)] * m[(i, c)]).sum())
            .collect()
    };
    for q0 in (0..queries.len()).step_by(BLOCK) {
        let q1 = (q0 + BLOCK).min(queries.len());
        let q = queries.rows_f64(q0..q1);
        let qn = norms(queries, q0..q1, &q);
        for c0 in (0..centres.len()).step_by(BLOCK) {
            let c1 = (c0 + BLOCK).min(centres.len());
            let c = centres.rows_f64(c0..c1);
            let cn = norms(centres, c0..c1, &c);
            let mut dot = Mat::<f64>::zeros(q1 - q0, c1 - c0);
            faer::linalg::matmul::matmul(
                dot.as_mut(),
                Accum::Replace,
                q.as_ref(),
                c.transpose(),
                1.0,
                Par::rayon(0),
            );
            for j in 0..c1 - c0 {
                for i in 0..q1 - q0 {
                    let d2 = (qn[i] + cn[j] - 2.0 * dot[(i, j)]).max(0.0);
                    each(q0 + i, c0 + j, d2);
                }
            }
        }
    }
}

/// Each vector's squared distance to its `k`-th nearest neighbour in its own set (itself counted
/// as the nearest, at distance 0: torch's `kthvalue(k + 1)`).
fn radii(set: &FeatureSet, k: usize) -> Vec<f64> {
    // The k + 1 smallest squared distances of each row, kept sorted.
    let mut best: Vec<Vec<f64>> = vec![Vec::with_capacity(k + 2); set.len()];
    for_each_distance(set, set, |i, j, d2| {
        let d2 = if i == j { 0.0 } else { d2 };
        let b = &mut best[i];
        if b.len() <= k || d2 < b[k] {
            let at = b.partition_point(|&v| v <= d2);
            b.insert(at, d2);
            b.truncate(k + 1);
        }
    });
    best.into_iter().map(|b| b[k]).collect()
}

/// Share of `queries` within `radii` (squared) of at least one of `centres`.
fn covered_share(queries: &FeatureSet, centres: &FeatureSet, radii: &[f64]) -> f64 {
    let mut inside = vec![false; queries.len()];
    for_each_distance(queries, centres, |i, j, d2| {
        if d2 <= radii[j] {
            inside[i] = true;
        }
    });
    inside.iter().filter(|&&b| b).count() as f64 / queries.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_on_a_line_by_hand() {
        // Real: 0, 1, 2, 3, 10 (1-d). With k = 1 each real ball reaches the nearest other
        // point: radii 1, 1, 1, 1, 7. Generated: 0.5 (inside), 5 (inside 10's ball of 7),
        // 20 (outside): precision 2/3.
        let real = FeatureSet::new(1, vec![0.0, 1.0, 2.0, 3.0, 10.0]);
        let gen_ = FeatureSet::new(1, vec![0.5, 5.0, 20.0]);
        let pr = precision_recall(&gen_, &real, 1).unwrap();
        assert!((pr.precision - 2.0 / 3.0).abs() < 1e-12, "{pr:?}");
        // Generated radii (k = 1): 4.5, 4.5, 15. Real points within: 0..3 (0.5's ball of 4.5)
        // and 10 (20's ball of 15): recall 1.
        assert_eq!(pr.recall, 1.0);
        assert!(
            radii(&real, 1)
                .iter()
                .zip([1.0, 1.0, 1.0, 1.0, 49.0])
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        let err = precision_recall(&gen_, &real, 3).unwrap_err().to_string();
        assert!(err.contains("at least 4"), "{err}");
    }

    #[test]
    fn blocks_agree_with_brute_force() {
        // More rows than a block, so several blocks meet: radii by brute force.
        let n = BLOCK + 50;
        let values: Vec<f32> = (0..n * 2)
            .map(|i| ((i * 7919 % 997) as f32) / 997.0)
            .collect();
        let set = FeatureSet::new(2, values);
        let got = radii(&set, 3);
        for i in [0, 7, BLOCK - 1, BLOCK, n - 1] {
            let mut d: Vec<f64> = (0..n)
                .map(|j| {
                    (0..2)
                        .map(|c| (set.row(i)[c] as f64 - set.row(j)[c] as f64).powi(2))
                        .sum()
                })
                .collect();
            d.sort_by(f64::total_cmp);
            assert!(
                (got[i] - d[3]).abs() < 1e-9,
                "row {i}: {} vs {}",
                got[i],
                d[3]
            );
        }
    }
}
