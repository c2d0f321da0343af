//! Throughput of the three things a user waits for: a training iteration, sampling, and the
//! data pipeline. `dcgan bench` prints these; `reference/bench/compare.py` runs the identical
//! workloads in PyTorch beside them and prints the ratio.
//!
//! Every timed region ends with the device synchronised: a training step reads its losses back
//! to the host, and sampling reads the images back, so nothing queued on the device escapes the
//! clock.

use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, to_unit_range};
use crate::model::{Generator, ModelConfig, weights};
use crate::train::{Gan, TrainConfig};
use crate::{Error, Result};

/// Timings of one workload: `iters` timed repetitions after `warmup` untimed ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timing {
    /// Images per repetition (the batch size; for the data pipeline, the images decoded).
    pub images: usize,
    /// Seconds of each timed repetition.
    pub seconds: Vec<f64>,
}

impl Timing {
    /// Images per second over all timed repetitions.
    pub fn images_per_s(&self) -> f64 {
        let total: f64 = self.seconds.iter().sum();
        (self.images * self.seconds.len()) as f64 / total
    }

    /// The median seconds of one repetition.
    pub fn median_s(&self) -> f64 {
        let mut s = self.seconds.clone();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        }
    }
}

/// How many repetitions to run and time.
#[derive(Debug, Clone, Copy)]
pub struct Repeats {
    /// Untimed repetitions first (allocator, caches, lazy initialisation).
    pub warmup: usize,
    /// Timed repetitions.
    pub iters: usize,
}

impl Repeats {
    fn check(&self) -> Result<()> {
        if self.iters == 0 {
            return Err(Error::option("iters", "at least one timed repetition"));
        }
        Ok(())
    }
}

/// The benchmark's model at `image_size`: PyTorch `examples/dcgan`'s widths (nz 100, ngf = ndf
/// = 64, 4x4 kernels, RGB), the workload of the speed comparison.
pub fn reference_model(image_size: usize) -> ModelConfig {
    ModelConfig {
        image_size,
        ..ModelConfig::default()
    }
}

/// Uniform values in `[-1, 1]` from `seed`, the stand-in for images and z.
fn uniform(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0f32..=1.0)).collect()
}

/// One training iteration (D on real and fake, then G through the updated D, each followed by
/// its Adam step) on a fixed random batch of `batch` images, as in PyTorch's `examples/dcgan`.
pub fn train_step(
    model: &ModelConfig,
    batch: usize,
    repeats: Repeats,
    device: &Device,
) -> Result<Timing> {
    repeats.check()?;
    model.validate()?;
    if batch < 2 {
        return Err(Error::option(
            "batch_sizes",
            "batch norm needs at least 2 images per batch",
        ));
    }
    let mut config = TrainConfig::new(model.clone(), crate::data::DataSource::Builtin);
    config.batch_size = batch;
    let mut gan = Gan::new(&config, device);
    let shape = model.image_shape();
    let real_host = crate::images::Images::new(uniform(batch * shape.numel(), 11), shape)?;
    let z_host = uniform(batch * model.nz, 12);
    let mut seconds = Vec::with_capacity(repeats.iters);
    for i in 0..repeats.warmup + repeats.iters {
        let t0 = Instant::now();
        let real = real_host.to_tensor(&gan.device);
        let z = Tensor::<2>::from_data(
            TensorData::new(z_host.clone(), [batch, model.nz]),
            &gan.device,
        );
        // The losses are read back to the host inside `step_with`: the device is synchronised.
        gan.step_with(real, z);
        let dt = t0.elapsed().as_secs_f64();
        if i >= repeats.warmup {
            seconds.push(dt);
        }
    }
    Ok(Timing {
        images: batch,
        seconds,
    })
}

/// Sampling: G in inference mode on `batch` z, the images read back to the host.
pub fn sampling(
    model: &ModelConfig,
    batch: usize,
    repeats: Repeats,
    device: &Device,
) -> Result<Timing> {
    repeats.check()?;
    model.validate()?;
    let g = weights::initialize(Generator::new(model, device), 1);
    let z_host = uniform(batch * model.nz, 12);
    let mut seconds = Vec::with_capacity(repeats.iters);
    for i in 0..repeats.warmup + repeats.iters {
        let t0 = Instant::now();
        let z = Tensor::<2>::from_data(TensorData::new(z_host.clone(), [batch, model.nz]), device);
        let images = g.forward(z).into_data();
        let dt = t0.elapsed().as_secs_f64();
        debug_assert_eq!(
            images.num_elements(),
            batch * model.channels * model.image_size.pow(2)
        );
        if i >= repeats.warmup {
            seconds.push(dt);
        }
    }
    Ok(Timing {
        images: batch,
        seconds,
    })
}

/// Feature extraction: `batch` images of `image_size` (RGB) through pytorch-fid's Inception-v3
/// (resized to 299), pool3 read back to the host. Random weights: the speed is the network's.
pub fn inception_features(
    image_size: usize,
    batch: usize,
    repeats: Repeats,
    device: &Device,
) -> Result<Timing> {
    repeats.check()?;
    let net = crate::metrics::network::InceptionV3::with_random_weights(1, device);
    let host = uniform(batch * 3 * image_size * image_size, 13);
    let mut seconds = Vec::with_capacity(repeats.iters);
    for i in 0..repeats.warmup + repeats.iters {
        let t0 = Instant::now();
        let x = Tensor::<4>::from_data(
            TensorData::new(host.clone(), [batch, 3, image_size, image_size]),
            device,
        );
        let features = net.pool3(x).into_data();
        let dt = t0.elapsed().as_secs_f64();
        debug_assert_eq!(features.num_elements(), batch * 2048);
        if i >= repeats.warmup {
            seconds.push(dt);
        }
    }
    Ok(Timing {
        images: batch,
        seconds,
    })
}

