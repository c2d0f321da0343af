//! Drawing images from a trained generator, addressed by seeds.

use burn::tensor::{Device, Tensor, TensorData};

use crate::images::Images;
use crate::latent;
use crate::model::{Generator, ModelConfig};

/// Images (in [-1, 1]) for `z` (`[n, nz]`), in batches of at most `batch`.
/// `g` must be in inference mode (`valid()`), so a batch's composition never changes an image.
pub fn generate(g: &Generator, z: &[f32], nz: usize, batch: usize, device: &Device) -> Images {
    let n = z.len() / nz;
    let mut out = Images::empty(g.image_shape());
    for start in (0..n).step_by(batch.max(1)) {
        let end = (start + batch.max(1)).min(n);
        let t = Tensor::<2>::from_data(
            TensorData::new(z[start * nz..end * nz].to_vec(), [end - start, nz]),
            device,
        );
        out.extend(&Images::from_tensor(g.forward(t)));
    }
    out
}

/// One z per seed ([`latent::from_seed`]), concatenated.
pub fn z_for_seeds(seeds: &[u64], model: &ModelConfig) -> Vec<f32> {
    seeds
        .iter()
        .flat_map(|&s| latent::from_seed(s, model.nz, model.latent))
        .collect()
}

/// `n` z drawn in sequence from one seed ([`latent::batch`]).
pub fn z_for_grid(seed: u64, n: usize, model: &ModelConfig) -> Vec<f32> {
    latent::batch(seed, n, model.nz, model.latent)
}
