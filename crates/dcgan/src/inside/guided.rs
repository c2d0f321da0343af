//! Guided backpropagation (Springenberg et al. 2014) of discriminator features (paper section
//! 6.2, Fig. 5).
//!
//! Burn has no per-op gradient hooks, so the backward pass is written out for D's layers: a
//! strided convolution's input gradient is the transposed convolution with the same weights;
//! batch norm in inference mode scales each channel by `weight / sqrt(running_var + eps)`;
//! LeakyReLU passes `g` where its input was positive and `0.2 g` elsewhere. The guided rule
//! replaces that last step: a gradient passes only where the forward input was positive *and*
//! the gradient itself is positive. With [`Rule::Plain`] the result is the ordinary gradient,
//! which the tests check against Burn's autodiff.

use burn::tensor::ops::ConvTransposeOptions;
use burn::tensor::{Device, Tensor, TensorData};
use dcgan_kernels::conv_transpose2d;

use crate::images::Images;
use crate::model::LEAKY_SLOPE;
use crate::model::weights::NamedTensor;
use crate::model::{Discriminator, ModelConfig};
use crate::{Error, Result};

/// How gradients cross the LeakyReLUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Only positive gradients, only where the forward input was positive (guided).
    Guided,
    /// The true derivative (`1` for positive inputs, the leak slope otherwise).
    Plain,
}

/// Names a D layer: `first`, `last`, or its index (0 is the input layer).
pub fn parse_layer(name: &str, layers: usize) -> Result<usize> {
    let index = match name {
        "first" => Some(0),
        "last" => layers.checked_sub(1),
        _ => name.parse::<usize>().ok().filter(|&i| i < layers),
    };
    index.ok_or_else(|| {
        Error::option(
            "layer",
            format!(
                "D has no layer `{name}`; it has {layers} convolutional layers: first, last or \
                 0-{}",
                layers.saturating_sub(1)
            ),
        )
    })
}

/// D's forward pass up to `layer`, keeping what the backward pass needs: each layer's
/// pre-activation (after batch norm) and input side.
struct Trace {
    pre: Vec<Tensor<4>>,
    sides: Vec<usize>,
}

fn trace(d: &Discriminator, images: Tensor<4>, layer: usize) -> (Trace, Tensor<4>) {
    let mut pre = Vec::new();
    let mut sides = Vec::new();
    let mut x = images;
    for l in d.layers().into_iter().take(layer + 1) {
        sides.push(x.dims()[2]);
        let z = l.pre_activation(x);
        x = dcgan_kernels::leaky_relu(z.clone(), LEAKY_SLOPE);
        pre.push(z);
    }
    (Trace { pre, sides }, x)
}

/// The activations of D's layer `layer` (after LeakyReLU), inference mode.
pub fn layer_activations(d: &Discriminator, images: Tensor<4>, layer: usize) -> Tensor<4> {
    trace(d, images, layer).1
}

/// Backpropagates `grad` (a gradient at the output of D's layer `layer`, after its LeakyReLU)
/// to the input images under `rule`. D must be in inference mode.
///
/// # Shapes
/// - images: `[batch, channels, image_size, image_size]`
/// - grad: the shape of layer `layer`'s activations
/// - output: the shape of `images`
pub fn backprop(
    d: &Discriminator,
    images: Tensor<4>,
    layer: usize,
    grad: Tensor<4>,
    rule: Rule,
) -> Tensor<4> {
    let (trace, _) = trace(d, images, layer);
    let all = d.layers();
    let mut g = grad;
    for l in (0..=layer).rev() {
        let z = &trace.pre[l];
        let negative = z.clone().lower_equal_elem(0.0);
        g = match rule {
            Rule::Guided => g.clamp_min(0.0).mask_fill(negative, 0.0),
            Rule::Plain => {
                let leak = g.clone().mask_fill(negative.clone().bool_not(), 0.0);
                g.mask_fill(negative, 0.0).add(leak.mul_scalar(LEAKY_SLOPE))
            }
        };
        let conv = all[l].conv;
        if let Some(bn) = all[l].bn {
            let [c] = bn.inference_scale().dims();
            g = g.mul(bn.inference_scale().reshape([1, c, 1, 1]));
        }
        // The input gradient of a strided convolution: the transposed convolution with the same
        // weights, stride and padding, its output padding chosen to give back the input's side.
        let (out, side) = (g.dims()[2], trace.sides[l]);
        let (s, p, k) = (conv.stride, conv.padding, conv.weight.dims()[2]);
        let padding_out = side - ((out - 1) * s + k - 2 * p);
        g = conv_transpose2d(
            g,
            conv.weight.val(),
            None,
            ConvTransposeOptions::new([s, s], [p, p], [padding_out, padding_out], [1, 1], 1),
        );
    }
    g
}

/// A gradient that is 1 at one unit per image, `(channel, y, x)`, and 0 elsewhere.
///
/// # Shapes
/// - output: `[units.len(), channels, side, side]`
pub fn unit_gradient(
    units: &[(usize, usize, usize)],
    channels: usize,
    side: usize,
    device: &Device,
) -> Tensor<4> {
    let per = channels * side * side;
    let mut values = vec![0.0f32; units.len() * per];
    for (i, &(c, y, x)) in units.iter().enumerate() {
        values[i * per + (c * side + y) * side + x] = 1.0;
    }
    Tensor::from_data(
        TensorData::new(values, [units.len(), channels, side, side]),
        device,
    )
}