/// FID from features: Gaussians fitted to two sets of `n` vectors of `dim` (mean, covariance)
/// and their Fréchet distance (the matrix square root of the product). `images` is `n`.
pub fn fid_from_features(n: usize, dim: usize, repeats: Repeats) -> Result<Timing> {
    use crate::metrics::{FeatureSet, Gaussian, frechet_distance};
    repeats.check()?;
    let a = FeatureSet::new(dim, uniform(n * dim, 14));
    let b = FeatureSet::new(dim, uniform(n * dim, 15));
    let mut seconds = Vec::with_capacity(repeats.iters);
    for i in 0..repeats.warmup + repeats.iters {
        let t0 = Instant::now();
        let fid = frechet_distance(&Gaussian::fit(&a)?, &Gaussian::fit(&b)?)?;
        let dt = t0.elapsed().as_secs_f64();
        debug_assert!(fid.value.is_finite());
        if i >= repeats.warmup {
            seconds.push(dt);
        }
    }
    Ok(Timing { images: n, seconds })
}

/// The data pipeline on `threads` threads: decode, fit (min-side resize + centre crop) and
/// scale to `[-1, 1]` the first `images` images of `data`, `repeats` times.
pub fn pipeline(data: &Dataset, images: usize, threads: usize, repeats: Repeats) -> Result<Timing> {
    repeats.check()?;
    let n = images.min(data.len());
    let indices: Vec<usize> = (0..n).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::option("threads", e.to_string()))?;
    let mut seconds = Vec::with_capacity(repeats.iters);
    for i in 0..repeats.warmup + repeats.iters {
        let t0 = Instant::now();
        let batch = pool.install(|| data.pixels(&indices))?;
        let floats = to_unit_range(&batch.bytes);
        let dt = t0.elapsed().as_secs_f64();
        debug_assert_eq!(floats.len(), n * data.image_len());
        if i >= repeats.warmup {
            seconds.push(dt);
        }
    }
    Ok(Timing { images: n, seconds })
}

/// What TensorBoard logging adds to training, as training does it with `--sample-every 100`:
/// one repetition is 100 iterations' scalars (losses, D outputs, speed), one grid of 64 images
/// of `image_size` as PNG, and the write to the event file. `images` is the 100 iterations, so
/// `median_s() / 100` is the cost per iteration, to set beside [`train_step`]'s.
pub fn tensorboard_logging(image_size: usize, repeats: Repeats) -> Result<Timing> {
    repeats.check()?;
    let dir = std::env::temp_dir().join(format!("dcgan-bench-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    // The grid's PNG, made once: encoding it is the sample grid's cost, paid without TensorBoard.
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let shape = crate::images::ImageShape::new(3, image_size);
    let pixels: Vec<f32> = (0..64 * shape.numel())
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    let images = crate::images::Images::new(pixels, shape)?;
    let grid = crate::render::grid_image(&images, None);
    let size = grid.dimensions();
    let png = crate::render::encode(
        &image::DynamicImage::ImageRgb8(grid),
        std::path::Path::new("grid.png"),
    )?;
    let mut writer = crate::run::tensorboard::EventWriter::create(&dir, 1)?;
    let mut seconds = Vec::with_capacity(repeats.iters);
    let mut step = 0u64;
    for i in 0..repeats.warmup + repeats.iters {
        let t0 = Instant::now();
        for _ in 0..100 {
            step += 1;
            let v = step as f64 * 1e-3;
            writer.scalars(
                step,
                &[
                    ("loss/D", v),
                    ("loss/G", v),
                    ("D/real", v),
                    ("D/fake_before_D_step", v),
                    ("D/fake_after_D_step", v),
                    ("speed/images_per_s", v),
                ],
            );
        }
        writer.image(step, "samples", &png, size, 3);
        writer.flush()?;
        let dt = t0.elapsed().as_secs_f64();
        if i >= repeats.warmup {
            seconds.push(dt);
        }
    }
    drop(writer);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Timing {
        images: 100,
        seconds,
    })
}

/// Runs every later computation (Burn's CPU backend and the data pipeline) on `threads` threads.
/// Must come before the first computation; a second call with the same count is accepted.
pub fn set_threads(threads: usize) -> Result<()> {
    if threads == 0 {
        return Err(Error::option("threads", "at least one thread"));
    }
    match rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
    {
        Ok(()) => Ok(()),
        Err(_) if rayon::current_num_threads() == threads => Ok(()),
        Err(e) => Err(Error::option(
            "threads",
            format!(
                "the thread pool already has {} threads: {e}",
                rayon::current_num_threads()
            ),
        )),
    }
}

/// The peak resident memory of this process so far (Linux `VmHWM`), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_rates_and_median() {
        let t = Timing {
            images: 64,
            seconds: vec![2.0, 1.0, 1.0, 4.0],
        };
        assert!((t.images_per_s() - 256.0 / 8.0).abs() < 1e-12);
        assert!((t.median_s() - 1.5).abs() < 1e-12);
        let t = Timing {
            images: 1,
            seconds: vec![3.0, 1.0, 2.0],
        };
        assert!((t.median_s() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn zero_timed_repetitions_is_an_error() {
        let err = train_step(
            &reference_model(16),
            4,
            Repeats {
                warmup: 0,
                iters: 0,
            },
            &Device::flex(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("iters"), "{err}");
    }
}
