//! The appendix's evaluation of a conditional DCGAN: a nearest-neighbour classifier whose
//! labelled reference set is generated samples (class `i % classes` for sample `i`), applied to
//! the real test images; its error rate as the generated set grows, beside the same classifier
//! with real training images as the reference set.
//!
//! The search is [`crate::nearest::Knn`] (exact, in pixel space, on the device): the generated
//! set is made and searched chunk by chunk, never held whole, and each requested size is read
//! off the running search, so 10K, 50K and 100K cost one pass of 100K.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{join_labels, labels_of};
use crate::data::{DataSource, Dataset, Split};
use crate::images::Images;
use crate::nearest::Knn;
use crate::sample::{generate, z_for_seeds};
use crate::train::checkpoint;
use crate::{Error, Result};

/// Progress: `(stage, done, total)`.
pub use crate::StageProgress as Progress;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// A conditional checkpoint.
    pub checkpoint: PathBuf,
    /// The labelled source whose test split is classified (and whose training split is the
    /// real reference set).
    pub data: DataSource,
    /// Sizes of the generated reference set, e.g. 10,000, 50,000, 100,000.
    pub generated: Vec<usize>,
    /// Sizes of the real reference set (random subsets of the training split, nested; a size
    /// beyond the split is the whole split).
    pub real: Vec<usize>,
    /// Test images classified (a fixed random subset; `None`: all).
    pub test: Option<usize>,
    /// First seed of the generated samples (sample `i` is seed `seed + i`), and the seed of the
    /// random subsets.
    pub seed: u64,
    /// Reference images generated and searched per pass.
    pub chunk: usize,
}

/// One reference set's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// `generated` or `real`.
    pub reference: String,
    /// Images in the reference set.
    pub images: usize,
    /// Test images misclassified.
    pub errors: usize,
    /// `errors / test images`.
    pub error_rate: f64,
    /// Seconds from the start of this reference kind's pass to this size.
    pub seconds: f64,
}

/// The evaluation's result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The checkpoint evaluated.
    pub checkpoint: String,
    /// The labelled source.
    pub data: String,
    /// Test images classified.
    pub test_images: usize,
    /// One row per reference set, generated first.
    pub rows: Vec<Row>,
}

impl Report {
    /// The result as lines of text.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "1-nearest-neighbour classifier (pixels) on {} test images of {}",
            self.test_images, self.data
        )];
        out.push(format!(
            "{:<10} {:>10} {:>8} {:>10} {:>9}",
            "reference", "images", "errors", "error", "seconds"
        ));
        for r in &self.rows {
            out.push(format!(
                "{:<10} {:>10} {:>8} {:>9.2}% {:>9.1}",
                r.reference,
                r.images,
                r.errors,
                100.0 * r.error_rate,
                r.seconds
            ));
        }
        out
    }
}

/// A 1-nearest-neighbour classifier of fixed queries, its labelled reference set given chunk by
/// chunk; the predictions can be read at any point.
pub struct NearestClassifier {
    knn: Knn,
    labels: Vec<usize>,
    truth: Vec<usize>,
}

impl NearestClassifier {
    /// A classifier of `queries`, whose true classes are `truth`.
    pub fn new(queries: &Images, truth: Vec<usize>, device: &Device) -> Self {
        Self {
            knn: Knn::new(queries.values(), queries.shape().numel(), 1, device),
            labels: Vec::new(),
            truth,
        }
    }

    /// Adds reference images with their classes.
    pub fn add(&mut self, images: &Images, labels: &[usize]) {
        let start = self.labels.len();
        let indices: Vec<usize> = (start..start + labels.len()).collect();
        self.knn.add(images.values(), &indices);
        self.labels.extend_from_slice(labels);
    }

    /// Reference images added so far.
    pub fn reference_len(&self) -> usize {
        self.labels.len()
    }

    /// The class of each query's nearest reference image (`None` before any was added).
    pub fn predictions(&self) -> Vec<Option<usize>> {
        self.knn
            .best()
            .iter()
            .map(|b| b.first().map(|n| self.labels[n.index]))
            .collect()
    }

    /// Queries whose prediction is not their class.
    pub fn errors(&self) -> usize {
        self.predictions()
            .iter()
            .zip(&self.truth)
            .filter(|(p, t)| **p != Some(**t))
            .count()
    }
}

