//! A regularised linear L2-SVM (squared hinge, one-vs-rest): the classifier the paper puts on
//! D's features (section 5.1; docs/paper.md section 3).
//!
//! Each binary problem is `min_w 1/2 |w|^2 + C sum_i max(0, 1 - y_i w.x_i)^2` with the bias as
//! an extra constant feature (regularised too, as LIBLINEAR and scikit-learn's `LinearSVC` do),
//! solved by dual coordinate descent (Hsieh et al. 2008, LIBLINEAR's `-s 1`): one coordinate
//! of the dual at a time, in a fresh random order each pass, keeping `w` in step. The primal is
//! strictly convex, so the solution is unique and the tests compare it with `LinearSVC`'s.
//! The classes are solved in parallel.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::{Error, Result};

/// Solver settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SvmConfig {
    /// The cost `C` of a squared hinge loss (larger: less regularisation).
    pub c: f64,
    /// Stop when the projected gradient's spread over a pass falls below this.
    pub tol: f64,
    /// The most passes over the data.
    pub max_passes: usize,
    /// The constant appended to every example as the bias feature (`intercept_scaling`).
    pub bias: f32,
    /// Seed of the coordinate order.
    pub seed: u64,
}

impl Default for SvmConfig {
    /// `C = 1`, LIBLINEAR's tolerance 0.1 and a bias feature of 1.
    fn default() -> Self {
        Self {
            c: 1.0,
            tol: 0.1,
            max_passes: 1000,
            bias: 1.0,
            seed: 0,
        }
    }
}

/// A one-vs-rest linear classifier: one weight vector and bias per class.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSvm {
    /// Number of classes.
    pub classes: usize,
    /// Feature dimension.
    pub dim: usize,
    /// `[classes, dim]` row-major.
    pub weights: Vec<f32>,
    /// One per class (the bias feature's weight times its value).
    pub biases: Vec<f32>,
    /// Passes each class's solver took.
    pub passes: Vec<usize>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent partial sums: vectorises, and rounds less than one running sum.
    let mut acc = [0.0f32; 8];
    let chunks = a.len() / 8;
    for k in 0..chunks {
        for j in 0..8 {
            acc[j] += a[8 * k + j] * b[8 * k + j];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for j in 8 * chunks..a.len() {
        s += a[j] * b[j];
    }
    s
}

/// Solves one binary problem for labels `y` (+1 / -1); returns `(w, w_bias, passes)`.
fn fit_binary(x: &[f32], y: &[f32], dim: usize, config: &SvmConfig) -> (Vec<f32>, f32, usize) {
    let n = y.len();
    let d_ii = 1.0 / (2.0 * config.c);
    let b2 = (config.bias * config.bias) as f64;
    let q_ii: Vec<f64> = x
        .chunks(dim)
        .map(|row| dot(row, row) as f64 + b2 + d_ii)
        .collect();
    let mut alpha = vec![0.0f64; n];
    let mut w = vec![0.0f32; dim];
    let mut wb = 0.0f64;
    let mut index: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut passes = 0;
    // Shrinking (LIBLINEAR): a coordinate at zero whose gradient points further out than the
    // last pass's largest projected gradient leaves the active set until the end.
    let mut active = n;
    let mut pg_max_old = f64::INFINITY;
    while passes < config.max_passes {
        passes += 1;
        index[..active].shuffle(&mut rng);
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut s = 0;
        while s < active {
            let i = index[s];
            let row = &x[i * dim..(i + 1) * dim];
            let yi = y[i] as f64;
            let margin = dot(&w, row) as f64 + wb * config.bias as f64;
            let g = yi * margin - 1.0 + d_ii * alpha[i];
            let mut pg = g;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                }
                pg = g.min(0.0);
            }
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (alpha[i] - g / q_ii[i]).max(0.0);
                let step = ((alpha[i] - old) * yi) as f32;
                for (wj, xj) in w.iter_mut().zip(row) {
                    *wj += step * xj;
                }
                wb += step as f64 * config.bias as f64;
            }
            s += 1;
        }
        if pg_max - pg_min <= config.tol {
            if active == n {
                break;
            }
            // Converged on the active set: check every coordinate once more.
            active = n;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
    }
    (w, (wb * config.bias as f64) as f32, passes)
}

