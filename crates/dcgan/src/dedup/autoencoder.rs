//! The paper's de-duplication autoencoder (section 4.1): 3072-128-3072, ReLU code, denoising
//! (masking noise on the input) and dropout-regularised (on the code), trained to reconstruct
//! 32x32 centre crops. Its code, thresholded at zero (active or not), is a 128-bit hash.
//!
//! The masks are drawn on the host from the seed, and the weights too, so a seed gives the same
//! autoencoder and the same hashes on every backend.

use std::sync::Arc;

use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Loader};
use crate::model::weights::{NamedTensor, replace};
use crate::train::{Adam, AdamConfig};
use crate::{Error, Result};

/// Inputs: a 32x32 RGB crop.
pub const INPUT: usize = 3 * 32 * 32;
/// Code units, and bits of the hash.
pub const CODE: usize = 128;

/// The autoencoder.
#[derive(Module, Debug)]
pub struct Autoencoder {
    /// 3072 -> 128.
    pub encoder: Linear,
    /// 128 -> 3072.
    pub decoder: Linear,
}

/// How the autoencoder is trained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderTraining {
    /// Minibatches.
    pub iterations: u64,
    /// Images per minibatch.
    pub batch_size: usize,
    /// Adam's learning rate (beta1 0.9).
    pub lr: f64,
    /// Share of input pixels zeroed (the denoising corruption).
    pub input_drop: f64,
    /// Share of code units dropped (dropout on the code).
    pub code_drop: f64,
    /// Seed of the weights, the order and the masks.
    pub seed: u64,
}

impl Default for AutoencoderTraining {
    fn default() -> Self {
        Self {
            iterations: 2000,
            batch_size: 128,
            lr: 1e-3,
            input_drop: 0.2,
            code_drop: 0.5,
            seed: 0,
        }
    }
}

impl Autoencoder {
    /// Weights N(0, sqrt(2 / (fan_in + fan_out))) drawn from `seed`, biases 0.
    pub fn new(seed: u64, device: &Device) -> Self {
        let zeros = |i, o| {
            LinearConfig::new(i, o)
                .with_initializer(Initializer::Zeros)
                .init(device)
        };
        let net = Self {
            encoder: zeros(INPUT, CODE),
            decoder: zeros(CODE, INPUT),
        };
        let std = (2.0 / (INPUT + CODE) as f32).sqrt();
        let normal = Normal::new(0.0f32, std).expect("valid normal");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        replace(net, |path, shape| {
            path.ends_with(".weight").then(|| {
                let n: usize = shape.iter().product();
                NamedTensor {
                    shape: shape.to_vec(),
                    values: (0..n).map(|_| normal.sample(&mut rng)).collect(),
                }
            })
        })
    }

    /// The code (ReLU activations), `[batch, 3072]` in `[-1, 1]` to `[batch, 128]`.
    pub fn code(&self, x: Tensor<2>) -> Tensor<2> {
        relu(self.encoder.forward(x))
    }

    /// The 128-bit hashes of `x` (bit k: code unit k is active).
    pub fn hashes(&self, x: Tensor<2>) -> Result<Vec<u128>> {
        let code = self.code(x);
        let values: Vec<f32> = code
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| Error::option("dedup", format!("reading codes: {e:?}")))?;
        Ok(values
            .chunks_exact(CODE)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold(0u128, |h, (k, &v)| h | (((v > 0.0) as u128) << k))
            })
            .collect())
    }
}

/// A mask of `n` values: 0 with probability `drop`, else `1 / (1 - drop)` (inverted dropout).
fn mask(n: usize, drop: f64, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let keep = (1.0 / (1.0 - drop)) as f32;
    (0..n)
        .map(|_| if rng.random_bool(drop) { 0.0 } else { keep })
        .collect()
}

/// Trains an autoencoder on shuffled minibatches of `data` (its images at 32x32 RGB); returns
/// it (in inference mode) and the reconstruction error (mean squared, in `[-1, 1]` units) of
/// the last 50 minibatches. `progress(iteration, total, loss)`.
pub fn train(
    data: Arc<Dataset>,
    training: &AutoencoderTraining,
    device: &Device,
    progress: &mut dyn FnMut(u64, u64, f32),
) -> Result<(Autoencoder, f64)> {
    if data.size != 32 || data.channels != 3 {
        return Err(Error::option(
            "dedup",
            "the autoencoder reads 32x32 RGB crops: open the data at size 32 with 3 channels",
        ));
    }
    if !(0.0..1.0).contains(&training.input_drop) || !(0.0..1.0).contains(&training.code_drop) {
        return Err(Error::option("dedup", "drop rates lie in [0, 1)"));
    }
    let ad = device.clone().autodiff();
    let mut net = Autoencoder::new(training.seed, &ad);
    let mut adam = Adam::new(AdamConfig {
        lr: training.lr,
        beta1: 0.9,
        ..AdamConfig::default()
    });
    let mut rng = ChaCha8Rng::seed_from_u64(training.seed ^ 0xDED0);
    let batch = training.batch_size.min(data.len());
    let mut loader = Loader::start(data, batch, training.seed, 0, training.iterations, 3)?;
    let mut recent = std::collections::VecDeque::new();
    while let Some(b) = loader.next_batch() {
        let b = b?;
        let n = b.images.len();
        let x = b.images.into_tensor(&ad).reshape([n, INPUT]);
        let noisy = x.clone()
            * Tensor::<2>::from_data(
                TensorData::new(mask(n * INPUT, training.input_drop, &mut rng), [n, INPUT]),
                &ad,
            );
        let code = net.code(noisy)
            * Tensor::<2>::from_data(
                TensorData::new(mask(n * CODE, training.code_drop, &mut rng), [n, CODE]),
                &ad,
            );
        let out = net.decoder.forward(code);
        let loss = (out - x).powf_scalar(2.0).mean();
        let value = loss.clone().inner().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = adam.step(net, grads);
        recent.push_back(value as f64);
        if recent.len() > 50 {
            recent.pop_front();
        }
        progress(b.iteration + 1, training.iterations, value);
    }
    let loss = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
    Ok((net.valid(), loss))
}
