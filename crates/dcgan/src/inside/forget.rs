//! "Forgetting" an object (paper section 6.3.1, Fig. 6): boxes drawn around the object in some
//! generated samples; a logistic regression on G's activations at one layer predicts whether a
//! position lies inside a box (positives) or at a random place elsewhere in the same images
//! (negatives); every feature map with a positive weight is then zeroed at all positions, and the
//! same z drawn again.

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::images::Images;
use crate::latent::from_seed;
use crate::model::weights::NamedTensor;
use crate::model::{Generator, ModelConfig};
use crate::{Error, Result};

/// A rectangle around an object in the image of a seed, in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectBox {
    /// The sample's seed (as in `dcgan sample --seeds`).
    pub seed: u64,
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoxFile {
    boxes: Vec<ObjectBox>,
}

/// Reads `{"boxes": [{"seed": 12, "x": 3, "y": 5, "w": 10, "h": 8}, ...]}` and checks every box
/// against the image size; errors name the file and the box.
pub fn read_boxes(path: &Path, image_size: usize) -> Result<Vec<ObjectBox>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let file: BoxFile = serde_json::from_str(&text).map_err(|e| {
        Error::format(
            path,
            format!(
                "not a box list ({e}); expected {{\"boxes\": [{{\"seed\": 12, \"x\": 3, \"y\": 5, \
                 \"w\": 10, \"h\": 8}}, ...]}}"
            ),
        )
    })?;
    if file.boxes.is_empty() {
        return Err(Error::format(path, "the box list is empty"));
    }
    let s = image_size as u64;
    for (i, b) in file.boxes.iter().enumerate() {
        if b.w == 0 || b.h == 0 {
            return Err(Error::format(
                path,
                format!("box {i} (seed {}) is empty", b.seed),
            ));
        }
        if b.x as u64 + b.w as u64 > s || b.y as u64 + b.h as u64 > s {
            return Err(Error::format(
                path,
                format!(
                    "box {i} (seed {}) at x {} y {} w {} h {} runs outside the {s}x{s} image",
                    b.seed, b.x, b.y, b.w, b.h
                ),
            ));
        }
    }
    Ok(file.boxes)
}

/// Names a hidden layer of G: `highest` (the last before the output), `second-highest` (the
/// paper's choice) or an index (0 is the 4x4 projection).
pub fn parse_layer(name: &str, hidden: usize) -> Result<usize> {
    let index = match name {
        "highest" => hidden.checked_sub(1),
        "second-highest" => hidden.checked_sub(2),
        _ => name.parse::<usize>().ok().filter(|&i| i < hidden),
    };
    index.ok_or_else(|| {
        Error::option(
            "layer",
            format!(
                "G has no layer `{name}`; its {hidden} hidden layers are highest, \
                 second-highest or 0-{}",
                hidden.saturating_sub(1)
            ),
        )
    })
}

/// Training examples for the regression: one row of `channels` activations per position.
pub struct Examples {
    /// `[n, channels]` row-major.
    pub features: Vec<f32>,
    /// 1 inside a box, 0 elsewhere.
    pub labels: Vec<f32>,
    /// Feature maps (columns).
    pub channels: usize,
}

/// Whether position `(py, px)` of a `side` x `side` map over a `size`-pixel image lies in `b`:
/// its centre does, or (for boxes smaller than a position) it holds the box's centre.
fn inside(b: &ObjectBox, py: usize, px: usize, side: usize, size: usize) -> bool {
    let cell = size as f64 / side as f64;
    let (cy, cx) = ((py as f64 + 0.5) * cell, (px as f64 + 0.5) * cell);
    let within = |c: f64, lo: u32, len: u32| c >= lo as f64 && c < (lo + len) as f64;
    if within(cy, b.y, b.h) && within(cx, b.x, b.w) {
        return true;
    }
    let (by, bx) = (b.y as f64 + b.h as f64 / 2.0, b.x as f64 + b.w as f64 / 2.0);
    (by / cell) as usize == py && (bx / cell) as usize == px
}

