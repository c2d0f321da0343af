//! 2D convolutions (f32, one group, no dilation) as one GEMM per chunk of images: the forward
//! pass, and the weight gradients of convolutions and transposed convolutions.
//!
//! Both build the same matrix for a chunk of images: the windows of the image as rows
//! `(ci, kh, kw)` and positions `(image, y, x)` as columns (an im2col with the positions of
//! several images side by side), so that each GEMM is deep or wide enough to run near the
//! machine's peak even where one image has only 16 positions (4x4 maps).
//!
//! **Forward.** `y[b, co, p] = sum_(ci, kh, kw) w[co, (ci, kh, kw)] * cols[(ci, kh, kw), (b, p)]`:
//! one GEMM per chunk, chunks in parallel, each writing its own images.
//!
//! **Weight gradients.**
//! Burn's generic backward computes a weight gradient as a convolution whose *kernel* is the
//! output gradient (batch and channels swapped, dilation = stride). On a CPU that convolution
//! has only `kernel_h * kernel_w` output positions per channel, so its im2col rows are as long
//! as a whole batch of images and the GEMM is tall, thin and badly parallel (11 GFLOP/s on the
//! first layer of a DCGAN discriminator where the forward pass reaches 60+).
//!
//! Here the gradient is written as what it is, a sum over images of a matrix product:
//!
//! ```text
//! dW[cg, (ci, kh, kw)] = sum_b sum_p g[b, cg, p] * img[b, ci, y(p) * s - pad + kh, x(p) * s - pad + kw]
//! ```
//!
//! with `img` the larger image and `g` the gradient at the positions of a stride-`s` window
//! over it. For a convolution `img` is its input and `g` its output gradient (giving
//! `[c_out, c_in, kh, kw]`); for a transposed convolution `img` is its output gradient and `g`
//! its input (giving `[c_in, c_out, kh, kw]`), so one kernel serves both. Images are taken in
//! chunks whose positions make a GEMM depth of a few hundred, the chunks split across threads
//! with one accumulator each, and the accumulators summed at the end.

use core::mem::MaybeUninit;

/// Shapes of one weight gradient: `img` is `[batch, c_img, h, w]`, `g` is
/// `[batch, c_g, ho, wo]`, and `ho = (h + 2 * pad - kh) / stride + 1` (likewise `wo`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WeightGradShape {
    pub batch: usize,
    pub c_img: usize,
    pub h: usize,
    pub w: usize,
    pub c_g: usize,
    pub ho: usize,
    pub wo: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub pad: [usize; 2],
}

impl WeightGradShape {
    fn cols(&self) -> usize {
        self.c_img * self.kernel[0] * self.kernel[1]
    }

    fn positions(&self) -> usize {
        self.ho * self.wo
    }
}

/// GEMM depth (image positions) aimed at per chunk.
const CHUNK_DEPTH: usize = 256;

std::thread_local! {
    /// Two scratch buffers per thread, kept between calls.
    static SCRATCH: core::cell::RefCell<[Vec<f32>; 2]> =
        const { core::cell::RefCell::new([Vec::new(), Vec::new()]) };
}

/// Runs `f` on two scratch slices of `a` and `b` values whose contents are unspecified (left
/// from an earlier call): for the im2col matrices, staging areas and GEMM outputs below, which
/// are written in full before they are read. Reusing one pair per thread saves zeroing them
/// and faulting in fresh pages at every call.
fn with_scratch<R>(a: usize, b: usize, f: impl FnOnce(&mut [f32], &mut [f32]) -> R) -> R {
    let mut f = Some(f);
    let done = SCRATCH.with(|cell| {
        let mut bufs = cell.try_borrow_mut().ok()?;
        let [x, y] = &mut *bufs;
        for (v, n) in [(&mut *x, a), (&mut *y, b)] {
            if v.len() < n {
                v.resize(n, 0.0);
            }
        }
        Some((f.take().expect("called once"))(&mut x[..a], &mut y[..b]))
    });
    if let Some(r) = done {
        return r;
    }
    // Re-entered on this thread (not done here): fresh buffers.
    let f = f.expect("not called");
    let (mut x, mut y) = (vec![0.0f32; a], vec![0.0f32; b]);
    f(&mut x, &mut y)
}

