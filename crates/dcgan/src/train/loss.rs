//! The GAN losses: binary cross-entropy on D's logits, computed stably.

use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Tensor, TensorData};

/// `softplus(x) = log(1 + e^x)`, stable for large `|x|`: `max(x, 0) + log1p(e^{-|x|})`.
pub fn softplus(x: Tensor<1>) -> Tensor<1> {
    relu(x.clone()).add(x.abs().neg().exp().log1p())
}

/// Mean binary cross-entropy of `sigmoid(logits)` against the constant target 1 ("real"):
/// `-log D(x) = softplus(-logit)`. With fake logits this is the generator's non-saturating loss
/// (maximise log D(G(z)), Goodfellow et al. 2014; PyTorch's example).
pub fn bce_real(logits: Tensor<1>) -> Tensor<1> {
    softplus(logits.neg()).mean()
}

/// Mean binary cross-entropy against the constant target 0 ("fake"): `-log(1 - D(x))`.
pub fn bce_fake(logits: Tensor<1>) -> Tensor<1> {
    softplus(logits).mean()
}

/// Mean softmax cross-entropy of `logits` (`[b, classes]`) against class indices `labels`
/// (`-log softmax(logits)[label]`, averaged over the batch).
pub fn cross_entropy(logits: Tensor<2>, labels: &[u16]) -> Tensor<1> {
    let [b, classes] = logits.dims();
    let mut onehot = vec![0.0f32; b * classes];
    for (k, &label) in labels.iter().enumerate() {
        onehot[k * classes + label as usize] = 1.0;
    }
    let target = Tensor::<2>::from_data(TensorData::new(onehot, [b, classes]), &logits.device());
    log_softmax(logits, 1)
        .mul(target)
        .sum()
        .neg()
        .div_scalar(b as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn matches_the_textbook_formula_and_stays_finite() {
        let device = Device::flex();
        let xs = [-3.0f32, -0.5, 0.0, 0.7, 2.5];
        let t = Tensor::<1>::from_floats(xs, &device);
        let real = bce_real(t.clone()).into_scalar::<f32>();
        let fake = bce_fake(t).into_scalar::<f32>();
        let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
        let want_real = xs.iter().map(|&x| -sig(x).ln()).sum::<f32>() / 5.0;
        let want_fake = xs.iter().map(|&x| -(1.0 - sig(x)).ln()).sum::<f32>() / 5.0;
        assert!((real - want_real).abs() < 1e-5, "{real} {want_real}");
        assert!((fake - want_fake).abs() < 1e-5, "{fake} {want_fake}");
        let big = Tensor::<1>::from_floats([200.0f32, -200.0], &device);
        let v = bce_fake(big).into_scalar::<f32>();
        assert!((v - 100.0).abs() < 1e-3, "{v}");
    }

    #[test]
    fn cross_entropy_is_the_mean_negative_log_probability() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![0.0f32, 0.0, 2.0, 1.0, 0.0, 0.0], [2, 3]),
            &device,
        );
        let got = cross_entropy(logits, &[2, 0]).into_scalar::<f32>();
        let p0 = 2f32.exp() / (2.0 + 2f32.exp());
        let p1 = 1f32.exp() / (2.0 + 1f32.exp());
        let want = -(p0.ln() + p1.ln()) / 2.0;
        assert!((got - want).abs() < 1e-6, "{got} {want}");
    }
}
