//! Drawing images from a trained generator, addressed by seeds.

use burn::tensor::{Device, Tensor, TensorData};

use crate::images::Images;
use crate::model::{Generator, ModelConfig};
use crate::{Result, conditional, latent};

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

/// G's inputs for `z` (`[n, nz]`): `z` itself for an unconditional model; for a conditional one
/// each z joined with the one-hot vector of `class`, or without a class the images split into
/// consecutive groups of one class each ([`conditional::rows_of_classes`]: `n = classes * k`
/// images in rows of `k` show one row per class). A class for an unconditional model, or one
/// the model does not have, is an error naming `origin`.
pub fn inputs(
    z: Vec<f32>,
    model: &ModelConfig,
    class: Option<usize>,
    origin: &std::path::Path,
) -> Result<Vec<f32>> {
    if let Some(c) = class {
        conditional::check_class(model, c, origin)?;
    }
    if !model.is_conditional() {
        return Ok(z);
    }
    let n = z.len() / model.nz;
    let labels = match class {
        Some(c) => vec![c; n],
        None => conditional::rows_of_classes(n, model.classes),
    };
    Ok(conditional::join_labels(
        &z,
        model.nz,
        &labels,
        model.classes,
    ))
}

/// `n` z drawn in sequence from one seed ([`latent::batch`]).
pub fn z_for_grid(seed: u64, n: usize, model: &ModelConfig) -> Vec<f32> {
    latent::batch(seed, n, model.nz, model.latent)
}
