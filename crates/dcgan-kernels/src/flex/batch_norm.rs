//! Batch normalisation of contiguous f32 `[batch, channels, plane]` tensors in a few fused
//! passes, in parallel: the channel statistics in parallel over channels, the elementwise
//! passes in parallel over images.
//!
//! Burn's default `batch_norm_train` and `batch_norm_train_backward` are compositions of
//! tensor operations (a transposed copy and a reduction per statistic, then a subtraction, a
//! division, a multiplication and an addition over the whole tensor), about ten full passes
//! forward and a dozen backward, each single-threaded on flex. Here the forward pass reads
//! the input twice (mean, then the centred variance) and writes the output once; the backward
//! pass reads input and gradient once for the two sums and once more to write the input
//! gradient. Sums are accumulated in f64.

/// Below this many values a pass stays on the calling thread (flex's own threshold).
const PARALLEL_THRESHOLD: usize = 256 * 1024;

/// Shape of a batch-norm input: `batch` images of `channels` planes of `plane` values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BnShape {
    pub batch: usize,
    pub channels: usize,
    pub plane: usize,
}

impl BnShape {
    fn count(&self) -> usize {
        self.batch * self.plane
    }
}

/// Sum of `f(v)` over a run, in 8 independent f64 lanes (vectorisable; f64 so that a
/// channel's mean stays exact to f32 precision even far from zero).
#[inline]
fn run_sum(run: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    let mut lanes = [0.0f64; 8];
    let mut chunks = run.chunks_exact(8);
    for chunk in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += f(v) as f64;
        }
    }
    let mut total: f64 = chunks.remainder().iter().map(|&v| f(v) as f64).sum();
    total += lanes.iter().sum::<f64>();
    total
}

/// Sum of `f(a, b)` over two runs of equal length, like [`run_sum`].
#[inline]
fn run_sum2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    let mut lanes = [0.0f64; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for ((l, &u), &v) in lanes.iter_mut().zip(x).zip(y) {
            *l += f(u, v) as f64;
        }
    }
    let mut total: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&u, &v)| f(u, v) as f64)
        .sum();
    total += lanes.iter().sum::<f64>();
    total
}

/// `f(c)` for every channel, in parallel where the tensor is large enough.
fn per_channel<T: Send>(s: BnShape, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if s.batch * s.channels * s.plane >= PARALLEL_THRESHOLD {
        use rayon::prelude::*;
        return (0..s.channels).into_par_iter().map(f).collect();
    }
    (0..s.channels).map(f).collect()
}

/// `f(image_out, image_index)` for every image of `out`, in parallel where large enough.
fn per_image<T: Send>(s: BnShape, out: &mut [T], f: impl Fn(&mut [T], usize) + Sync + Send) {
    let image_len = s.channels * s.plane;
    if image_len == 0 {
        return;
    }
    if out.len() >= PARALLEL_THRESHOLD {
        use rayon::prelude::*;
        out.par_chunks_mut(image_len)
            .enumerate()
            .for_each(|(b, image)| f(image, b));
        return;
    }
    for (b, image) in out.chunks_mut(image_len).enumerate() {
        f(image, b);
    }
}

/// The runs of channel `c`, one per image.
fn runs(x: &[f32], s: BnShape, c: usize) -> impl Iterator<Item = &[f32]> {
    let image_len = s.channels * s.plane;
    (0..s.batch).map(move |b| &x[b * image_len + c * s.plane..][..s.plane])
}

/// `out = (x - centre[c]) * scale[c] + shift[c]`, per channel.
fn affine(x: &[f32], centre: &[f32], scale: &[f32], shift: &[f32], s: BnShape) -> Vec<f32> {
    // Written in full below, so not zeroed first.
    let mut out = Vec::with_capacity(x.len());
    let image_len = s.channels * s.plane;
    per_image(s, &mut out.spare_capacity_mut()[..x.len()], |image, b| {
        let src = &x[b * image_len..][..image_len];
        for (c, (o, i)) in image
            .chunks_exact_mut(s.plane)
            .zip(src.chunks_exact(s.plane))
            .enumerate()
        {
            let (m, a, d) = (centre[c], scale[c], shift[c]);
            for (o, &v) in o.iter_mut().zip(i) {
                o.write((v - m) * a + d);
            }
        }
    });
    // SAFETY: `per_image` handed every image of the `x.len()` values to the closure, which
    // wrote each of its values.
    unsafe { out.set_len(x.len()) };
    out
}

