//! Looking inside the networks: the written-out guided backward pass against Burn's autodiff,
//! and "forgetting" checked on generators whose weights plant a known answer.

mod common;

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use common::small_model;
use dcgan::images::Images;
use dcgan::inside::forget::{self, ObjectBox};
use dcgan::inside::guided::{self, Rule};
use dcgan::model::weights::{self, NamedTensor, list};
use dcgan::model::{Discriminator, Generator, LEAKY_SLOPE, ModelConfig};
use dcgan_kernels::leaky_relu;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// A D with the paper's initial weights and made-up running statistics (so that batch norm in
/// inference mode is not the identity); `positive` makes every weight non-negative.
fn discriminator(config: &ModelConfig, positive: bool, device: &Device) -> Discriminator {
    let d = weights::initialize(Discriminator::new(config, device), 7);
    let mut k = 0;
    weights::replace(d, |path, shape| {
        k += 1;
        let n: usize = shape.iter().product();
        let values = if path.ends_with("running_mean") {
            if positive {
                vec![0.0; n]
            } else {
                random(n, -0.05, 0.05, k)
            }
        } else if path.ends_with("running_var") {
            random(n, 0.5, 2.0, k)
        } else {
            return positive.then(|| NamedTensor {
                shape: shape.to_vec(),
                values: random(n, 0.0, 0.04, k),
            });
        };
        Some(NamedTensor {
            shape: shape.to_vec(),
            values,
        })
    })
}

