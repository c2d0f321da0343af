//! The paper's evaluation protocol for features (section 5; docs/paper.md section 3): `C` chosen on a
//! validation split carved out of the training set, an SVM trained on all labels or on `N` per
//! class, the test accuracy reported as mean and `1.96 std` over `K` random class-balanced draws.
//! The test set is handed over only after `C` is chosen.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::svm::{LinearSvm, SvmConfig, accuracy};
use crate::{Error, Result};

/// Labelled feature vectors.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// `[n, dim]` row-major.
    pub features: Vec<f32>,
    /// One class per row.
    pub labels: Vec<u16>,
    /// Feature dimension.
    pub dim: usize,
}

impl Labelled {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The rows at `indices`.
    pub fn subset(&self, indices: &[usize]) -> Labelled {
        let d = self.dim;
        Labelled {
            features: indices
                .iter()
                .flat_map(|&i| self.features[i * d..(i + 1) * d].iter().copied())
                .collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            dim: d,
        }
    }
}

/// `per_class` indices of each class, drawn with `seed`, in class order; an error when a class
/// has fewer.
pub fn class_balanced(
    labels: &[u16],
    classes: usize,
    per_class: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(classes * per_class);
    for k in 0..classes {
        let mut of_k: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i] as usize == k)
            .collect();
        if of_k.len() < per_class {
            return Err(Error::option(
                "labels_per_class",
                format!(
                    "{per_class} asked, but class {k} has only {} training examples",
                    of_k.len()
                ),
            ));
        }
        of_k.shuffle(&mut rng);
        out.extend_from_slice(&of_k[..per_class]);
    }
    Ok(out)
}

/// Splits `0..n` into (training, validation) with `n_val` validation rows drawn with `seed`.
pub fn validation_split(n: usize, n_val: usize, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if n_val == 0 || n_val >= n {
        return Err(Error::option(
            "validation",
            format!("{n_val} validation images cannot be split from {n} training images"),
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut val = order[..n_val].to_vec();
    let mut train = order[n_val..].to_vec();
    val.sort_unstable();
    train.sort_unstable();
    Ok((train, val))
}

/// The validation accuracy of each `C` of `grid`, and the best (the smallest on ties).
#[derive(Debug, Clone, Serialize)]
pub struct Selection {
    /// `(C, validation accuracy)` in grid order.
    pub scores: Vec<(f64, f64)>,
    /// The chosen `C`.
    pub best: f64,
}

/// Chooses `C` from `grid` by accuracy on `val` of an SVM fitted on `train`. Nothing else is seen.
pub fn select_c(
    train: &Labelled,
    val: &Labelled,
    classes: usize,
    grid: &[f64],
    base: &SvmConfig,
) -> Result<Selection> {
    if grid.is_empty() {
        return Err(Error::option("c_grid", "no value of C to try"));
    }
    let mut scores = Vec::with_capacity(grid.len());
    for &c in grid {
        let svm = LinearSvm::fit(
            &train.features,
            &train.labels,
            train.dim,
            classes,
            &SvmConfig { c, ..*base },
        )?;
        scores.push((c, accuracy(&svm.predict(&val.features), &val.labels)));
    }
    let best = scores
        .iter()
        .fold(None::<(f64, f64)>, |b, &(c, a)| match b {
            Some((_, ba)) if ba >= a => b,
            _ => Some((c, a)),
        })
        .map(|b| b.0)
        .unwrap_or(grid[0]);
    Ok(Selection { scores, best })
}

/// Counts `[truth, predicted]`, row-major `classes x classes`.
pub fn confusion(predicted: &[u16], truth: &[u16], classes: usize) -> Vec<u64> {
    let mut m = vec![0u64; classes * classes];
    for (p, t) in predicted.iter().zip(truth) {
        m[*t as usize * classes + *p as usize] += 1;
    }
    m
}

/// Mean and the authors' `1.96 std` (population standard deviation) of some accuracies.
pub fn mean_and_spread(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, 1.96 * var.sqrt())
}

/// How to evaluate features.
#[derive(Debug, Clone)]
pub struct ProtocolConfig {
    /// Train on this many labels per class (`None`: all training labels).
    pub labels_per_class: Option<usize>,
    /// Random class-balanced draws averaged (with `labels_per_class`).
    pub draws: usize,
    /// Training rows held out to choose `C`.
    pub validation: usize,
    /// The values of `C` tried.
    pub c_grid: Vec<f64>,
    /// Seed of the split and the draws.
    pub seed: u64,
    /// Solver settings other than `C`.
    pub svm: SvmConfig,
}

/// What the protocol measured.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The choice of `C` on the validation split.
    pub selection: Selection,
    /// Test accuracy of each draw.
    pub accuracies: Vec<f64>,
    /// Their mean.
    pub mean: f64,
    /// `1.96 std` over draws.
    pub spread: f64,
    /// Test confusion counts summed over draws, `[truth, predicted]`.
    pub confusion: Vec<u64>,
    /// Training examples per draw.
    pub train_size: usize,
}

/// Which training rows the protocol uses: the validation rows, and the rows of each draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Rows held out to choose `C` (or, for the supervised baseline, the epoch).
    pub validation: Vec<usize>,
    /// The training rows of each draw (one draw of all remaining rows without
    /// `labels_per_class`).
    pub draws: Vec<Vec<usize>>,
}

