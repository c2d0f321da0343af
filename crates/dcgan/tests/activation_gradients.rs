//! LeakyReLU on the CPU backend, which this project computes as one fused operation in each
//! direction (`patches/burn-autodiff`, `patches/burn-backend`, `patches/burn-flex`): values
//! and input gradients against the definition, on both sides of zero, at zero itself (where
//! PyTorch, like the forward pass, takes the identity branch), with NaN propagated, and through
//! a second use of the same input (the gradients of both uses add up).

use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor, TensorData};

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
