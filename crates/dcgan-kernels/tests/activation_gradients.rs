//! ReLU and LeakyReLU of this crate, one pass in each direction on the CPU backend: values and
//! input gradients against the definition, on both sides of zero, at zero itself (where
//! PyTorch, like the forward pass, takes LeakyReLU's identity branch and ReLU's zero), with NaN
//! propagated, through a second use of the same input (the gradients of both uses add up), and
//! on tensors large enough for the thread pool, both owned (computed in place) and shared.

use burn::tensor::{Device, Tensor, TensorData};
use dcgan_kernels::{leaky_relu, relu};

const SLOPE: f64 = 0.2;

fn tensor(v: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

fn vec(t: Tensor<1>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn leaky_relu_values_and_gradient_match_the_definition() {
    let device = Device::flex().autodiff();
    let xs = vec![-3.0f32, -0.5, -1e-30, 0.0, 1e-30, 0.25, 7.0];
    let weights: Vec<f32> = (1..=xs.len()).map(|i| i as f32).collect();
    let x = tensor(xs.clone(), &device).require_grad();
    let y = leaky_relu(x.clone(), SLOPE);
    let loss = (y.clone() * tensor(weights.clone(), &device)).sum();
    let grad = vec(x.grad(&loss.backward()).unwrap());

    let slope = SLOPE as f32;
    let want_y: Vec<f32> = xs
        .iter()
        .map(|&v| if v < 0.0 { slope * v } else { v })
        .collect();
    assert_eq!(vec(y.inner()), want_y);
    let want_grad: Vec<f32> = xs
        .iter()
        .zip(&weights)
        .map(|(&v, &w)| if v < 0.0 { slope * w } else { w })
        .collect();
    assert_eq!(grad, want_grad);
}

#[test]
fn leaky_relu_gradient_adds_up_over_two_uses_and_propagates_nan() {
    let device = Device::flex().autodiff();
    // A 4-D activation the size of a small feature map, reused twice with different slopes.
    let n = 2 * 3 * 5 * 5;
    let xs: Vec<f32> = (0..n).map(|i| (i as f32 - 70.0) / 9.0).collect();
    let x = tensor(xs.clone(), &device).require_grad();
    let loss = (leaky_relu(x.clone(), SLOPE) * 3.0).sum() + leaky_relu(x.clone(), 0.5).sum();
    let grad = vec(x.grad(&loss.backward()).unwrap());
    for (i, (&v, &g)) in xs.iter().zip(&grad).enumerate() {
        let want = if v < 0.0 { 3.0 * 0.2 + 0.5 } else { 4.0 };
        assert!(
            (g - want).abs() < 1e-6,
            "element {i} (x = {v}): {g} vs {want}"
        );
    }

    let x = tensor(vec![f32::NAN, -1.0], &device).require_grad();
    let y = leaky_relu(x.clone(), SLOPE);
    let got_y = vec(y.clone().inner());
    assert!(got_y[0].is_nan(), "{got_y:?}");
    assert_eq!(got_y[1], -0.2);
    let grad = vec(x.grad(&y.sum().backward()).unwrap());
    assert_eq!(grad, vec![1.0, 0.2]);
}

#[test]
fn relu_values_and_gradient_match_the_definition() {
    let device = Device::flex().autodiff();
    let xs = vec![-3.0f32, -1e-30, 0.0, 1e-30, 0.25, 7.0, f32::NAN];
    let weights: Vec<f32> = (1..=xs.len()).map(|i| i as f32).collect();
    let x = tensor(xs.clone(), &device).require_grad();
    let y = relu(x.clone());
    let loss = (y.clone() * tensor(weights.clone(), &device)).sum();
    let grad = vec(x.grad(&loss.backward()).unwrap());
    let got = vec(y.inner());
    assert_eq!(&got[..6], &[0.0, 0.0, 0.0, 1e-30, 0.25, 7.0]);
    assert!(got[6].is_nan(), "{got:?}");
    // Zero where the output is zero (x <= 0), the weight elsewhere (NaN's output is NaN).
    assert_eq!(grad, vec![0.0, 0.0, 0.0, 4.0, 5.0, 6.0, 7.0]);
}

#[test]
fn large_activations_match_the_definition_owned_and_shared() {
    let device = Device::flex().autodiff();
    // 300k values: above the pool's threshold (128k).
    let n: usize = 300_000;
    let xs: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    let ws: Vec<f32> = (0..n).map(|i| (i % 13) as f32 - 6.0).collect();
    let slope = SLOPE as f32;
    for shared in [false, true] {
        let x = tensor(xs.clone(), &device).require_grad();
        // `keep` holds a second reference to the input, so nothing may be computed in place.
        let keep = shared.then(|| x.clone().inner());
        let y_leaky = leaky_relu(x.clone(), SLOPE);
        let y_relu = relu(x.clone());
        let w = tensor(ws.clone(), &device);
        let loss = (y_leaky.clone() * w.clone()).sum() + (y_relu.clone() * w).sum();
        let grad = vec(x.grad(&loss.backward()).unwrap());
        let got_leaky = vec(y_leaky.inner());
        let got_relu = vec(y_relu.inner());
        for (i, &v) in xs.iter().enumerate() {
            assert_eq!(
                got_leaky[i],
                if v < 0.0 { slope * v } else { v },
                "leaky {i}"
            );
            assert_eq!(got_relu[i], v.max(0.0), "relu {i}");
            let want =
                ws[i] * (if v < 0.0 { slope } else { 1.0 } + if v > 0.0 { 1.0 } else { 0.0 });
            assert!(
                (grad[i] - want).abs() < 1e-6,
                "grad {i}: {} vs {want}",
                grad[i]
            );
        }
        if let Some(keep) = keep {
            assert_eq!(vec(keep), xs, "the shared input was changed");
        }
    }
}