impl WeightGradShape {
    /// One window covering the whole unpadded image (a DCGAN's first transposed convolution
    /// and its discriminator's last convolution): the im2col matrix is then the images
    /// themselves, `[batch, c_img * kh * kw]`, and every product is one plain matrix product.
    fn is_dense(&self) -> bool {
        self.positions() == 1 && self.pad == [0, 0] && [self.h, self.w] == self.kernel
    }
}

/// `dst[m, n] = sum_k lhs[m, k] * rhs[k, n]` with the given (column, row) strides of each
/// operand, `dst` row-major, on the pool. `dst` is only written.
#[allow(clippy::too_many_arguments)]
fn matmul(
    dst: &mut [MaybeUninit<f32>],
    m: usize,
    n: usize,
    k: usize,
    lhs: &[f32],
    lhs_strides: [isize; 2],
    rhs: &[f32],
    rhs_strides: [isize; 2],
) {
    debug_assert_eq!(dst.len(), m * n);
    let parallelism = gemm::Parallelism::Rayon(0);
    // SAFETY: the strides address `m x k`, `k x n` and `m x n` elements inside the slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr().cast::<f32>(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            lhs_strides[0],
            lhs_strides[1],
            rhs.as_ptr(),
            rhs_strides[0],
            rhs_strides[1],
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// `f(i, chunk)` for the `i`-th chunk of `len` values of `out`, chunks in parallel.
fn for_each_chunk<T: Send>(out: &mut [T], len: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    use rayon::prelude::*;
    out.par_chunks_mut(len)
        .enumerate()
        .for_each(|(i, chunk)| f(i, chunk));
}

/// A vector of `len` values written by `fill`, which must write every one of them (it gets
/// them uninitialised: outputs written in full need not be zeroed first).
///
/// # Safety
/// `fill` writes all `len` values.
unsafe fn written_by(len: usize, fill: impl FnOnce(&mut [MaybeUninit<f32>])) -> Vec<f32> {
    let mut out = Vec::with_capacity(len);
    fill(&mut out.spare_capacity_mut()[..len]);
    // SAFETY: the caller's promise.
    unsafe { out.set_len(len) };
    out
}

/// `chunk`, once every value of it has been written.
///
/// # Safety
/// Every value of `chunk` is initialised.
unsafe fn assume_written(chunk: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    // SAFETY: `MaybeUninit<f32>` has the layout of `f32`, and the values are initialised.
    unsafe { &mut *(chunk as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// Adds `bias[c]` to each of the `plane` values of channel `c` of every image in `out`.
fn add_bias(out: &mut [f32], bias: &[f32], plane: usize) {
    let image_len = bias.len() * plane;
    for image in out.chunks_exact_mut(image_len) {
        for (p, &bv) in image.chunks_exact_mut(plane).zip(bias) {
            p.iter_mut().for_each(|v| *v += bv);
        }
    }
}

/// Shapes of a forward convolution: `x` `[batch, c_in, h, w]`, `weight` `[c_out, c_in, kh, kw]`,
/// output `[batch, c_out, ho, wo]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConvShape {
    pub batch: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub ho: usize,
    pub wo: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub pad: [usize; 2],
}

/// The convolution of contiguous NCHW `x` by `weight` (`[c_out, c_in * kh * kw]` row-major),
/// plus `bias` per output channel: `[batch, c_out, ho, wo]`.
pub(crate) fn conv2d_forward_f32(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    s: ConvShape,
) -> Vec<f32> {
    // The windows are those of the weight gradient with the image `x` and `c_out` channels at
    // the window positions.
    let wg = WeightGradShape {
        batch: s.batch,
        c_img: s.c_in,
        h: s.h,
        w: s.w,
        c_g: s.c_out,
        ho: s.ho,
        wo: s.wo,
        kernel: s.kernel,
        stride: s.stride,
        pad: s.pad,
    };
    let positions = s.ho * s.wo;
    let image_len = s.c_out * positions;
    let total = s.batch * image_len;
    if total == 0 {
        return Vec::new();
    }
    let cols = wg.cols();
    if wg.is_dense() {
        // out[b, co] = sum_c x[b, c] * w[co, c]
        // SAFETY: the product writes all of `out`.
        let mut out = unsafe {
            written_by(total, |out| {
                matmul(
                    out,
                    s.batch,
                    s.c_out,
                    cols,
                    x,
                    [1, cols as isize],
                    weight,
                    [cols as isize, 1],
                )
            })
        };
        if let Some(bias) = bias {
            add_bias(&mut out, bias, 1);
        }
        return out;
    }
    let per_chunk = CHUNK_DEPTH.div_ceil(positions.max(1)).clamp(1, s.batch);
    let run_chunk = |b: usize, chunk_out: &mut [MaybeUninit<f32>]| {
        let nb = chunk_out.len() / image_len;
        let depth = nb * positions;
        // With one image the GEMM writes its [c_out, positions] block in place; with several
        // it writes [c_out, (image, position)] to `staged` and the images are separated after.
        let staged_len = if nb == 1 { 0 } else { image_len * nb };
        with_scratch(cols * depth, staged_len, |rhs, staged| {
            im2col_transposed(x, wg, b, nb, rhs);
            let dst: *mut f32 = if nb == 1 {
                chunk_out.as_mut_ptr().cast()
            } else {
                staged.as_mut_ptr()
            };
            // SAFETY: `dst` holds `c_out x depth` values, `weight` `c_out x cols`, `rhs` `cols x
            // depth`; gemm only writes `dst` (it does not read it).
            unsafe {
                gemm::gemm(
                    s.c_out,
                    depth,
                    cols,
                    dst,
                    1,
                    depth as isize,
                    false,
                    weight.as_ptr(),
                    1,
                    cols as isize,
                    rhs.as_ptr(),
                    1,
                    depth as isize,
                    0.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
            if nb > 1 {
                for co in 0..s.c_out {
                    for i in 0..nb {
                        let src = &staged[co * depth + i * positions..][..positions];
                        let dst = &mut chunk_out[i * image_len + co * positions..][..positions];
                        for (d, &v) in dst.iter_mut().zip(src) {
                            d.write(v);
                        }
                    }
                }
            }
        });
        // SAFETY: the GEMM (one image) or the copies (several) wrote the whole chunk.
        let chunk_out = unsafe { assume_written(chunk_out) };
        if let Some(bias) = bias {
            add_bias(chunk_out, bias, positions);
        }
    };
    // SAFETY: the chunks cover `out`, and `run_chunk` writes each in full.
    unsafe {
        written_by(total, |out| {
            for_each_chunk(out, per_chunk * image_len, |c, chunk| {
                run_chunk(c * per_chunk, chunk)
            })
        })
    }
}

/// `dW` as `[c_g, c_img * kh * kw]`, row-major. `img` and `g` are contiguous NCHW.
pub(crate) fn weight_grad_f32(img: &[f32], g: &[f32], s: WeightGradShape) -> Vec<f32> {
    debug_assert_eq!(img.len(), s.batch * s.c_img * s.h * s.w);
    debug_assert_eq!(g.len(), s.batch * s.c_g * s.positions());
    let out_len = s.c_g * s.cols();
    if s.batch == 0 || out_len == 0 {
        return vec![0.0; out_len];
    }
    if s.is_dense() {
        // dW[cg, c] = sum_b g[b, cg] * img[b, c]
        let cols = s.cols();
        // SAFETY: the product writes all of `out`.
        return unsafe {
            written_by(out_len, |out| {
                matmul(
                    out,
                    s.c_g,
                    cols,
                    s.batch,
                    g,
                    [s.c_g as isize, 1],
                    img,
                    [1, cols as isize],
                )
            })
        };
    }
    let per_chunk = CHUNK_DEPTH.div_ceil(s.positions()).clamp(1, s.batch);
    // gemm packs a copy of one operand per chunk: the im2col matrix (`cols` rows) in the
    // `[c_g, cols]` orientation, `g` (`c_g` rows) in the transposed one, which then costs a
    // transposition of the result (about four packed values per element, measured). Take the
    // cheaper: the transposed orientation wins on large maps (many positions), loses on 4x4
    // maps with wide weights and where `c_g` exceeds `cols`.
    let (cols, c_g, total_depth) = (s.cols(), s.c_g, s.batch * s.positions());
    let transposed = cols > c_g && (cols - c_g) * total_depth > 4 * c_g * cols;
    let finish = |total: Vec<f32>| {
        if transposed {
            transpose(&total, cols, c_g)
        } else {
            total
        }
    };
    let run = |b0: usize, b1: usize| accumulate(img, g, s, b0, b1, per_chunk, transposed);

    {
        let threads = rayon::current_num_threads().max(1);
        // One part per thread, each a run of whole images.
        let parts = threads.min(s.batch);
        if parts > 1 {
            use rayon::prelude::*;
            let bounds: Vec<(usize, usize)> = (0..parts)
                .map(|i| (i * s.batch / parts, (i + 1) * s.batch / parts))
                .collect();
            let partials: Vec<Vec<f32>> = bounds.par_iter().map(|&(b0, b1)| run(b0, b1)).collect();
            let mut iter = partials.into_iter();
            let mut total = iter.next().expect("at least one part");
            for part in iter {
                super::parallel::zip_chunks_mut(&mut total, &part, |t, p| {
                    t.iter_mut().zip(p).for_each(|(t, p)| *t += p)
                });
            }
            return finish(total);
        }
    }
    finish(run(0, s.batch))
}

/// `[rows, cols]` row-major to `[cols, rows]` row-major: bands of output rows in parallel,
/// each filled tile by tile so that reads and writes both stay in cache.
fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    const TILE: usize = 16;
    debug_assert_eq!(a.len(), rows * cols);
    let mut out = vec![0.0f32; a.len()];
    if out.is_empty() {
        return out;
    }
    let band = |c0: usize, dst: &mut [f32]| {
        let tc = dst.len() / rows;
        for r0 in (0..rows).step_by(TILE) {
            let tr = TILE.min(rows - r0);
            let src = &a[r0 * cols..(r0 + tr) * cols];
            for dc in 0..tc {
                let d = &mut dst[dc * rows + r0..][..tr];
                for (dr, v) in d.iter_mut().enumerate() {
                    *v = src[dr * cols + c0 + dc];
                }
            }
        }
    };
    for_each_chunk(&mut out, TILE * rows, |i, dst| band(i * TILE, dst));
    out
}

/// The gradient summed over images `b0..b1`, `per_chunk` images per GEMM: `[c_g, c_img * kh *
/// kw]`, or with `transposed` `[c_img * kh * kw, c_g]`. In the transposed orientation the
/// im2col matrix is the GEMM's right-hand side with unit row stride, which gemm reads where it
/// lies instead of packing a copy of it (it packs `g` instead).
fn accumulate(
    img: &[f32],
    g: &[f32],
    s: WeightGradShape,
    b0: usize,
    b1: usize,
    per_chunk: usize,
    transposed: bool,
) -> Vec<f32> {
    let cols = s.cols();
    let positions = s.positions();
    let mut out = vec![0.0f32; s.c_g * cols];
    let (lhs_len, rhs_len) = (s.c_g * per_chunk * positions, cols * per_chunk * positions);
    with_scratch(lhs_len, rhs_len, |lhs, rhs| {
        let mut first = true;
        let mut b = b0;
        while b < b1 {
            let nb = per_chunk.min(b1 - b);
            let depth = nb * positions;
            // lhs[cg, (i, p)] = g[b + i, cg, p]
            for i in 0..nb {
                let src = &g[(b + i) * s.c_g * positions..(b + i + 1) * s.c_g * positions];
                for cg in 0..s.c_g {
                    lhs[cg * depth + i * positions..cg * depth + (i + 1) * positions]
                        .copy_from_slice(&src[cg * positions..(cg + 1) * positions]);
                }
            }
            // rhs[(ci, kh, kw), (i, p)] = img[b + i, ci, y * s - pad + kh, x * s - pad + kw]
            im2col_transposed(img, s, b, nb, &mut rhs[..cols * depth]);
            // out[cg, col] (+)= sum_d lhs[cg, d] * rhs[col, d], written row-major or (transposed)
            // column-major
            let (dst_cs, dst_rs) = if transposed {
                (s.c_g as isize, 1)
            } else {
                (1, cols as isize)
            };
            unsafe {
                gemm::gemm(
                    s.c_g,
                    cols,
                    depth,
                    out.as_mut_ptr(),
                    dst_cs,
                    dst_rs,
                    !first,
                    lhs.as_ptr(),
                    1,
                    depth as isize,
                    rhs.as_ptr(),
                    depth as isize,
                    1,
                    1.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
            first = false;
            b += nb;
        }
    });
    out
}

/// The transposed convolution of contiguous NCHW `x` (`[batch, c_in, h_in, w_in]`) by `weight`
/// (`[c_in, c_out * kh * kw]` row-major), plus `bias`: `[batch, c_out, h_out, w_out]`, where
/// `s` describes the adjoint convolution (image `[batch, c_out, h_out, w_out]`, windows at the
/// `h_in x w_in` positions). One GEMM per chunk of images, `cols = weight^T @ x_chunk`, then the
/// columns are added into the output images (col2im); chunks in parallel, each writing its own
/// images.
pub(crate) fn conv_transpose2d_f32(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    s: WeightGradShape,
) -> Vec<f32> {
    // Here `c_g` is c_in (the channels at the window positions), `c_img` c_out.
    let positions = s.positions();
    let image_len = s.c_img * s.h * s.w;
    let total = s.batch * image_len;
    if total == 0 {
        return Vec::new();
    }
    let cols = s.cols();
    if s.is_dense() {
        // out[b, (co, kh, kw)] = sum_ci x[b, ci] * w[ci, (co, kh, kw)]: the images are the columns.
        // SAFETY: the product writes all of `out`.
        let mut out = unsafe {
            written_by(total, |out| {
                matmul(
                    out,
                    s.batch,
                    cols,
                    s.c_g,
                    x,
                    [1, s.c_g as isize],
                    weight,
                    [1, cols as isize],
                )
            })
        };
        if let Some(bias) = bias {
            add_bias(&mut out, bias, s.h * s.w);
        }
        return out;
    }
    let per_chunk = CHUNK_DEPTH.div_ceil(positions.max(1)).clamp(1, s.batch);
    // As given, gemm packs a copy of the whole weight for every chunk of images; transposed to
    // `[cols, c_in]` (unit row stride) it reads it in place. One transposition costs about as
    // much as a few packings, so it is done where there are several chunks.
    let chunks = s.batch.div_ceil(per_chunk);
    let weight_t = (chunks > 1).then(|| transpose(weight, s.c_g, cols));
    let (rhs_w, w_cs, w_rs) = match &weight_t {
        Some(t) => (t.as_slice(), 1, s.c_g as isize),
        None => (weight, cols as isize, 1),
    };
    let run_chunk = |b: usize, chunk_out: &mut [MaybeUninit<f32>]| {
        let nb = chunk_out.len() / image_len;
        let depth = nb * positions;
        let chunk_out = with_scratch(s.c_g * depth, cols * depth, |lhs, columns| {
            // lhs[ci, (i, p)] = x[b + i, ci, p]
            for i in 0..nb {
                let src = &x[(b + i) * s.c_g * positions..][..s.c_g * positions];
                for ci in 0..s.c_g {
                    lhs[ci * depth + i * positions..][..positions]
                        .copy_from_slice(&src[ci * positions..][..positions]);
                }
            }
            // columns[(co, kh, kw), (i, p)] = sum_ci weight[ci, (co, kh, kw)] * lhs[ci, (i, p)]
            unsafe {
                gemm::gemm(
                    cols,
                    depth,
                    s.c_g,
                    columns.as_mut_ptr(),
                    1,
                    depth as isize,
                    false,
                    rhs_w.as_ptr(),
                    w_cs,
                    w_rs,
                    lhs.as_ptr(),
                    1,
                    depth as isize,
                    0.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
            col2im(columns, s, nb, chunk_out)
        });
        if let Some(bias) = bias {
            add_bias(chunk_out, bias, s.h * s.w);
        }
    };
    // SAFETY: the chunks cover `out`, and `col2im` writes each in full.
    unsafe {
        written_by(total, |out| {
            for_each_chunk(out, per_chunk * image_len, |c, chunk| {
                run_chunk(c * per_chunk, chunk)
            })
        })
    }
}

/// The adjoint of [`im2col_transposed`]: writes into the `nb` images of `out` (`[nb, c_img, h,
/// w]`) the sum of the values of `cols` (`[c_img * kh * kw, nb * ho * wo]`) at each place.
fn col2im<'a>(
    cols: &[f32],
    s: WeightGradShape,
    nb: usize,
    out: &'a mut [MaybeUninit<f32>],
) -> &'a mut [f32] {
    if let Some(t) = WindowTable::new(s) {
        return col2im_table(cols, s, nb, out, &t);
    }
    out.fill(MaybeUninit::new(0.0));
    // SAFETY: all of `out` was just written.
    let out = unsafe { assume_written(out) };
    col2im_add(cols, s, nb, out);
    out
}

/// Adds `cols` into the images of `out` at the windows' places, window row by window row.
fn col2im_add(cols: &[f32], s: WeightGradShape, nb: usize, out: &mut [f32]) {
    let [kh_n, kw_n] = s.kernel;
    let [sy, sx] = s.stride;
    let [py, px] = s.pad;
    let positions = s.positions();
    let depth = nb * positions;
    let plane = s.h * s.w;
    for ci in 0..s.c_img {
        for kh in 0..kh_n {
            let (y_lo, y_hi) = valid_range(s.ho, sy, kh, py, s.h);
            for kw in 0..kw_n {
                let row = &cols[((ci * kh_n + kh) * kw_n + kw) * depth..][..depth];
                let (x_lo, x_hi) = valid_range(s.wo, sx, kw, px, s.w);
                if x_lo >= x_hi {
                    continue;
                }
                let x0 = x_lo * sx + kw - px;
                for i in 0..nb {
                    let dst = &mut out[(i * s.c_img + ci) * plane..][..plane];
                    let src_img = &row[i * positions..][..positions];
                    for y in y_lo..y_hi {
                        let iy = y * sy + kh - py;
                        let src = &src_img[y * s.wo + x_lo..y * s.wo + x_hi];
                        scatter_add_strided(&mut dst[iy * s.w + x0..(iy + 1) * s.w], src, sx);
                    }
                }
            }
        }
    }
}

/// Fills `rhs` (`[c_img * kh * kw, nb * ho * wo]`, row-major) with the windows of images
/// `b..b + nb`, zero where a window hangs over the padding.
fn im2col_transposed(img: &[f32], s: WeightGradShape, b: usize, nb: usize, rhs: &mut [f32]) {
    if let Some(t) = WindowTable::new(s) {
        return im2col_table(img, s, b, nb, rhs, &t);
    }
    let [kh_n, kw_n] = s.kernel;
    let [sy, sx] = s.stride;
    let [py, px] = s.pad;
    let positions = s.positions();
    let depth = nb * positions;
    let plane = s.h * s.w;
    for ci in 0..s.c_img {
        for kh in 0..kh_n {
            // Output rows whose input row lies inside the image.
            let (y_lo, y_hi) = valid_range(s.ho, sy, kh, py, s.h);
            for kw in 0..kw_n {
                let row = &mut rhs[((ci * kh_n + kh) * kw_n + kw) * depth..][..depth];
                // Output columns whose input column lies inside the image.
                let (x_lo, x_hi) = valid_range(s.wo, sx, kw, px, s.w);
                let x0 = (x_lo * sx + kw).saturating_sub(px);
                for i in 0..nb {
                    let src = &img[((b + i) * s.c_img + ci) * plane..][..plane];
                    let dst_img = &mut row[i * positions..][..positions];
                    if y_lo >= y_hi || x_lo >= x_hi {
                        dst_img.fill(0.0);
                        continue;
                    }
                    dst_img[..y_lo * s.wo].fill(0.0);
                    dst_img[y_hi * s.wo..].fill(0.0);
                    for y in y_lo..y_hi {
                        let dst = &mut dst_img[y * s.wo..][..s.wo];
                        let iy = y * sy + kh - py;
                        // Short zero runs (a pixel or two of padding) as plain stores, not
                        // memset calls.
                        for d in &mut dst[..x_lo] {
                            *d = 0.0;
                        }
                        for d in &mut dst[x_hi..] {
                            *d = 0.0;
                        }
                        gather_strided(
                            &mut dst[x_lo..x_hi],
                            &src[iy * s.w + x0..(iy + 1) * s.w],
                            sx,
                        );
                    }
                }
            }
        }
    }
}

/// Window rows at most this long go through a [`WindowTable`]: row by row, their loop overhead
/// outweighs the copying (4x4 and 8x8 maps in a DCGAN).
const TABLE_MAX_WIDTH: usize = 8;

/// For small output maps: the offset of every window position's top-left value in a copy of
/// one image plane with the padding written out as zeros (`hp x wp`), so that the values under
/// kernel tap `(kh, kw)` are `padded[kh * wp + kw + offsets[p]]` for all positions `p` at once,
/// one flat loop per tap instead of a short loop per window row.
struct WindowTable {
    offsets: Vec<usize>,
    hp: usize,
    wp: usize,
}

impl WindowTable {
    fn new(s: WeightGradShape) -> Option<Self> {
        if s.wo > TABLE_MAX_WIDTH || s.positions() == 0 {
            return None;
        }
        let [sy, sx] = s.stride;
        let [kh_n, kw_n] = s.kernel;
        // Every tap of every window inside the padded plane (wider where the windows reach
        // past the padding on the far side).
        let hp = (s.h + 2 * s.pad[0]).max((s.ho - 1) * sy + kh_n);
        let wp = (s.w + 2 * s.pad[1]).max((s.wo - 1) * sx + kw_n);
        let offsets = (0..s.ho)
            .flat_map(|y| (0..s.wo).map(move |x| y * sy * wp + x * sx))
            .collect();
        Some(Self { offsets, hp, wp })
    }

    /// The values under tap `(kh, kw)` of every window, from the padded plane.
    #[inline(always)]
    fn gather(&self, dst: &mut [f32], padded: &[f32], kh: usize, kw: usize) {
        let base = &padded[kh * self.wp + kw..];
        let last = *self.offsets.last().expect("positions");
        assert!(last < base.len() && dst.len() == self.offsets.len());
        for (d, &o) in dst.iter_mut().zip(&self.offsets) {
            // SAFETY: `o <= last < base.len()` (offsets increase).
            *d = unsafe { *base.get_unchecked(o) };
        }
    }

    /// Adds `src` into the padded plane under tap `(kh, kw)` of every window.
    #[inline(always)]
    fn scatter_add(&self, padded: &mut [f32], src: &[f32], kh: usize, kw: usize) {
        let base = &mut padded[kh * self.wp + kw..];
        let last = *self.offsets.last().expect("positions");
        assert!(last < base.len() && src.len() == self.offsets.len());
        for (v, &o) in src.iter().zip(&self.offsets) {
            // SAFETY: as in `gather`.
            unsafe { *base.get_unchecked_mut(o) += v };
        }
    }
}

/// [`im2col_transposed`] through a [`WindowTable`]: each image plane is copied once into a
/// zero-bordered buffer, then every tap's row is one gather.
fn im2col_table(
    img: &[f32],
    s: WeightGradShape,
    b: usize,
    nb: usize,
    rhs: &mut [f32],
    t: &WindowTable,
) {
    let [kh_n, kw_n] = s.kernel;
    let [py, px] = s.pad;
    let positions = s.positions();
    let depth = nb * positions;
    let plane = s.h * s.w;
    // Only the interior is ever written: the border stays zero.
    let mut padded = vec![0.0f32; t.hp * t.wp];
    for ci in 0..s.c_img {
        for i in 0..nb {
            let src = &img[((b + i) * s.c_img + ci) * plane..][..plane];
            for (dst, row) in padded[py * t.wp..]
                .chunks_exact_mut(t.wp)
                .zip(src.chunks_exact(s.w))
            {
                dst[px..px + s.w].copy_from_slice(row);
            }
            for kh in 0..kh_n {
                for kw in 0..kw_n {
                    let row = (ci * kh_n + kh) * kw_n + kw;
                    let dst = &mut rhs[row * depth + i * positions..][..positions];
                    t.gather(dst, &padded, kh, kw);
                }
            }
        }
    }
}

/// [`col2im`] through a [`WindowTable`]: the taps of one image plane are added into a zeroed
/// padded buffer, whose interior is then the image plane.
fn col2im_table<'a>(
    cols: &[f32],
    s: WeightGradShape,
    nb: usize,
    out: &'a mut [MaybeUninit<f32>],
    t: &WindowTable,
) -> &'a mut [f32] {
    let [kh_n, kw_n] = s.kernel;
    let [py, px] = s.pad;
    let positions = s.positions();
    let depth = nb * positions;
    let plane = s.h * s.w;
    let mut padded = vec![0.0f32; t.hp * t.wp];
    for ci in 0..s.c_img {
        for i in 0..nb {
            padded.fill(0.0);
            for kh in 0..kh_n {
                for kw in 0..kw_n {
                    let row = (ci * kh_n + kh) * kw_n + kw;
                    let src = &cols[row * depth + i * positions..][..positions];
                    t.scatter_add(&mut padded, src, kh, kw);
                }
            }
            let dst = &mut out[(i * s.c_img + ci) * plane..][..plane];
            for (d, row) in dst
                .chunks_exact_mut(s.w)
                .zip(padded[py * t.wp..].chunks_exact(t.wp))
            {
                for (d, &v) in d.iter_mut().zip(&row[px..px + s.w]) {
                    d.write(v);
                }
            }
        }
    }
    // SAFETY: every plane of the `nb` images was written (`out` holds exactly those).
    unsafe { assume_written(out) }
}

/// `dst[j] = src[j * stride]` for every `j < dst.len()`. Unit stride and stride 2 (the DCGAN
/// case) get loops the compiler vectorises (stride 2 as a de-interleave); `src` must reach
/// `(dst.len() - 1) * stride`.
#[inline(always)]
fn gather_strided(dst: &mut [f32], src: &[f32], stride: usize) {
    let n = dst.len();
    if n == 0 {
        return;
    }
    match stride {
        1 => dst.copy_from_slice(&src[..n]),
        2 => {
            let src = &src[..2 * (n - 1) + 1];
            let (body, last) = dst.split_at_mut(n - 1);
            for (d, pair) in body.iter_mut().zip(src.chunks_exact(2)) {
                *d = pair[0];
            }
            last[0] = src[2 * (n - 1)];
        }
        _ => {
            for (d, v) in dst.iter_mut().zip(src.iter().step_by(stride)) {
                *d = *v;
            }
        }
    }
}

/// `dst[j * stride] += src[j]` for every `j < src.len()`; `dst` must reach
/// `(src.len() - 1) * stride`.
#[inline(always)]
fn scatter_add_strided(dst: &mut [f32], src: &[f32], stride: usize) {
    let n = src.len();
    if n == 0 {
        return;
    }
    match stride {
        1 => {
            for (d, v) in dst[..n].iter_mut().zip(src) {
                *d += v;
            }
        }
        2 => {
            let dst = &mut dst[..2 * (n - 1) + 1];
            let (body, last) = src.split_at(n - 1);
            for (pair, v) in dst.chunks_exact_mut(2).zip(body) {
                pair[0] += v;
            }
            dst[2 * (n - 1)] += last[0];
        }
        _ => {
            for (d, v) in dst.iter_mut().step_by(stride).zip(src) {
                *d += v;
            }
        }
    }
}

/// `[lo, hi)`: the output positions `x` with `0 <= x * stride + k - pad < size`.
fn valid_range(out: usize, stride: usize, k: usize, pad: usize, size: usize) -> (usize, usize) {
    // x * stride + k >= pad
    let lo = if k >= pad {
        0
    } else {
        (pad - k).div_ceil(stride)
    };
    // x * stride + k - pad <= size - 1  =>  x <= (size - 1 + pad - k) / stride
    let hi = if size + pad > k {
        ((size - 1 + pad - k) / stride + 1).min(out)
    } else {
        0
    };
    (lo.min(hi), hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, summed directly.
    fn naive(img: &[f32], g: &[f32], s: WeightGradShape) -> Vec<f32> {
        let [kh_n, kw_n] = s.kernel;
        let mut out = vec![0.0f32; s.c_g * s.cols()];
        for b in 0..s.batch {
            for cg in 0..s.c_g {
                for y in 0..s.ho {
                    for x in 0..s.wo {
                        let gv = g[((b * s.c_g + cg) * s.ho + y) * s.wo + x];
                        for ci in 0..s.c_img {
                            for kh in 0..kh_n {
                                for kw in 0..kw_n {
                                    let iy = (y * s.stride[0] + kh) as isize - s.pad[0] as isize;
                                    let ix = (x * s.stride[1] + kw) as isize - s.pad[1] as isize;
                                    if iy < 0 || ix < 0 || iy >= s.h as isize || ix >= s.w as isize
                                    {
                                        continue;
                                    }
                                    let v = img[((b * s.c_img + ci) * s.h + iy as usize) * s.w
                                        + ix as usize];
                                    out[cg * s.cols() + (ci * kh_n + kh) * kw_n + kw] += gv * v;
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn matches_the_definition() {
        for (batch, c_img, h, c_g, k, stride, pad) in [
            (5, 3, 16, 4, 4, 2, 1),
            // windows rows wider than `TABLE_MAX_WIDTH`: the row-by-row path
            (2, 3, 20, 3, 4, 2, 1),
            (2, 2, 13, 2, 3, 1, 1),
            (3, 2, 9, 3, 5, 2, 2),
            (2, 4, 7, 2, 3, 1, 1),
            (4, 3, 4, 5, 4, 1, 0),
            (1, 1, 6, 1, 1, 3, 0),
        ] {
            let ho = (h + 2 * pad - k) / stride + 1;
            let s = WeightGradShape {
                batch,
                c_img,
                h,
                w: h,
                c_g,
                ho,
                wo: ho,
                kernel: [k, k],
                stride: [stride, stride],
                pad: [pad, pad],
            };
            let img = values(batch * c_img * h * h, 1);
            let g = values(batch * c_g * ho * ho, 2);
            let want = naive(&img, &g, s);
            let got = weight_grad_f32(&img, &g, s);
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{s:?}: {a} vs {b}");
            }
        }
    }
}
