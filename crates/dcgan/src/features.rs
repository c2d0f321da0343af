//! The discriminator as a feature extractor (paper section 5.1): the output of every
//! convolutional layer of D, after its activation, max-pooled to a 4x4 grid, flattened and
//! concatenated. D must be in inference mode (loaded on a plain device, or `valid()`), so that
//! batch norm uses its running statistics and a feature never depends on the rest of its batch.

use crate::images::Images;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Device, Tensor};

use dcgan_kernels::leaky_relu;

use crate::model::weights::NamedTensor;
use crate::model::{Discriminator, LEAKY_SLOPE, ModelConfig};

/// Side of the grid each layer is pooled to (paper section 5.1: "a 4 x 4 spatial grid").
pub const GRID: usize = 4;

/// Max-pools a `[b, c, s, s]` map to `[b, c, 4, 4]` (non-overlapping `s/4` windows; `s` is a
/// multiple of 4 in every DCGAN layer).
///
/// # Shapes
/// - input: `[batch, channels, side, side]`, `side` a multiple of 4
/// - output: `[batch, channels, 4, 4]`
pub fn pool_to_grid(x: Tensor<4>) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let (kh, kw) = ((h / GRID).max(1), (w / GRID).max(1));
    if kh == 1 && kw == 1 {
        return x;
    }
    max_pool2d(x, MaxPoolOptions::new([kh, kw]))
}

/// The feature vector of each image: every D layer pooled to 4x4, flattened (channel-major, as
/// PyTorch's `flatten`) and concatenated, input layer first.
///
/// # Shapes
/// - images: `[batch, channels, image_size, image_size]`
/// - output: `[batch, feature_dimension(config)]`
pub fn extract(d: &Discriminator, images: Tensor<4>) -> Tensor<2> {
    let [b, ..] = images.dims();
    let pooled: Vec<Tensor<2>> = d
        .activations(images)
        .into_iter()
        .map(|a| pool_to_grid(a).reshape([b as i64, -1]))
        .collect();
    Tensor::cat(pooled, 1)
}

/// The length of the feature vector for a model: `16 * sum of D's layer widths`
/// (`16 * (64 + 128 + 256) = 7,168` at 32x32 with ndf 64).
pub fn feature_dimension(config: &ModelConfig) -> usize {
    let layers = config.strided_layers().unwrap_or(0);
    (0..layers).map(|i| config.ndf << i).sum::<usize>() * GRID * GRID
}

/// Features of host images, computed in batches of `batch`: `[n, feature_dimension]`
/// row-major.
pub fn extract_host(
    d: &Discriminator,
    images: &Images,
    config: &ModelConfig,
    batch: usize,
    device: &Device,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(images.len() * feature_dimension(config));
    for chunk in images.chunks(batch) {
        out.extend(NamedTensor::from_tensor(extract(d, chunk.into_tensor(device))).values);
    }
    out
}

