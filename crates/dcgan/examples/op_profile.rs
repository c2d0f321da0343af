//! Per-op profile of the 64x64 training iteration on the CPU backend: every convolution of G
//! and D in its three forms (forward, gradient of the input, gradient of the weight), timed on
//! its own with the shapes of PyTorch's `examples/dcgan` model, with the GFLOP/s it reaches.
//!
//!     cargo run --release --example op_profile -- [batch] [threads]
//!
//! The gradients are computed the way Burn's autodiff computes them (the input gradient of a
//! convolution is a transposed convolution and vice versa; the weight gradient through
//! `conv2d_weight_backward` or, for a transposed convolution, the same formula with the roles
//! of input and output swapped).

use std::time::Instant;

use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor};
use dcgan_kernels::{conv_transpose2d, conv2d, conv2d_weight_grad as conv2d_weight_backward};

fn time(mut f: impl FnMut() -> Tensor<4>) -> f64 {
    let _ = f().into_data();
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t0 = Instant::now();
        let _ = f().into_data();
        best = best.min(t0.elapsed().as_secs_f64());
    }
    best
}

fn time_backward(mut f: impl FnMut() -> f64) -> f64 {
    f();
    (0..5).map(|_| f()).fold(f64::INFINITY, f64::min)
}

struct Layer {
    name: &'static str,
    transposed: bool,
    c_in: usize,
    c_out: usize,
    s_in: usize,
    stride: usize,
    pad: usize,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let b: usize = args.next().map_or(64, |a| a.parse().expect("batch"));
    if let Some(t) = args.next() {
        dcgan::bench::set_threads(t.parse().expect("threads")).expect("threads");
    }
    let device = Device::flex();
    let layers = [
        Layer {
            name: "D1",
            transposed: false,
            c_in: 3,
            c_out: 64,
            s_in: 64,
            stride: 2,
            pad: 1,
        },
        Layer {
            name: "D2",
            transposed: false,
            c_in: 64,
            c_out: 128,
            s_in: 32,
            stride: 2,
            pad: 1,
        },
        Layer {
            name: "D3",
            transposed: false,
            c_in: 128,
            c_out: 256,
            s_in: 16,
            stride: 2,
            pad: 1,
        },
        Layer {
            name: "D4",
            transposed: false,
            c_in: 256,
            c_out: 512,
            s_in: 8,
            stride: 2,
            pad: 1,
        },
        Layer {
            name: "D5",
            transposed: false,
            c_in: 512,
            c_out: 1,
            s_in: 4,
            stride: 1,
            pad: 0,
        },
        Layer {
            name: "G1",
            transposed: true,
            c_in: 100,
            c_out: 512,
            s_in: 1,
            stride: 1,
            pad: 0,
        },
        Layer {
            name: "G2",
            transposed: true,
            c_in: 512,
            c_out: 256,
            s_in: 4,
            stride: 2,
            pad: 1,
        },
        Layer {
            name: "G3",
            transposed: true,
            c_in: 256,
            c_out: 128,
            s_in: 8,
            stride: 2,
            pad: 1,
        },
        Layer {
            name: "G4",
            transposed: true,
            c_in: 128,
            c_out: 64,
            s_in: 16,
            stride: 2,
            pad: 1,
        },
        Layer {
            name: "G5",
            transposed: true,
            c_in: 64,
            c_out: 3,
            s_in: 32,
            stride: 2,
            pad: 1,
        },
    ];
    let k = 4;
    let normal = Distribution::Normal(0.0, 1.0);
    println!("batch {b}, {} threads", rayon::current_num_threads());
    println!("layer  op              ms   GFLOP/s");
    let mut total = [0.0f64; 3];
    for l in &layers {
        let s_out = if l.transposed {
            (l.s_in - 1) * l.stride - 2 * l.pad + k
        } else {
            (l.s_in + 2 * l.pad - k) / l.stride + 1
        };
        // Multiply-adds of the layer: every output position of the convolution side.
        let (small, big) = if l.transposed {
            (l.s_in, s_out)
        } else {
            (s_out, l.s_in)
        };
        let _ = big;
        let flops = 2.0 * (b * l.c_in * l.c_out * k * k * small * small) as f64;
        let x = Tensor::<4>::random([b, l.c_in, l.s_in, l.s_in], normal, &device);
        let gy = Tensor::<4>::random([b, l.c_out, s_out, s_out], normal, &device);
        let (fwd, dx, dw);
        if l.transposed {
            let w = Tensor::<4>::random([l.c_in, l.c_out, k, k], normal, &device);
            let opt = ConvTransposeOptions::new([l.stride; 2], [l.pad; 2], [0; 2], [1; 2], 1);
            fwd = time(|| conv_transpose2d(x.clone(), w.clone(), None, opt.clone()));
            let copt = ConvOptions::new([l.stride; 2], [l.pad; 2], [1; 2], 1);
            dx = time(|| conv2d(gy.clone(), w.clone(), None, copt.clone()));
            // Through autodiff: the backward of sum(convT(x, w) * gy) with respect to w alone
            // is the weight gradient (plus an elementwise product).
            let ad = device.clone().autodiff();
            let on_ad = |t: &Tensor<4>| Tensor::<4>::from_data(t.to_data(), &ad);
            let (xa, gya, wa) = (on_ad(&x), on_ad(&gy), on_ad(&w).require_grad());
            dw = time_backward(|| {
                let loss = (conv_transpose2d(xa.clone(), wa.clone(), None, opt.clone())
                    * gya.clone())
                .sum();
                let t0 = Instant::now();
                let grads = loss.backward();
                let _ = wa.grad(&grads).expect("w has a gradient").into_data();
                t0.elapsed().as_secs_f64()
            });
        } else {
            let w = Tensor::<4>::random([l.c_out, l.c_in, k, k], normal, &device);
            let opt = ConvOptions::new([l.stride; 2], [l.pad; 2], [1; 2], 1);
            fwd = time(|| conv2d(x.clone(), w.clone(), None, opt.clone()));
            let pad_out = (l.s_in + 2 * l.pad - k) % l.stride;
            let topt =
                ConvTransposeOptions::new([l.stride; 2], [l.pad; 2], [pad_out; 2], [1; 2], 1);
            dx = time(|| conv_transpose2d(gy.clone(), w.clone(), None, topt.clone()));
            dw = time(|| conv2d_weight_backward(x.clone(), w.clone(), gy.clone(), opt.clone()));
        }
        for (i, (op, t)) in [("forward", fwd), ("grad input", dx), ("grad weight", dw)]
            .into_iter()
            .enumerate()
        {
            total[i] += t;
            println!(
                "{:<5}  {op:<12} {:>7.2}  {:>8.1}",
                l.name,
                t * 1e3,
                flops / t / 1e9
            );
        }
    }
    println!(
        "sum    forward {:.1} ms, grad input {:.1} ms, grad weight {:.1} ms",
        total[0] * 1e3,
        total[1] * 1e3,
        total[2] * 1e3
    );
}
