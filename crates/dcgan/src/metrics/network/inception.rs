//! pytorch-fid's FID Inception-v3: torchvision's `Inception3` with 1008 classes whose blocks
//! `Mixed_5b..5d` (FIDInceptionA), `Mixed_6b..6e` (FIDInceptionC) and `Mixed_7b` (FIDInceptionE_1)
//! average-pool without counting the padded zeros, and whose `Mixed_7c` (FIDInceptionE_2)
//! max-pools, as the TensorFlow graph of the original FID code does. Inputs are resized to
//! 299 x 299 (bilinear, `align_corners=False`) and scaled to `[-1, 1]`; the features are the
//! 2048 channels of the last block averaged over space ("pool3").
//!
//! Weights come from pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (or its safetensors
//! conversion) under its state-dict names (`Mixed_5b.branch1x1.conv.weight`, ...). Each
//! `BasicConv2d` (convolution without bias, batch norm with eps 0.001 in inference mode, ReLU) is
//! folded into one convolution with bias when the weights are loaded.

use std::collections::HashMap;

use burn::tensor::module::{avg_pool2d, interpolate, max_pool2d};
use burn::tensor::ops::{
    AvgPoolOptions, ConvOptions, InterpolateMode, InterpolateOptions, MaxPoolOptions,
};
use burn::tensor::{Device, Tensor, TensorData};
use dcgan_kernels::{conv2d, relu};

use crate::model::weights::Tensors;
use crate::{Error, Result};

/// Input side of the network.
pub const INPUT_SIZE: usize = 299;
/// Length of the pool3 features.
pub const FEATURES: usize = 2048;
/// Classes of the 2015 graph's softmax (1000 ImageNet classes and 8 unused).
pub const CLASSES: usize = 1008;
/// Batch-norm epsilon of torchvision's `BasicConv2d`.
const BN_EPS: f64 = 0.001;

/// One `BasicConv2d` as pytorch-fid's network has it.
#[derive(Debug, Clone)]
struct ConvSpec {
    name: String,
    cin: usize,
    cout: usize,
    kernel: [usize; 2],
    stride: usize,
    padding: [usize; 2],
}

fn spec(prefix: &str, name: &str, cin: usize, cout: usize, kernel: [usize; 2]) -> ConvSpec {
    ConvSpec {
        name: if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        },
        cin,
        cout,
        kernel,
        stride: 1,
        padding: [kernel[0] / 2, kernel[1] / 2],
    }
}

fn strided(mut s: ConvSpec) -> ConvSpec {
    s.stride = 2;
    s.padding = [0, 0];
    s
}

fn unpadded(mut s: ConvSpec) -> ConvSpec {
    s.padding = [0, 0];
    s
}

/// The blocks, in order, with their input widths (torchvision's `Inception3.__init__`).
#[derive(Debug, Clone, Copy)]
enum Block {
    A { cin: usize, pool_features: usize },
    B { cin: usize },
    C { cin: usize, c7: usize },
    D { cin: usize },
    E { cin: usize, max_pool: bool },
}

const BLOCKS: [(&str, Block); 11] = [
    (
        "Mixed_5b",
        Block::A {
            cin: 192,
            pool_features: 32,
        },
    ),
    (
        "Mixed_5c",
        Block::A {
            cin: 256,
            pool_features: 64,
        },
    ),
    (
        "Mixed_5d",
        Block::A {
            cin: 288,
            pool_features: 64,
        },
    ),
    ("Mixed_6a", Block::B { cin: 288 }),
    ("Mixed_6b", Block::C { cin: 768, c7: 128 }),
    ("Mixed_6c", Block::C { cin: 768, c7: 160 }),
    ("Mixed_6d", Block::C { cin: 768, c7: 160 }),
    ("Mixed_6e", Block::C { cin: 768, c7: 192 }),
    ("Mixed_7a", Block::D { cin: 768 }),
    (
        "Mixed_7b",
        Block::E {
            cin: 1280,
            max_pool: false,
        },
    ),
    (
        "Mixed_7c",
        Block::E {
            cin: 2048,
            max_pool: true,
        },
    ),
];

