//! Batch normalisation with PyTorch's running-statistics convention.
//!
//! Burn's `BatchNorm` folds the biased batch variance into its running variance; PyTorch folds
//! the unbiased one (`n / (n - 1)`). Sampling from a PyTorch-trained generator, or handing ours
//! to PyTorch, needs the latter, so this layer keeps PyTorch's convention and PyTorch's parameter
//! names (`weight`, `bias`, `running_mean`, `running_var`).

use burn::module::{Module, Param, RunningState};
use burn::tensor::{Device, Tensor};

/// Momentum of the running statistics (PyTorch's default).
const MOMENTUM: f64 = 0.1;
/// Added to the variance (PyTorch's default).
const EPSILON: f64 = 1e-5;

/// 2-D batch norm: `y = (x - mean) / sqrt(var + eps) * weight + bias`, per channel.
///
/// Like Burn's own layer, the mode follows the device: on an autodiff device (training) it
/// normalises with the batch statistics and updates the running ones; elsewhere (`valid()`,
/// sampling, feature extraction) it uses the running statistics.
///
/// # Shapes
/// - input: `[batch, channels, height, width]`
/// - output: same as input
#[derive(Module, Debug)]
pub struct BatchNorm2d {
    /// Scale (gamma), `[channels]`; `None` without learned affine parameters (PyTorch's
    /// `affine=False`: the layer only normalises, and stores no scale or bias).
    pub weight: Option<Param<Tensor<1>>>,
    /// Shift (beta), `[channels]`; `None` with `weight`.
    pub bias: Option<Param<Tensor<1>>>,
    /// Running mean, `[channels]`.
    pub running_mean: RunningState<Tensor<1>>,
    /// Running (unbiased) variance, `[channels]`.
    pub running_var: RunningState<Tensor<1>>,
}

impl BatchNorm2d {
    /// A layer with weight 1, bias 0, running mean 0 and running variance 1.
    pub fn new(channels: usize, device: &Device) -> Self {
        Self::with_affine(channels, true, device)
    }

    /// [`BatchNorm2d::new`], with learned scale and bias only if `affine`.
    pub fn with_affine(channels: usize, affine: bool, device: &Device) -> Self {
        Self {
            weight: affine.then(|| Param::from_tensor(Tensor::ones([channels], device))),
            bias: affine.then(|| Param::from_tensor(Tensor::zeros([channels], device))),
            running_mean: RunningState::new(Tensor::zeros([channels], device)),
            running_var: RunningState::new(Tensor::ones([channels], device)),
        }
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        let [c] = self.running_mean.value().dims();
        c
    }

    /// The scale and shift: the learned ones, or constant 1 and 0 without them, on `device`.
    fn affine(&self, device: &Device) -> (Tensor<1>, Tensor<1>) {
        match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => (w.val(), b.val()),
            _ => {
                let c = self.channels();
                (Tensor::ones([c], device), Tensor::zeros([c], device))
            }
        }
    }

    /// The per-channel factor of inference mode, `weight / sqrt(running_var + eps)`: the
    /// derivative of the output by the input there.
    pub fn inference_scale(&self) -> Tensor<1> {
        let var = self.running_var.value();
        let (weight, _) = self.affine(&var.device());
        weight.div(var.add_scalar(EPSILON).sqrt())
    }

    /// Normalises `input` with its own batch statistics (training mode) on any device, without
    /// touching the running statistics; returns the output and the batch's per-channel mean and
    /// unbiased variance.
    pub fn forward_batch_stats(&self, input: Tensor<4>) -> (Tensor<4>, Tensor<1>, Tensor<1>) {
        let [b, _, h, w] = input.dims();
        let n = (b * h * w) as f64;
        let (weight, bias) = self.affine(&input.device());
        let result = dcgan_kernels::batch_norm_train(input, weight, bias, EPSILON);
        let unbiased = if n > 1.0 { n / (n - 1.0) } else { 1.0 };
        (
            result.output,
            result.mean,
            result.variance.mul_scalar(unbiased),
        )
    }

    /// Applies the layer; see the type's documentation for the mode.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let device = input.device();
        if !device.is_autodiff() {
            let (weight, bias) = self.affine(&device);
            return dcgan_kernels::batch_norm(
                input,
                weight,
                bias,
                self.running_mean.value().to_device(&device),
                self.running_var.value().to_device(&device),
                EPSILON,
            );
        }
        let (output, batch_mean, batch_var) = self.forward_batch_stats(input);
        let mean = self.running_mean.value_sync().to_device(&device);
        let var = self.running_var.value_sync().to_device(&device);
        let mean = mean
            .mul_scalar(1.0 - MOMENTUM)
            .add(batch_mean.detach().mul_scalar(MOMENTUM));
        let var = var
            .mul_scalar(1.0 - MOMENTUM)
            .add(batch_var.detach().mul_scalar(MOMENTUM));
        self.running_mean.update(mean.detach());
        self.running_var.update(var.detach());
        output
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::weights::{NamedTensor, list};

    fn input(device: &Device) -> Tensor<4> {
        // One channel, values 1, 3, 5, 7: mean 4, biased variance 5, unbiased 20/3.
        Tensor::<1>::from_floats([1.0f32, 3.0, 5.0, 7.0], device).reshape([2, 1, 1, 2])
    }

    #[test]
    fn training_mode_uses_the_batch_and_updates_running_stats_like_pytorch() {
        let device = Device::flex().autodiff();
        let bn = BatchNorm2d::new(1, &device);
        let out = NamedTensor::from_tensor(bn.forward(input(&device)).inner()).values;
        let want = [-3.0f32, -1.0, 1.0, 3.0].map(|v| v / (5.0f32 + 1e-5).sqrt());
        for (a, b) in out.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{out:?}");
        }
        let t = list(&bn);
        assert!((t["running_mean"].values[0] - 0.4).abs() < 1e-6);
        // 0.9 * 1 + 0.1 * 20/3 (unbiased, as torch.nn.BatchNorm2d).
        assert!((t["running_var"].values[0] - (0.9 + 0.1 * 20.0 / 3.0)).abs() < 1e-5);
    }

    #[test]
    fn inference_mode_uses_running_stats_and_leaves_them_alone() {
        let ad = Device::flex().autodiff();
        let bn = BatchNorm2d::new(1, &ad);
        let _ = bn.forward(input(&ad));
        let valid = bn.valid();
        let plain = Device::flex();
        let out = NamedTensor::from_tensor(valid.forward(input(&plain))).values;
        let (mean, var) = (0.4f32, 0.9f32 + 0.1 * 20.0 / 3.0);
        for (a, x) in out.iter().zip([1.0f32, 3.0, 5.0, 7.0]) {
            assert!(
                (a - (x - mean) / (var + 1e-5).sqrt()).abs() < 1e-5,
                "{out:?}"
            );
        }
        let again = NamedTensor::from_tensor(valid.forward(input(&plain))).values;
        assert_eq!(out, again);
        assert!((list(&valid)["running_mean"].values[0] - 0.4).abs() < 1e-6);
    }
}
