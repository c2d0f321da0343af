//! [`KernelOps`] on Burn's CPU backend, `Flex`: each operation runs this crate's kernel when the
//! tensors are f32 and the case is one it covers (one group, no dilation, symmetric padding),
//! and Burn's own operation otherwise.
//!
//! - [`conv_gemm`]: convolutions, transposed convolutions and both weight gradients as GEMMs
//!   over a batched im2col (Burn's generic weight gradient ran at a sixth of the forward speed);
//! - [`batch_norm`]: batch norm in two fused parallel passes forward and two backward (Burn's
//!   compositions are about ten single-threaded passes each way);
//! - [`activation`]: ReLU, LeakyReLU and their gradients in one parallel pass each.

pub(crate) mod activation;
pub(crate) mod batch_norm;
pub(crate) mod conv_gemm;
pub(crate) mod parallel;

use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::ops::{ActivationOps, ConvOptions, ConvTransposeOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{DType, Flex, Scalar, TensorMetadata};
use burn::tensor::{Bytes, Shape};

use crate::ops::{KernelOps, Three};
use batch_norm::BnShape;
use conv_gemm::{ConvShape, WeightGradShape};

/// A contiguous f32 tensor of `shape` holding `values`.
fn f32_tensor(values: Vec<f32>, shape: Shape) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(values),
        Layout::contiguous(shape),
        DType::F32,
    )
}

fn all_f32(tensors: &[&FlexTensor]) -> bool {
    tensors.iter().all(|t| t.dtype() == DType::F32)
}

/// The weight gradient by [`conv_gemm::weight_grad_f32`]: `img` `[b, c_img, h, w]`, `g`
/// `[b, c_g, ho, wo]`, the result shaped `weight_shape`.
fn weight_grad(
    img: &FlexTensor,
    g: &FlexTensor,
    weight_shape: Shape,
    stride: [usize; 2],
    pad: [usize; 2],
) -> FlexTensor {
    let img = img.to_contiguous();
    let g = g.to_contiguous();
    let [batch, c_img, h, w]: [usize; 4] = img.layout().shape().dims();
    let [_, c_g, ho, wo]: [usize; 4] = g.layout().shape().dims();
    let grad = conv_gemm::weight_grad_f32(
        img.storage::<f32>(),
        g.storage::<f32>(),
        WeightGradShape {
            batch,
            c_img,
            h,
            w,
            c_g,
            ho,
            wo,
            kernel: [weight_shape[2], weight_shape[3]],
            stride,
            pad,
        },
    );
    f32_tensor(grad, weight_shape)
}

/// Whether a convolution of these options is one the GEMM kernels compute.
fn gemm_conv(groups: usize, dilation: [usize; 2], tensors: &[&FlexTensor]) -> bool {
    groups == 1 && dilation == [1, 1] && all_f32(tensors)
}

/// The batch-norm shape of `x` (`[batch, channels, ...]`) when it and `others` are f32.
fn bn_shape(x: &FlexTensor, others: &[&FlexTensor]) -> Option<BnShape> {
    let shape = x.layout().shape();
    if shape.num_dims() < 2 || !all_f32(&[x]) || !all_f32(others) {
        return None;
    }
    Some(BnShape {
        batch: shape[0],
        channels: shape[1],
        plane: shape.num_elements() / (shape[0] * shape[1]).max(1),
    })
}

/// A `[channels]` f32 tensor.
fn channels(values: Vec<f32>) -> FlexTensor {
    let n = values.len();
    f32_tensor(values, Shape::from(vec![n]))
}

/// A convolution by [`conv_gemm::conv2d_forward_f32`] where it applies, Burn's otherwise.
fn conv2d(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: ConvOptions<2>,
) -> FlexTensor {
    let k = weight.shape();
    let fast = gemm_conv(options.groups, options.dilation, &[&x, &weight])
        && bias.as_ref().is_none_or(|b| all_f32(&[b]))
        && !options.is_asymmetric()
        && k[2] * k[3] > 1;
    if !fast {
        return <Flex as ModuleOps<Flex>>::conv2d(x, weight, bias, options);
    }
    let x = x.to_contiguous();
    let weight = weight.to_contiguous();
    let bias = bias.map(|b| b.to_contiguous());
    let [batch, c_in, h, w]: [usize; 4] = x.layout().shape().dims();
    let [c_out, _, kh, kw]: [usize; 4] = weight.layout().shape().dims();
    let pad = options.padding_begin();
    let out_size = |size: usize, k: usize, p: usize, s: usize| (size + 2 * p - k) / s + 1;
    let (ho, wo) = (
        out_size(h, kh, pad[0], options.stride[0]),
        out_size(w, kw, pad[1], options.stride[1]),
    );
    let out = conv_gemm::conv2d_forward_f32(
        x.storage::<f32>(),
        weight.storage::<f32>(),
        bias.as_ref().map(|b| b.storage::<f32>()),
        ConvShape {
            batch,
            c_in,
            h,
            w,
            c_out,
            ho,
            wo,
            kernel: [kh, kw],
            stride: options.stride,
            pad,
        },
    );
    f32_tensor(out, Shape::from(vec![batch, c_out, ho, wo]))
}

