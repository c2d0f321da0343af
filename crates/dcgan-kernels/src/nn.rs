//! Convolution layers that run [`crate::conv2d`] and [`crate::conv_transpose2d`]. Their
//! parameters are named as Burn's and PyTorch's (`weight`, `bias`), so weight files, PyTorch
//! import and export see the same names; only square kernels, symmetric padding, one group and
//! no dilation, which is all a DCGAN (and the networks beside it) needs.

use burn::module::{Module, Param};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Tensor};

/// A 2D convolution layer.
///
/// # Shapes
/// - input: `[batch, c_in, h, w]`
/// - output: `[batch, c_out, (h + 2 * padding - k) / stride + 1, ...]`
#[derive(Module, Debug)]
pub struct Conv2d {
    /// `[c_out, c_in, k, k]`.
    pub weight: Param<Tensor<4>>,
    /// `[c_out]`, when the layer has one.
    pub bias: Option<Param<Tensor<1>>>,
    /// Step between windows, in both directions.
    pub stride: usize,
    /// Zeros added on every side.
    pub padding: usize,
}

impl Conv2d {
    /// A layer of `channels = [c_in, c_out]`, `k x k` windows, with zero weights (and bias).
    pub fn new(
        channels: [usize; 2],
        k: usize,
        stride: usize,
        padding: usize,
        bias: bool,
        device: &Device,
    ) -> Self {
        let [c_in, c_out] = channels;
        Self {
            weight: Param::from_tensor(Tensor::zeros([c_out, c_in, k, k], device)),
            bias: bias.then(|| Param::from_tensor(Tensor::zeros([c_out], device))),
            stride,
            padding,
        }
    }

    /// The options of [`crate::conv2d`] for this layer.
    pub fn options(&self) -> ConvOptions<2> {
        ConvOptions::new([self.stride; 2], [self.padding; 2], [1, 1], 1)
    }

    /// Applies the layer.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        crate::conv2d(
            x,
            self.weight.val(),
            self.bias.as_ref().map(Param::val),
            self.options(),
        )
    }
}

/// A transposed 2D convolution layer (a "fractionally-strided" convolution).
///
/// # Shapes
/// - input: `[batch, c_in, h, w]`
/// - output: `[batch, c_out, (h - 1) * stride - 2 * padding + k + padding_out, ...]`
#[derive(Module, Debug)]
pub struct ConvTranspose2d {
    /// `[c_in, c_out, k, k]`.
    pub weight: Param<Tensor<4>>,
    /// `[c_out]`, when the layer has one.
    pub bias: Option<Param<Tensor<1>>>,
    /// Step between the windows written, in both directions.
    pub stride: usize,
    /// Rows and columns cropped from every side.
    pub padding: usize,
    /// Rows and columns added at the bottom and the right (below the stride).
    pub padding_out: usize,
}

impl ConvTranspose2d {
    /// A layer of `channels = [c_in, c_out]`, `k x k` windows, with zero weights (and bias).
    pub fn new(
        channels: [usize; 2],
        k: usize,
        [stride, padding, padding_out]: [usize; 3],
        bias: bool,
        device: &Device,
    ) -> Self {
        let [c_in, c_out] = channels;
        Self {
            weight: Param::from_tensor(Tensor::zeros([c_in, c_out, k, k], device)),
            bias: bias.then(|| Param::from_tensor(Tensor::zeros([c_out], device))),
            stride,
            padding,
            padding_out,
        }
    }

    /// The options of [`crate::conv_transpose2d`] for this layer.
    pub fn options(&self) -> ConvTransposeOptions<2> {
        ConvTransposeOptions::new(
            [self.stride; 2],
            [self.padding; 2],
            [self.padding_out; 2],
            [1, 1],
            1,
        )
    }

    /// Applies the layer.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        crate::conv_transpose2d(
            x,
            self.weight.val(),
            self.bias.as_ref().map(Param::val),
            self.options(),
        )
    }
}
