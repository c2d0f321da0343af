//! The trainable pair and one training iteration, in the order of PyTorch's `examples/dcgan`.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;

use super::loss::{bce_fake, bce_real};
use super::parallel::{average_gradients, mean_of, replica};
use super::{Adam, TrainConfig};
use crate::model::{Discriminator, Generator, weights};
use crate::{conditional, latent, seeding};

/// What one iteration measured (PyTorch's example prints the same five numbers).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepStats {
    /// `-log D(x) - log(1 - D(G(z)))`, before D's update.
    pub loss_d: f32,
    /// `-log D(G(z))` with the updated D.
    pub loss_g: f32,
    /// Mean D(x) on the real batch.
    pub d_x: f32,
    /// Mean D(G(z)) before D's update.
    pub d_g_z1: f32,
    /// Mean D(G(z)) after D's update (during G's step).
    pub d_g_z2: f32,
}

impl StepStats {
    /// The five numbers from the device in one read: `[loss_d, loss_g, d_x, d_g_z1, d_g_z2]`,
    /// each a one-element tensor. Reading them one by one would wait for the device five times
    /// an iteration (PyTorch's example does, with `.item()`); joined first, it waits once.
    fn read(values: [Tensor<1>; 5]) -> Self {
        let all: Vec<f32> = Tensor::cat(Vec::from(values), 0)
            .into_data()
            .try_into_vec::<f32>()
            .expect("the statistics are f32");
        StepStats {
            loss_d: all[0],
            loss_g: all[1],
            d_x: all[2],
            d_g_z1: all[3],
            d_g_z2: all[4],
        }
    }
}

/// The mean of D's probabilities for a batch of logits, as a one-element tensor (no autodiff).
fn mean_prob(logits: Tensor<1>) -> Tensor<1> {
    burn::tensor::activation::sigmoid(logits.inner()).mean()
}

/// G, D, their optimisers and the z stream: the whole mutable state of a run.
pub struct Gan {
    /// The generator, on the autodiff device.
    pub g: Generator,
    /// The discriminator, on the autodiff device.
    pub d: Discriminator,
    /// G's optimiser.
    pub adam_g: Adam,
    /// D's optimiser.
    pub adam_d: Adam,
    /// The stream z is drawn from.
    pub rng: ChaCha8Rng,
    /// Iterations completed.
    pub iteration: u64,
    /// The autodiff device: the model's, where the optimiser steps (device 0 of a data-parallel
    /// run).
    pub device: Device,
    /// The other devices of a data-parallel run (autodiff); empty on one device.
    replicas: Vec<Device>,
    config: TrainConfig,
}

/// Replaces the network in `slot` by `step(network)`, handing the network over by value: a
/// clone left behind would share every parameter's buffer, and the CPU optimiser could then not
/// update the parameters in place (it would copy all of them first: ~24 ms of a 64x64 step).
/// Adam does not panic on well-formed gradients; if it ever did, the process aborts rather than
/// leave a half-moved network behind.
fn update<M>(slot: &mut M, step: impl FnOnce(M) -> M) {
    replace_with::replace_with_or_abort(slot, step);
}

impl Gan {
    /// A freshly initialised pair on `device` (autodiff is added here).
    pub fn new(config: &TrainConfig, device: &Device) -> Self {
        let device = device.clone().autodiff();
        let seed = config.seed;
        let g = weights::initialize_with(
            Generator::new(&config.model, &device),
            &mut seeding::stream(seed, seeding::GENERATOR_INIT),
        );
        let d = weights::initialize_with(
            Discriminator::new(&config.model, &device),
            &mut seeding::stream(seed, seeding::DISCRIMINATOR_INIT),
        );
        Self::from_parts(config, g, d, &device)
    }

    /// A pair from given networks (already on the autodiff `device`), fresh optimisers.
    pub fn from_parts(
        config: &TrainConfig,
        g: Generator,
        d: Discriminator,
        device: &Device,
    ) -> Self {
        let rng = seeding::stream(config.seed, seeding::TRAINING_Z);
        Self {
            g,
            d,
            adam_g: Adam::new(config.adam),
            adam_d: Adam::new(config.adam),
            rng,
            iteration: 0,
            device: device.clone(),
            replicas: Vec::new(),
            config: config.clone(),
        }
    }

