//! Element-wise kernels on the thread pool.
//!
//! flex's unary, binary and scalar kernels ran on the calling thread. They are bound by memory,
//! not arithmetic, yet on a training step's activations (millions of values) one core leaves
//! bandwidth unused while the pool waits. These helpers split a large slice into fixed chunks
//! and run them on the pool; below the threshold, or without `rayon`, they run the kernel once
//! on the whole slice. Every element is computed by the same function either way, so the
//! results are identical.

/// Below this many elements a kernel stays on the calling thread.
pub(crate) const MIN_PARALLEL: usize = 128 * 1024;

/// Elements per task (128 KiB of f32).
const TASK: usize = 32 * 1024;

/// `f` over `data`, in chunks on the pool when `data` is large.
#[inline]
pub(crate) fn chunks_mut<E: Send, F: Fn(&mut [E]) + Sync + Send>(data: &mut [E], f: F) {
    if data.len() >= MIN_PARALLEL {
        use rayon::prelude::*;
        data.par_chunks_mut(TASK).for_each(f);
        return;
    }
    f(data)
}

/// `f(dst_chunk, src_chunk)` over equally long `dst` and `src`, in matching chunks on the pool
/// when they are large.
#[inline]
pub(crate) fn zip_chunks_mut<E: Send, R: Sync, F: Fn(&mut [E], &[R]) + Sync + Send>(
    dst: &mut [E],
    src: &[R],
    f: F,
) {
    debug_assert_eq!(dst.len(), src.len());
    if dst.len() >= MIN_PARALLEL {
        use rayon::prelude::*;
        dst.par_chunks_mut(TASK)
            .zip(src.par_chunks(TASK))
            .for_each(|(d, s)| f(d, s));
        return;
    }
    f(dst, src)
}

/// `src.map(f)` collected, on the pool when `src` is large.
#[inline]
pub(crate) fn map<E: Copy + Sync, R: Send, F: Fn(E) -> R + Sync + Send>(src: &[E], f: F) -> Vec<R> {
    if src.len() >= MIN_PARALLEL {
        use rayon::prelude::*;
        return src.par_iter().with_min_len(TASK).map(|&x| f(x)).collect();
    }
    src.iter().map(|&x| f(x)).collect()
}

/// `lhs.zip(rhs).map(f)` collected, on the pool when they are large.
#[inline]
pub(crate) fn zip_map<E: Copy + Sync, R: Send, F: Fn(E, E) -> R + Sync + Send>(
    lhs: &[E],
    rhs: &[E],
    f: F,
) -> Vec<R> {
    debug_assert_eq!(lhs.len(), rhs.len());
    if lhs.len() >= MIN_PARALLEL {
        use rayon::prelude::*;
        return lhs
            .par_iter()
            .zip(rhs.par_iter())
            .with_min_len(TASK)
            .map(|(&a, &b)| f(a, b))
            .collect();
    }
    lhs.iter().zip(rhs).map(|(&a, &b)| f(a, b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_slices_give_the_same_values() {
        for n in [0usize, 7, 1 << 10, (1 << 17) + 13, 1 << 19] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let expect: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x * 2.0 - y).collect();

            let mut x = a.clone();
            chunks_mut(&mut x, |c| c.iter_mut().for_each(|v| *v *= 2.0));
            zip_chunks_mut(&mut x, &b, |d, s| {
                d.iter_mut().zip(s).for_each(|(v, w)| *v -= w)
            });
            assert_eq!(x, expect, "in place, n = {n}");
            assert_eq!(
                zip_map(&a, &b, |x, y| x * 2.0 - y),
                expect,
                "zip_map, n = {n}"
            );
            let doubled: Vec<f32> = a.iter().map(|v| v * 2.0).collect();
            assert_eq!(map(&a, |v| v * 2.0), doubled, "map, n = {n}");
        }
    }
}