/// One image's strongest response of one feature: its value and where it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response {
    /// Index of the image in the scanned set.
    pub image: usize,
    /// The maximum of the feature map over positions.
    pub value: f32,
    /// Its row.
    pub y: usize,
    /// Its column.
    pub x: usize,
}

/// For each of `features` (channels of D's layer `layer`), the `top` images of `images` whose
/// maximum response is strongest, strongest first.
pub fn strongest(
    d: &Discriminator,
    images: &Images,
    layer: usize,
    features: &[usize],
    top: usize,
    device: &Device,
) -> Vec<Vec<Response>> {
    const BATCH: usize = 128;
    let mut best: Vec<Vec<Response>> = vec![Vec::new(); features.len()];
    for (k, chunk) in images.chunks(BATCH).enumerate() {
        let (start, end) = (k * BATCH, k * BATCH + chunk.len());
        let a = NamedTensor::from_tensor(layer_activations(d, chunk.into_tensor(device), layer));
        let (c, side) = (a.shape[1], a.shape[2]);
        for (fi, &f) in features.iter().enumerate() {
            for b in 0..end - start {
                let map = &a.values[(b * c + f) * side * side..(b * c + f + 1) * side * side];
                let (at, value) = map
                    .iter()
                    .enumerate()
                    .fold((0, f32::MIN), |m, (i, &v)| if v > m.1 { (i, v) } else { m });
                best[fi].push(Response {
                    image: start + b,
                    value,
                    y: at / side,
                    x: at % side,
                });
            }
            best[fi].sort_by(|p, q| q.value.total_cmp(&p.value).then(p.image.cmp(&q.image)));
            best[fi].truncate(top);
        }
    }
    best
}

/// One network's part of the paper's Fig. 5: each feature's strongest images and their guided
/// maps.
pub struct Visualised {
    /// `trained D` or `random D`.
    pub title: String,
    /// Per feature, its strongest responses, strongest first.
    pub responses: Vec<Vec<Response>>,
    /// Per feature, the guided-backpropagation maps of those images, each normalised.
    pub maps: Vec<Images>,
}

/// The figure's data, as `dcgan visualize` shows it: `features` of D's layer `layer` on
/// `images`, for `d` and for a randomly initialised D of the same architecture (seed
/// `random_seed`), the `top` strongest images of each.
#[allow(clippy::too_many_arguments)]
pub fn trained_and_random(
    d: &Discriminator,
    config: &ModelConfig,
    images: &Images,
    layer: usize,
    features: &[usize],
    top: usize,
    random_seed: u64,
    device: &Device,
) -> Vec<Visualised> {
    let random = crate::model::weights::initialize(Discriminator::new(config, device), random_seed);
    [("trained D", d), ("random D", &random)]
        .into_iter()
        .map(|(title, net)| {
            let responses = strongest(net, images, layer, features, top, device);
            let maps = features
                .iter()
                .zip(&responses)
                .map(|(&f, r)| {
                    normalise(&maps(
                        net,
                        config,
                        images,
                        layer,
                        f,
                        r,
                        Rule::Guided,
                        device,
                    ))
                })
                .collect();
            Visualised {
                title: title.to_string(),
                responses,
                maps,
            }
        })
        .collect()
}

/// Channels and side of D's layer `layer` for `config`.
pub fn layer_shape(config: &ModelConfig, layer: usize) -> (usize, usize) {
    (config.ndf << layer, config.image_size >> (layer + 1))
}

/// The guided-backpropagation maps of the given responses (one image each, of `images`), each
/// for the unit where its feature was strongest: one map per response, in the images' shape.
#[allow(clippy::too_many_arguments)]
pub fn maps(
    d: &Discriminator,
    config: &ModelConfig,
    images: &Images,
    layer: usize,
    feature: usize,
    responses: &[Response],
    rule: Rule,
    device: &Device,
) -> Images {
    let chosen: Vec<usize> = responses.iter().map(|r| r.image).collect();
    let x = images.select(&chosen).into_tensor(device);
    let (c, side) = layer_shape(config, layer);
    let units: Vec<(usize, usize, usize)> = responses.iter().map(|r| (feature, r.y, r.x)).collect();
    let grad = unit_gradient(&units, c, side, device);
    Images::from_tensor(backprop(d, x, layer, grad, rule))
}

/// Scales each map to `[-1, 1]` by its largest magnitude, so that zero is mid-grey in a picture.
pub fn normalise(maps: &Images) -> Images {
    let scaled = maps
        .iter()
        .flat_map(|m| {
            let max = m.values.iter().fold(0.0f32, |a, v| a.max(v.abs()));
            m.values
                .iter()
                .map(move |v| if max > 0.0 { v / max } else { 0.0 })
        })
        .collect();
    Images::new(scaled, maps.shape()).expect("the maps' own shape")
}
