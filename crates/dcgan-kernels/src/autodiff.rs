//! [`KernelOps`] on Burn's autodiff backend: each operation runs on the inner backend and is
//! recorded with a backward pass made of the inner backend's [`KernelOps`], so that on the CPU
//! both directions run this crate's kernels:
//!
//! - a convolution's input gradient is a transposed convolution of the output gradient by the
//!   same weight (and the other way round), its weight gradient the backend's weight-gradient
//!   kernel, its bias gradient a channel sum;
//! - training-mode batch norm's gradients come from the backend's fused backward pass; its
//!   batch statistics come back untracked (they only feed the running statistics);
//! - ReLU's and LeakyReLU's from their one-pass gradient kernels.

use burn::backend::AutodiffBackend;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::{ConvOptions, ConvTransposeOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, TensorMetadata};
use burn::tensor::Shape;

use crate::ops::{KernelOps, Three};

/// `[batch, channels, h, w]` summed to `[channels]`.
fn channel_sum<B: Backend>(t: FloatTensor<B>) -> FloatTensor<B> {
    let [b, c, h, w]: [usize; 4] = t.shape().dims();
    let t = B::float_reshape(B::float_swap_dims(t, 0, 1), Shape::new([c, b * h * w]));
    B::float_reshape(B::float_sum_dim(t, 1), Shape::new([c]))
}

/// The input gradient of a convolution: the transposed convolution of `grad` by `weight`
/// whose output padding restores the input's size.
fn conv2d_input_grad<B: KernelOps>(
    x: &FloatTensor<B>,
    weight: FloatTensor<B>,
    grad: FloatTensor<B>,
    options: ConvOptions<2>,
) -> FloatTensor<B> {
    if options.is_asymmetric() {
        return <B as ModuleOps<B>>::conv2d_x_backward(x.clone(), weight, grad, options);
    }
    let [_, _, h, w]: [usize; 4] = x.shape().dims();
    let [_, _, ho, wo]: [usize; 4] = grad.shape().dims();
    let [_, _, kh, kw]: [usize; 4] = weight.shape().dims();
    let pad = options.padding_begin();
    let (s, d) = (options.stride, options.dilation);
    let out_pad = |i: usize, n: usize, o: usize, k: usize| {
        n + 2 * pad[i] - ((o - 1) * s[i] + d[i] * (k - 1) + 1)
    };
    B::conv_transpose2d_op(
        grad,
        weight,
        ConvTransposeOptions::new(
            s,
            pad,
            [out_pad(0, h, ho, kh), out_pad(1, w, wo, kw)],
            d,
            options.groups,
        ),
    )
}

/// The input gradient of a transposed convolution: the convolution of `grad` by `weight`.
fn conv_transpose2d_input_grad<B: KernelOps>(
    x: &FloatTensor<B>,
    weight: FloatTensor<B>,
    grad: FloatTensor<B>,
    options: ConvTransposeOptions<2>,
) -> FloatTensor<B> {
    let x_shape = x.shape();
    let conv = ConvOptions::new(
        options.stride,
        options.padding,
        options.dilation,
        options.groups,
    );
    let out = B::conv2d_op(grad.clone(), weight.clone(), conv);
    if out.shape() == x_shape {
        return out;
    }
    // An output padding of a stride or more: Burn's rule crops the convolution.
    <B as ModuleOps<B>>::conv_transpose2d_x_backward(weight, grad, options)
}

/// A convolution (`Forward`) or a transposed convolution (`Transposed`): its options and the
/// rules of its input and weight gradients.
trait ConvKind: Send + core::fmt::Debug + 'static {
    type Options: Clone + Send + core::fmt::Debug + 'static;
    fn input_grad<B: KernelOps>(
        x: &FloatTensor<B>,
        weight: FloatTensor<B>,
        grad: FloatTensor<B>,
        options: Self::Options,
    ) -> FloatTensor<B>;
    fn weight_grad<B: KernelOps>(
        x: FloatTensor<B>,
        weight: FloatTensor<B>,
        grad: FloatTensor<B>,
        options: Self::Options,
    ) -> FloatTensor<B>;
}

#[derive(Debug)]
struct Forward;

#[derive(Debug)]
struct Transposed;