/// Re-estimates D's batch-norm running statistics on real images, as the authors' feature
/// script does before extracting (docs/paper.md section 3): D is trained on separate real and fake
/// batches, so its running statistics mix the two. Each batch of `batch` images is normalised with
/// its own statistics (training mode, layer by layer), and each layer's running mean and
/// variance become the average of its batch means and unbiased batch variances over all batches
/// (PyTorch's cumulative average, `momentum=None`). `next(k)` yields the `k`-th batch, `None`
/// when done.
pub fn reestimate_batch_norm(
    d: Discriminator,
    device: &Device,
    mut next: impl FnMut(usize) -> crate::Result<Option<Images>>,
) -> crate::Result<Discriminator> {
    let layers = d.blocks.len();
    let mut sums: Vec<(Vec<f64>, Vec<f64>)> = d
        .blocks
        .iter()
        .map(|b| {
            let c = b.bn.channels();
            (vec![0.0; c], vec![0.0; c])
        })
        .collect();
    let mut batches = 0usize;
    while let Some(images) = next(batches)? {
        let mut a = images.into_tensor(device);
        let mut block_sums = sums.iter_mut();
        for layer in d.layers() {
            let mut z = layer.conv.forward(a);
            // Each block's batch norm normalises with this batch's statistics, as in training.
            if let Some(bn) = layer.bn {
                let sum = block_sums.next().expect("one sum per batch norm");
                let (normalised, mean, var) = bn.forward_batch_stats(z);
                for (acc, v) in sum.0.iter_mut().zip(NamedTensor::from_tensor(mean).values) {
                    *acc += v as f64;
                }
                for (acc, v) in sum.1.iter_mut().zip(NamedTensor::from_tensor(var).values) {
                    *acc += v as f64;
                }
                z = normalised;
            }
            a = leaky_relu(z, LEAKY_SLOPE);
        }
        batches += 1;
    }
    if batches == 0 {
        return Ok(d);
    }
    Ok(crate::model::weights::replace(d, |path, shape| {
        let i: usize = path
            .strip_prefix("blocks.")?
            .split('.')
            .next()?
            .parse()
            .ok()?;
        if i >= layers {
            return None;
        }
        let pick = if path.ends_with("bn.running_mean") {
            &sums[i].0
        } else if path.ends_with("bn.running_var") {
            &sums[i].1
        } else {
            return None;
        };
        Some(NamedTensor {
            shape: shape.to_vec(),
            values: pick.iter().map(|v| (v / batches as f64) as f32).collect(),
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LatentDistribution, weights};
    use burn::tensor::TensorData;

    #[test]
    fn pooling_takes_the_max_of_each_window() {
        let device = Device::flex();
        // One 8x8 map holding 0..64: each 2x2 window's max is its bottom-right value.
        let x = Tensor::<4>::from_data(
            TensorData::new((0..64).map(|v| v as f32).collect::<Vec<_>>(), [1, 1, 8, 8]),
            &device,
        );
        let p = NamedTensor::from_tensor(pool_to_grid(x));
        assert_eq!(p.shape, vec![1, 1, 4, 4]);
        let want: Vec<f32> = (0..4)
            .flat_map(|r| (0..4).map(move |c| ((2 * r + 1) * 8 + 2 * c + 1) as f32))
            .collect();
        assert_eq!(p.values, want);
    }

    #[test]
    fn features_are_the_pooled_layers_concatenated() {
        let device = Device::flex();
        let config = ModelConfig {
            image_size: 32,
            channels: 1,
            nz: 8,
            ngf: 4,
            ndf: 4,
            kernel: 4,
            latent: LatentDistribution::Uniform,
            ..Default::default()
        };
        let d = weights::initialize(Discriminator::new(&config, &device), 3);
        assert_eq!(feature_dimension(&config), (4 + 8 + 16) * 16);
        let values: Vec<f32> = (0..2 * 32 * 32)
            .map(|i| ((i % 37) as f32 / 18.0) - 1.0)
            .collect();
        let t = Tensor::<4>::from_data(TensorData::new(values.clone(), [2, 1, 32, 32]), &device);
        let images = Images::new(values, config.image_shape()).unwrap();
        let f = extract_host(&d, &images, &config, 1, &device);
        assert_eq!(f.len(), 2 * feature_dimension(&config));
        // By hand: each activation (16x16, 8x8, 4x4) pooled over 4x4, 2x2, 1x1 windows.
        let acts: Vec<NamedTensor> = d
            .activations(t)
            .into_iter()
            .map(NamedTensor::from_tensor)
            .collect();
        let mut want = Vec::new();
        for b in 0..2 {
            for a in &acts {
                let (c, s) = (a.shape[1], a.shape[2]);
                let k = s / 4;
                for ch in 0..c {
                    for gy in 0..4 {
                        for gx in 0..4 {
                            let mut m = f32::MIN;
                            for y in gy * k..(gy + 1) * k {
                                for x in gx * k..(gx + 1) * k {
                                    m = m.max(a.values[((b * c + ch) * s + y) * s + x]);
                                }
                            }
                            want.push(m);
                        }
                    }
                }
            }
        }
        for (i, (x, y)) in f.iter().zip(&want).enumerate() {
            assert!((x - y).abs() < 1e-5, "feature {i}: {x} vs {y}");
        }
    }

    #[test]
    fn reestimated_statistics_make_inference_match_the_batch() {
        let device = Device::flex();
        let config = ModelConfig {
            image_size: 16,
            channels: 3,
            nz: 8,
            ngf: 4,
            ndf: 4,
            kernel: 4,
            latent: LatentDistribution::Uniform,
            ..Default::default()
        };
        let d = weights::initialize(Discriminator::new(&config, &device), 5);
        let images: Vec<f32> = (0..8 * 3 * 16 * 16)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let t = || Tensor::<4>::from_data(TensorData::new(images.clone(), [8, 3, 16, 16]), &device);
        // One batch: the running statistics become that batch's own, so inference mode gives
        // what training mode gives on it (up to the unbiased/biased variance factor).
        let batch = Images::new(images.clone(), config.image_shape()).unwrap();
        let mut given = Some(batch);
        let re = reestimate_batch_norm(d, &device, |_| Ok(given.take())).unwrap();
        let block = &re.blocks[0];
        let a = leaky_relu(re.input.forward(t()), LEAKY_SLOPE);
        let z = block.conv.forward(a);
        let (train_mode, mean, _) = block.bn.forward_batch_stats(z.clone());
        let stored = weights::list(&re);
        assert_eq!(
            stored["blocks.0.bn.running_mean"].values,
            NamedTensor::from_tensor(mean).values
        );
        let inference = NamedTensor::from_tensor(block.bn.forward(z)).values;
        let train_mode = NamedTensor::from_tensor(train_mode).values;
        let diff = inference
            .iter()
            .zip(&train_mode)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(diff < 0.02, "{diff}");
        // Two batches: the average of the two batches' statistics.
        let halves = [images[..4 * 768].to_vec(), images[4 * 768..].to_vec()];
        let d = weights::initialize(Discriminator::new(&config, &device), 5);
        let halves_as_images = halves
            .clone()
            .map(|h| Images::new(h, config.image_shape()).unwrap());
        let re2 =
            reestimate_batch_norm(d, &device, |k| Ok(halves_as_images.get(k).cloned())).unwrap();
        let d = weights::initialize(Discriminator::new(&config, &device), 5);
        let first = |x: Vec<f32>| {
            let x = Tensor::<4>::from_data(TensorData::new(x, [4, 3, 16, 16]), &device);
            let z = d.blocks[0]
                .conv
                .forward(leaky_relu(d.input.forward(x), LEAKY_SLOPE));
            NamedTensor::from_tensor(d.blocks[0].bn.forward_batch_stats(z).1).values
        };
        let (m0, m1) = (first(halves[0].clone()), first(halves[1].clone()));
        let got = &weights::list(&re2)["blocks.0.bn.running_mean"].values;
        for k in 0..got.len() {
            assert!((got[k] - (m0[k] + m1[k]) / 2.0).abs() < 1e-6);
        }
    }
}