    /// Trains data-parallel on the model's device and `others` (docs/multi-gpu.md): each
    /// iteration cuts the batch into `1 + others.len()` equal shards, shard k on device k, and
    /// averages the gradients (batch norm per shard, as PyTorch's DDP). The batch size must be a
    /// multiple of the device count ([`TrainConfig::validate`] checks the configured one).
    pub fn with_replicas(mut self, others: &[Device]) -> Self {
        self.replicas = others.iter().map(|d| d.clone().autodiff()).collect();
        self
    }

    /// The devices an iteration runs on: the model's, then the replicas'.
    pub fn devices(&self) -> Vec<Device> {
        std::iter::once(self.device.clone())
            .chain(self.replicas.iter().cloned())
            .collect()
    }

    /// The configuration this pair was built for.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Draws the next batch of z from the run's stream, `[b, nz]`.
    pub fn next_z(&mut self, b: usize) -> Tensor<2> {
        let m = &self.config.model;
        let z: Vec<f32> = (0..b)
            .flat_map(|_| latent::draw(&mut self.rng, m.nz, m.latent))
            .collect();
        Tensor::from_data(TensorData::new(z, [b, m.nz]), &self.device)
    }

    /// One iteration on `real` (`[b, c, s, s]` in [-1, 1]): D's step on real and fake, then G's
    /// step through the updated D, each with BCE (docs/paper.md section 2). For an
    /// unconditional model; see [`Gan::step_labelled`].
    pub fn step(&mut self, real: Tensor<4>) -> StepStats {
        let b = real.dims()[0];
        let z = self.next_z(b);
        self.step_with(real, z)
    }

    /// One iteration of a conditional model on `real` with its classes `labels`: G makes its
    /// fakes for the same classes (z joined with their one-hot vectors), and D judges real and
    /// fake images with the class maps joined to their channels, as the appendix's code does.
    pub fn step_labelled(&mut self, real: Tensor<4>, labels: &[usize]) -> StepStats {
        let [b, _, s, _] = real.dims();
        let classes = self.config.model.classes;
        let z = self.next_z(b);
        let hot = Tensor::<2>::from_data(
            TensorData::new(conditional::one_hot(labels, classes), [b, classes]),
            &self.device,
        );
        let maps = conditional::label_maps(labels, classes, s, &self.device);
        self.step_inner(real, Tensor::cat(vec![z, hot], 1), Some(maps))
    }

    /// [`Gan::step`] with a given z (`[b, nz]`): the step PyTorch's reference fixtures check.
    pub fn step_with(&mut self, real: Tensor<4>, z: Tensor<2>) -> StepStats {
        self.step_inner(real, z, None)
    }

    /// The iteration; `maps` (a conditional model's class maps) join every image D judges.
    fn step_inner(&mut self, real: Tensor<4>, z: Tensor<2>, maps: Option<Tensor<4>>) -> StepStats {
        if !self.replicas.is_empty() {
            return self.step_parallel(real, z, maps);
        }
        let judged = |x: Tensor<4>| match &maps {
            Some(m) => Tensor::cat(vec![x, m.clone()], 1),
            None => x,
        };
        // (1) Update D: maximise log D(x) + log(1 - D(G(z))).
        let real_logits = self.d.forward(judged(real));
        let fake = self.g.forward(z);
        let fake_logits = self.d.forward(judged(fake.clone().detach()));
        let loss_d = bce_real(real_logits.clone()).add(bce_fake(fake_logits.clone()));
        let grads = GradientsParams::from_grads(loss_d.backward(), &self.d);
        update(&mut self.d, |d| self.adam_d.step(d, grads));

        // (2) Update G: maximise log D(G(z)) (the non-saturating loss). D's parameters are
        // constants here: only G is updated, so D's weight gradients (which PyTorch computes and
        // then zeroes) are never computed. D still updates its running statistics.
        let d = self.d.clone().no_grad();
        let out_logits = d.forward(judged(fake));
        let loss_g = bce_real(out_logits.clone());
        let grads = GradientsParams::from_grads(loss_g.backward(), &self.g);
        update(&mut self.g, |g| self.adam_g.step(g, grads));
        self.d = d.set_require_grad(true);
        self.iteration += 1;

        StepStats::read([
            loss_d.inner(),
            loss_g.inner(),
            mean_prob(real_logits),
            mean_prob(fake_logits),
            mean_prob(out_logits),
        ])
    }