impl ConvKind for Forward {
    type Options = ConvOptions<2>;
    fn input_grad<B: KernelOps>(
        x: &FloatTensor<B>,
        weight: FloatTensor<B>,
        grad: FloatTensor<B>,
        options: Self::Options,
    ) -> FloatTensor<B> {
        conv2d_input_grad::<B>(x, weight, grad, options)
    }
    fn weight_grad<B: KernelOps>(
        x: FloatTensor<B>,
        weight: FloatTensor<B>,
        grad: FloatTensor<B>,
        options: Self::Options,
    ) -> FloatTensor<B> {
        B::conv2d_weight_grad_op(x, weight, grad, options)
    }
}

impl ConvKind for Transposed {
    type Options = ConvTransposeOptions<2>;
    fn input_grad<B: KernelOps>(
        x: &FloatTensor<B>,
        weight: FloatTensor<B>,
        grad: FloatTensor<B>,
        options: Self::Options,
    ) -> FloatTensor<B> {
        conv_transpose2d_input_grad::<B>(x, weight, grad, options)
    }
    fn weight_grad<B: KernelOps>(
        x: FloatTensor<B>,
        weight: FloatTensor<B>,
        grad: FloatTensor<B>,
        options: Self::Options,
    ) -> FloatTensor<B> {
        B::conv_transpose2d_weight_grad_op(x, weight, grad, options)
    }
}

/// The backward pass of a convolution of kind `K` with parents `[x, weight]` (`N` = 2) or
/// `[x, weight, bias]` (`N` = 3); it keeps the input, the weight and the options.
#[derive(Debug)]
struct ConvBackward<K>(core::marker::PhantomData<K>);

impl<B: KernelOps, K: ConvKind, const N: usize> Backward<B, N> for ConvBackward<K> {
    type State = (FloatTensor<B>, FloatTensor<B>, K::Options);

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let (x, weight, options) = ops.state;
        let id = |i: usize| ops.parents.get(i).and_then(|p| p.as_ref()).map(|n| n.id);
        if let Some(id) = id(2) {
            grads.register::<B>(id, channel_sum::<B>(grad.clone()));
        }
        if let Some(id) = id(1) {
            let g = K::weight_grad::<B>(x.clone(), weight.clone(), grad.clone(), options.clone());
            grads.register::<B>(id, g);
        }
        if let Some(id) = id(0) {
            grads.register::<B>(id, K::input_grad::<B>(&x, weight, grad, options));
        }
    }
}

/// Records the convolution `forward` of `x`, `weight` and an optional bias.
fn tracked_conv<B: KernelOps, C: CheckpointStrategy, K: ConvKind>(
    x: FloatTensor<Autodiff<B, C>>,
    weight: FloatTensor<Autodiff<B, C>>,
    bias: Option<FloatTensor<Autodiff<B, C>>>,
    options: K::Options,
    forward: impl FnOnce(
        FloatTensor<B>,
        FloatTensor<B>,
        Option<FloatTensor<B>>,
        K::Options,
    ) -> FloatTensor<B>,
) -> FloatTensor<Autodiff<B, C>> {
    let backward = ConvBackward::<K>(core::marker::PhantomData);
    let (xp, wp) = (x.primitive().clone(), weight.primitive().clone());
    let state = (xp.clone(), wp.clone(), options.clone());
    match bias {
        Some(bias) => {
            let prepared =
                Backward::<B, 3>::prepare::<C>(backward, [x.node(), weight.node(), bias.node()])
                    .compute_bound()
                    .stateful();
            let out = forward(xp, wp, Some(bias.into_primitive()), options);
            match prepared {
                OpsKind::Tracked(prep) => prep.finish(state, out),
                OpsKind::UnTracked(prep) => prep.finish(out),
            }
        }
        None => {
            let prepared = Backward::<B, 2>::prepare::<C>(backward, [x.node(), weight.node()])
                .compute_bound()
                .stateful();
            let out = forward(xp, wp, None, options);
            match prepared {
                OpsKind::Tracked(prep) => prep.finish(state, out),
                OpsKind::UnTracked(prep) => prep.finish(out),
            }
        }
    }
}

/// Training-mode batch norm: the gradients of `x`, `gamma` and `beta`.
#[derive(Debug)]
struct BatchNormBackward;