impl Block {
    /// The block's convolutions (`FIDInceptionA`, `InceptionB`, `FIDInceptionC`, `InceptionD`,
    /// `FIDInceptionE_1/2`).
    fn convs(self, p: &str) -> Vec<ConvSpec> {
        match self {
            Block::A { cin, pool_features } => vec![
                spec(p, "branch1x1", cin, 64, [1, 1]),
                spec(p, "branch5x5_1", cin, 48, [1, 1]),
                spec(p, "branch5x5_2", 48, 64, [5, 5]),
                spec(p, "branch3x3dbl_1", cin, 64, [1, 1]),
                spec(p, "branch3x3dbl_2", 64, 96, [3, 3]),
                spec(p, "branch3x3dbl_3", 96, 96, [3, 3]),
                spec(p, "branch_pool", cin, pool_features, [1, 1]),
            ],
            Block::B { cin } => vec![
                strided(spec(p, "branch3x3", cin, 384, [3, 3])),
                spec(p, "branch3x3dbl_1", cin, 64, [1, 1]),
                spec(p, "branch3x3dbl_2", 64, 96, [3, 3]),
                strided(spec(p, "branch3x3dbl_3", 96, 96, [3, 3])),
            ],
            Block::C { cin, c7 } => vec![
                spec(p, "branch1x1", cin, 192, [1, 1]),
                spec(p, "branch7x7_1", cin, c7, [1, 1]),
                spec(p, "branch7x7_2", c7, c7, [1, 7]),
                spec(p, "branch7x7_3", c7, 192, [7, 1]),
                spec(p, "branch7x7dbl_1", cin, c7, [1, 1]),
                spec(p, "branch7x7dbl_2", c7, c7, [7, 1]),
                spec(p, "branch7x7dbl_3", c7, c7, [1, 7]),
                spec(p, "branch7x7dbl_4", c7, c7, [7, 1]),
                spec(p, "branch7x7dbl_5", c7, 192, [1, 7]),
                spec(p, "branch_pool", cin, 192, [1, 1]),
            ],
            Block::D { cin } => vec![
                spec(p, "branch3x3_1", cin, 192, [1, 1]),
                strided(spec(p, "branch3x3_2", 192, 320, [3, 3])),
                spec(p, "branch7x7x3_1", cin, 192, [1, 1]),
                spec(p, "branch7x7x3_2", 192, 192, [1, 7]),
                spec(p, "branch7x7x3_3", 192, 192, [7, 1]),
                strided(spec(p, "branch7x7x3_4", 192, 192, [3, 3])),
            ],
            Block::E { cin, .. } => vec![
                spec(p, "branch1x1", cin, 320, [1, 1]),
                spec(p, "branch3x3_1", cin, 384, [1, 1]),
                spec(p, "branch3x3_2a", 384, 384, [1, 3]),
                spec(p, "branch3x3_2b", 384, 384, [3, 1]),
                spec(p, "branch3x3dbl_1", cin, 448, [1, 1]),
                spec(p, "branch3x3dbl_2", 448, 384, [3, 3]),
                spec(p, "branch3x3dbl_3a", 384, 384, [1, 3]),
                spec(p, "branch3x3dbl_3b", 384, 384, [3, 1]),
                spec(p, "branch_pool", cin, 192, [1, 1]),
            ],
        }
    }
}

/// Every `BasicConv2d` of the network, stem first.
fn conv_specs() -> Vec<ConvSpec> {
    let mut out = vec![
        strided(spec("", "Conv2d_1a_3x3", 3, 32, [3, 3])),
        unpadded(spec("", "Conv2d_2a_3x3", 32, 32, [3, 3])),
        spec("", "Conv2d_2b_3x3", 32, 64, [3, 3]),
        spec("", "Conv2d_3b_1x1", 64, 80, [1, 1]),
        unpadded(spec("", "Conv2d_4a_3x3", 80, 192, [3, 3])),
    ];
    for (name, block) in BLOCKS {
        out.extend(block.convs(name));
    }
    out
}