    /// [`Gan::step_inner`] on several devices: the same two half-steps, each shard through its
    /// own replica, the gradients averaged onto the model's device, one Adam step there.
    fn step_parallel(
        &mut self,
        real: Tensor<4>,
        z: Tensor<2>,
        maps: Option<Tensor<4>>,
    ) -> StepStats {
        let devices = self.devices();
        let n = devices.len();
        let b = real.dims()[0];
        assert!(
            b.is_multiple_of(n) && b / n >= 2,
            "a batch of {b} cannot be cut into {n} shards of at least 2 images"
        );
        let s = b / n;
        let shard4 =
            |t: &Tensor<4>, k: usize, dev: &Device| t.clone().narrow(0, k * s, s).to_device(dev);

        // (1) D's step: each shard's loss through its replica, the gradients averaged.
        let gs: Vec<Generator> = devices[1..]
            .iter()
            .map(|dev| replica(&self.g, dev))
            .collect();
        let ds: Vec<Discriminator> = devices[1..]
            .iter()
            .map(|dev| replica(&self.d, dev))
            .collect();
        let mut fakes = Vec::with_capacity(n);
        let mut shard_maps = Vec::with_capacity(n);
        let mut grads = Vec::with_capacity(n);
        let (mut loss_d, mut d_x, mut d_g_z1) = (Vec::new(), Vec::new(), Vec::new());
        for (k, dev) in devices.iter().enumerate() {
            let (g, d) = match k {
                0 => (&self.g, &self.d),
                k => (&gs[k - 1], &ds[k - 1]),
            };
            let maps_k = maps.as_ref().map(|m| shard4(m, k, dev));
            let judged = |x: Tensor<4>| match &maps_k {
                Some(m) => Tensor::cat(vec![x, m.clone()], 1),
                None => x,
            };
            let real_logits = d.forward(judged(shard4(&real, k, dev)));
            let fake = g.forward(z.clone().narrow(0, k * s, s).to_device(dev));
            let fake_logits = d.forward(judged(fake.clone().detach()));
            let loss = bce_real(real_logits.clone()).add(bce_fake(fake_logits.clone()));
            grads.push(GradientsParams::from_grads(loss.backward(), d));
            loss_d.push(loss.inner());
            d_x.push(mean_prob(real_logits));
            d_g_z1.push(mean_prob(fake_logits));
            fakes.push(fake);
            shard_maps.push(maps_k);
        }
        drop(ds);
        let grads = average_gradients(&self.d, grads);
        update(&mut self.d, |d| self.adam_d.step(d, grads));

        // (2) G's step through the updated D, copied to every device; D's running statistics
        // from the model's device only.
        let d = self.d.clone().no_grad();
        let ds: Vec<Discriminator> = devices[1..].iter().map(|dev| replica(&d, dev)).collect();
        let mut grads = Vec::with_capacity(n);
        let (mut loss_g, mut d_g_z2) = (Vec::new(), Vec::new());
        for (k, (fake, maps_k)) in fakes.into_iter().zip(shard_maps).enumerate() {
            let (g, d) = match k {
                0 => (&self.g, &d),
                k => (&gs[k - 1], &ds[k - 1]),
            };
            let judged = match maps_k {
                Some(m) => Tensor::cat(vec![fake, m], 1),
                None => fake,
            };
            let out_logits = d.forward(judged);
            let loss = bce_real(out_logits.clone());
            grads.push(GradientsParams::from_grads(loss.backward(), g));
            loss_g.push(loss.inner());
            d_g_z2.push(mean_prob(out_logits));
        }
        drop((gs, ds));
        let grads = average_gradients(&self.g, grads);
        update(&mut self.g, |g| self.adam_g.step(g, grads));
        self.d = d.set_require_grad(true);
        self.iteration += 1;

        StepStats::read([
            mean_of(loss_d),
            mean_of(loss_g),
            mean_of(d_x),
            mean_of(d_g_z1),
            mean_of(d_g_z2),
        ])
    }

    /// G in inference mode (BatchNorm on running statistics), for sampling.
    pub fn generator(&self) -> Generator {
        self.g.valid()
    }

    /// D in inference mode.
    pub fn discriminator(&self) -> Discriminator {
        self.d.valid()
    }
}
