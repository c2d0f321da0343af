//! Feature sets and the Gaussian FID fits to them: mean and covariance with `N - 1`
//! normalisation, as pytorch-fid's `calculate_activation_statistics` (`np.mean(act, axis=0)`,
//! `np.cov(act, rowvar=False)`), accumulated in `f64`.

use faer::{Accum, Mat, MatRef, Par};

use crate::{Error, Result};

/// Rows of feature vectors, `[n, dim]` row-major: one row per image.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet {
    /// Length of each vector.
    pub dim: usize,
    /// `n * dim` values.
    pub values: Vec<f32>,
}

impl FeatureSet {
    /// A set from row-major values; `values.len()` must be a multiple of `dim`.
    pub fn new(dim: usize, values: Vec<f32>) -> Self {
        assert!(
            dim > 0 && values.len().is_multiple_of(dim),
            "[n, {dim}] values"
        );
        Self { dim, values }
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// Rows `indices`, in that order, as `f64` (`[indices.len(), dim]` column-major matrix).
    pub(crate) fn rows_f64(&self, indices: impl ExactSizeIterator<Item = usize>) -> Mat<f64> {
        let n = indices.len();
        let mut m = Mat::<f64>::zeros(n, self.dim);
        for (r, i) in indices.enumerate() {
            for (c, &v) in self.row(i).iter().enumerate() {
                m[(r, c)] = v as f64;
            }
        }
        m
    }
}

/// Rows converted to `f64` per block of the covariance accumulation.
const BLOCK: usize = 2048;

/// A Gaussian fitted to features: what FID compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Gaussian {
    /// Mean, `[dim]`.
    pub mu: Vec<f64>,
    /// Covariance, `[dim, dim]` row-major (symmetric).
    pub sigma: Vec<f64>,
    /// Vectors it was fitted to (`None` when read from a statistics file that does not say).
    pub n: Option<usize>,
}

impl Gaussian {
    /// Mean and unbiased covariance of `features` (at least two vectors).
    pub fn fit(features: &FeatureSet) -> Result<Self> {
        let (n, d) = (features.len(), features.dim);
        if n < 2 {
            return Err(Error::metric(
                "FID",
                format!("a covariance needs at least 2 feature vectors; got {n}"),
            ));
        }
        let mut mu = vec![0.0f64; d];
        for i in 0..n {
            for (m, &v) in mu.iter_mut().zip(features.row(i)) {
                *m += v as f64;
            }
        }
        mu.iter_mut().for_each(|m| *m /= n as f64);
        let mut sum = Mat::<f64>::zeros(d, d);
        for start in (0..n).step_by(BLOCK) {
            let end = (start + BLOCK).min(n);
            let mut block = features.rows_f64(start..end);
            for c in 0..d {
                for r in 0..end - start {
                    block[(r, c)] -= mu[c];
                }
            }
            faer::linalg::matmul::matmul(
                sum.as_mut(),
                Accum::Add,
                block.transpose(),
                block.as_ref(),
                1.0,
                Par::rayon(0),
            );
        }
        let scale = 1.0 / (n - 1) as f64;
        let sigma = (0..d * d).map(|k| sum[(k / d, k % d)] * scale).collect();
        Ok(Self {
            mu,
            sigma,
            n: Some(n),
        })
    }

    /// Length of the mean.
    pub fn dim(&self) -> usize {
        self.mu.len()
    }

    /// The covariance as a matrix.
    pub(crate) fn sigma_mat(&self) -> MatRef<'_, f64> {
        let d = self.dim();
        MatRef::from_row_major_slice(&self.sigma, d, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_unbiased_covariance_by_hand() {
        // Three 2-d points: mean (2, 1); deviations (-1, -1), (0, 0), (1, 1); covariance
        // [[1, 1], [1, 1]] with N - 1 = 2.
        let f = FeatureSet::new(2, vec![1.0, 0.0, 2.0, 1.0, 3.0, 2.0]);
        let g = Gaussian::fit(&f).unwrap();
        assert_eq!(g.mu, vec![2.0, 1.0]);
        assert_eq!(g.sigma, vec![1.0, 1.0, 1.0, 1.0]);
        assert_eq!(g.n, Some(3));
        let one = FeatureSet::new(2, vec![1.0, 2.0]);
        assert!(
            Gaussian::fit(&one)
                .unwrap_err()
                .to_string()
                .contains("at least 2")
        );
    }

    #[test]
    fn blocks_add_up_to_the_whole() {
        // More rows than one block: the same as a direct two-pass computation.
        let (n, d) = (BLOCK + 37, 3);
        let values: Vec<f32> = (0..n * d)
            .map(|i| ((i * 7919 % 1013) as f32 / 500.0) - 1.0)
            .collect();
        let g = Gaussian::fit(&FeatureSet::new(d, values.clone())).unwrap();
        let mean = |c: usize| (0..n).map(|i| values[i * d + c] as f64).sum::<f64>() / n as f64;
        for a in 0..d {
            for b in 0..d {
                let cov = (0..n)
                    .map(|i| {
                        (values[i * d + a] as f64 - mean(a)) * (values[i * d + b] as f64 - mean(b))
                    })
                    .sum::<f64>()
                    / (n - 1) as f64;
                assert!((g.sigma[a * d + b] - cov).abs() < 1e-12, "{a},{b}");
            }
        }
    }
}
