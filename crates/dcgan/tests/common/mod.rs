//! Helpers shared by the integration tests.
#![allow(dead_code)]

use burn::tensor::Device;
use dcgan::data::{DataSource, Dataset, Split};
use dcgan::images::Images;
use dcgan::model::{Generator, LatentDistribution, ModelConfig};
use dcgan::run::RunDir;
use dcgan::train::metrics::Record;
use dcgan::train::{Observer, Start, Summary, TrainConfig, run_training};

pub mod data;
#[allow(unused_imports)]
pub use data::real_data;

/// A narrow model that trains quickly on a CPU.
pub fn small_model(image_size: usize, channels: usize, width: usize) -> ModelConfig {
    ModelConfig {
        image_size,
        channels,
        nz: 32,
        ngf: width,
        ndf: width,
        kernel: 4,
        latent: LatentDistribution::Uniform,
        ..Default::default()
    }
}

/// A training configuration with the paper's optimiser and no periodic outputs.
pub fn config(model: ModelConfig, data: DataSource, batch: usize, iterations: u64) -> TrainConfig {
    let mut c = TrainConfig::new(model, data);
    c.batch_size = batch;
    c.iterations = iterations;
    c.sample_every = 0;
    c.checkpoint_every = 0;
    c.grid_samples = 16;
    c
}

/// Records every iteration.
#[derive(Default)]
pub struct Recorder {
    pub records: Vec<Record>,
    pub notes: Vec<String>,
    pub stop_after: Option<u64>,
}

impl Observer for Recorder {
    fn iteration(&mut self, r: &Record) {
        self.records.push(*r);
    }
    fn note(&mut self, message: &str) {
        self.notes.push(message.to_string());
    }
    fn should_stop(&mut self) -> bool {
        self.stop_after
            .is_some_and(|n| self.records.last().is_some_and(|r| r.iteration >= n))
    }
}

pub fn train(
    run: &RunDir,
    config: &TrainConfig,
    start: Start,
) -> (dcgan::Result<Summary>, Recorder) {
    let mut rec = Recorder::default();
    let result = run_training(run, config, start, &Device::flex(), &mut rec);
    (result, rec)
}

/// Statistics that tell generated images from real ones: the distribution of pixel values (as
/// 1000 quantiles) and the per-pixel mean image.
pub struct ImageStats {
    pub quantiles: Vec<f64>,
    pub mean_image: Vec<f64>,
}

pub fn stats(images: &Images) -> ImageStats {
    let (n, per_image) = (images.len(), images.shape().numel());
    let images = images.values();
    let mut sorted: Vec<f32> = images.to_vec();
    sorted.sort_by(f32::total_cmp);
    let quantiles = (0..1000)
        .map(|q| sorted[(q * sorted.len()) / 1000] as f64)
        .collect();
    let mut mean_image = vec![0.0; per_image];
    for (i, v) in images.iter().enumerate() {
        mean_image[i % per_image] += *v as f64 / n as f64;
    }
    ImageStats {
        quantiles,
        mean_image,
    }
}

impl ImageStats {
    /// Earth mover's (Wasserstein-1) distance between the pixel-value distributions.
    pub fn pixel_distance(&self, other: &ImageStats) -> f64 {
        let d: f64 = self
            .quantiles
            .iter()
            .zip(&other.quantiles)
            .map(|(a, b)| (a - b).abs())
            .sum();
        d / self.quantiles.len() as f64
    }
    /// RMS distance between mean images.
    pub fn mean_image_distance(&self, other: &ImageStats) -> f64 {
        let s: f64 = self
            .mean_image
            .iter()
            .zip(&other.mean_image)
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        (s / self.mean_image.len() as f64).sqrt()
    }
}

/// 256 images from `g` (inference mode) for a fixed seed.
pub fn samples(g: &Generator, model: &ModelConfig) -> Images {
    let z = dcgan::sample::z_for_grid(1234, 256, model);
    dcgan::sample::generate(g, &z, model.nz, 64, &Device::flex())
}

/// The first `n` training images of `source` in [-1, 1].
pub fn real_images(source: &DataSource, model: &ModelConfig, n: usize) -> Images {
    let ds = Dataset::open(source, Split::Train, model.image_size, Some(model.channels)).unwrap();
    let idx: Vec<usize> = (0..n.min(ds.len()))
        .map(|i| i * (ds.len() / n.min(ds.len())))
        .collect();
    ds.batch(&idx).unwrap()
}
