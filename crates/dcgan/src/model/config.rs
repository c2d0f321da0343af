//! Model configuration: every architectural choice is data, not code.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The prior the latent vector z is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatentDistribution {
    /// Uniform in [-1, 1], as in the paper (section 4 and Fig. 1).
    Uniform,
    /// Standard normal, as in PyTorch's `examples/dcgan`.
    Normal,
}

impl std::str::FromStr for LatentDistribution {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "uniform" => Ok(Self::Uniform),
            "normal" => Ok(Self::Normal),
            _ => Err(Error::option(
                "latent",
                format!("unknown distribution `{s}`; expected uniform or normal"),
            )),
        }
    }
}

/// The largest image side a model may have (4 * 2^10).
pub const MAX_IMAGE_SIZE: usize = 4096;

/// The shape of a generator/discriminator pair.
///
/// ```
/// use dcgan::model::ModelConfig;
/// let paper = ModelConfig::default(); // 64x64 RGB, nz 100, ngf = ndf = 64, 4x4 kernels
/// assert_eq!(paper.strided_layers(), Some(4));
/// let bad = ModelConfig { image_size: 48, ..paper };
/// assert!(bad.validate().unwrap_err().to_string().contains("image_size"));
/// ```
///
/// The number of strided layers follows from the image size: `image_size = 4 * 2^n`, so 32 gives
/// 3, 64 gives 4 (the paper's Fig. 1 and PyTorch's example) and 128 gives 5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Side of the square images, `4 * 2^n` with `n >= 2` (16, 32, 64, 128, ...).
    pub image_size: usize,
    /// Image channels: 1 (grayscale) or 3 (RGB).
    pub channels: usize,
    /// Length of the latent vector z (the paper and PyTorch: 100).
    pub nz: usize,
    /// Generator width: feature maps of G's last hidden layer (PyTorch: 64).
    pub ngf: usize,
    /// Discriminator width: feature maps of D's first layer (PyTorch: 64).
    pub ndf: usize,
    /// Kernel of the strided layers: 4 (PyTorch's example) or 5 (the authors' code).
    pub kernel: usize,
    /// The prior of z.
    pub latent: LatentDistribution,
    /// Classes of a conditional model (the paper's appendix: the class joins z as a one-hot
    /// vector and D's input as one-hot maps, see [`crate::conditional`]); 0 is unconditional.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub classes: usize,
    /// Whether batch norm has its learned scale and bias (the appendix found the conditional
    /// model better without them).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub bn_affine: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Default for ModelConfig {
    /// PyTorch's `examples/dcgan` widths (nz 100, ngf = ndf = 64, 4x4 kernels) at 64x64 RGB with
    /// the paper's uniform prior.
    fn default() -> Self {
        use crate::defaults::{IMAGE_SIZE, KERNEL, NDF, NGF, NZ};
        Self {
            image_size: IMAGE_SIZE,
            channels: 3,
            nz: NZ,
            ngf: NGF,
            ndf: NDF,
            kernel: KERNEL,
            latent: LatentDistribution::Uniform,
            classes: 0,
            bn_affine: true,
        }
    }
}

impl ModelConfig {
    /// The shape of the images the model makes and judges.
    pub fn image_shape(&self) -> crate::images::ImageShape {
        crate::images::ImageShape::new(self.channels, self.image_size)
    }

    /// Checks every field, naming the offending setting.
    pub fn validate(&self) -> Result<()> {
        if self.strided_layers().is_none() {
            return Err(Error::option(
                "image_size",
                format!(
                    "{} cannot be made by a DCGAN: the size must be 4 * 2^n with n >= 2 \
                     (16, 32, 64, 128, 256, ...)",
                    self.image_size
                ),
            ));
        }
        if self.image_size > MAX_IMAGE_SIZE {
            return Err(Error::option(
                "image_size",
                format!("{}: at most {MAX_IMAGE_SIZE}", self.image_size),
            ));
        }
        if self.channels != 1 && self.channels != 3 {
            return Err(Error::option(
                "channels",
                format!("{}: expected 1 (grayscale) or 3 (RGB)", self.channels),
            ));
        }
        if self.kernel != 4 && self.kernel != 5 {
            return Err(Error::option(
                "kernel",
                format!(
                    "{}: expected 4 (PyTorch's example) or 5 (the authors' code)",
                    self.kernel
                ),
            ));
        }
        if self.classes > 1000 {
            return Err(Error::option(
                "classes",
                format!(
                    "{}: a conditional model has at most 1000 classes",
                    self.classes
                ),
            ));
        }
        for (flag, value) in [("nz", self.nz), ("ngf", self.ngf), ("ndf", self.ndf)] {
            if value == 0 || value > 4096 {
                return Err(Error::option(flag, format!("{value}: expected 1 to 4096")));
            }
        }
        Ok(())
    }

    /// Whether the model is conditional (has classes).
    pub fn is_conditional(&self) -> bool {
        self.classes > 0
    }

    /// Length of G's input: z, then the one-hot class of a conditional model.
    pub fn generator_input(&self) -> usize {
        self.nz + self.classes
    }