/// Normalises with the batch statistics: `(output, mean, biased variance)`.
pub(crate) fn batch_norm_train_f32(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    epsilon: f64,
    s: BnShape,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = s.count().max(1) as f64;
    let stats = per_channel(s, |c| {
        let mean = runs(x, s, c).map(|r| run_sum(r, |v| v)).sum::<f64>() / n;
        // Centred on the f32 mean `m`, whose rounding error `mean - m` is corrected for in
        // f64: x - m is exact for x near m, so a channel mean far from zero costs nothing.
        let m = mean as f32;
        let centred = runs(x, s, c)
            .map(|r| run_sum(r, |v| (v - m) * (v - m)))
            .sum::<f64>()
            / n;
        let d = mean - m as f64;
        (mean, (centred - d * d).max(0.0))
    });
    // out = (x - m) * a + (beta - (mean - m) * a), a = gamma / sqrt(var + eps).
    let mut centre = Vec::with_capacity(s.channels);
    let mut scale = Vec::with_capacity(s.channels);
    let mut shift = Vec::with_capacity(s.channels);
    for (c, &(mean, var)) in stats.iter().enumerate() {
        let a = gamma[c] as f64 / (var + epsilon).sqrt();
        let m = mean as f32;
        centre.push(m);
        scale.push(a as f32);
        shift.push((beta[c] as f64 - (mean - m as f64) * a) as f32);
    }
    let out = affine(x, &centre, &scale, &shift, s);
    (
        out,
        stats.iter().map(|&(m, _)| m as f32).collect(),
        stats.iter().map(|&(_, v)| v as f32).collect(),
    )
}

/// Normalises with given statistics (inference): `(x - mean) / sqrt(var + eps) * gamma + beta`.
pub(crate) fn batch_norm_f32(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    variance: &[f32],
    epsilon: f64,
    s: BnShape,
) -> Vec<f32> {
    let scale: Vec<f32> = (0..s.channels)
        .map(|c| (gamma[c] as f64 / (variance[c] as f64 + epsilon).sqrt()) as f32)
        .collect();
    affine(x, mean, &scale, &beta[..s.channels], s)
}

/// Gradients of [`batch_norm_train_f32`]: `(x_grad, gamma_grad, beta_grad)`, with
/// `x_hat = (x - mean) / sqrt(var + eps)` and `M` values per channel:
///
/// ```text
/// beta_grad  = sum g
/// gamma_grad = sum g * x_hat
/// x_grad     = gamma / sqrt(var + eps) * (g - beta_grad / M - x_hat * gamma_grad / M)
/// ```
#[allow(clippy::too_many_arguments)]
pub(crate) fn batch_norm_train_backward_f32(
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    variance: &[f32],
    epsilon: f64,
    grad: &[f32],
    s: BnShape,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = s.count().max(1) as f64;
    let sums = per_channel(s, |c| {
        let m = mean[c];
        let sum_g: f64 = runs(grad, s, c).map(|r| run_sum(r, |v| v)).sum();
        let sum_gx: f64 = runs(grad, s, c)
            .zip(runs(x, s, c))
            .map(|(g, x)| run_sum2(g, x, |g, x| g * (x - m)))
            .sum();
        (sum_g, sum_gx)
    });
    let mut beta_grad = Vec::with_capacity(s.channels);
    let mut gamma_grad = Vec::with_capacity(s.channels);
    // x_grad = k * g - k * beta_grad / M - k * inv_std^2 * sum_gx / M * (x - mean)
    //        = k * g + q * (x - mean) + r, with k = gamma * inv_std.
    let mut coef = Vec::with_capacity(s.channels);
    for (c, &(sum_g, sum_gx)) in sums.iter().enumerate() {
        let inv_std = 1.0 / (variance[c] as f64 + epsilon).sqrt();
        let k = gamma[c] as f64 * inv_std;
        beta_grad.push(sum_g as f32);
        gamma_grad.push((sum_gx * inv_std) as f32);
        let q = -k * inv_std * inv_std * sum_gx / n;
        let r = -k * sum_g / n;
        coef.push((k as f32, q as f32, r as f32, mean[c]));
    }
    // Written in full below, so not zeroed first.
    let mut x_grad = Vec::with_capacity(x.len());
    let image_len = s.channels * s.plane;
    per_image(
        s,
        &mut x_grad.spare_capacity_mut()[..x.len()],
        |image, b| {
            let gi = &grad[b * image_len..][..image_len];
            let xi = &x[b * image_len..][..image_len];
            for (c, ((o, g), x)) in image
                .chunks_exact_mut(s.plane)
                .zip(gi.chunks_exact(s.plane))
                .zip(xi.chunks_exact(s.plane))
                .enumerate()
            {
                let (k, q, r, m) = coef[c];
                for ((o, &g), &x) in o.iter_mut().zip(g).zip(x) {
                    o.write(k * g + q * (x - m) + r);
                }
            }
        },
    );
    // SAFETY: every value written above, as in `affine`.
    unsafe { x_grad.set_len(x.len()) };
    (x_grad, gamma_grad, beta_grad)
}