/// The tensors a weights file must hold, by pytorch-fid name, with their shapes.
pub fn expected_tensors() -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    for s in conv_specs() {
        out.push((
            format!("{}.conv.weight", s.name),
            vec![s.cout, s.cin, s.kernel[0], s.kernel[1]],
        ));
        for leaf in ["weight", "bias", "running_mean", "running_var"] {
            out.push((format!("{}.bn.{leaf}", s.name), vec![s.cout]));
        }
    }
    out.push(("fc.weight".into(), vec![CLASSES, FEATURES]));
    out.push(("fc.bias".into(), vec![CLASSES]));
    out
}

/// A `BasicConv2d` with its batch norm folded in: `relu(conv(x, w') + b')`.
#[derive(Debug, Clone)]
struct FoldedConv {
    weight: Tensor<4>,
    bias: Tensor<1>,
    options: ConvOptions<2>,
}

impl FoldedConv {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        relu(conv2d(
            x,
            self.weight.clone(),
            Some(self.bias.clone()),
            self.options.clone(),
        ))
    }
}

/// The network, ready for inference.
#[derive(Debug, Clone)]
pub struct InceptionV3 {
    convs: HashMap<String, FoldedConv>,
    /// `fc.weight` transposed, `[2048, 1008]`.
    fc_weight_t: Tensor<2>,
    fc_bias: Tensor<1>,
}

