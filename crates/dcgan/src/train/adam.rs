//! Adam (Kingma & Ba 2014) exactly as PyTorch's `torch.optim.Adam` computes it, with its state
//! keyed by parameter path so that it can be checkpointed and restored by name.
//!
//! Burn's own Adam keys its state by `ParamId`, which is fresh in every process; a resumed run
//! rebuilds its modules from files, so here the key is the module path instead.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;

use crate::model::weights::{NamedTensor, Tensors};

/// Adam's hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamConfig {
    /// Learning rate (paper: 0.0002; "0.001 too high", section 4).
    pub lr: f64,
    /// First-moment decay (paper: 0.5; "0.9 oscillated", section 4).
    pub beta1: f64,
    /// Second-moment decay (PyTorch's default 0.999).
    pub beta2: f64,
    /// Added to the denominator (PyTorch's default 1e-8).
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        use crate::defaults::{BETA1, BETA2, EPS, LR};
        Self {
            lr: LR,
            beta1: BETA1,
            beta2: BETA2,
            eps: EPS,
        }
    }
}

/// Adam's state for one module.
#[derive(Debug, Clone)]
pub struct Adam {
    /// Hyper-parameters.
    pub config: AdamConfig,
    /// Steps taken.
    pub step: u64,
    /// First and second moments by parameter path, flattened.
    moments: BTreeMap<String, (Tensor<1>, Tensor<1>)>,
}

impl Adam {
    /// Fresh state.
    pub fn new(config: AdamConfig) -> Self {
        Self {
            config,
            step: 0,
            moments: BTreeMap::new(),
        }
    }

    /// Applies one update to every parameter of `module` that has a gradient in `grads`.
    pub fn step<M: Module>(&mut self, module: M, mut grads: GradientsParams) -> M {
        self.step += 1;
        let t = self.step as i32;
        let c = self.config;
        let bias1 = 1.0 - c.beta1.powi(t);
        let bias2 = 1.0 - c.beta2.powi(t);
        let mut mapper = Stepper {
            adam: self,
            grads: &mut grads,
            path: Vec::new(),
            step_size: c.lr / bias1,
            bias2_sqrt: bias2.sqrt(),
        };
        module.map(&mut mapper)
    }

    /// The moments as named tensors (`m.<path>`, `v.<path>`), for checkpoints.
    pub fn state(&self) -> Tensors {
        let mut out = Tensors::new();
        for (path, (m, v)) in &self.moments {
            for (kind, t) in [("m", m), ("v", v)] {
                out.insert(
                    format!("{kind}.{path}"),
                    NamedTensor::from_tensor(t.clone()),
                );
            }
        }
        out
    }

    /// Restores state written by [`Adam::state`].
    pub fn restore(config: AdamConfig, step: u64, state: &Tensors, device: &Device) -> Self {
        let mut moments = BTreeMap::new();
        for (name, m) in state {
            if let Some(path) = name.strip_prefix("m.")
                && let Some(v) = state.get(&format!("v.{path}"))
            {
                let load = |t: &NamedTensor| {
                    Tensor::<1>::from_data(
                        TensorData::new(t.values.clone(), [t.values.len()]),
                        device,
                    )
                };
                moments.insert(path.to_string(), (load(m), load(v)));
            }
        }
        Self {
            config,
            step,
            moments,
        }
    }
}

struct Stepper<'a> {
    adam: &'a mut Adam,
    grads: &'a mut GradientsParams,
    path: Vec<String>,
    step_size: f64,
    bias2_sqrt: f64,
}

/// Adam's update, `(parameter, m, v)` after the step.
type Updated = (Tensor<1>, Tensor<1>, Tensor<1>);

/// Below this many values a parameter is updated on one thread.
const PARALLEL_MIN: usize = 1 << 16;