/// G's activations at hidden block `layer` for the boxed seeds: every position inside a box is a
/// positive; as many positions outside every box, drawn with `seed` from the same images, are
/// negatives.
pub fn examples(
    g: &Generator,
    model: &ModelConfig,
    layer: usize,
    boxes: &[ObjectBox],
    seed: u64,
    device: &Device,
) -> Examples {
    let mut seeds: Vec<u64> = boxes.iter().map(|b| b.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let z: Vec<f32> = seeds
        .iter()
        .flat_map(|&s| from_seed(s, model.nz, model.latent))
        .collect();
    let zt = Tensor::<2>::from_data(TensorData::new(z, [seeds.len(), model.nz]), device);
    let a = NamedTensor::from_tensor(g.activations(zt).swap_remove(layer));
    let (c, side) = (a.shape[1], a.shape[2]);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Examples {
        features: Vec::new(),
        labels: Vec::new(),
        channels: c,
    };
    let push = |img: usize, py: usize, px: usize, label: f32, out: &mut Examples| {
        for ch in 0..c {
            out.features
                .push(a.values[((img * c + ch) * side + py) * side + px]);
        }
        out.labels.push(label);
    };
    for (img, s) in seeds.iter().enumerate() {
        let mine: Vec<&ObjectBox> = boxes.iter().filter(|b| b.seed == *s).collect();
        let is_in = |py, px| {
            mine.iter()
                .any(|b| inside(b, py, px, side, model.image_size))
        };
        let positives: Vec<(usize, usize)> = (0..side * side)
            .map(|i| (i / side, i % side))
            .filter(|&(py, px)| is_in(py, px))
            .collect();
        let outside: Vec<(usize, usize)> = (0..side * side)
            .map(|i| (i / side, i % side))
            .filter(|&(py, px)| !is_in(py, px))
            .collect();
        for &(py, px) in &positives {
            push(img, py, px, 1.0, &mut out);
        }
        for _ in 0..positives.len().min(outside.len()) {
            let (py, px) = outside[rng.random_range(0..outside.len())];
            push(img, py, px, 0.0, &mut out);
        }
    }
    out
}

/// An L2-regularised logistic regression.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// One weight per feature, for standardised features (so its sign is the raw feature's).
    pub weights: Vec<f64>,
    /// The intercept.
    pub bias: f64,
    /// Fraction of the training examples classified correctly.
    pub accuracy: f64,
}