impl KernelOps for Flex {
    fn conv2d_op(
        x: FloatTensor<Flex>,
        weight: FloatTensor<Flex>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Flex> {
        conv2d(x, weight, None, options)
    }

    fn conv2d_bias_op(
        x: FloatTensor<Flex>,
        weight: FloatTensor<Flex>,
        bias: FloatTensor<Flex>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Flex> {
        conv2d(x, weight, Some(bias), options)
    }

    fn conv2d_weight_grad_op(
        x: FloatTensor<Flex>,
        weight: FloatTensor<Flex>,
        output_grad: FloatTensor<Flex>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Flex> {
        if !gemm_conv(options.groups, options.dilation, &[&x, &output_grad])
            || options.is_asymmetric()
        {
            return <Flex as ModuleOps<Flex>>::conv2d_weight_backward(
                x,
                weight,
                output_grad,
                options,
            );
        }
        // dW[co, (ci, kh, kw)]: the image is x, the windowed gradient the output's.
        let pad = options.padding_begin();
        weight_grad(&x, &output_grad, weight.shape(), options.stride, pad)
    }

    fn conv_transpose2d_op(
        x: FloatTensor<Flex>,
        weight: FloatTensor<Flex>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Flex> {
        let k = weight.shape();
        let fast = gemm_conv(options.groups, options.dilation, &[&x, &weight])
            && (0..2).all(|d| options.padding_out[d] < options.stride[d])
            && k[2] * k[3] > 1;
        if !fast {
            return <Flex as ModuleOps<Flex>>::conv_transpose2d(x, weight, None, options);
        }
        let x = x.to_contiguous();
        let weight = weight.to_contiguous();
        let [batch, c_in, h_in, w_in]: [usize; 4] = x.layout().shape().dims();
        let [_, c_out, kh, kw]: [usize; 4] = weight.layout().shape().dims();
        let out_size = |size: usize, k: usize, d: usize| {
            ((size - 1) * options.stride[d] + k + options.padding_out[d])
                .saturating_sub(2 * options.padding[d])
        };
        let (h, w) = (out_size(h_in, kh, 0), out_size(w_in, kw, 1));
        let out = conv_gemm::conv_transpose2d_f32(
            x.storage::<f32>(),
            weight.storage::<f32>(),
            None,
            WeightGradShape {
                batch,
                c_img: c_out,
                h,
                w,
                c_g: c_in,
                ho: h_in,
                wo: w_in,
                kernel: [kh, kw],
                stride: options.stride,
                pad: options.padding,
            },
        );
        f32_tensor(out, Shape::from(vec![batch, c_out, h, w]))
    }

    fn conv_transpose2d_weight_grad_op(
        x: FloatTensor<Flex>,
        weight: FloatTensor<Flex>,
        output_grad: FloatTensor<Flex>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Flex> {
        if !gemm_conv(options.groups, options.dilation, &[&x, &output_grad]) {
            return <Flex as ModuleOps<Flex>>::conv_transpose2d_weight_backward(
                x,
                weight,
                output_grad,
                options,
            );
        }
        // dW[ci, (co, kh, kw)]: the output gradient is the image, x sits at the window
        // positions (a transposed convolution's input is its adjoint's output).
        weight_grad(
            &output_grad,
            &x,
            weight.shape(),
            options.stride,
            options.padding,
        )
    }

    fn batch_norm_op(
        x: FloatTensor<Flex>,
        gamma: FloatTensor<Flex>,
        beta: FloatTensor<Flex>,
        mean: FloatTensor<Flex>,
        variance: FloatTensor<Flex>,
        epsilon: f64,
    ) -> FloatTensor<Flex> {
        let Some(s) = bn_shape(&x, &[&gamma, &beta, &mean, &variance]) else {
            return <Flex as ModuleOps<Flex>>::batch_norm(x, gamma, beta, mean, variance, epsilon);
        };
        let shape = x.shape();
        let [x, gamma, beta, mean, variance] =
            [x, gamma, beta, mean, variance].map(|t| t.to_contiguous());
        let out = batch_norm::batch_norm_f32(
            x.storage::<f32>(),
            gamma.storage::<f32>(),
            beta.storage::<f32>(),
            mean.storage::<f32>(),
            variance.storage::<f32>(),
            epsilon,
            s,
        );
        f32_tensor(out, shape)
    }

    fn batch_norm_train_op(
        x: FloatTensor<Flex>,
        gamma: FloatTensor<Flex>,
        beta: FloatTensor<Flex>,
        epsilon: f64,
    ) -> Three<Flex> {
        let Some(s) = bn_shape(&x, &[&gamma, &beta]) else {
            let r = <Flex as ModuleOps<Flex>>::batch_norm_train(x, gamma, beta, epsilon);
            return (r.output, r.mean, r.variance);
        };
        let shape = x.shape();
        let [x, gamma, beta] = [x, gamma, beta].map(|t| t.to_contiguous());
        let (out, mean, variance) = batch_norm::batch_norm_train_f32(
            x.storage::<f32>(),
            gamma.storage::<f32>(),
            beta.storage::<f32>(),
            epsilon,
            s,
        );
        (f32_tensor(out, shape), channels(mean), channels(variance))
    }

    fn batch_norm_train_grad_op(
        x: FloatTensor<Flex>,
        gamma: FloatTensor<Flex>,
        mean: FloatTensor<Flex>,
        variance: FloatTensor<Flex>,
        epsilon: f64,
        output_grad: FloatTensor<Flex>,
    ) -> Three<Flex> {
        let Some(s) = bn_shape(&x, &[&gamma, &mean, &variance, &output_grad]) else {
            let r = <Flex as ModuleOps<Flex>>::batch_norm_train_backward(
                x,
                gamma,
                mean,
                variance,
                epsilon,
                output_grad,
            );
            return (r.x_grad, r.gamma_grad, r.beta_grad);
        };
        let shape = x.shape();
        let [x, gamma, mean, variance, output_grad] =
            [x, gamma, mean, variance, output_grad].map(|t| t.to_contiguous());
        let (x_grad, gamma_grad, beta_grad) = batch_norm::batch_norm_train_backward_f32(
            x.storage::<f32>(),
            gamma.storage::<f32>(),
            mean.storage::<f32>(),
            variance.storage::<f32>(),
            epsilon,
            output_grad.storage::<f32>(),
            s,
        );
        (
            f32_tensor(x_grad, shape),
            channels(gamma_grad),
            channels(beta_grad),
        )
    }

    fn leaky_relu_op(x: FloatTensor<Flex>, slope: f64) -> FloatTensor<Flex> {
        if x.dtype() != DType::F32 {
            return <Flex as ActivationOps<Flex>>::leaky_relu(x, Scalar::Float(slope));
        }
        let s = slope as f32;
        activation::map_f32(x, move |v| if v < 0.0 { s * v } else { v })
    }

    fn leaky_relu_grad_op(
        x: FloatTensor<Flex>,
        grad: FloatTensor<Flex>,
        slope: f64,
    ) -> FloatTensor<Flex> {
        if !activation::zippable(&x, &grad) {
            return crate::ops::default_leaky_relu_grad::<Flex>(x, grad, slope);
        }
        let s = slope as f32;
        activation::zip_f32(x, grad, move |v, g| if v < 0.0 { s * g } else { g })
    }

    fn relu_op(x: FloatTensor<Flex>) -> FloatTensor<Flex> {
        if x.dtype() != DType::F32 {
            return <Flex as ActivationOps<Flex>>::relu(x);
        }
        // Zero where `v <= 0`, as Burn's rule (a mask where `x <= 0`): NaN stays NaN.
        activation::map_f32(x, |v| if v <= 0.0 { 0.0 } else { v })
    }

    fn relu_grad_op(output: FloatTensor<Flex>, grad: FloatTensor<Flex>) -> FloatTensor<Flex> {
        if !activation::zippable(&output, &grad) {
            return <Flex as ActivationOps<Flex>>::relu_backward(output, grad);
        }
        activation::zip_f32(output, grad, |y, g| if y <= 0.0 { 0.0 } else { g })
    }
}