impl Stepper<'_> {
    /// The update as tensor operations, for any device.
    fn update_with_tensors(
        &self,
        value: Tensor<1>,
        grad: Tensor<1>,
        m: Tensor<1>,
        v: Tensor<1>,
    ) -> Updated {
        let c = self.adam.config;
        // PyTorch: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
        // p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
        let m = m
            .mul_scalar(c.beta1)
            .add(grad.clone().mul_scalar(1.0 - c.beta1));
        let v = v
            .mul_scalar(c.beta2)
            .add(grad.clone().mul(grad).mul_scalar(1.0 - c.beta2));
        let denom = v
            .clone()
            .sqrt()
            .div_scalar(self.bias2_sqrt)
            .add_scalar(c.eps);
        let value = value.sub(m.clone().div(denom).mul_scalar(self.step_size));
        (value, m, v)
    }

    /// The same update in one pass over host memory, for the CPU backend: the parameter and
    /// both moments are updated in place (the CPU backend hands over a tensor's buffer without
    /// a copy when nothing else holds it), instead of the thirteen passes and temporaries of
    /// the tensor form. Same operations in the same order, so the same values.
    fn update_on_host(
        &self,
        value: Tensor<1>,
        grad: Tensor<1>,
        m: Tensor<1>,
        v: Tensor<1>,
    ) -> Updated {
        let device = value.device();
        let c = self.adam.config;
        let (b1, b2) = (c.beta1 as f32, c.beta2 as f32);
        let (a1, a2) = ((1.0 - c.beta1) as f32, (1.0 - c.beta2) as f32);
        let (bias2_sqrt, eps, step_size) =
            (self.bias2_sqrt as f32, c.eps as f32, self.step_size as f32);
        let mut p_data = value.into_data();
        let g_data = grad.into_data();
        let mut m_data = m.into_data();
        let mut v_data = v.into_data();
        {
            let p = p_data.as_mut_slice::<f32>().expect("parameters are f32");
            let g = g_data.as_slice::<f32>().expect("gradients are f32");
            let m = m_data.as_mut_slice::<f32>().expect("moments are f32");
            let v = v_data.as_mut_slice::<f32>().expect("moments are f32");
            let update = |p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| {
                for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
                    *m = *m * b1 + g * a1;
                    *v = *v * b2 + g * g * a2;
                    let denom = v.sqrt() / bias2_sqrt + eps;
                    *p -= *m / denom * step_size;
                }
            };
            if p.len() < PARALLEL_MIN {
                update(p, g, m, v);
            } else {
                let chunk = p.len().div_ceil(rayon::current_num_threads() * 4);
                p.par_chunks_mut(chunk)
                    .zip(g.par_chunks(chunk))
                    .zip(m.par_chunks_mut(chunk))
                    .zip(v.par_chunks_mut(chunk))
                    .for_each(|(((p, g), m), v)| update(p, g, m, v));
            }
        }
        let load = |data| Tensor::<1>::from_data(data, &device);
        (load(p_data), load(m_data), load(v_data))
    }
}

impl ModuleMapper for Stepper<'_> {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let shape = tensor.shape();
        let n = shape.num_elements();
        let require_grad = tensor.is_require_grad();
        let value = tensor.inner().reshape([n]);
        let grad = grad.reshape([n]);
        let key = self.path.join(".");
        let (m, v) = match self.adam.moments.remove(&key) {
            Some(state) => state,
            None => (grad.zeros_like(), grad.zeros_like()),
        };
        let (value, m, v) = if value.device() == Device::flex() {
            self.update_on_host(value, grad, m, v)
        } else {
            self.update_with_tensors(value, grad, m, v)
        };
        self.adam.moments.insert(key, (m, v));
        let mut updated = Tensor::from_inner(value.reshape(shape));
        if require_grad {
            updated = updated.require_grad();
        }
        Param::from_mapped_value(id, updated, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-scale, scale).
    fn values(n: usize, seed: u32, scale: f32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32 * 2.0 - 1.0) * scale
            })
            .collect()
    }

    fn tensor(v: Vec<f32>, device: &Device) -> Tensor<1> {
        let n = v.len();
        Tensor::from_data(TensorData::new(v, [n]), device)
    }

    fn host(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    /// The one-pass host update gives the tensor form's values exactly, on the serial and the
    /// parallel path, over several steps (so with non-zero moments and changing bias terms).
    #[test]
    fn host_update_matches_tensor_update() {
        let device = Device::flex();
        for n in [1000, 3 * PARALLEL_MIN + 7] {
            let mut adam = Adam::new(AdamConfig::default());
            let mut grads = GradientsParams::new();
            let p0 = values(n, 1, 0.05);
            let (mut by_tensor, mut by_host) = (
                (p0.clone(), vec![0.0; n], vec![0.0; n]),
                (p0, vec![0.0; n], vec![0.0; n]),
            );
            for t in 1..=4 {
                let g = values(n, 10 + t, 0.3);
                let c = adam.config;
                let stepper = Stepper {
                    step_size: c.lr / (1.0 - c.beta1.powi(t as i32)),
                    bias2_sqrt: (1.0 - c.beta2.powi(t as i32)).sqrt(),
                    adam: &mut adam,
                    grads: &mut grads,
                    path: Vec::new(),
                };
                let run = |state: &(Vec<f32>, Vec<f32>, Vec<f32>), on_host: bool| {
                    let args = (
                        tensor(state.0.clone(), &device),
                        tensor(g.clone(), &device),
                        tensor(state.1.clone(), &device),
                        tensor(state.2.clone(), &device),
                    );
                    let (p, m, v) = if on_host {
                        stepper.update_on_host(args.0, args.1, args.2, args.3)
                    } else {
                        stepper.update_with_tensors(args.0, args.1, args.2, args.3)
                    };
                    (host(p), host(m), host(v))
                };
                by_tensor = run(&by_tensor, false);
                by_host = run(&by_host, true);
                assert_eq!(by_tensor.1, by_host.1, "m after step {t}, n = {n}");
                assert_eq!(by_tensor.2, by_host.2, "v after step {t}, n = {n}");
                assert_eq!(by_tensor.0, by_host.0, "parameters after step {t}, n = {n}");
            }
            // The parameters did move (by about lr per step, Adam's scale).
            let moved = (by_host.0[0] - values(n, 1, 0.05)[0]).abs();
            assert!(moved > 1e-4 && moved < 1e-3, "moved {moved}");
        }
    }
}
