//! Element-wise activations and their gradients over f32 tensors in one pass, on the thread
//! pool when large (`parallel`). Burn's compositions are a comparison, a scaled copy and a
//! select (three passes, one thread) for LeakyReLU and its gradient, and a comparison and a
//! masked fill for ReLU's.

use burn::backend::DType;
use burn::backend::flex::{FlexTensor, Layout};
use burn::tensor::Bytes;

use super::parallel;

/// `f` of every value of an f32 tensor, in place where `x` is the tensor's only owner.
pub(crate) fn map_f32(mut x: FlexTensor, f: impl Fn(f32) -> f32 + Sync + Send) -> FlexTensor {
    debug_assert_eq!(x.dtype(), DType::F32);
    let n = x.layout().num_elements();
    if x.is_unique() && x.layout().is_contiguous() && x.layout().start_offset() == 0 {
        let values: &mut [f32] = x.storage_mut();
        parallel::chunks_mut(&mut values[..n], |c| c.iter_mut().for_each(|v| *v = f(*v)));
        return x;
    }
    let x = x.to_contiguous();
    let out = parallel::map(&x.storage::<f32>()[..n], f);
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(x.layout().shape().clone()),
        DType::F32,
    )
}

/// Whether [`zip_f32`] applies to `a` and `b`: both f32, of one shape.
pub(crate) fn zippable(a: &FlexTensor, b: &FlexTensor) -> bool {
    a.dtype() == DType::F32 && b.dtype() == DType::F32 && a.layout().shape() == b.layout().shape()
}

/// `f(a, b)` of the values of two f32 tensors of one shape ([`zippable`]), into `b`'s
/// storage where `b` is its only owner.
pub(crate) fn zip_f32(
    a: FlexTensor,
    mut b: FlexTensor,
    f: impl Fn(f32, f32) -> f32 + Sync + Send,
) -> FlexTensor {
    debug_assert!(zippable(&a, &b));
    let n = a.layout().num_elements();
    let a = a.to_contiguous();
    let a_values = &a.storage::<f32>()[..n];
    if b.is_unique() && b.layout().is_contiguous() && b.layout().start_offset() == 0 {
        let values: &mut [f32] = b.storage_mut();
        parallel::zip_chunks_mut(&mut values[..n], a_values, |bs, as_| {
            bs.iter_mut()
                .zip(as_)
                .for_each(|(bv, &av)| *bv = f(av, *bv))
        });
        return b;
    }
    let b = b.to_contiguous();
    let out = parallel::zip_map(a_values, &b.storage::<f32>()[..n], f);
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(a.layout().shape().clone()),
        DType::F32,
    )
}
