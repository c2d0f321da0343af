//! The memorisation check end to end, as `dcgan nearest` runs it: generated samples and
//! held-out real images searched in one pass over the training images, in pixel space and in
//! D's feature space; each space's nearest-neighbour distances summarised for both groups. A
//! ratio of means well below 1 says samples sit closer to training images than unseen real
//! images do: look for copies.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use serde::Serialize;

use super::{DistanceSummary, Neighbour, reference, search_dataset};
use crate::data::{DataSource, Dataset};
use crate::figures::{Neighbours, nearest_figure};
use crate::images::Images;
use crate::model::ModelConfig;
use crate::render::Canvas;
use crate::sample::{generate, z_for_seeds};
use crate::train::checkpoint;
use crate::{Error, Result};

/// Progress: `(stage, done, total)`.
pub use crate::StageProgress as Progress;

/// What to check.
#[derive(Debug, Clone)]
pub struct Check {
    /// The checkpoint whose G makes the samples (and whose D gives the feature space).
    pub checkpoint: PathBuf,
    /// The training images (at the model's size and channels).
    pub data: DataSource,
    /// Samples, from seeds `seed .. seed + n`.
    pub n: usize,
    /// Neighbours kept per query.
    pub k: usize,
    /// Training images scored per pass.
    pub chunk: usize,
    /// Real images not trained on, checked the same way (the test split, or held out of a
    /// folder and then not searched).
    pub held_out: usize,
    /// First sample seed, and the seed of a folder's held-out draw.
    pub seed: u64,
    /// Search pixel space only (no D features).
    pub pixels_only: bool,
}

/// One space's result.
#[derive(Debug, Clone, Serialize)]
pub struct Space {
    /// The samples' nearest-neighbour distances.
    pub samples: DistanceSummary,
    /// The held-out real images'.
    pub held_out: DistanceSummary,
    /// `samples.mean / held_out.mean`.
    pub ratio_of_means: f64,
    /// Each sample's neighbours, nearest first.
    pub sample_neighbours: Vec<Vec<Neighbour>>,
}

/// The held-out images, in words.
#[derive(Debug, Clone, Serialize)]
pub struct HeldOut {
    /// How many.
    pub count: usize,
    /// Where from.
    pub from: String,
}

/// What [`run`] found; serialises to `dcgan nearest --json`'s layout.
#[derive(Serialize)]
pub struct Report {
    /// The checkpoint.
    pub checkpoint: String,
    /// The training images searched.
    pub data: String,
    /// How many were searched.
    pub searched: usize,
    /// The held-out comparison group.
    pub held_out: HeldOut,
    /// The samples' seeds.
    pub sample_seeds: Vec<u64>,
    /// Neighbours per query.
    pub k: usize,
    /// Seconds of the search.
    pub seconds: f64,
    /// `pixels` and (unless pixels only) `features`.
    pub spaces: BTreeMap<String, Space>,
    /// The samples.
    #[serde(skip)]
    pub samples: Images,
    /// The model that made them.
    #[serde(skip)]
    pub model: ModelConfig,
    /// The searched images, for the figure.
    #[serde(skip)]
    train: Dataset,
}

impl Report {
    /// A line per space, then one on the search.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = ["pixels", "features"]
            .iter()
            .filter_map(|name| self.spaces.get(*name).map(|s| (name, s)))
            .map(|(name, s)| {
                let (a, b) = (&s.samples, &s.held_out);
                format!(
                    "{name:>8}: nearest-neighbour distance, samples mean {:.3} (median {:.3}, min \
                     {:.3}); held-out real mean {:.3} (median {:.3}, min {:.3}); ratio {:.2}",
                    a.mean, a.median, a.min, b.mean, b.median, b.min, s.ratio_of_means
                )
            })
            .collect();
        lines.push(format!(
            "searched {} images in {:.1} s ({:.0} images/s); a ratio well below 1 means samples \
             sit closer to training images than unseen real images do: look for copies",
            self.searched,
            self.seconds,
            self.searched as f64 / self.seconds.max(1e-9)
        ));
        lines
    }

    /// The first `show` samples beside their neighbours in each space, captioned with the
    /// distances, at `zoom`.
    pub fn figure(&self, show: usize, zoom: u32) -> Result<Canvas> {
        let show = show.min(self.sample_seeds.len());
        let fetch = |space: &Space| -> Result<Vec<Images>> {
            space.sample_neighbours[..show]
                .iter()
                .map(|l| {
                    let idx: Vec<usize> = l.iter().map(|n| n.index).collect();
                    self.train.batch(&idx)
                })
                .collect()
        };
        let pixels = &self.spaces["pixels"];
        let pixel_images = fetch(pixels)?;
        let features = self.spaces.get("features");
        let feature_images = features.map(fetch).transpose()?;
        let labels: Vec<String> = self.sample_seeds[..show]
            .iter()
            .map(u64::to_string)
            .collect();
        Ok(nearest_figure(
            &self.samples.slice(0..show),
            &labels,
            Neighbours {
                found: &pixels.sample_neighbours[..show],
                images: &pixel_images,
            },
            features
                .zip(feature_images.as_deref())
                .map(|(f, images)| Neighbours {
                    found: &f.sample_neighbours[..show],
                    images,
                }),
            zoom,
        ))
    }
}

/// Runs the check.
pub fn run(c: &Check, device: &Device, progress: Progress<'_>) -> Result<Report> {
    if c.n == 0 || c.k == 0 || c.chunk == 0 {
        return Err(Error::option(
            "nearest-neighbour check",
            format!(
                "samples ({}), neighbours ({}) and chunk ({}) must each be at least 1",
                c.n, c.k, c.chunk
            ),
        ));
    }
    let (g, config) = checkpoint::load_generator(&c.checkpoint, device)?;
    let model = config.model;
    let d = if c.pixels_only {
        None
    } else {
        Some(checkpoint::load_discriminator(&c.checkpoint, device)?.0)
    };
    let reference = reference(&c.data, &model, c.held_out, c.seed)?;
    let seeds: Vec<u64> = (c.seed..c.seed + c.n as u64).collect();
    progress("sampling", 0, c.n);
    let samples = generate(&g, &z_for_seeds(&seeds, &model), model.nz, 64, device);
    // Samples and held-out images are searched in one pass.
    let n_held = reference.held_out.len();
    let mut queries = samples.clone();
    queries.extend(&reference.held_out);
    let started = Instant::now();
    let found = search_dataset(
        &reference.train,
        &reference.search,
        &queries,
        d.as_ref().map(|d| (d, &model)),
        c.k,
        c.chunk,
        device,
        |done, total| progress("searching", done, total),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let space = |lists: Vec<Vec<Neighbour>>| {
        let (s, h) = lists.split_at(c.n);
        let (samples, held_out) = (DistanceSummary::of(s), DistanceSummary::of(h));
        Space {
            samples,
            held_out,
            ratio_of_means: samples.mean / held_out.mean,
            sample_neighbours: s.to_vec(),
        }
    };
    let mut spaces = BTreeMap::new();
    spaces.insert("pixels".to_string(), space(found.pixel));
    if let Some(f) = found.feature {
        spaces.insert("features".to_string(), space(f));
    }
    Ok(Report {
        checkpoint: c.checkpoint.display().to_string(),
        data: c.data.to_string(),
        searched: reference.search.len(),
        held_out: HeldOut {
            count: n_held,
            from: reference.held_out_from,
        },
        sample_seeds: seeds,
        k: c.k,
        seconds,
        spaces,
        samples,
        model,
        train: reference.train,
    })
}
