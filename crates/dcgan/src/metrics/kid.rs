//! Kernel Inception Distance (Bińkowski et al. 2018) as torch-fidelity's
//! `kid_features_to_metric`: the unbiased estimate of MMD^2 under the cubic polynomial kernel
//! `k(x, y) = (x.y / d + 1)^3`, over `subsets` random subsets of `subset_size` vectors from each
//! side (drawn without replacement by numpy's `RandomState(seed)`, generated side first), reported
//! as the mean and the (population) standard deviation over subsets.

use faer::{Accum, Mat, Par};

use super::FeatureSet;
use super::numpy_rng::RandomState;
use crate::{Error, Result};

/// KID's settings; the defaults are torch-fidelity's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KidConfig {
    /// Subsets averaged (torch-fidelity: 100).
    pub subsets: usize,
    /// Vectors per subset and side (torch-fidelity: 1000).
    pub subset_size: usize,
    /// Polynomial degree (3).
    pub degree: i32,
    /// Seed of numpy's `RandomState` (torch-fidelity's `rng_seed`: 2020).
    pub seed: u32,
}

impl Default for KidConfig {
    fn default() -> Self {
        Self {
            subsets: 100,
            subset_size: 1000,
            degree: 3,
            seed: 2020,
        }
    }
}

/// A KID estimate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Kid {
    /// Mean of the subsets' MMD^2.
    pub mean: f64,
    /// Their standard deviation (numpy's `np.std`, `ddof = 0`).
    pub std: f64,
}

/// KID between `generated` and `real` (torch-fidelity's `input1` and `input2`).
pub fn kernel_inception_distance(
    generated: &FeatureSet,
    real: &FeatureSet,
    config: &KidConfig,
) -> Result<Kid> {
    if generated.dim != real.dim {
        return Err(Error::metric(
            "KID",
            format!(
                "feature lengths differ ({} and {})",
                generated.dim, real.dim
            ),
        ));
    }
    let m = config.subset_size;
    if m < 2 || config.subsets == 0 {
        return Err(Error::metric(
            "KID",
            format!(
                "needs at least one subset of at least 2 vectors (subsets {}, subset size {m})",
                config.subsets
            ),
        ));
    }
    for (side, f) in [("generated", generated), ("real", real)] {
        if f.len() < m {
            return Err(Error::metric(
                "KID",
                format!(
                    "the {side} side has {} feature vectors, fewer than the subset size {m}: \
                     give more samples or a smaller subset size",
                    f.len()
                ),
            ));
        }
    }
    let mut rng = RandomState::new(config.seed);
    let mut mmds = Vec::with_capacity(config.subsets);
    for _ in 0..config.subsets {
        let x = generated.rows_f64(rng.choice(generated.len(), m).into_iter());
        let y = real.rows_f64(rng.choice(real.len(), m).into_iter());
        mmds.push(mmd2_unbiased(&x, &y, config.degree));
    }
    let mean = mmds.iter().sum::<f64>() / mmds.len() as f64;
    let var = mmds.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / mmds.len() as f64;
    Ok(Kid {
        mean,
        std: var.sqrt(),
    })
}

/// The unbiased MMD^2 of two equal-sized samples (rows of `x` and `y`) under
/// `(a.b / d + 1)^degree`: off-diagonal means of `K_XX` and `K_YY` minus twice the mean of
/// `K_XY` (torch-fidelity's `mmd2`, `mmd_est = "unbiased"`).
fn mmd2_unbiased(x: &Mat<f64>, y: &Mat<f64>, degree: i32) -> f64 {
    let m = x.nrows() as f64;
    let gamma = 1.0 / x.ncols() as f64;
    let kernel_sum = |a: &Mat<f64>, b: &Mat<f64>, skip_diagonal: bool| {
        let mut k = Mat::<f64>::zeros(a.nrows(), b.nrows());
        faer::linalg::matmul::matmul(
            k.as_mut(),
            Accum::Replace,
            a.as_ref(),
            b.transpose(),
            1.0,
            Par::rayon(0),
        );
        let mut sum = 0.0;
        for j in 0..k.ncols() {
            for i in 0..k.nrows() {
                if !(skip_diagonal && i == j) {
                    sum += (k[(i, j)] * gamma + 1.0).powi(degree);
                }
            }
        }
        sum
    };
    (kernel_sum(x, x, true) + kernel_sum(y, y, true)) / (m * (m - 1.0))
        - 2.0 * kernel_sum(x, y, false) / (m * m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_mmd_of_two_pairs() {
        // d = 1: x = {0, 1}, y = {1, 2}; k(a, b) = (ab + 1)^3.
        // Kxx off-diagonal: 2 * (0 + 1)^3 = 2; Kyy: 2 * (2 + 1)^3 = 54;
        // Kxy: (1)^3 + (1)^3 + (2)^3 + (3)^3 = 37. MMD^2 = (2 + 54) / 2 - 2 * 37 / 4 = 9.5.
        let x = Mat::<f64>::from_fn(2, 1, |i, _| i as f64);
        let y = Mat::<f64>::from_fn(2, 1, |i, _| i as f64 + 1.0);
        assert!((mmd2_unbiased(&x, &y, 3) - 9.5).abs() < 1e-12);
    }

    #[test]
    fn too_few_vectors_is_a_clear_error() {
        let f = FeatureSet::new(2, vec![0.0; 2 * 10]);
        let err = kernel_inception_distance(&f, &f, &KidConfig::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("10 feature vectors") && err.contains("1000"),
            "{err}"
        );
    }
}
