//! The generator: z -> 4x4 projection -> fractionally-strided convolutions -> Tanh image.

use burn::module::Module;
use burn::tensor::activation::tanh;
use burn::tensor::{Device, Tensor};
use dcgan_kernels::nn::ConvTranspose2d;
use dcgan_kernels::relu;

use super::{BatchNorm2d, ModelConfig};

/// A transposed convolution, batch norm and ReLU.
#[derive(Module, Debug)]
pub struct GeneratorBlock {
    /// The (fractionally-strided) convolution, no bias (BN supplies it).
    pub conv: ConvTranspose2d,
    /// Its batch norm.
    pub bn: BatchNorm2d,
}

/// The DCGAN generator (docs/paper.md section 1; the paper's Fig. 1 at 64x64).
///
/// Block 0 projects z to a 4x4 map: a 4x4 transposed convolution of the 1x1 input, which is the
/// paper's "matrix multiplication reshaped to a 4-dimensional tensor". Each further block doubles
/// the side and halves the width; the output layer has no batch norm and ends in Tanh.
/// At 64x64 with ngf = 64 the state sizes are `[nz,1,1] -> [512,4,4] -> [256,8,8] ->
/// [128,16,16] -> [64,32,32] -> [c,64,64]`, as in PyTorch's `examples/dcgan`.
#[derive(Module, Debug)]
pub struct Generator {
    /// Projection and hidden layers (ReLU after BN).
    pub blocks: Vec<GeneratorBlock>,
    /// The output layer (Tanh, no batch norm).
    pub output: ConvTranspose2d,
}

/// A bias-free transposed convolution, zero-initialised (real weights come from
/// [`super::weights::initialize`] or a checkpoint).
fn conv_t(
    cin: usize,
    cout: usize,
    k: usize,
    stride: usize,
    pad: usize,
    out_pad: usize,
    device: &Device,
) -> ConvTranspose2d {
    ConvTranspose2d::new([cin, cout], k, [stride, pad, out_pad], false, device)
}

impl Generator {
    /// Builds the generator for `config` with zero weights; see [`super::weights::initialize`].
    pub fn new(config: &ModelConfig, device: &Device) -> Self {
        let n = config
            .strided_layers()
            .expect("ModelConfig::validate must be called before building a model");
        let (k, p, op) = (config.kernel, config.padding(), config.output_padding());
        let width = |i: usize| config.ngf << (n - 1 - i);
        let bn = |c: usize| BatchNorm2d::with_affine(c, config.bn_affine, device);
        let mut blocks = Vec::with_capacity(n);
        // Projection: [nz (+ classes), 1, 1] -> [ngf * 2^(n-1), 4, 4].
        blocks.push(GeneratorBlock {
            conv: conv_t(config.generator_input(), width(0), 4, 1, 0, 0, device),
            bn: bn(width(0)),
        });
        for i in 1..n {
            // [w(i-1), s, s] -> [w(i), 2s, 2s]
            blocks.push(GeneratorBlock {
                conv: conv_t(width(i - 1), width(i), k, 2, p, op, device),
                bn: bn(width(i)),
            });
        }
        // [ngf, S/2, S/2] -> [channels, S, S]
        let output = conv_t(width(n - 1), config.channels, k, 2, p, op, device);
        Self { blocks, output }
    }

    /// The shape of the images it makes: the output layer's channels, at 4 pixels doubled by
    /// each strided block.
    pub fn image_shape(&self) -> crate::images::ImageShape {
        let [_, channels, _, _] = self.output.weight.dims();
        crate::images::ImageShape::new(channels, 4 << self.blocks.len())
    }

    /// Length of its input: nz, plus the classes of a conditional model.
    pub fn input_len(&self) -> usize {
        let [input, ..] = self.blocks[0].conv.weight.dims();
        input
    }

    /// Generates images in [-1, 1].
    ///
    /// # Shapes
    /// - z: `[batch, nz]` (`[batch, nz + classes]` for a conditional model, see
    ///   [`crate::conditional::join_labels`])
    /// - output: `[batch, channels, image_size, image_size]`
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let x = self.hidden(z, |_, x| x);
        tanh(self.output.forward(x))
    }

    /// The output of every layer after its activation: one per hidden block (after ReLU), then
    /// the image (after Tanh).
    pub fn activations(&self, z: Tensor<2>) -> Vec<Tensor<4>> {
        let mut out = Vec::with_capacity(self.blocks.len() + 1);
        let x = self.hidden(z, |_, x| {
            out.push(x.clone());
            x
        });
        out.push(tanh(self.output.forward(x)));
        out
    }

    /// Generates images with the feature maps of hidden block `layer` multiplied by `keep` (1 keeps
    /// a map, 0 drops it at every position): the paper's "forgetting" (section 6.3.1).
    ///
    /// # Shapes
    /// - z: `[batch, nz]`
    /// - keep: `[channels of block layer]`
    /// - output: `[batch, channels, image_size, image_size]`
    pub fn forward_masked(&self, z: Tensor<2>, layer: usize, keep: Tensor<1>) -> Tensor<4> {
        let [c] = keep.dims();
        let keep = keep.reshape([1, c, 1, 1]);
        let x = self.hidden(z, |i, x| if i == layer { x.mul(keep.clone()) } else { x });
        tanh(self.output.forward(x))
    }

    /// The hidden blocks (transposed convolution, batch norm, ReLU), `then(i, x)` applied to
    /// block `i`'s output before the next block sees it.
    fn hidden(
        &self,
        z: Tensor<2>,
        mut then: impl FnMut(usize, Tensor<4>) -> Tensor<4>,
    ) -> Tensor<4> {
        let [b, nz] = z.dims();
        let mut x = z.reshape([b, nz, 1, 1]);
        for (i, block) in self.blocks.iter().enumerate() {
            x = then(i, relu(block.bn.forward(block.conv.forward(x))));
        }
        x
    }
}
