//! The Inception Score (Salimans et al. 2016) as torch-fidelity's `isc_features_to_metric`: the
//! class probabilities `p(y|x)` (softmax of the logits, in `f64`) of the samples, shuffled by
//! numpy's `RandomState(seed).permutation`, split into `splits` consecutive parts; each part
//! scores `exp(mean_x KL(p(y|x) || p(y)))` with `p(y)` the part's mean; the result is the mean and
//! (population) standard deviation of the parts' scores.

use super::FeatureSet;
use super::numpy_rng::RandomState;
use crate::{Error, Result};

/// IS settings; the defaults are torch-fidelity's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IsConfig {
    /// Parts (torch-fidelity's `isc_splits`: 10).
    pub splits: usize,
    /// Shuffle before splitting (torch-fidelity's `samples_shuffle`: true).
    pub shuffle: bool,
    /// Seed of the shuffle (`rng_seed`: 2020).
    pub seed: u32,
}

impl Default for IsConfig {
    fn default() -> Self {
        Self {
            splits: 10,
            shuffle: true,
            seed: 2020,
        }
    }
}

/// An Inception Score.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct InceptionScore {
    /// Mean over the parts.
    pub mean: f64,
    /// Standard deviation over the parts.
    pub std: f64,
}

/// The score of `logits` (`[n, classes]`).
pub fn inception_score(logits: &FeatureSet, config: &IsConfig) -> Result<InceptionScore> {
    let (n, c) = (logits.len(), logits.dim);
    if config.splits == 0 || n < config.splits {
        return Err(Error::metric(
            "IS",
            format!("{n} samples cannot be split into {} parts", config.splits),
        ));
    }
    let order: Vec<usize> = if config.shuffle {
        RandomState::new(config.seed).permutation(n)
    } else {
        (0..n).collect()
    };
    // log softmax per row, in f64.
    let log_p: Vec<Vec<f64>> = order
        .iter()
        .map(|&i| {
            let row: Vec<f64> = logits.row(i).iter().map(|&v| v as f64).collect();
            let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            row.iter().map(|v| v - lse).collect()
        })
        .collect();
    let scores: Vec<f64> = (0..config.splits)
        .map(|s| {
            let part = &log_p[s * n / config.splits..(s + 1) * n / config.splits];
            let m = part.len() as f64;
            let q: Vec<f64> = (0..c)
                .map(|k| part.iter().map(|r| r[k].exp()).sum::<f64>() / m)
                .collect();
            let kl: f64 = part
                .iter()
                .map(|r| (0..c).map(|k| r[k].exp() * (r[k] - q[k].ln())).sum::<f64>())
                .sum::<f64>()
                / m;
            kl.exp()
        })
        .collect();
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    let var = scores.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / scores.len() as f64;
    Ok(InceptionScore {
        mean,
        std: var.sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confident_and_diverse_scores_the_class_count() {
        // Each sample certain of its class, classes evenly used: IS = number of classes.
        let classes = 4;
        let n = 40;
        let values: Vec<f32> = (0..n)
            .flat_map(|i| (0..classes).map(move |k| if k == i % classes { 60.0 } else { 0.0 }))
            .collect();
        let logits = FeatureSet::new(classes, values);
        let config = IsConfig {
            splits: 2,
            shuffle: false,
            seed: 0,
        };
        let is = inception_score(&logits, &config).unwrap();
        assert!((is.mean - 4.0).abs() < 1e-9 && is.std < 1e-9, "{is:?}");
        // All samples alike: IS = 1.
        let same = FeatureSet::new(classes, [1.0, 2.0, 3.0, 4.0].repeat(n));
        let is = inception_score(&same, &config).unwrap();
        assert!((is.mean - 1.0).abs() < 1e-12, "{is:?}");
        assert!(
            inception_score(
                &same,
                &IsConfig {
                    splits: 41,
                    ..config
                }
            )
            .is_err()
        );
    }
}
