//! DCGAN's hot operations for Burn: 2D convolutions and transposed convolutions (forward, input
//! and weight gradients), batch norm (training, its backward pass, inference), ReLU and
//! LeakyReLU, as tensor functions and as the thin [`nn`] modules the models are built from.
//!
//! They plug into Burn through its backend-extension mechanism ([`KernelOps`], routed by
//! `#[backend_extension]`), not through a fork of Burn's crates:
//!
//! - on the CPU backend (`Flex`) they run the kernels of `flex/`: convolutions and their weight
//!   gradients as GEMMs over a batched im2col, batch norm and the activations in fused parallel
//!   passes;
//! - on the autodiff backend their backward passes are made of the same operations
//!   (`autodiff.rs`), so a training step runs these kernels in both directions;
//! - on the CubeCL backends (wgpu, Vulkan, CUDA) they are Burn's own operations.
//!
//! The functions mirror `burn::tensor::module` and `burn::tensor::activation`: same arguments,
//! same results (to float rounding: sums run in another order).

mod autodiff;
mod flex;
pub mod nn;
mod ops;

pub use ops::KernelOps;

use burn::backend::Dispatch;
use burn::tensor::Tensor;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

/// A 2D convolution.
///
/// # Shapes
/// - x: `[batch, c_in, h, w]`
/// - weight: `[c_out, c_in / groups, kh, kw]`
/// - bias: `[c_out]`
/// - output: `[batch, c_out, ho, wo]`
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
) -> Tensor<4> {
    let (x, weight) = (x.into_dispatch(), weight.into_dispatch());
    Tensor::from_dispatch(match bias {
        Some(b) => <Dispatch as KernelOps>::conv2d_bias_op(x, weight, b.into_dispatch(), options),
        None => <Dispatch as KernelOps>::conv2d_op(x, weight, options),
    })
}

/// The gradient of [`conv2d`] with respect to its weight, for an output gradient `grad`.
///
/// # Shapes
/// - x: `[batch, c_in, h, w]`
/// - weight: `[c_out, c_in / groups, kh, kw]` (only its shape is used)
/// - grad: `[batch, c_out, ho, wo]`
/// - output: the weight's shape
pub fn conv2d_weight_grad(
    x: Tensor<4>,
    weight: Tensor<4>,
    grad: Tensor<4>,
    options: ConvOptions<2>,
) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as KernelOps>::conv2d_weight_grad_op(
        x.into_dispatch(),
        weight.into_dispatch(),
        grad.into_dispatch(),
        options,
    ))
}

/// A transposed 2D convolution.
///
/// # Shapes
/// - x: `[batch, c_in, h, w]`
/// - weight: `[c_in, c_out / groups, kh, kw]`
/// - bias: `[c_out]`
/// - output: `[batch, c_out, ho, wo]`
pub fn conv_transpose2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvTransposeOptions<2>,
) -> Tensor<4> {
    let out: Tensor<4> = Tensor::from_dispatch(<Dispatch as KernelOps>::conv_transpose2d_op(
        x.into_dispatch(),
        weight.into_dispatch(),
        options,
    ));
    match bias {
        // Not in a DCGAN: added as a broadcast (differentiable by Burn's own rules).
        Some(b) => {
            let c = b.dims()[0];
            out + b.reshape([1, c, 1, 1])
        }
        None => out,
    }
}

/// The gradient of [`conv_transpose2d`] with respect to its weight.
///
/// # Shapes
/// - x: `[batch, c_in, h, w]`
/// - weight: `[c_in, c_out / groups, kh, kw]` (only its shape is used)
/// - grad: `[batch, c_out, ho, wo]`
/// - output: the weight's shape
pub fn conv_transpose2d_weight_grad(
    x: Tensor<4>,
    weight: Tensor<4>,
    grad: Tensor<4>,
    options: ConvTransposeOptions<2>,
) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as KernelOps>::conv_transpose2d_weight_grad_op(
        x.into_dispatch(),
        weight.into_dispatch(),
        grad.into_dispatch(),
        options,
    ))
}

/// Batch norm with given statistics (inference mode):
/// `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, per channel.
///
/// # Shapes
/// - x: `[batch, channels, ...]`; output the same
/// - gamma, beta, mean, variance: `[channels]`
pub fn batch_norm<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    mean: Tensor<1>,
    variance: Tensor<1>,
    epsilon: f64,
) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as KernelOps>::batch_norm_op(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        mean.into_dispatch(),
        variance.into_dispatch(),
        epsilon,
    ))
}

/// Batch norm with the batch's own statistics (training mode).
#[derive(Debug, Clone)]
pub struct BatchNormTrain<const D: usize> {
    /// The normalised input.
    pub output: Tensor<D>,
    /// The batch mean per channel, `[channels]` (not tracked by autodiff).
    pub mean: Tensor<1>,
    /// The biased batch variance per channel, `[channels]` (not tracked by autodiff).
    pub variance: Tensor<1>,
}

/// Batch norm with the batch's own statistics (training mode), differentiable through them.
///
/// # Shapes
/// - x: `[batch, channels, ...]`; output the same
/// - gamma, beta: `[channels]`
pub fn batch_norm_train<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
) -> BatchNormTrain<D> {
    let (output, mean, variance) = <Dispatch as KernelOps>::batch_norm_train_op(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        epsilon,
    );
    BatchNormTrain {
        output: Tensor::from_dispatch(output),
        mean: Tensor::from_dispatch(mean),
        variance: Tensor::from_dispatch(variance),
    }
}

/// LeakyReLU: `x` where `x >= 0`, `slope * x` where `x < 0`.
pub fn leaky_relu<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as KernelOps>::leaky_relu_op(
        x.into_dispatch(),
        slope,
    ))
}

/// ReLU: `max(x, 0)`.
pub fn relu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as KernelOps>::relu_op(x.into_dispatch()))
}

/// The CubeCL backends (wgpu, Vulkan, CUDA): Burn's own operations (the trait's defaults).
#[cfg(feature = "cube")]
impl KernelOps for burn::backend::Cube {}
