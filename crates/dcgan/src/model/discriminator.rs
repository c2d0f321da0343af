//! The discriminator: strided convolutions with LeakyReLU 0.2 down to one logit.

use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};
use dcgan_kernels::leaky_relu;
use dcgan_kernels::nn::Conv2d;

use super::{BatchNorm2d, ModelConfig};

/// LeakyReLU slope in every D layer (paper section 3).
pub const LEAKY_SLOPE: f64 = 0.2;

/// A strided convolution, batch norm and LeakyReLU.
#[derive(Module, Debug)]
pub struct DiscriminatorBlock {
    /// The stride-2 convolution, no bias (BN supplies it).
    pub conv: Conv2d,
    /// Its batch norm.
    pub bn: BatchNorm2d,
}

/// One of D's convolutional layers as its forward pass runs it: the convolution, batch norm
/// (every layer but the input layer), LeakyReLU 0.2. [`Discriminator::layers`] lists them; the
/// feature extractor, guided backpropagation and the batch-norm re-estimation walk this list
/// instead of writing the pass again.
#[derive(Debug, Clone, Copy)]
pub struct Layer<'a> {
    /// The strided convolution.
    pub conv: &'a Conv2d,
    /// Its batch norm (`None` for the input layer).
    pub bn: Option<&'a BatchNorm2d>,
}

impl Layer<'_> {
    /// The convolution and batch norm, before LeakyReLU.
    pub fn pre_activation(&self, x: Tensor<4>) -> Tensor<4> {
        let z = self.conv.forward(x);
        match self.bn {
            Some(bn) => bn.forward(z),
            None => z,
        }
    }

    /// The whole layer.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        leaky_relu(self.pre_activation(x), LEAKY_SLOPE)
    }
}

/// The DCGAN discriminator (docs/paper.md section 1).
///
/// The input layer has no batch norm; each block halves the side and doubles the width; the last
/// 4x4 map is flattened into one output by a 4x4 convolution (a dense layer over the flattened
/// map). At 64x64 with ndf = 64: `[c,64,64] -> [64,32,32] -> [128,16,16] -> [256,8,8] ->
/// [512,4,4] -> [1]`.
#[derive(Module, Debug)]
pub struct Discriminator {
    /// The input layer (LeakyReLU, no batch norm).
    pub input: Conv2d,
    /// Hidden layers (BN then LeakyReLU).
    pub blocks: Vec<DiscriminatorBlock>,
    /// The readout: a 4x4 valid convolution to one logit.
    pub output: Conv2d,
}

fn conv(cin: usize, cout: usize, k: usize, stride: usize, pad: usize, device: &Device) -> Conv2d {
    Conv2d::new([cin, cout], k, stride, pad, false, device)
}

impl Discriminator {
    /// Builds the discriminator for `config` with zero weights; see
    /// [`super::weights::initialize`].
    pub fn new(config: &ModelConfig, device: &Device) -> Self {
        let n = config
            .strided_layers()
            .expect("ModelConfig::validate must be called before building a model");
        let (k, p) = (config.kernel, config.padding());
        let width = |i: usize| config.ndf << i;
        // [c, S, S] -> [ndf, S/2, S/2]
        // A conditional D sees its class as one-hot maps beside the image's channels.
        let input = conv(config.channels + config.classes, width(0), k, 2, p, device);
        let blocks = (1..n)
            .map(|i| DiscriminatorBlock {
                conv: conv(width(i - 1), width(i), k, 2, p, device),
                bn: BatchNorm2d::with_affine(width(i), config.bn_affine, device),
            })
            .collect();
        // [ndf * 2^(n-1), 4, 4] -> [1, 1, 1]
        let output = conv(width(n - 1), 1, 4, 1, 0, device);
        Self {
            input,
            blocks,
            output,
        }
    }

    /// The logit of "real" for each image (apply a sigmoid for D's probability).
    ///
    /// # Shapes
    /// - images: `[batch, channels, image_size, image_size]`
    /// - output: `[batch]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<1> {
        let [b, ..] = images.dims();
        self.readout(images).reshape([b])
    }

    /// The readout's output map, `[batch, outputs, 1, 1]`: one logit per image for the GAN's D,
    /// one per class when the readout is widened (the supervised baseline).
    pub fn readout(&self, images: Tensor<4>) -> Tensor<4> {
        self.output.forward(self.hidden(images, |_| {}))
    }

    /// The convolutional layers, input layer first (the readout is not among them).
    pub fn layers(&self) -> Vec<Layer<'_>> {
        std::iter::once(Layer {
            conv: &self.input,
            bn: None,
        })
        .chain(self.blocks.iter().map(|b| Layer {
            conv: &b.conv,
            bn: Some(&b.bn),
        }))
        .collect()
    }

    /// D's probability that each image is real.
    pub fn probability(&self, images: Tensor<4>) -> Tensor<1> {
        sigmoid(self.forward(images))
    }

    /// The output of every convolutional layer after its LeakyReLU, input layer first: the
    /// layers the paper's feature extractor pools (section 5.1).
    pub fn activations(&self, images: Tensor<4>) -> Vec<Tensor<4>> {
        let mut out = Vec::with_capacity(self.blocks.len() + 1);
        self.hidden(images, |x| out.push(x.clone()));
        out
    }

    fn hidden(&self, images: Tensor<4>, mut each: impl FnMut(&Tensor<4>)) -> Tensor<4> {
        let mut x = images;
        for layer in self.layers() {
            x = layer.forward(x);
            each(&x);
        }
        x
    }
}
