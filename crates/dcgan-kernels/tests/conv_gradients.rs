//! The convolutions of this crate on the CPU backend (GEMMs over a batched im2col, `flex/`)
//! and through autodiff (`autodiff.rs`): the forward pass, the weight gradient and the input
//! gradient of convolutions and transposed convolutions against their definitions summed
//! directly, for the layer shapes of the 32x32 and 64x64 models and for kernel 5, stride 1,
//! padding 2, odd sizes, a bias, and batches that split into several chunks of images.

use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Tensor, TensorData};
use dcgan_kernels::{conv_transpose2d, conv2d};

mod common;
use common::values;

struct Case {
    batch: usize,
    c_in: usize,
    c_out: usize,
    size_in: usize,
    k: usize,
    stride: usize,
    pad: usize,
}

/// `case(batch, c_in, c_out, size_in, k, stride, pad)`.
const fn case(
    batch: usize,
    c_in: usize,
    c_out: usize,
    size_in: usize,
    k: usize,
    stride: usize,
    pad: usize,
) -> Case {
    Case {
        batch,
        c_in,
        c_out,
        size_in,
        k,
        stride,
        pad,
    }
}

fn tensor(v: Vec<f32>, shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(v, shape), device)
}

fn assert_close(got: &[f32], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1.0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (*g as f64 - w).abs() <= 2e-5 * scale,
            "{what}: element {i}: {g} vs {w} (scale {scale})"
        );
    }
}