/// The gradient of `sum(grad * activation of layer)` by the images, through Burn's autodiff,
/// with batch norm in inference mode.
fn autodiff_gradient(
    d: &Discriminator,
    config: &ModelConfig,
    images: &[f32],
    layer: usize,
    grad: &Tensor<4>,
) -> Vec<f32> {
    let ad = Device::flex().autodiff();
    let da = weights::load(Discriminator::new(config, &ad), &list(d), Path::new("test")).unwrap();
    let s = config.image_size;
    let n = images.len() / (config.channels * s * s);
    let x = Tensor::<4>::from_data(
        TensorData::new(images.to_vec(), [n, config.channels, s, s]),
        &ad,
    )
    .require_grad();
    let mut a = leaky_relu(da.input.forward(x.clone()), LEAKY_SLOPE);
    for block in da.blocks.iter().take(layer) {
        let z = dcgan_kernels::batch_norm(
            block.conv.forward(a),
            block.bn.weight.as_ref().unwrap().val(),
            block.bn.bias.as_ref().unwrap().val(),
            block.bn.running_mean.value(),
            block.bn.running_var.value(),
            1e-5,
        );
        a = leaky_relu(z, LEAKY_SLOPE);
    }
    let g = Tensor::<4>::from_data(grad.clone().into_data(), &ad);
    let grads = a.mul(g).sum().backward();
    NamedTensor::from_tensor(x.grad(&grads).unwrap()).values
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn max_abs(a: &[f32]) -> f32 {
    a.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

#[test]
fn the_plain_rule_is_the_autodiff_gradient_at_every_layer_and_kernel() {
    let device = Device::flex();
    for kernel in [4, 5] {
        let config = ModelConfig {
            kernel,
            ..small_model(32, 3, 8)
        };
        let d = discriminator(&config, false, &device);
        let images = random(2 * 3 * 32 * 32, -1.0, 1.0, 3);
        for layer in 0..3 {
            let (c, side) = guided::layer_shape(&config, layer);
            let grad = Tensor::<4>::from_data(
                TensorData::new(
                    random(2 * c * side * side, -1.0, 1.0, 9),
                    [2, c, side, side],
                ),
                &device,
            );
            let x =
                Tensor::<4>::from_data(TensorData::new(images.clone(), [2, 3, 32, 32]), &device);
            let ours =
                NamedTensor::from_tensor(guided::backprop(&d, x, layer, grad.clone(), Rule::Plain));
            assert_eq!(ours.shape, vec![2, 3, 32, 32]);
            let want = autodiff_gradient(&d, &config, &images, layer, &grad);
            let diff = max_abs_diff(&ours.values, &want);
            assert!(
                diff < 1e-4 * max_abs(&want),
                "kernel {kernel} layer {layer}: {diff} of {}",
                max_abs(&want)
            );
        }
    }
}

#[test]
fn guided_equals_autodiff_where_every_input_and_gradient_is_positive() {
    let device = Device::flex();
    let config = small_model(32, 3, 8);
    let d = discriminator(&config, true, &device);
    let images = random(2 * 3 * 32 * 32, 0.1, 1.0, 4);
    let layer = 2;
    let (c, side) = guided::layer_shape(&config, layer);
    let grad = guided::unit_gradient(&[(3, 1, 2), (5, 0, 0)], c, side, &device);
    let x = Tensor::<4>::from_data(TensorData::new(images.clone(), [2, 3, 32, 32]), &device);
    let ours = NamedTensor::from_tensor(guided::backprop(&d, x, layer, grad.clone(), Rule::Guided));
    let want = autodiff_gradient(&d, &config, &images, layer, &grad);
    assert!(max_abs(&want) > 0.0);
    assert!(max_abs_diff(&ours.values, &want) < 1e-5 * max_abs(&want));
}

#[test]
fn guided_differs_from_the_gradient_and_zeroes_negative_paths() {
    let device = Device::flex();
    let config = small_model(32, 3, 8);
    let d = discriminator(&config, false, &device);
    let images = random(3 * 32 * 32, -1.0, 1.0, 5);
    let x = || Tensor::<4>::from_data(TensorData::new(images.clone(), [1, 3, 32, 32]), &device);
    // At the input layer, a unit whose pre-activation is negative passes nothing under the
    // guided rule (the plain gradient passes 0.2 of it); a positive one passes the same.
    let a = NamedTensor::from_tensor(guided::layer_activations(&d, x(), 0));
    let side = a.shape[2];
    let neg = a.values.iter().position(|v| *v < 0.0).unwrap();
    let pos = a.values.iter().position(|v| *v > 0.0).unwrap();
    let unit = |i: usize| (i / (side * side), (i / side) % side, i % side);
    for (i, passes) in [(neg, false), (pos, true)] {
        let grad = || guided::unit_gradient(&[unit(i)], 8, side, &device);
        let g = NamedTensor::from_tensor(guided::backprop(&d, x(), 0, grad(), Rule::Guided));
        let p = NamedTensor::from_tensor(guided::backprop(&d, x(), 0, grad(), Rule::Plain));
        assert_eq!(g.shape, vec![1, 3, 32, 32]);
        assert!(max_abs(&p.values) > 0.0);
        if passes {
            assert_eq!(g.values, p.values);
        } else {
            assert_eq!(max_abs(&g.values), 0.0);
        }
    }
    // Through three layers the guided map of a feature's strongest unit is not the gradient,
    // but is still non-zero.
    let (c, side) = guided::layer_shape(&config, 2);
    let all: Vec<usize> = (0..c).collect();
    let as_images = Images::new(images.clone(), config.image_shape()).unwrap();
    let best = guided::strongest(&d, &as_images, 2, &all, 1, &device);
    let f = (0..c)
        .max_by(|&p, &q| best[p][0].value.total_cmp(&best[q][0].value))
        .unwrap();
    let r = best[f][0];
    assert!(r.value > 0.0);
    let grad = || guided::unit_gradient(&[(f, r.y, r.x)], c, side, &device);
    let g = NamedTensor::from_tensor(guided::backprop(&d, x(), 2, grad(), Rule::Guided)).values;
    let p = NamedTensor::from_tensor(guided::backprop(&d, x(), 2, grad(), Rule::Plain)).values;
    assert!(max_abs(&g) > 0.0);
    assert!(max_abs_diff(&g, &p) > 0.1 * max_abs(&p));
}

#[test]
fn strongest_responses_are_the_largest_maxima() {
    let device = Device::flex();
    let config = small_model(32, 3, 8);
    let d = discriminator(&config, false, &device);
    let images = random(20 * 3 * 32 * 32, -1.0, 1.0, 6);
    let as_images = Images::new(images.clone(), config.image_shape()).unwrap();
    let top = guided::strongest(&d, &as_images, 1, &[0, 5], 4, &device);
    // By brute force over the activations.
    let x = Tensor::<4>::from_data(TensorData::new(images.clone(), [20, 3, 32, 32]), &device);
    let a = NamedTensor::from_tensor(guided::layer_activations(&d, x, 1));
    let (c, side) = (a.shape[1], a.shape[2]);
    for (fi, f) in [0usize, 5].iter().enumerate() {
        let mut maxima: Vec<(f32, usize)> = (0..20)
            .map(|b| {
                let m = &a.values[(b * c + f) * side * side..(b * c + f + 1) * side * side];
                (m.iter().cloned().fold(f32::MIN, f32::max), b)
            })
            .collect();
        maxima.sort_by(|p, q| q.0.total_cmp(&p.0));
        let got: Vec<usize> = top[fi].iter().map(|r| r.image).collect();
        let want: Vec<usize> = maxima[..4].iter().map(|m| m.1).collect();
        assert_eq!(got, want);
        let r = top[fi][0];
        assert_eq!(
            a.values[((r.image * c + f) * side + r.y) * side + r.x],
            r.value
        );
    }
}

/// Feature maps of G's 4x4 layer planted to fire only inside the top-left 2x2 positions (pixels
/// 0-7 of a 16x16 image).
const PLANTED: [usize; 3] = [2, 5, 11];
/// A map whose next-layer weights are all zero.
const SILENT: usize = 7;

/// A 16x16 grayscale G (hidden layers 4x4 with 16 maps, then 8x8 with 8) whose 4x4 layer is
/// planted: the maps in [`PLANTED`] have weights only at the top-left 2x2 positions, every
/// other map only elsewhere; batch norm there is the identity; map [`SILENT`] feeds nothing on.
fn planted_generator(device: &Device) -> (Generator, ModelConfig) {
    let config = small_model(16, 1, 8);
    let g = weights::initialize(Generator::new(&config, device), 11);
    let g = weights::replace(g, |path, shape| {
        let n: usize = shape.iter().product();
        let values = match path {
            "blocks.0.conv.weight" => {
                // [nz, 16, 4, 4]
                let w = random(n, -1.0, 1.0, 12);
                (0..n)
                    .map(|i| {
                        let (m, y, x) = ((i / 16) % 16, (i / 4) % 4, i % 4);
                        let in_region = y < 2 && x < 2;
                        if in_region == PLANTED.contains(&m) {
                            w[i]
                        } else {
                            0.0
                        }
                    })
                    .collect()
            }
            "blocks.0.bn.weight" => vec![1.0; n],
            "blocks.1.conv.weight" => {
                // [16, 8, 4, 4]: row SILENT is zero.
                let mut w = random(n, -0.1, 0.1, 13);
                w[SILENT * 128..(SILENT + 1) * 128].fill(0.0);
                w
            }
            _ => return None,
        };
        Some(NamedTensor {
            shape: shape.to_vec(),
            values,
        })
    });
    (g, config)
}

#[test]
fn the_regression_recovers_exactly_the_planted_maps() {
    let device = Device::flex();
    let (g, config) = planted_generator(&device);
    let layer = forget::parse_layer("second-highest", 2).unwrap();
    assert_eq!(layer, 0);
    let boxes: Vec<ObjectBox> = (0..12)
        .map(|seed| ObjectBox {
            seed,
            x: 0,
            y: 0,
            w: 8,
            h: 8,
        })
        .collect();
    let ex = forget::examples(&g, &config, layer, &boxes, 0, &device);
    assert_eq!(ex.channels, 16);
    // 4 positives per image, as many negatives.
    assert_eq!(ex.labels.iter().filter(|y| **y > 0.5).count(), 48);
    assert_eq!(ex.labels.len(), 96);
    let fit = forget::fit_logistic(&ex, 1e-2, 300);
    assert!(fit.accuracy > 0.95, "{fit:?}");
    assert_eq!(
        forget::maps_to_drop(&fit),
        PLANTED.to_vec(),
        "{:?}",
        fit.weights
    );
}

#[test]
fn dropping_maps_changes_only_what_they_feed() {
    let device = Device::flex();
    let (g, config) = planted_generator(&device);
    let z: Vec<f32> = dcgan::sample::z_for_seeds(&[1, 2, 3], &config);
    let same =
        |dropped: &[usize]| forget::generate_without(&g, &config, &z, 0, 16, dropped, &device);
    let original = same(&[]);
    assert_eq!(
        original,
        dcgan::sample::generate(&g, &z, config.nz, 3, &device)
    );
    // A map with zero weight downstream changes nothing.
    assert_eq!(same(&[SILENT]), original);
    // The planted maps are zero outside the top-left 2x2 positions, whose receptive field in
    // the 16x16 image is rows and columns 0-10: beyond it nothing changes, inside it does.
    let without = same(&PLANTED);
    let mut changed_inside = 0;
    for (i, (a, b)) in original.values().iter().zip(without.values()).enumerate() {
        let (y, x) = ((i / 16) % 16, i % 16);
        if y > 10 || x > 10 {
            assert_eq!(a, b, "pixel ({y}, {x}) of image {}", i / 256);
        } else if (a - b).abs() > 1e-4 {
            changed_inside += 1;
        }
    }
    assert!(changed_inside > 50, "{changed_inside}");
}