/// Runs the evaluation.
pub fn run(e: &Evaluation, device: &Device, progress: Progress<'_>) -> Result<Report> {
    if e.chunk == 0 || e.test == Some(0) || (e.generated.is_empty() && e.real.is_empty()) {
        return Err(Error::option(
            "nearest-neighbour evaluation",
            "give at least one reference size, a chunk of at least 1 and at least 1 test image",
        ));
    }
    if e.generated.contains(&0) || e.real.contains(&0) {
        return Err(Error::option("sizes", "reference sizes must be at least 1"));
    }
    let (g, config) = checkpoint::load_any_generator(&e.checkpoint, device)?;
    let model = config.model;
    super::check_class(&model, 0, &e.checkpoint)?;
    let classes = model.classes;
    let size = model.image_size;
    let open = |split| Dataset::open(&e.data, split, size, Some(model.channels));
    let test_set = open(Split::Test)?;
    let mut rng = ChaCha8Rng::seed_from_u64(e.seed);
    let mut test_idx: Vec<usize> = (0..test_set.len()).collect();
    if let Some(n) = e.test.filter(|&n| n < test_idx.len()) {
        test_idx.shuffle(&mut rng);
        test_idx.truncate(n);
        test_idx.sort_unstable();
    }
    let (queries, truth) = labelled(&test_set, &test_idx, classes)?;
    let mut rows = Vec::new();

    // Generated reference: sample i is seed + i with class i % classes, so every prefix is
    // balanced and a larger set contains the smaller ones.
    let mut sizes = e.generated.clone();
    sizes.sort_unstable();
    sizes.dedup();
    if let Some(&total) = sizes.last() {
        let mut nn = NearestClassifier::new(&queries, truth.clone(), device);
        let started = Instant::now();
        let mut next = sizes.iter().copied().peekable();
        while let Some(&target) = next.peek() {
            let done = nn.reference_len();
            let end = (done + e.chunk).min(target);
            let seeds: Vec<u64> = (done..end).map(|i| e.seed + i as u64).collect();
            let labels: Vec<usize> = (done..end).map(|i| i % classes).collect();
            let z = join_labels(&z_for_seeds(&seeds, &model), model.nz, &labels, classes);
            let images = generate(&g, &z, model.nz + classes, 256, device);
            nn.add(&images, &labels);
            progress("generated reference", end, total);
            if end == target {
                rows.push(row("generated", &nn, started));
                next.next();
            }
        }
    }

    // Real reference: nested random subsets of the training split.
    let mut sizes = e.real.clone();
    sizes.sort_unstable();
    sizes.dedup();
    if !sizes.is_empty() {
        let train = open(Split::Train)?;
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        let sizes: Vec<usize> = {
            let mut s: Vec<usize> = sizes.iter().map(|&n| n.min(order.len())).collect();
            s.dedup();
            s
        };
        let total = *sizes.last().expect("not empty");
        let mut nn = NearestClassifier::new(&queries, truth, device);
        let started = Instant::now();
        for &target in &sizes {
            while nn.reference_len() < target {
                let done = nn.reference_len();
                let end = (done + e.chunk).min(target);
                let (images, labels) = labelled(&train, &order[done..end], classes)?;
                nn.add(&images, &labels);
                progress("real reference", end, total);
            }
            rows.push(row("real", &nn, started));
        }
    }
    Ok(Report {
        checkpoint: e.checkpoint.display().to_string(),
        data: e.data.to_string(),
        test_images: queries.len(),
        rows,
    })
}

fn row(reference: &str, nn: &NearestClassifier, started: Instant) -> Row {
    let errors = nn.errors();
    Row {
        reference: reference.to_string(),
        images: nn.reference_len(),
        errors,
        error_rate: errors as f64 / nn.truth.len() as f64,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The images at `indices` with their classes; an unlabelled source is an error.
fn labelled(data: &Dataset, indices: &[usize], classes: usize) -> Result<(Images, Vec<usize>)> {
    let (images, labels) = data.labelled(indices)?;
    let labels = labels.ok_or_else(|| {
        Error::option(
            "data",
            format!(
                "{}: has no labels, and the evaluation needs them",
                data.source
            ),
        )
    })?;
    Ok((
        images,
        labels_of(&labels, classes, &data.source.to_string())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::ImageShape;
    use rand::Rng;

    #[test]
    fn the_streamed_classifier_agrees_with_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let shape = ImageShape::new(1, 4);
        let mut random = |n: usize| -> Images {
            let v: Vec<f32> = (0..n * 16).map(|_| rng.random_range(-1.0..1.0)).collect();
            Images::new(v, shape).unwrap()
        };
        let queries = random(40);
        let reference = random(300);
        let labels: Vec<usize> = (0..300).map(|i| (i * 7) % 5).collect();
        let truth: Vec<usize> = (0..40).map(|i| i % 5).collect();
        let device = Device::flex();
        let mut nn = NearestClassifier::new(&queries, truth.clone(), &device);
        assert_eq!(nn.predictions(), vec![None; 40]);
        assert_eq!(nn.errors(), 40);
        for part in (0..300).collect::<Vec<_>>().chunks(37) {
            nn.add(
                &reference.select(part),
                &labels[part[0]..part[0] + part.len()],
            );
        }
        let brute: Vec<Option<usize>> = queries
            .iter()
            .map(|q| {
                let best = reference
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (crate::nearest::exact_distance(q.values, r.values), i))
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .unwrap();
                Some(labels[best.1])
            })
            .collect();
        assert_eq!(nn.predictions(), brute);
        let want = brute
            .iter()
            .zip(&truth)
            .filter(|(p, t)| **p != Some(**t))
            .count();
        assert_eq!(nn.errors(), want);
        assert!(want > 0 && want < 40, "{want}");
    }
}