/// The validation split and the draws for training rows labelled `labels`.
pub fn plan(labels: &[u16], classes: usize, config: &ProtocolConfig) -> Result<Plan> {
    let (rest, validation) = validation_split(labels.len(), config.validation, config.seed)?;
    let draws = match config.labels_per_class {
        None => vec![rest],
        Some(n) => {
            let rest_labels: Vec<u16> = rest.iter().map(|&i| labels[i]).collect();
            (0..config.draws.max(1) as u64)
                .map(|d| {
                    let picked =
                        class_balanced(&rest_labels, classes, n, config.seed.wrapping_add(d))?;
                    Ok(picked.into_iter().map(|i| rest[i]).collect())
                })
                .collect::<Result<_>>()?
        }
    };
    Ok(Plan { validation, draws })
}

/// Runs the protocol: split off validation, choose `C` (on a draw of the remaining training rows
/// when `labels_per_class` is set), then train and test on each draw. `test` is not looked at
/// until `C` is chosen.
pub fn evaluate(
    train: &Labelled,
    test: &Labelled,
    classes: usize,
    config: &ProtocolConfig,
) -> Result<Outcome> {
    if train.dim != test.dim {
        return Err(Error::option(
            "features",
            format!(
                "training features have {} dimensions, test features {}",
                train.dim, test.dim
            ),
        ));
    }
    let plan = plan(&train.labels, classes, config)?;
    let val = train.subset(&plan.validation);
    let selection = select_c(
        &train.subset(&plan.draws[0]),
        &val,
        classes,
        &config.c_grid,
        &config.svm,
    )?;
    let draws = plan.draws.len();
    let mut accuracies = Vec::with_capacity(draws);
    let mut confusion_sum = vec![0u64; classes * classes];
    let mut train_size = 0;
    for indices in &plan.draws {
        let part = train.subset(indices);
        train_size = part.len();
        let svm = LinearSvm::fit(
            &part.features,
            &part.labels,
            part.dim,
            classes,
            &SvmConfig {
                c: selection.best,
                ..config.svm
            },
        )?;
        let predicted = svm.predict(&test.features);
        accuracies.push(accuracy(&predicted, &test.labels));
        for (s, c) in confusion_sum
            .iter_mut()
            .zip(confusion(&predicted, &test.labels, classes))
        {
            *s += c;
        }
    }
    let (mean, spread) = mean_and_spread(&accuracies);
    Ok(Outcome {
        selection,
        accuracies,
        mean,
        spread,
        confusion: confusion_sum,
        train_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_draws_take_each_class_equally_and_refuse_too_many() {
        let labels: Vec<u16> = (0..100).map(|i| (i % 4) as u16).collect();
        let idx = class_balanced(&labels, 4, 10, 3).unwrap();
        assert_eq!(idx.len(), 40);
        for k in 0..4 {
            assert_eq!(
                idx[k * 10..(k + 1) * 10]
                    .iter()
                    .filter(|&&i| labels[i] == k as u16)
                    .count(),
                10
            );
        }
        assert_ne!(idx, class_balanced(&labels, 4, 10, 4).unwrap());
        let err = class_balanced(&labels, 4, 26, 0).unwrap_err().to_string();
        assert!(
            err.contains("labels_per_class") && err.contains("only 25"),
            "{err}"
        );
    }

    #[test]
    fn splits_are_disjoint_and_complete() {
        let (t, v) = validation_split(50, 10, 1).unwrap();
        assert_eq!((t.len(), v.len()), (40, 10));
        let mut all: Vec<usize> = t.iter().chain(&v).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        assert!(validation_split(50, 50, 1).is_err());
        assert!(validation_split(50, 0, 1).is_err());
    }

    #[test]
    fn confusion_and_spread() {
        let m = confusion(&[0, 1, 1, 2], &[0, 1, 2, 2], 3);
        assert_eq!(m, vec![1, 0, 0, 0, 1, 0, 0, 1, 1]);
        let (mean, spread) = mean_and_spread(&[0.7, 0.8, 0.9]);
        assert!((mean - 0.8).abs() < 1e-12);
        assert!((spread - 1.96 * (0.02f64 / 3.0).sqrt()).abs() < 1e-12);
    }
}

#[cfg(test)]
mod evaluation_tests {
    use super::*;
    use rand::Rng;

    fn blobs(n: usize, seed: u64) -> Labelled {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dim = 6;
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let k = (i % 3) as u16;
            for j in 0..dim {
                features
                    .push(if j == k as usize { 1.0 } else { 0.0 } + rng.random_range(-1.0f32..1.0));
            }
            labels.push(k);
        }
        Labelled {
            features,
            labels,
            dim,
        }
    }

    #[test]
    fn the_choice_of_c_never_depends_on_the_test_set() {
        let train = blobs(300, 1);
        let test = blobs(90, 2);
        let mut scrambled = test.clone();
        scrambled.labels.iter_mut().for_each(|l| *l = (*l + 1) % 3);
        scrambled.features.iter_mut().for_each(|v| *v = -*v);
        let config = ProtocolConfig {
            labels_per_class: Some(20),
            draws: 4,
            validation: 60,
            c_grid: vec![1e-3, 1e-1, 10.0],
            seed: 0,
            svm: SvmConfig::default(),
        };
        let a = evaluate(&train, &test, 3, &config).unwrap();
        let b = evaluate(&train, &scrambled, 3, &config).unwrap();
        assert_eq!(a.selection.scores, b.selection.scores);
        assert_eq!(a.selection.best, b.selection.best);
        assert_eq!(a.train_size, 60);
        assert_eq!(a.accuracies.len(), 4);
        assert!(
            a.mean > 0.6 && b.mean < a.mean - 0.2,
            "{} {}",
            a.mean,
            b.mean
        );
        assert_eq!(a.confusion.iter().sum::<u64>(), 4 * 90);
        let wrong = Labelled { dim: 5, ..test };
        assert!(
            evaluate(&train, &wrong, 3, &config)
                .unwrap_err()
                .to_string()
                .contains("dimensions")
        );
    }
}
