//! Batch normalisation of this crate on the CPU backend (fused kernels, `flex/batch_norm.rs`,
//! and their autodiff rule): in training mode the output, batch mean and biased
//! variance, and the gradients of input, scale and shift, against the definition computed in
//! f64, for a small tensor (one thread) and one large enough to run in parallel, with a channel
//! mean far from zero (where a careless formula loses precision).

use burn::tensor::{Device, Tensor, TensorData};
use dcgan_kernels::{batch_norm, batch_norm_train};

mod common;
use common::values;

const EPS: f64 = 1e-5;

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn assert_close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g as f64 - w).abs() <= tol * scale,
            "{what}: element {i}: {g} vs {w} (scale {scale})"
        );
    }
}

fn check(batch: usize, channels: usize, plane: usize, offset: f32) {
    let device = Device::flex().autodiff();
    let n = batch * channels * plane;
    // Channel c is shifted by offset * (c + 1) and scaled by (c % 3 + 1).
    let xs: Vec<f32> = values(n, 1)
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / plane) % channels;
            v * (c % 3 + 1) as f32 + offset * (c + 1) as f32
        })
        .collect();
    let gammas: Vec<f32> = values(channels, 2).iter().map(|v| 1.0 + v).collect();
    let betas = values(channels, 3);
    let ws = values(n, 4);

    let x = Tensor::<4>::from_data(
        TensorData::new(xs.clone(), [batch, channels, plane, 1]),
        &device,
    )
    .require_grad();
    let gamma =
        Tensor::<1>::from_data(TensorData::new(gammas.clone(), [channels]), &device).require_grad();
    let beta =
        Tensor::<1>::from_data(TensorData::new(betas.clone(), [channels]), &device).require_grad();
    let w = Tensor::<4>::from_data(
        TensorData::new(ws.clone(), [batch, channels, plane, 1]),
        &device,
    );
    let result = batch_norm_train(x.clone(), gamma.clone(), beta.clone(), EPS);
    let out = to_vec(result.output.clone().inner());
    let mean = to_vec(result.mean.clone().inner());
    let var = to_vec(result.variance.clone().inner());
    let grads = (result.output * w).sum().backward();
    let gx = to_vec(x.grad(&grads).unwrap());
    let gg = to_vec(gamma.grad(&grads).unwrap());
    let gb = to_vec(beta.grad(&grads).unwrap());

    // The definition, in f64.
    let m = (batch * plane) as f64;
    let idx = |b: usize, c: usize, p: usize| (b * channels + c) * plane + p;
    let (mut want_out, mut want_gx) = (vec![0.0f64; n], vec![0.0f64; n]);
    let (mut want_mean, mut want_var) = (vec![0.0f64; channels], vec![0.0f64; channels]);
    let (mut want_gg, mut want_gb) = (vec![0.0f64; channels], vec![0.0f64; channels]);
    for c in 0..channels {
        let all: Vec<usize> = (0..batch)
            .flat_map(|b| (0..plane).map(move |p| idx(b, c, p)))
            .collect();
        let mu = all.iter().map(|&i| xs[i] as f64).sum::<f64>() / m;
        let var = all
            .iter()
            .map(|&i| (xs[i] as f64 - mu).powi(2))
            .sum::<f64>()
            / m;
        // The backward pass sees the statistics as the forward pass returned them, in f32
        // (as PyTorch saves them too): its reference uses them rounded the same way.
        let (mu32, var32) = (mu as f32 as f64, var as f32 as f64);
        let inv_std = 1.0 / (var32 + EPS).sqrt();
        let xhat = |i: usize| (xs[i] as f64 - mu32) * inv_std;
        let exact_inv_std = 1.0 / (var + EPS).sqrt();
        let sum_w: f64 = all.iter().map(|&i| ws[i] as f64).sum();
        let sum_wx: f64 = all.iter().map(|&i| ws[i] as f64 * xhat(i)).sum();
        for &i in &all {
            want_out[i] = gammas[c] as f64 * (xs[i] as f64 - mu) * exact_inv_std + betas[c] as f64;
            want_gx[i] =
                gammas[c] as f64 * inv_std * (ws[i] as f64 - sum_w / m - xhat(i) * sum_wx / m);
        }
        want_mean[c] = mu;
        want_var[c] = var;
        want_gg[c] = sum_wx;
        want_gb[c] = sum_w;
    }
    let what = format!("[{batch}, {channels}, {plane}] offset {offset}");
    assert_close(&format!("{what} output"), &out, &want_out, 2e-5);
    assert_close(&format!("{what} mean"), &mean, &want_mean, 1e-7);
    assert_close(&format!("{what} variance"), &var, &want_var, 1e-5);
    assert_close(&format!("{what} input gradient"), &gx, &want_gx, 1e-4);
    assert_close(&format!("{what} scale gradient"), &gg, &want_gg, 1e-5);
    assert_close(&format!("{what} shift gradient"), &gb, &want_gb, 1e-5);
}

#[test]
fn small_batch_norm_matches_the_definition() {
    // 3 * 5 * 7 values: runs shorter than a SIMD width, one thread.
    check(3, 5, 7, 0.0);
    check(2, 4, 33, 40.0);
}

#[test]
fn large_batch_norm_matches_the_definition() {
    // 16 * 64 * 289 = 296k values: above flex's parallel threshold.
    check(16, 64, 289, 0.0);
    check(16, 64, 289, 25.0);
}

#[test]
fn inference_batch_norm_matches_the_definition() {
    let device = Device::flex();
    let (batch, channels, plane) = (8, 48, 1000);
    let n = batch * channels * plane;
    let xs = values(n, 5);
    let gammas = values(channels, 6);
    let betas = values(channels, 7);
    let means: Vec<f32> = values(channels, 8).iter().map(|v| v * 3.0).collect();
    let vars: Vec<f32> = values(channels, 9).iter().map(|v| v + 1.5).collect();
    let t1 = |v: &Vec<f32>| Tensor::<1>::from_data(TensorData::new(v.clone(), [channels]), &device);
    let x = Tensor::<3>::from_data(
        TensorData::new(xs.clone(), [batch, channels, plane]),
        &device,
    );
    let out = batch_norm(x, t1(&gammas), t1(&betas), t1(&means), t1(&vars), EPS)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let want: Vec<f64> = (0..n)
        .map(|i| {
            let c = (i / plane) % channels;
            (xs[i] as f64 - means[c] as f64) / (vars[c] as f64 + EPS).sqrt() * gammas[c] as f64
                + betas[c] as f64
        })
        .collect();
    assert_close("inference output", &out, &want, 1e-6);
}