    /// The number of values G and D hold together (convolution weights, batch norm's running
    /// mean and variance and, with `bn_affine`, its scale and shift), saturating at `u64::MAX`. Known without building the model, so a file that claims a configuration can
    /// be checked against the values it holds before anything is allocated.
    pub fn value_count(&self) -> u64 {
        let Some(n) = self.strided_layers() else {
            return 0;
        };
        let w = |c: usize| c as u128;
        let (k, n) = (w(self.kernel), n as u32);
        let bn = |c: u128| if self.bn_affine { 4 * c } else { 2 * c };
        let g_width = |i: u32| w(self.ngf) << (n - 1 - i);
        let mut g = w(self.generator_input()) * g_width(0) * 16 + bn(g_width(0));
        for i in 1..n {
            g += g_width(i - 1) * g_width(i) * k * k + bn(g_width(i));
        }
        g += g_width(n - 1) * w(self.channels) * k * k;
        let d_width = |i: u32| w(self.ndf) << i;
        let mut d = w(self.channels + self.classes) * d_width(0) * k * k;
        for i in 1..n {
            d += d_width(i - 1) * d_width(i) * k * k + bn(d_width(i));
        }
        d += d_width(n - 1) * 16;
        u64::try_from(g + d).unwrap_or(u64::MAX)
    }

    /// Number of stride-2 layers in each network, or `None` for a size no DCGAN makes.
    pub fn strided_layers(&self) -> Option<usize> {
        let s = self.image_size;
        if s < 16 || !s.is_multiple_of(4) || !(s / 4).is_power_of_two() {
            return None;
        }
        Some((s / 4).trailing_zeros() as usize)
    }

    /// Padding of the strided layers: keeps each stride-2 layer an exact halving or doubling.
    pub fn padding(&self) -> usize {
        // k = 4: pad 1 (PyTorch); k = 5: pad 2 (authors' `dnn.py` uses pad (k-1)/2).
        (self.kernel - 1) / 2
    }

    /// Output padding of the transposed convolutions: 0 for k = 4, 1 for k = 5.
    pub fn output_padding(&self) -> usize {
        // out = (in - 1) * 2 - 2 * pad + k + out_pad must equal 2 * in.
        2 + 2 * self.padding() - self.kernel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_count_is_what_the_built_model_holds() {
        use burn::module::Module;
        let device = burn::tensor::Device::flex();
        let paper = ModelConfig::default();
        for config in [
            paper.clone(),
            ModelConfig {
                image_size: 32,
                kernel: 5,
                ngf: 8,
                ndf: 12,
                nz: 7,
                ..paper.clone()
            },
            ModelConfig {
                image_size: 16,
                channels: 1,
                classes: 10,
                ngf: 4,
                ndf: 4,
                ..paper.clone()
            },
            ModelConfig {
                image_size: 128,
                ngf: 2,
                ndf: 3,
                bn_affine: false,
                ..paper.clone()
            },
        ] {
            let g = crate::model::Generator::new(&config, &device);
            let d = crate::model::Discriminator::new(&config, &device);
            let built = (g.num_params() + d.num_params()) as u64;
            assert_eq!(config.value_count(), built, "{config:?}");
        }
        let huge = ModelConfig {
            image_size: 4096,
            ngf: 4096,
            ndf: 4096,
            ..paper
        };
        assert!(huge.validate().is_ok());
        assert!(huge.value_count() > 1 << 40);
        let too_big = ModelConfig {
            image_size: 8192,
            ..ModelConfig::default()
        };
        assert!(
            too_big
                .validate()
                .unwrap_err()
                .to_string()
                .contains("at most 4096")
        );
    }

    #[test]
    fn depth_follows_image_size() {
        let mut c = ModelConfig::default();
        for (size, depth) in [(16, 2), (32, 3), (64, 4), (128, 5), (256, 6)] {
            c.image_size = size;
            assert_eq!(c.strided_layers(), Some(depth), "size {size}");
            c.validate().unwrap();
        }
        for size in [0, 4, 8, 12, 48, 96, 100] {
            c.image_size = size;
            let err = c.validate().unwrap_err().to_string();
            assert!(
                err.contains("image_size") && err.contains(&size.to_string()),
                "{err}"
            );
        }
    }

    #[test]
    fn both_kernels_give_exact_doubling() {
        for kernel in [4, 5] {
            let c = ModelConfig {
                kernel,
                ..Default::default()
            };
            let (k, p, op) = (kernel, c.padding(), c.output_padding());
            for n in [4usize, 8, 16] {
                assert_eq!((n - 1) * 2 + k + op - 2 * p, 2 * n, "transposed, k={k}");
                assert_eq!((n + 2 * p - k) / 2 + 1, n / 2, "strided, k={k}");
            }
        }
    }

    #[test]
    fn rejects_bad_channels_and_kernel() {
        let c = ModelConfig {
            channels: 2,
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("channels"));
        let c = ModelConfig {
            kernel: 3,
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("kernel"));
    }

    #[test]
    fn round_trips_through_json() {
        let c = ModelConfig {
            image_size: 32,
            channels: 1,
            kernel: 5,
            latent: LatentDistribution::Normal,
            ..Default::default()
        };
        let back: ModelConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
