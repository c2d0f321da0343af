//! Data-parallel training on several devices by host-side gradient averaging, the path that
//! works on every backend (docs/multi-gpu.md).
//!
//! The batch is cut into one shard per device. Device 0 holds the model (what checkpoints store);
//! every other device gets a fresh replica of it for each half-step, runs its shard forward and
//! backward, and hands its gradients back. Their mean is the gradient of the batch's mean loss,
//! with batch norm normalising each shard by its own statistics, as PyTorch's
//! `DistributedDataParallel` does without `SyncBatchNorm`. One Adam step on device 0 follows;
//! the next half-step's replicas are copies of the updated model, running statistics included
//! (DDP's `broadcast_buffers`: device 0's are the model's).

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

/// A copy of `module` on `device` that shares nothing mutable with it: its own parameters (the
/// same ids, so that gradients line up) and its own batch-norm running statistics. A plain
/// clone would share the running statistics (Burn keeps them behind one lock per layer), and a
/// fork of that clone would move the original's to `device`.
pub(super) fn replica<M: Module>(module: &M, device: &Device) -> M {
    module.valid().train().fork(device)
}

/// The mean of each parameter's gradient over `shards` (one set of gradients per device, for
/// replicas of `module`), on the device of the first shard's.
///
/// Summed in shard order, then divided by the shard count: the same rounding on every run.
pub(super) fn average_gradients<M: Module>(
    module: &M,
    shards: Vec<GradientsParams>,
) -> GradientsParams {
    let mut mean = Mean {
        n: shards.len(),
        shards,
        out: GradientsParams::new(),
    };
    module.visit(&mut mean);
    mean.out
}

struct Mean {
    shards: Vec<GradientsParams>,
    n: usize,
    out: GradientsParams,
}

impl ModuleVisitor for Mean {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let mut sum: Option<Tensor<D>> = None;
        for shard in &mut self.shards {
            if let Some(grad) = shard.remove::<D>(param.id) {
                sum = Some(match sum {
                    Some(s) => {
                        let device = s.device();
                        s.add(grad.to_device(&device))
                    }
                    None => grad,
                });
            }
        }
        if let Some(sum) = sum {
            self.out.register(param.id, sum.div_scalar(self.n as f64));
        }
    }
}

/// The mean over shards of one-element tensors, on the first one's device.
pub(super) fn mean_of(values: Vec<Tensor<1>>) -> Tensor<1> {
    let n = values.len();
    let mut iter = values.into_iter();
    let first = iter.next().expect("at least one shard");
    let device = first.device();
    iter.fold(first, |s, v| s.add(v.to_device(&device)))
        .div_scalar(n as f64)
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;
    use crate::model::{Discriminator, ModelConfig, weights};

    fn small() -> (Discriminator, Device) {
        let device = Device::flex().autodiff();
        let config = ModelConfig {
            image_size: 16,
            ndf: 4,
            ..Default::default()
        };
        (
            weights::initialize(Discriminator::new(&config, &device), 3),
            device,
        )
    }

    fn input(device: &Device, seed: u64) -> Tensor<4> {
        let mut rng = crate::seeding::stream(seed, 0);
        let values: Vec<f32> = (0..4 * 3 * 16 * 16)
            .map(|_| rand::Rng::random_range(&mut rng, -1.0..1.0))
            .collect();
        Tensor::from_data(TensorData::new(values, [4, 3, 16, 16]), device)
    }

    fn running_stats(d: &Discriminator) -> Vec<(String, Vec<f32>)> {
        weights::discriminator_to_pytorch(d)
            .into_iter()
            .filter(|(name, _)| name.contains("running"))
            .map(|(name, t)| (name, t.values))
            .collect()
    }

    #[test]
    fn a_replica_keeps_its_running_statistics_to_itself() {
        let (d, device) = small();
        let before = running_stats(&d);
        assert!(!before.is_empty(), "the model has batch norm");
        let copy = replica(&d, &device);
        copy.forward(input(&device, 1));
        assert_eq!(running_stats(&d), before, "the model's statistics moved");
        assert_ne!(running_stats(&copy), before, "the replica's did not");
        // And the other way round: the model's forward leaves the replica's alone.
        let copy = replica(&d, &device);
        let replica_before = running_stats(&copy);
        d.forward(input(&device, 2));
        assert_eq!(running_stats(&copy), replica_before);
    }

    #[test]
    fn gradients_of_replicas_average_parameter_by_parameter() {
        let (d, device) = small();
        let grads_of = |net: &Discriminator, x: Tensor<4>| {
            let loss = net.forward(x).mean();
            GradientsParams::from_grads(loss.backward(), net)
        };
        let copy = replica(&d, &device);
        let (x1, x2) = (input(&device, 1), input(&device, 2));
        let expected = {
            let g1 = grads_of(&d, x1.clone());
            let g2 = grads_of(&d, x2.clone());
            let n = g1.len();
            (average_gradients(&d, vec![g1, g2]), n)
        };
        let (mean, n) = expected;
        assert_eq!(mean.len(), n, "every parameter has a mean");
        // The same two inputs, the second through the replica: the same mean, parameter ids
        // lining up across the copy.
        let mixed = average_gradients(
            &d,
            vec![grads_of(&d, x1.clone()), grads_of(&copy, x2.clone())],
        );
        assert_eq!(mixed.len(), n);
        let mut compared = 0;
        d.visit(&mut Compare {
            a: &mean,
            b: &mixed,
            first: &grads_of(&d, x1),
            second: &grads_of(&d, x2),
            compared: &mut compared,
        });
        assert_eq!(compared, n);
    }

    struct Compare<'a> {
        a: &'a GradientsParams,
        b: &'a GradientsParams,
        first: &'a GradientsParams,
        second: &'a GradientsParams,
        compared: &'a mut usize,
    }

    impl ModuleVisitor for Compare<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let Some(a) = self.a.get::<D>(param.id) else {
                return;
            };
            let values = |t: Tensor<D>| t.into_data().try_into_vec::<f32>().unwrap();
            let (a, b) = (values(a), values(self.b.get::<D>(param.id).unwrap()));
            let first = values(self.first.get::<D>(param.id).unwrap());
            let second = values(self.second.get::<D>(param.id).unwrap());
            for (((x, y), f), s) in a.iter().zip(&b).zip(&first).zip(&second) {
                assert!((x - y).abs() <= 1e-6 * (1.0 + x.abs()), "{x} vs {y}");
                let want = (f + s) / 2.0;
                assert!(
                    (x - want).abs() <= 1e-6 * (1.0 + want.abs()),
                    "{x} vs {want}"
                );
            }
            // The mean of two different batches is not the first one's gradient.
            assert_ne!(a, first);
            *self.compared += 1;
        }
    }
}