impl LinearSvm {
    /// Fits one-vs-rest on `x` (`[n, dim]` row-major) with class labels `0..classes`.
    pub fn fit(
        x: &[f32],
        labels: &[u16],
        dim: usize,
        classes: usize,
        config: &SvmConfig,
    ) -> Result<Self> {
        if dim == 0 || x.len() != labels.len() * dim {
            return Err(Error::option(
                "features",
                format!(
                    "{} values do not make {} rows of {dim} features",
                    x.len(),
                    labels.len()
                ),
            ));
        }
        if let Some(bad) = labels.iter().find(|&&l| l as usize >= classes) {
            return Err(Error::option(
                "labels",
                format!("label {bad} is not below the class count {classes}"),
            ));
        }
        if !(config.c > 0.0 && config.c.is_finite()) {
            return Err(Error::option(
                "C",
                format!("{} is not a positive number", config.c),
            ));
        }
        let solved: Vec<(Vec<f32>, f32, usize)> = (0..classes)
            .into_par_iter()
            .map(|k| {
                let y: Vec<f32> = labels
                    .iter()
                    .map(|&l| if l as usize == k { 1.0 } else { -1.0 })
                    .collect();
                fit_binary(x, &y, dim, config)
            })
            .collect();
        let mut weights = Vec::with_capacity(classes * dim);
        let mut biases = Vec::with_capacity(classes);
        let mut passes = Vec::with_capacity(classes);
        for (w, b, p) in solved {
            weights.extend(w);
            biases.push(b);
            passes.push(p);
        }
        Ok(Self {
            classes,
            dim,
            weights,
            biases,
            passes,
        })
    }

    /// Decision values `w_k . x + b_k`, `[n, classes]` row-major.
    pub fn decision(&self, x: &[f32]) -> Vec<f32> {
        x.par_chunks(self.dim)
            .flat_map_iter(|row| {
                (0..self.classes).map(move |k| {
                    dot(&self.weights[k * self.dim..(k + 1) * self.dim], row) + self.biases[k]
                })
            })
            .collect()
    }

    /// The class of largest decision value for each row.
    pub fn predict(&self, x: &[f32]) -> Vec<u16> {
        self.decision(x)
            .chunks(self.classes)
            .map(|d| {
                (0..self.classes)
                    .max_by(|&a, &b| d[a].total_cmp(&d[b]).then(b.cmp(&a)))
                    .unwrap_or(0) as u16
            })
            .collect()
    }
}

/// Fraction of `predicted` equal to `truth`.
pub fn accuracy(predicted: &[u16], truth: &[u16]) -> f64 {
    let right = predicted.iter().zip(truth).filter(|(a, b)| a == b).count();
    right as f64 / truth.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn separable_blobs_are_separated_and_bad_input_is_refused() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let dim = 5;
        let mut x = Vec::new();
        let mut labels = Vec::new();
        for i in 0..300 {
            let k = (i % 3) as u16;
            for j in 0..dim {
                let centre = if j == k as usize { 3.0 } else { 0.0 };
                x.push(centre + rng.random_range(-1.0f32..1.0));
            }
            labels.push(k);
        }
        let svm = LinearSvm::fit(&x, &labels, dim, 3, &SvmConfig::default()).unwrap();
        assert_eq!(accuracy(&svm.predict(&x), &labels), 1.0);
        assert!(LinearSvm::fit(&x, &labels, 4, 3, &SvmConfig::default()).is_err());
        assert!(LinearSvm::fit(&x, &labels, dim, 2, &SvmConfig::default()).is_err());
        let zero_c = SvmConfig {
            c: 0.0,
            ..SvmConfig::default()
        };
        assert!(LinearSvm::fit(&x, &labels, dim, 3, &zero_c).is_err());
    }
}
