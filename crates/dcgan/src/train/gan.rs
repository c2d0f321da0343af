//! The trainable pair and one training iteration, in the order of PyTorch's `examples/dcgan`.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;

use super::loss::{bce_fake, bce_real};
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
    /// The autodiff device.
    pub device: Device,
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
            config: config.clone(),
        }
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

    /// G in inference mode (BatchNorm on running statistics), for sampling.
    pub fn generator(&self) -> Generator {
        self.g.valid()
    }

    /// D in inference mode.
    pub fn discriminator(&self) -> Discriminator {
        self.d.valid()
    }
}
