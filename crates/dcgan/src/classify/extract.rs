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

/// The features ([`features::extract`]) of `indices` of `data`, `[n, dim]` row-major, and their
/// labels when the source has them; `progress(done, total)` after each chunk.
pub fn dataset_features(
    d: &Discriminator,
    model: &ModelConfig,
    data: &Dataset,
    indices: &[usize],
    device: &Device,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Vec<f32>, Option<Vec<u16>>)> {
    let dim = features::feature_dimension(model);
    let mut values = Vec::with_capacity(indices.len() * dim);
    let mut labels: Option<Vec<u16>> = data.classes.as_ref().map(|_| Vec::new());
    let mut done = 0;
    for part in indices.chunks(CHUNK) {
        let (images, part_labels) = data.labelled(part)?;
        values.extend(features::extract_host(d, &images, model, BATCH, device));
        match (labels.as_mut(), part_labels) {
            (Some(l), Some(new)) => l.extend(new),
            _ => labels = None,
        }
        done += part.len();
        progress(done, indices.len());
    }
    Ok((values, labels))
}

/// [`dataset_features`] of a labelled source; a source without labels is an error naming it.
pub fn labelled_features(
    d: &Discriminator,
    model: &ModelConfig,
    data: &Dataset,
    indices: &[usize],
    device: &Device,
    progress: impl FnMut(usize, usize),
) -> Result<Labelled> {
    let (features, labels) = dataset_features(d, model, data, indices, device, progress)?;
    let labels = labels.ok_or_else(|| {
        Error::option(
            "data",
            format!(
                "{} has no labels: classifying needs labelled images (mnist, cifar10, or a \
                 folder with one subfolder per class)",
                data.source
            ),
        )
    })?;
    Ok(Labelled {
        features,
        labels,
        dim: features::feature_dimension(model),
    })
}

/// `d` with its batch-norm statistics re-estimated on `indices` of `data`
/// ([`features::reestimate_batch_norm`]), in batches of 256.
pub fn reestimate_on(
    d: Discriminator,
    data: &Dataset,
    indices: &[usize],
    device: &Device,
) -> Result<Discriminator> {
    let chunks: Vec<&[usize]> = indices.chunks(BATCH).collect();
    features::reestimate_batch_norm(d, device, |k| {
        chunks.get(k).map(|c| data.batch(c)).transpose()
    })
}
