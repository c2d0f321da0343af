//! The operations of this crate as a Burn backend extension: one trait, [`KernelOps`], whose
//! default bodies are Burn's own operations. The CPU backend (`Flex`) overrides them with the
//! kernels of [`crate::flex`]; autodiff ([`crate::autodiff`]) records them with backward passes
//! made of the same operations; the CubeCL backends (wgpu, Vulkan, CUDA) keep the defaults.
//! Burn's `#[backend_extension]` generates the routing from its runtime-dispatched tensors to
//! each of these.

use burn::backend::ops::{ActivationOps, ConvOptions, ConvTransposeOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Backend, Scalar, TensorMetadata, backend_extension, get_or_init_device_settings,
};

/// `(output, mean, variance)` of a training-mode batch norm, or `(x_grad, gamma_grad,
/// beta_grad)` of its backward pass (for the implementations: the trait spells it out, as
/// `#[backend_extension]` needs).
pub(crate) type Three<B> = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

/// DCGAN's hot operations. Shapes and semantics are those of Burn's `ModuleOps` and
/// `ActivationOps` methods of the same stem; every default is that method.
#[backend_extension(Flex, Autodiff, Cube: cfg(feature = "cube"))]
pub trait KernelOps: Backend {
    /// A 2D convolution (no bias): `x` `[batch, c_in, h, w]`, `weight`
    /// `[c_out, c_in / groups, kh, kw]`.
    fn conv2d_op(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        <Self as ModuleOps<Self>>::conv2d(x, weight, None, options)
    }

    /// [`KernelOps::conv2d_op`] plus `bias` `[c_out]` per output channel.
    fn conv2d_bias_op(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        <Self as ModuleOps<Self>>::conv2d(x, weight, Some(bias), options)
    }

    /// The gradient of [`KernelOps::conv2d_op`] with respect to its weight.
    fn conv2d_weight_grad_op(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        <Self as ModuleOps<Self>>::conv2d_weight_backward(x, weight, output_grad, options)
    }

    /// A transposed 2D convolution (no bias): `x` `[batch, c_in, h, w]`, `weight`
    /// `[c_in, c_out / groups, kh, kw]`.
    fn conv_transpose2d_op(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        <Self as ModuleOps<Self>>::conv_transpose2d(x, weight, None, options)
    }

    /// The gradient of [`KernelOps::conv_transpose2d_op`] with respect to its weight.
    fn conv_transpose2d_weight_grad_op(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        <Self as ModuleOps<Self>>::conv_transpose2d_weight_backward(x, weight, output_grad, options)
    }

    /// Batch norm with given statistics (inference mode): `x` `[batch, channels, ...]`, the
    /// others `[channels]`.
    fn batch_norm_op(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        variance: FloatTensor<Self>,
        epsilon: f64,
    ) -> FloatTensor<Self> {
        <Self as ModuleOps<Self>>::batch_norm(x, gamma, beta, mean, variance, epsilon)
    }

    /// Batch norm with the batch's own statistics (training mode): the output, the channel
    /// means and the biased channel variances.
    fn batch_norm_train_op(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let r = <Self as ModuleOps<Self>>::batch_norm_train(x, gamma, beta, epsilon);
        (r.output, r.mean, r.variance)
    }

    /// The gradients of [`KernelOps::batch_norm_train_op`] (through its statistics too) with
    /// respect to `x`, `gamma` and `beta`.
    fn batch_norm_train_grad_op(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        variance: FloatTensor<Self>,
        epsilon: f64,
        output_grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let r = <Self as ModuleOps<Self>>::batch_norm_train_backward(
            x,
            gamma,
            mean,
            variance,
            epsilon,
            output_grad,
        );
        (r.x_grad, r.gamma_grad, r.beta_grad)
    }

    /// LeakyReLU: `x` where `x >= 0` (and NaN), `slope * x` where `x < 0`.
    fn leaky_relu_op(x: FloatTensor<Self>, slope: f64) -> FloatTensor<Self> {
        <Self as ActivationOps<Self>>::leaky_relu(x, Scalar::Float(slope))
    }

    /// The input gradient of [`KernelOps::leaky_relu_op`]: `grad` where `x >= 0` (and NaN),
    /// `slope * grad` where `x < 0`.
    fn leaky_relu_grad_op(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        slope: f64,
    ) -> FloatTensor<Self> {
        default_leaky_relu_grad::<Self>(x, grad, slope)
    }

    /// ReLU: `max(x, 0)`.
    fn relu_op(x: FloatTensor<Self>) -> FloatTensor<Self> {
        <Self as ActivationOps<Self>>::relu(x)
    }

    /// The input gradient of [`KernelOps::relu_op`] from its output: `grad` where
    /// `output > 0`, zero elsewhere.
    fn relu_grad_op(output: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        <Self as ActivationOps<Self>>::relu_backward(output, grad)
    }
}

/// The gradient of LeakyReLU as Burn's autodiff computes it: a mask, a scaled copy and a
/// select.
pub(crate) fn default_leaky_relu_grad<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    slope: f64,
) -> FloatTensor<B> {
    let bool_dtype = get_or_init_device_settings::<B>(&x.device()).bool_dtype;
    let mask = B::float_lower_elem(x, Scalar::Float(0.0), bool_dtype);
    let scaled = B::float_mul_scalar(grad.clone(), Scalar::Float(slope));
    B::float_mask_where(grad, mask, scaled)
}
