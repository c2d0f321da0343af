//! D's features of a labelled dataset, ready for the protocol.

use burn::tensor::Device;

use super::protocol::Labelled;
use crate::data::Dataset;
use crate::model::{Discriminator, ModelConfig};
use crate::{Error, Result, features};

/// Images decoded and passed through D at a time.
const CHUNK: usize = 1024;
/// Images per forward pass of D.
const BATCH: usize = 256;

/// The features ([`features::extract`]) and labels of `indices` of `data`, `progress(done,
/// total)` after each chunk. A source without labels is an error naming it.
pub fn labelled_features(
    d: &Discriminator,
    model: &ModelConfig,
    data: &Dataset,
    indices: &[usize],
    device: &Device,
    mut progress: impl FnMut(usize, usize),
) -> Result<Labelled> {
    let dim = features::feature_dimension(model);
    let mut out = Labelled {
        features: Vec::with_capacity(indices.len() * dim),
        labels: Vec::with_capacity(indices.len()),
        dim,
    };
    for part in indices.chunks(CHUNK) {
        let pixels = data.pixels(part)?;
        let labels = pixels.labels.ok_or_else(|| {
            Error::option(
                "--data",
                format!(
                    "{} has no labels: classifying needs labelled images (mnist, cifar10, or a \
                     folder with one subfolder per class)",
                    data.source
                ),
            )
        })?;
        let images = crate::data::to_unit_range(&pixels.bytes);
        out.features
            .extend(features::extract_host(d, &images, model, BATCH, device));
        out.labels.extend(labels);
        progress(out.labels.len(), indices.len());
    }
    Ok(out)
}

/// `d` with its batch-norm statistics re-estimated on `indices` of `data`
/// ([`features::reestimate_batch_norm`]), in batches of 256.
pub fn reestimate_on(
    d: Discriminator,
    model: &ModelConfig,
    data: &Dataset,
    indices: &[usize],
    device: &Device,
) -> Result<Discriminator> {
    let chunks: Vec<&[usize]> = indices.chunks(BATCH).collect();
    features::reestimate_batch_norm(d, model, device, |k| {
        chunks.get(k).map(|c| data.batch(c)).transpose()
    })
}