impl<B: KernelOps> Backward<B, 3> for BatchNormBackward {
    /// `x`, `gamma`, the batch mean and variance, epsilon.
    type State = (
        FloatTensor<B>,
        FloatTensor<B>,
        FloatTensor<B>,
        FloatTensor<B>,
        f64,
    );

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let (x, gamma, mean, variance, epsilon) = ops.state;
        let (x_grad, gamma_grad, beta_grad) =
            B::batch_norm_train_grad_op(x, gamma, mean, variance, epsilon, grad);
        let [node_x, node_gamma, node_beta] = ops.parents;
        for (node, g) in [
            (node_x, x_grad),
            (node_gamma, gamma_grad),
            (node_beta, beta_grad),
        ] {
            if let Some(node) = node {
                grads.register::<B>(node.id, g);
            }
        }
    }
}

/// An element-wise activation whose gradient is `grad_op(kept, grad)`: `kept` is the input
/// (LeakyReLU) or the output (ReLU).
#[derive(Debug)]
struct ActivationBackward<B: Backend> {
    grad_op: fn(FloatTensor<B>, FloatTensor<B>, f64) -> FloatTensor<B>,
}

impl<B: KernelOps> Backward<B, 1> for ActivationBackward<B> {
    type State = (FloatTensor<B>, f64);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let [parent] = ops.parents;
        if let Some(node) = parent {
            let (kept, slope) = ops.state;
            grads.register::<B>(node.id, (self.grad_op)(kept, grad, slope));
        }
    }
}

/// Records `forward(x)`, keeping the input (`keep_output` false) or the output for `grad_op`.
fn tracked_activation<B: KernelOps, C: CheckpointStrategy>(
    x: FloatTensor<Autodiff<B, C>>,
    slope: f64,
    keep_output: bool,
    forward: fn(FloatTensor<B>, f64) -> FloatTensor<B>,
    grad_op: fn(FloatTensor<B>, FloatTensor<B>, f64) -> FloatTensor<B>,
) -> FloatTensor<Autodiff<B, C>> {
    match (ActivationBackward { grad_op })
        .prepare::<C>([x.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let input = x.into_primitive();
            let out = forward(input.clone(), slope);
            let kept = if keep_output { out.clone() } else { input };
            prep.finish((kept, slope), out)
        }
        OpsKind::UnTracked(prep) => prep.finish(forward(x.into_primitive(), slope)),
    }
}

impl<B: KernelOps, C: CheckpointStrategy> KernelOps for Autodiff<B, C> {
    fn conv2d_op(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        tracked_conv::<B, C, Forward>(x, weight, None, options, |x, w, _, o| B::conv2d_op(x, w, o))
    }

    fn conv2d_bias_op(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        tracked_conv::<B, C, Forward>(x, weight, Some(bias), options, |x, w, b, o| {
            B::conv2d_bias_op(x, w, b.expect("a bias"), o)
        })
    }

    fn conv_transpose2d_op(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        tracked_conv::<B, C, Transposed>(x, weight, None, options, |x, w, _, o| {
            B::conv_transpose2d_op(x, w, o)
        })
    }

    fn batch_norm_train_op(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> Three<Self> {
        let prepared = BatchNormBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        let (xp, gp) = (x.into_primitive(), gamma.into_primitive());
        let (out, mean, variance) =
            B::batch_norm_train_op(xp.clone(), gp.clone(), beta.into_primitive(), epsilon);
        let untracked = <Self as AutodiffBackend>::from_inner;
        let stats = (untracked(mean.clone()), untracked(variance.clone()));
        let out = match prepared {
            OpsKind::Tracked(prep) => prep.finish((xp, gp, mean, variance, epsilon), out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        };
        (out, stats.0, stats.1)
    }

    fn leaky_relu_op(x: FloatTensor<Self>, slope: f64) -> FloatTensor<Self> {
        tracked_activation::<B, C>(x, slope, false, B::leaky_relu_op, B::leaky_relu_grad_op)
    }

    fn relu_op(x: FloatTensor<Self>) -> FloatTensor<Self> {
        tracked_activation::<B, C>(
            x,
            0.0,
            true,
            |x, _| B::relu_op(x),
            |output, grad, _| B::relu_grad_op(output, grad),
        )
    }
}