/// Fits `P(label = 1) = sigmoid(w . standardise(x) + b)` by gradient descent on the mean log
/// loss plus `l2 / 2 |w|^2`. Features that never vary get weight 0.
pub fn fit_logistic(ex: &Examples, l2: f64, iterations: usize) -> Logistic {
    let (n, d) = (ex.labels.len(), ex.channels);
    let mut mean = vec![0.0f64; d];
    let mut sd = vec![0.0f64; d];
    for row in ex.features.chunks(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += *v as f64 / n as f64;
        }
    }
    for row in ex.features.chunks(d) {
        for j in 0..d {
            sd[j] += (row[j] as f64 - mean[j]).powi(2) / n as f64;
        }
    }
    let sd: Vec<f64> = sd.iter().map(|v| v.sqrt()).collect();
    let x: Vec<f64> = ex
        .features
        .chunks(d)
        .flat_map(|row| {
            (0..d)
                .map(|j| {
                    if sd[j] > 1e-12 {
                        (row[j] as f64 - mean[j]) / sd[j]
                    } else {
                        0.0
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let (mut w, mut b) = (vec![0.0f64; d], 0.0f64);
    let sigmoid = |t: f64| 1.0 / (1.0 + (-t).exp());
    // Standardised features make the data term well conditioned: a fixed step converges. The
    // penalty is applied as its proximal step, w / (1 + step * l2), which shrinks and never
    // overshoots: a plain gradient step on it, w * (1 - step * l2), flips sign and diverges
    // once l2 > 2 / step (`--l2 10` ended at 16% accuracy that way).
    let step = 0.5;
    for _ in 0..iterations {
        let mut gw = vec![0.0f64; d];
        let mut gb = 0.0f64;
        for (row, y) in x.chunks(d).zip(&ex.labels) {
            let p = sigmoid(row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b);
            let e = (p - *y as f64) / n as f64;
            for (g, v) in gw.iter_mut().zip(row) {
                *g += e * v;
            }
            gb += e;
        }
        for (wj, gj) in w.iter_mut().zip(&gw) {
            *wj = (*wj - step * gj) / (1.0 + step * l2);
        }
        b -= step * gb;
    }
    let correct = x
        .chunks(d)
        .zip(&ex.labels)
        .filter(|(row, y)| {
            let p = sigmoid(row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b);
            (p > 0.5) == (**y > 0.5)
        })
        .count();
    Logistic {
        weights: w,
        bias: b,
        accuracy: correct as f64 / n.max(1) as f64,
    }
}

/// The feature maps to drop: those with a weight above zero (the paper's rule).
pub fn maps_to_drop(fit: &Logistic) -> Vec<usize> {
    (0..fit.weights.len())
        .filter(|&j| fit.weights[j] > 0.0)
        .collect()
}

/// Images of `z` (`[n, nz]`) with the maps `dropped` of hidden block `layer` zeroed everywhere.
pub fn generate_without(
    g: &Generator,
    model: &ModelConfig,
    z: &[f32],
    layer: usize,
    channels: usize,
    dropped: &[usize],
    device: &Device,
) -> Images {
    let mut keep = vec![1.0f32; channels];
    for &m in dropped {
        keep[m] = 0.0;
    }
    let n = z.len() / model.nz;
    let zt = Tensor::<2>::from_data(TensorData::new(z.to_vec(), [n, model.nz]), device);
    let keep = Tensor::<1>::from_data(TensorData::new(keep, [channels]), device);
    Images::from_tensor(g.forward_masked(zt, layer, keep))
}

/// The paper's forgetting experiment end to end (section 6.3.1), as `dcgan forget` runs it.
pub struct Forgetting {
    /// Hidden block of G whose maps were fitted and dropped.
    pub layer: usize,
    /// Its feature maps.
    pub channels: usize,
    /// Positions inside a box (positives) and outside every box (negatives).
    pub positives: usize,
    /// Negatives.
    pub negatives: usize,
    /// The regression's training accuracy.
    pub accuracy: f64,
    /// The maps dropped (positive weight).
    pub dropped: Vec<usize>,
    /// The shown seeds' images as G draws them.
    pub before: Images,
    /// The same z with `dropped` zeroed.
    pub after: Images,
}

/// Fits the logistic regression on G's block-`layer` activations inside and outside `boxes`
/// (L2 weight `l2`, 500 steps), drops the maps of positive weight and draws `seeds` with and
/// without them.
pub fn run(
    g: &Generator,
    model: &ModelConfig,
    layer: usize,
    boxes: &[ObjectBox],
    seeds: &[u64],
    l2: f64,
    device: &Device,
) -> Forgetting {
    let ex = examples(g, model, layer, boxes, 0, device);
    let fit = fit_logistic(&ex, l2, 500);
    let dropped = maps_to_drop(&fit);
    let z = crate::sample::z_for_seeds(seeds, model);
    let channels = ex.channels;
    let positives = ex.labels.iter().filter(|y| **y > 0.5).count();
    Forgetting {
        layer,
        channels,
        positives,
        negatives: ex.labels.len() - positives,
        accuracy: fit.accuracy,
        before: generate_without(g, model, &z, layer, channels, &[], device),
        after: generate_without(g, model, &z, layer, channels, &dropped, device),
        dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> std::path::PathBuf {
        let p = dir.join("boxes.json");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn boxes_are_read_and_checked_against_the_image() {
        let tmp = tempfile::tempdir().unwrap();
        let ok = write(
            tmp.path(),
            r#"{"boxes": [{"seed": 4, "x": 2, "y": 3, "w": 10, "h": 20}]}"#,
        );
        let boxes = read_boxes(&ok, 32).unwrap();
        assert_eq!(
            boxes,
            vec![ObjectBox {
                seed: 4,
                x: 2,
                y: 3,
                w: 10,
                h: 20
            }]
        );
        for (text, needle) in [
            (
                r#"{"boxes": [{"seed": 4, "x": 30, "y": 3, "w": 10, "h": 2}]}"#,
                "outside the 32x32",
            ),
            (
                r#"{"boxes": [{"seed": 4, "x": 0, "y": 0, "w": 0, "h": 2}]}"#,
                "empty",
            ),
            (r#"{"boxes": []}"#, "the box list is empty"),
            (
                r#"{"boxes": [{"seed": -1, "x": 0, "y": 0, "w": 1, "h": 1}]}"#,
                "not a box list",
            ),
            ("[1, 2]", "not a box list"),
        ] {
            let p = write(tmp.path(), text);
            let err = read_boxes(&p, 32).unwrap_err().to_string();
            assert!(
                err.contains("boxes.json") && err.contains(needle),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn layer_names_resolve_or_fail_clearly() {
        assert_eq!(parse_layer("highest", 4).unwrap(), 3);
        assert_eq!(parse_layer("second-highest", 4).unwrap(), 2);
        assert_eq!(parse_layer("0", 4).unwrap(), 0);
        for bad in ["4", "top", "-1"] {
            let err = parse_layer(bad, 4).unwrap_err().to_string();
            assert!(err.contains("layer") && err.contains(bad), "{err}");
        }
    }

    #[test]
    fn positions_inside_boxes_by_centre_or_by_holding_a_small_box() {
        let b = ObjectBox {
            seed: 0,
            x: 8,
            y: 0,
            w: 8,
            h: 8,
        };
        // A 4x4 map over 32 pixels: cells of 8; the box is exactly cell (0, 1).
        assert!(inside(&b, 0, 1, 4, 32));
        assert!(!inside(&b, 0, 0, 4, 32) && !inside(&b, 1, 1, 4, 32));
        let tiny = ObjectBox {
            seed: 0,
            x: 17,
            y: 25,
            w: 2,
            h: 2,
        };
        assert!(inside(&tiny, 3, 2, 4, 32));
        assert!(!inside(&tiny, 3, 1, 4, 32));
    }

    #[test]
    fn the_regression_separates_and_signs_follow_the_signal() {
        // Feature 0 is high inside, feature 1 high outside, feature 2 noise, feature 3 constant.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut ex = Examples {
            features: Vec::new(),
            labels: Vec::new(),
            channels: 4,
        };
        for i in 0..400 {
            let y = (i % 2) as f32;
            let noise = rng.random_range(0.0..1.0f32);
            ex.features
                .extend([y * 2.0 + noise * 0.3, (1.0 - y) * 3.0, noise, 5.0]);
            ex.labels.push(y);
        }
        let fit = fit_logistic(&ex, 1e-3, 300);
        assert!(fit.accuracy > 0.99, "{fit:?}");
        // A strong penalty shrinks the weights and keeps their signs; it does not diverge.
        let strong = fit_logistic(&ex, 10.0, 300);
        assert!(strong.accuracy > 0.99, "{strong:?}");
        assert!(
            strong.weights[0] > 0.0 && strong.weights[1] < 0.0,
            "{strong:?}"
        );
        assert!(strong.weights.iter().all(|w| w.is_finite()), "{strong:?}");
        for j in [0, 1] {
            assert!(
                strong.weights[j].abs() < fit.weights[j].abs(),
                "{strong:?} vs {fit:?}"
            );
        }
        assert!(fit.weights[0] > 0.0 && fit.weights[1] < 0.0, "{fit:?}");
        assert_eq!(fit.weights[3], 0.0);
        assert!(maps_to_drop(&fit).contains(&0) && !maps_to_drop(&fit).contains(&1));
    }
}
