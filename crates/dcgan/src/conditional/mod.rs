//! The conditional DCGAN of the paper's appendix: the class given to G as a one-hot vector
//! joined to z, and to D as one-hot feature maps joined to the image's channels (the authors'
//! `train_cond_dcgan.py` joins the label to every layer; joining it at the input is the common
//! simplification, and the one `--conditional` trains).
//!
//! A conditional model is an ordinary [`crate::model::ModelConfig`] with `classes > 0`: G's
//! projection takes `nz + classes` inputs and D's first layer `channels + classes` maps. Its
//! "latent vector" as the sampling code sees it is therefore `z ++ one_hot(class)`
//! ([`join_labels`]); [`evaluate`] is the appendix's nearest-neighbour evaluation.

use burn::tensor::{Device, Tensor, TensorData};

use crate::model::ModelConfig;
use crate::{Error, Result};

pub mod evaluate;

/// `[labels.len(), classes]` one-hot rows, row-major.
pub fn one_hot(labels: &[usize], classes: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; labels.len() * classes];
    for (row, &l) in labels.iter().enumerate() {
        out[row * classes + l] = 1.0;
    }
    out
}

/// Each row of `z` (`[n, nz]`) followed by the one-hot vector of its label: G's input.
pub fn join_labels(z: &[f32], nz: usize, labels: &[usize], classes: usize) -> Vec<f32> {
    let hot = one_hot(labels, classes);
    z.chunks(nz)
        .zip(hot.chunks(classes.max(1)))
        .flat_map(|(z, h)| z.iter().chain(h).copied())
        .collect()
}

/// `[b, classes, size, size]` maps, map `labels[i]` of image `i` all ones and the others zero:
/// what D's input gets beside the image's channels.
pub fn label_maps(labels: &[usize], classes: usize, size: usize, device: &Device) -> Tensor<4> {
    let plane = size * size;
    let mut values = vec![0.0f32; labels.len() * classes * plane];
    for (i, &l) in labels.iter().enumerate() {
        let start = (i * classes + l) * plane;
        values[start..start + plane].fill(1.0);
    }
    Tensor::from_data(
        TensorData::new(values, [labels.len(), classes, size, size]),
        device,
    )
}

/// `images` (`[b, c, s, s]`) with their label maps joined to the channels: D's input.
pub fn join_label_maps(images: Tensor<4>, labels: &[usize], classes: usize) -> Tensor<4> {
    let [_, _, s, _] = images.dims();
    let maps = label_maps(labels, classes, s, &images.device());
    Tensor::cat(vec![images, maps], 1)
}

/// The classes of `n` images shown one class per row: image `i` gets `i * classes / n`, so
/// `n = classes * k` images in a grid of `k` columns show one row per class.
pub fn rows_of_classes(n: usize, classes: usize) -> Vec<usize> {
    (0..n).map(|i| i * classes / n.max(1)).collect()
}

/// Checks that `class` exists in `model` (conditional, and `class < classes`).
pub fn check_class(model: &ModelConfig, class: usize, origin: &std::path::Path) -> Result<()> {
    if model.classes == 0 {
        return Err(Error::option(
            "class",
            format!(
                "{} is an unconditional model (trained without --conditional): it has no classes",
                origin.display()
            ),
        ));
    }
    if class >= model.classes {
        return Err(Error::option(
            "class",
            format!(
                "{class}: {} has classes 0 to {}",
                origin.display(),
                model.classes - 1
            ),
        ));
    }
    Ok(())
}

/// Labels (`u16`, as datasets give them) as indices, each checked against `classes`.
pub fn labels_of(labels: &[u16], classes: usize, origin: &str) -> Result<Vec<usize>> {
    labels
        .iter()
        .map(|&l| {
            let l = l as usize;
            if l < classes {
                Ok(l)
            } else {
                Err(Error::option(
                    "conditional",
                    format!("{origin}: label {l} is not one of the model's {classes} classes"),
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_join_z_as_one_hot_and_images_as_maps() {
        let z = [0.5f32, -0.5, 1.0, 2.0];
        assert_eq!(
            join_labels(&z, 2, &[2, 0], 3),
            vec![0.5, -0.5, 0.0, 0.0, 1.0, 1.0, 2.0, 1.0, 0.0, 0.0]
        );
        let device = Device::flex();
        let images = Tensor::<4>::zeros([2, 1, 2, 2], &device).add_scalar(-1.0);
        let joined = join_label_maps(images, &[1, 0], 2);
        assert_eq!(joined.dims(), [2, 3, 2, 2]);
        let v = joined.into_data().try_to_vec::<f32>().unwrap();
        // image 0: its channel, then map 0 (zeros), map 1 (ones); image 1: map 0 ones.
        assert_eq!(
            &v[..12],
            &[-1., -1., -1., -1., 0., 0., 0., 0., 1., 1., 1., 1.]
        );
        assert_eq!(
            &v[12..],
            &[-1., -1., -1., -1., 1., 1., 1., 1., 0., 0., 0., 0.]
        );
        assert_eq!(rows_of_classes(20, 10)[..4], [0, 0, 1, 1]);
        assert_eq!(rows_of_classes(20, 10)[19], 9);
    }
}