/// dW[co, ci, kh, kw] = sum_{b, y, x} gy[b, co, y, x] * x[b, ci, y s - p + kh, x s - p + kw],
/// and dx[b, ci, y s - p + kh, x s - p + kw] = sum gy[b, co, y, x] * W[co, ci, kh, kw].
#[test]
fn conv2d_weight_and_input_gradients_match_their_definitions() {
    let device = Device::flex().autodiff();
    let cases = [
        case(6, 3, 8, 32, 4, 2, 1),
        case(4, 16, 32, 16, 4, 2, 1),
        case(5, 32, 1, 4, 4, 1, 0),
        case(3, 4, 6, 9, 5, 2, 2),
        case(2, 5, 3, 7, 3, 1, 1),
        case(2, 3, 4, 11, 3, 3, 1),
        case(1, 2, 2, 8, 4, 2, 1),
        // Wide weights on small maps, and more output channels than window values: the
        // backend accumulates these in the untransposed orientation (the cases above in the
        // transposed one).
        case(4, 32, 64, 8, 4, 2, 1),
        case(3, 1, 16, 10, 3, 1, 1),
        // A conditional D's input: the image's channel and 10 class maps.
        case(8, 11, 16, 32, 4, 2, 1),
        case(4, 13, 8, 16, 4, 2, 1),
    ];
    for c in cases {
        let so = (c.size_in + 2 * c.pad - c.k) / c.stride + 1;
        let xv = values(c.batch * c.c_in * c.size_in * c.size_in, 1);
        let wv = values(c.c_out * c.c_in * c.k * c.k, 2);
        let gv = values(c.batch * c.c_out * so * so, 3);
        let x = tensor(xv.clone(), [c.batch, c.c_in, c.size_in, c.size_in], &device).require_grad();
        let w = tensor(wv.clone(), [c.c_out, c.c_in, c.k, c.k], &device).require_grad();
        let gy = tensor(gv.clone(), [c.batch, c.c_out, so, so], &device);
        let opt = ConvOptions::new([c.stride; 2], [c.pad; 2], [1; 2], 1);
        let loss = (conv2d(x.clone(), w.clone(), None, opt) * gy).sum();
        let grads = loss.backward();
        let grad = |t: &Tensor<4>| {
            t.grad(&grads)
                .unwrap()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        };
        let (got, got_x) = (grad(&w), grad(&x));

        let mut want = vec![0.0f64; c.c_out * c.c_in * c.k * c.k];
        let mut want_x = vec![0.0f64; xv.len()];
        let s = c.size_in as isize;
        for b in 0..c.batch {
            for co in 0..c.c_out {
                for y in 0..so {
                    for xo in 0..so {
                        let g = gv[((b * c.c_out + co) * so + y) * so + xo] as f64;
                        for ci in 0..c.c_in {
                            for kh in 0..c.k {
                                for kw in 0..c.k {
                                    let iy = (y * c.stride + kh) as isize - c.pad as isize;
                                    let ix = (xo * c.stride + kw) as isize - c.pad as isize;
                                    if iy < 0 || ix < 0 || iy >= s || ix >= s {
                                        continue;
                                    }
                                    let at = ((b * c.c_in + ci) * c.size_in + iy as usize)
                                        * c.size_in
                                        + ix as usize;
                                    let wi = ((co * c.c_in + ci) * c.k + kh) * c.k + kw;
                                    want[wi] += g * xv[at] as f64;
                                    want_x[at] += g * wv[wi] as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
        let what = format!("conv2d {}x{} k{} s{}", c.c_in, c.c_out, c.k, c.stride);
        assert_close(&got, &want, &format!("{what}: weight gradient"));
        assert_close(&got_x, &want_x, &format!("{what}: input gradient"));
    }
}

/// y[b, co, i s - p + kh, j s - p + kw] += x[b, ci, i, j] W[ci, co, kh, kw], so
/// dW[ci, co, kh, kw] = sum_{b, i, j} x[b, ci, i, j] * gy[b, co, i s - p + kh, j s - p + kw],
/// and dx[b, ci, i, j] = sum_{co, kh, kw} W[ci, co, kh, kw] * gy[b, co, i s - p + kh, ...].
#[test]
fn conv_transpose2d_weight_and_input_gradients_match_their_definitions() {
    let device = Device::flex().autodiff();
    let cases = [
        case(5, 10, 16, 1, 4, 1, 0),
        // A conditional G's projection: z (32) joined with a one-hot class (10).
        case(8, 42, 64, 1, 4, 1, 0),
        case(4, 32, 16, 4, 4, 2, 1),
        case(6, 8, 3, 16, 4, 2, 1),
        case(3, 4, 5, 5, 5, 2, 2),
        case(2, 3, 2, 6, 3, 1, 1),
        case(2, 3, 4, 5, 3, 3, 1),
    ];
    for c in cases {
        // Kernel 5 with padding 2 needs output padding 1 to double the size (the authors').
        let out_pad = if c.k == 5 { 1 } else { 0 };
        let so = (c.size_in - 1) * c.stride + c.k + out_pad - 2 * c.pad;
        let xv = values(c.batch * c.c_in * c.size_in * c.size_in, 4);
        let wv = values(c.c_in * c.c_out * c.k * c.k, 5);
        let gv = values(c.batch * c.c_out * so * so, 6);
        let x = tensor(xv.clone(), [c.batch, c.c_in, c.size_in, c.size_in], &device).require_grad();
        let w = tensor(wv.clone(), [c.c_in, c.c_out, c.k, c.k], &device).require_grad();
        let gy = tensor(gv.clone(), [c.batch, c.c_out, so, so], &device);
        let opt = ConvTransposeOptions::new([c.stride; 2], [c.pad; 2], [out_pad; 2], [1; 2], 1);
        let y = conv_transpose2d(x.clone(), w.clone(), None, opt);
        assert_eq!(y.dims(), [c.batch, c.c_out, so, so]);
        let loss = (y * gy).sum();
        let grads = loss.backward();
        let grad = |t: &Tensor<4>| {
            t.grad(&grads)
                .unwrap()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        };
        let (got, got_x) = (grad(&w), grad(&x));

        let mut want = vec![0.0f64; c.c_in * c.c_out * c.k * c.k];
        let mut want_x = vec![0.0f64; xv.len()];
        for b in 0..c.batch {
            for ci in 0..c.c_in {
                for i in 0..c.size_in {
                    for j in 0..c.size_in {
                        let at = ((b * c.c_in + ci) * c.size_in + i) * c.size_in + j;
                        let v = xv[at] as f64;
                        for co in 0..c.c_out {
                            for kh in 0..c.k {
                                for kw in 0..c.k {
                                    let oy = (i * c.stride + kh) as isize - c.pad as isize;
                                    let ox = (j * c.stride + kw) as isize - c.pad as isize;
                                    if oy < 0 || ox < 0 || oy >= so as isize || ox >= so as isize {
                                        continue;
                                    }
                                    let g = gv
                                        [((b * c.c_out + co) * so + oy as usize) * so + ox as usize]
                                        as f64;
                                    let wi = ((ci * c.c_out + co) * c.k + kh) * c.k + kw;
                                    want[wi] += v * g;
                                    want_x[at] += wv[wi] as f64 * g;
                                }
                            }
                        }
                    }
                }
            }
        }
        let what = format!(
            "conv_transpose2d {}x{} k{} s{}",
            c.c_in, c.c_out, c.k, c.stride
        );
        assert_close(&got, &want, &format!("{what}: weight gradient"));
        assert_close(&got_x, &want_x, &format!("{what}: input gradient"));
    }
}

/// y[b, co, y, x] = bias[co] + sum_{ci, kh, kw} w[co, ci, kh, kw] * x[b, ci, y s - p + kh, x s - p + kw].
#[test]
fn conv2d_forward_matches_its_definition() {
    let device = Device::flex();
    let cases = [
        case(6, 3, 8, 32, 4, 2, 1),
        case(20, 16, 32, 8, 4, 2, 1),
        case(37, 8, 1, 4, 4, 1, 0),
        case(3, 4, 6, 9, 5, 2, 2),
        case(2, 5, 3, 7, 3, 1, 1),
        case(2, 3, 4, 11, 3, 3, 1),
    ];
    for (n, c) in cases.into_iter().enumerate() {
        let so = (c.size_in + 2 * c.pad - c.k) / c.stride + 1;
        let xv = values(c.batch * c.c_in * c.size_in * c.size_in, 7);
        let wv = values(c.c_out * c.c_in * c.k * c.k, 8);
        let bv = values(c.c_out, 9);
        let x = tensor(xv.clone(), [c.batch, c.c_in, c.size_in, c.size_in], &device);
        let w = tensor(wv.clone(), [c.c_out, c.c_in, c.k, c.k], &device);
        // Every other case with a bias.
        let bias = (n % 2 == 0)
            .then(|| Tensor::<1>::from_data(TensorData::new(bv.clone(), [c.c_out]), &device));
        let opt = ConvOptions::new([c.stride; 2], [c.pad; 2], [1; 2], 1);
        let y = conv2d(x, w, bias.clone(), opt);
        assert_eq!(y.dims(), [c.batch, c.c_out, so, so]);
        let got = y.into_data().try_to_vec::<f32>().unwrap();

        let mut want = vec![0.0f64; c.batch * c.c_out * so * so];
        let s = c.size_in as isize;
        for b in 0..c.batch {
            for co in 0..c.c_out {
                for oy in 0..so {
                    for ox in 0..so {
                        let mut acc = if bias.is_some() { bv[co] as f64 } else { 0.0 };
                        for ci in 0..c.c_in {
                            for kh in 0..c.k {
                                for kw in 0..c.k {
                                    let iy = (oy * c.stride + kh) as isize - c.pad as isize;
                                    let ix = (ox * c.stride + kw) as isize - c.pad as isize;
                                    if iy < 0 || ix < 0 || iy >= s || ix >= s {
                                        continue;
                                    }
                                    acc += wv[((co * c.c_in + ci) * c.k + kh) * c.k + kw] as f64
                                        * xv[((b * c.c_in + ci) * c.size_in + iy as usize)
                                            * c.size_in
                                            + ix as usize]
                                            as f64;
                                }
                            }
                        }
                        want[((b * c.c_out + co) * so + oy) * so + ox] = acc;
                    }
                }
            }
        }
        assert_close(
            &got,
            &want,
            &format!(
                "conv2d forward {}x{} k{} s{} b{}",
                c.c_in, c.c_out, c.k, c.stride, c.batch
            ),
        );
    }
}

/// y[b, co, i s - p + kh, j s - p + kw] += x[b, ci, i, j] * w[ci, co, kh, kw] (+ bias[co]).
#[test]
fn conv_transpose2d_forward_matches_its_definition() {
    let device = Device::flex();
    let cases = [
        case(5, 10, 16, 1, 4, 1, 0),
        // A conditional G's projection: z (32) joined with a one-hot class (10).
        case(8, 42, 64, 1, 4, 1, 0),
        case(20, 32, 16, 4, 4, 2, 1),
        case(6, 8, 3, 16, 4, 2, 1),
        case(3, 4, 5, 5, 5, 2, 2),
        case(2, 3, 2, 6, 3, 1, 1),
        case(2, 3, 4, 5, 3, 3, 1),
    ];
    for (n, c) in cases.into_iter().enumerate() {
        let out_pad = if c.k == 5 { 1 } else { 0 };
        let so = (c.size_in - 1) * c.stride + c.k + out_pad - 2 * c.pad;
        let xv = values(c.batch * c.c_in * c.size_in * c.size_in, 10);
        let wv = values(c.c_in * c.c_out * c.k * c.k, 11);
        let bv = values(c.c_out, 12);
        let x = tensor(xv.clone(), [c.batch, c.c_in, c.size_in, c.size_in], &device);
        let w = tensor(wv.clone(), [c.c_in, c.c_out, c.k, c.k], &device);
        let bias = (n % 2 == 1)
            .then(|| Tensor::<1>::from_data(TensorData::new(bv.clone(), [c.c_out]), &device));
        let opt = ConvTransposeOptions::new([c.stride; 2], [c.pad; 2], [out_pad; 2], [1; 2], 1);
        let y = conv_transpose2d(x, w, bias.clone(), opt);
        assert_eq!(y.dims(), [c.batch, c.c_out, so, so]);
        let got = y.into_data().try_to_vec::<f32>().unwrap();

        let mut want = vec![0.0f64; c.batch * c.c_out * so * so];
        for b in 0..c.batch {
            for co in 0..c.c_out {
                if bias.is_some() {
                    for v in &mut want[(b * c.c_out + co) * so * so..][..so * so] {
                        *v = bv[co] as f64;
                    }
                }
            }
            for ci in 0..c.c_in {
                for i in 0..c.size_in {
                    for j in 0..c.size_in {
                        let at = ((b * c.c_in + ci) * c.size_in + i) * c.size_in + j;
                        let v = xv[at] as f64;
                        for co in 0..c.c_out {
                            for kh in 0..c.k {
                                for kw in 0..c.k {
                                    let oy = (i * c.stride + kh) as isize - c.pad as isize;
                                    let ox = (j * c.stride + kw) as isize - c.pad as isize;
                                    if oy < 0 || ox < 0 || oy >= so as isize || ox >= so as isize {
                                        continue;
                                    }
                                    want[((b * c.c_out + co) * so + oy as usize) * so
                                        + ox as usize] +=
                                        v * wv[((ci * c.c_out + co) * c.k + kh) * c.k + kw] as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_close(
            &got,
            &want,
            &format!(
                "conv_transpose2d forward {}x{} k{} s{} b{}",
                c.c_in, c.c_out, c.k, c.stride, c.batch
            ),
        );
    }
}
