//! Adam (Kingma & Ba 2014) exactly as PyTorch's `torch.optim.Adam` computes it, with its state
//! keyed by parameter path so that it can be checkpointed and restored by name.
//!
//! Burn's own Adam keys its state by `ParamId`, which is fresh in every process; a resumed run
//! rebuilds its modules from files, so here the key is the module path instead.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};

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
        Self {
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-8,
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
        let c = self.adam.config;
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
        self.adam.moments.insert(key, (m, v));
        let mut updated = Tensor::from_inner(value.reshape(shape));
        if require_grad {
            updated = updated.require_grad();
        }
        Param::from_mapped_value(id, updated, mapper)
    }
}