impl InceptionV3 {
    /// Builds the network from pytorch-fid's tensors; `origin` names the file in errors. Every
    /// tensor must be present with its shape; others (`num_batches_tracked`) are ignored.
    pub fn from_tensors(
        tensors: &Tensors,
        origin: &std::path::Path,
        device: &Device,
    ) -> Result<Self> {
        for (name, shape) in expected_tensors() {
            match tensors.get(&name) {
                None => {
                    return Err(Error::format(
                        origin,
                        format!(
                            "tensor `{name}` is missing: not pytorch-fid's FID Inception weights \
                             (pt_inception-2015-12-05-6726825d.pth)"
                        ),
                    ));
                }
                Some(t) if t.shape != shape => {
                    return Err(Error::format(
                        origin,
                        format!(
                            "tensor `{name}` has shape {:?}; the FID Inception needs {shape:?}",
                            t.shape
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let get = |name: &str| &tensors[name].values;
        let mut convs = HashMap::new();
        for s in conv_specs() {
            let w = get(&format!("{}.conv.weight", s.name));
            let bn = |leaf: &str| get(&format!("{}.bn.{leaf}", s.name));
            let (gamma, beta, mean, var) = (
                bn("weight"),
                bn("bias"),
                bn("running_mean"),
                bn("running_var"),
            );
            let per_out = s.cin * s.kernel[0] * s.kernel[1];
            let scale: Vec<f64> = (0..s.cout)
                .map(|o| gamma[o] as f64 / (var[o] as f64 + BN_EPS).sqrt())
                .collect();
            let weight: Vec<f32> = w
                .iter()
                .enumerate()
                .map(|(i, &v)| (v as f64 * scale[i / per_out]) as f32)
                .collect();
            let bias: Vec<f32> = (0..s.cout)
                .map(|o| (beta[o] as f64 - mean[o] as f64 * scale[o]) as f32)
                .collect();
            convs.insert(
                s.name.clone(),
                FoldedConv {
                    weight: Tensor::from_data(
                        TensorData::new(weight, [s.cout, s.cin, s.kernel[0], s.kernel[1]]),
                        device,
                    ),
                    bias: Tensor::from_data(TensorData::new(bias, [s.cout]), device),
                    options: ConvOptions::new([s.stride; 2], s.padding, [1, 1], 1),
                },
            );
        }
        let fc = get("fc.weight");
        let fc_t: Vec<f32> = (0..FEATURES * CLASSES)
            .map(|k| fc[(k % CLASSES) * FEATURES + k / CLASSES])
            .collect();
        Ok(Self {
            convs,
            fc_weight_t: Tensor::from_data(TensorData::new(fc_t, [FEATURES, CLASSES]), device),
            fc_bias: Tensor::from_data(TensorData::new(get("fc.bias").clone(), [CLASSES]), device),
        })
    }

    /// The network with pseudo-random weights from `seed` (He-uniform convolutions, unit batch
    /// norms): its features mean nothing, its speed is the real network's (benchmarks).
    pub fn with_random_weights(seed: u64, device: &Device) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let tensors: Tensors = expected_tensors()
            .into_iter()
            .map(|(name, shape)| {
                let n: usize = shape.iter().product();
                let fan_in: usize = shape[1..].iter().product::<usize>().max(1);
                let a = (6.0 / fan_in as f32).sqrt();
                let values = if name.ends_with("running_var") || name.ends_with("bn.weight") {
                    vec![1.0; n]
                } else if name.contains(".bn.") || name == "fc.bias" {
                    vec![0.0; n]
                } else {
                    (0..n).map(|_| rng.random_range(-a..a)).collect()
                };
                (name, crate::model::weights::NamedTensor { shape, values })
            })
            .collect();
        Self::from_tensors(&tensors, std::path::Path::new("random"), device)
            .expect("the expected tensors")
    }

    fn conv(&self, name: &str, x: Tensor<4>) -> Tensor<4> {
        self.convs[name].forward(x)
    }

    /// pool3 features of RGB images in `[-1, 1]` (any size: resized to 299 first).
    ///
    /// # Shapes
    /// - images: `[batch, 3, height, width]`
    /// - output: `[batch, 2048]`
    pub fn pool3(&self, images: Tensor<4>) -> Tensor<2> {
        let [b, c, h, w] = images.dims();
        assert_eq!(c, 3, "the Inception takes RGB images");
        let mut x = if (h, w) == (INPUT_SIZE, INPUT_SIZE) {
            images
        } else {
            resize_bilinear(images, INPUT_SIZE, INPUT_SIZE)
        };
        let pool = |x: Tensor<4>| max_pool2d(x, MaxPoolOptions::new([3, 3]).with_stride([2, 2]));
        x = self.conv("Conv2d_1a_3x3", x);
        x = self.conv("Conv2d_2a_3x3", x);
        x = pool(self.conv("Conv2d_2b_3x3", x));
        x = self.conv("Conv2d_3b_1x1", x);
        x = pool(self.conv("Conv2d_4a_3x3", x));
        for (name, block) in BLOCKS {
            x = self.block(name, block, x);
        }
        x.mean_dim(3).mean_dim(2).reshape([b, FEATURES])
    }

    /// Class logits from pool3 features: with `fc`'s bias (`torchvision`'s `fc(x)`) or without
    /// it (the original Inception Score code and torch-fidelity's `logits_unbiased`).
    ///
    /// # Shapes
    /// - pool3: `[batch, 2048]`
    /// - output: `[batch, 1008]`
    pub fn logits(&self, pool3: Tensor<2>, with_bias: bool) -> Tensor<2> {
        let l = pool3.matmul(self.fc_weight_t.clone());
        if with_bias {
            let c = self.fc_bias.dims()[0];
            l.add(self.fc_bias.clone().reshape([1, c]))
        } else {
            l
        }
    }

    fn block(&self, p: &str, block: Block, x: Tensor<4>) -> Tensor<4> {
        let c = |name: &str, x: Tensor<4>| self.conv(&format!("{p}.{name}"), x);
        // FID variants: 3x3 average pooling, stride 1, padding 1, padded zeros not counted.
        let avg = |x: Tensor<4>| {
            avg_pool2d(
                x,
                AvgPoolOptions::new([3, 3])
                    .with_stride([1, 1])
                    .with_padding([1, 1])
                    .with_count_include_pad(false),
            )
        };
        let down = |x: Tensor<4>| max_pool2d(x, MaxPoolOptions::new([3, 3]).with_stride([2, 2]));
        match block {
            Block::A { .. } => {
                let b1 = c("branch1x1", x.clone());
                let b5 = c("branch5x5_2", c("branch5x5_1", x.clone()));
                let b3 = c(
                    "branch3x3dbl_3",
                    c("branch3x3dbl_2", c("branch3x3dbl_1", x.clone())),
                );
                let bp = c("branch_pool", avg(x));
                Tensor::cat(vec![b1, b5, b3, bp], 1)
            }
            Block::B { .. } => {
                let b3 = c("branch3x3", x.clone());
                let bd = c(
                    "branch3x3dbl_3",
                    c("branch3x3dbl_2", c("branch3x3dbl_1", x.clone())),
                );
                Tensor::cat(vec![b3, bd, down(x)], 1)
            }
            Block::C { .. } => {
                let b1 = c("branch1x1", x.clone());
                let b7 = c("branch7x7_3", c("branch7x7_2", c("branch7x7_1", x.clone())));
                let mut bd = c("branch7x7dbl_1", x.clone());
                for k in 2..=5 {
                    bd = c(&format!("branch7x7dbl_{k}"), bd);
                }
                let bp = c("branch_pool", avg(x));
                Tensor::cat(vec![b1, b7, bd, bp], 1)
            }
            Block::D { .. } => {
                let b3 = c("branch3x3_2", c("branch3x3_1", x.clone()));
                let mut b7 = c("branch7x7x3_1", x.clone());
                for k in 2..=4 {
                    b7 = c(&format!("branch7x7x3_{k}"), b7);
                }
                Tensor::cat(vec![b3, b7, down(x)], 1)
            }
            Block::E { max_pool, .. } => {
                let b1 = c("branch1x1", x.clone());
                let b3 = c("branch3x3_1", x.clone());
                let b3 = Tensor::cat(
                    vec![c("branch3x3_2a", b3.clone()), c("branch3x3_2b", b3)],
                    1,
                );
                let bd = c("branch3x3dbl_2", c("branch3x3dbl_1", x.clone()));
                let bd = Tensor::cat(
                    vec![c("branch3x3dbl_3a", bd.clone()), c("branch3x3dbl_3b", bd)],
                    1,
                );
                // FIDInceptionE_2 max-pools here (stride 1, padding 1); FIDInceptionE_1 averages.
                let pooled = if max_pool {
                    max_pool2d(
                        x,
                        MaxPoolOptions::new([3, 3])
                            .with_stride([1, 1])
                            .with_padding([1, 1]),
                    )
                } else {
                    avg(x)
                };
                let bp = c("branch_pool", pooled);
                Tensor::cat(vec![b1, b3, bd, bp], 1)
            }
        }
    }
}

/// Bilinear resizing as PyTorch's `F.interpolate(x, size, mode="bilinear",
/// align_corners=False)` (no antialiasing).
///
/// # Shapes
/// - x: `[batch, channels, h, w]`
/// - output: `[batch, channels, height, width]`
pub fn resize_bilinear(x: Tensor<4>, height: usize, width: usize) -> Tensor<4> {
    interpolate(
        x,
        InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(false)
            .with_output_size([height, width]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_has_pytorch_fids_parameter_count() {
        // torchvision's Inception3 without AuxLogits, 1008 classes: 23,850,960 parameters in
        // its convolutions, batch-norm scales and shifts and fc (running statistics aside).
        let params: usize = expected_tensors()
            .iter()
            .filter(|(n, _)| !n.contains("running"))
            .map(|(_, s)| s.iter().product::<usize>())
            .sum();
        assert_eq!(params, 23_850_960);
        assert_eq!(conv_specs().len(), 94);
    }
}
