//! Nearest training neighbours of generated samples: the memorisation check (paper section 6.1;
//! the appendix's nearest-neighbour evaluation uses the same search).
//!
//! The search is exact Euclidean k-nearest-neighbours, streamed over the training set in chunks:
//! on the device, each chunk is scored against all queries at once with one matrix product
//! (`|x|^2 - 2 q.x`, the query's own `|q|^2` being the same for every candidate), the best few
//! per query are kept, and their exact distances are then computed on the host in `f64`, so a
//! training image given as a query is found at distance exactly zero. Memory holds one chunk.
//!
//! [`check`] is the whole memorisation check and its report, as `dcgan nearest` runs it.

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::{DataSource, Dataset, Split};
use crate::images::Images;
use crate::model::{Discriminator, ModelConfig};
use crate::{Error, Result, features};

pub mod check;

/// Candidates kept per query and chunk beyond `k`, to absorb `f32` rounding in the device-side
/// scores before the exact re-ranking.
const SLACK: usize = 8;

/// One neighbour found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Neighbour {
    /// Its index in the searched set.
    pub index: usize,
    /// Euclidean distance to the query.
    pub distance: f64,
}

/// An exact k-nearest-neighbour search of fixed queries over a set given chunk by chunk.
pub struct Knn {
    queries: Vec<f32>,
    queries_t: Tensor<2>,
    dim: usize,
    k: usize,
    best: Vec<Vec<Neighbour>>,
    device: Device,
}

impl Knn {
    /// A search for the `k` nearest neighbours of each query (`[q, dim]` row-major).
    pub fn new(queries: &[f32], dim: usize, k: usize, device: &Device) -> Self {
        let q = queries.len() / dim.max(1);
        let queries_t = Tensor::<2>::from_data(TensorData::new(queries.to_vec(), [q, dim]), device);
        Self {
            queries: queries.to_vec(),
            queries_t,
            dim,
            k: k.max(1),
            best: vec![Vec::new(); q],
            device: device.clone(),
        }
    }

    /// Number of queries.
    pub fn len(&self) -> usize {
        self.best.len()
    }

    /// Whether there are no queries.
    pub fn is_empty(&self) -> bool {
        self.best.is_empty()
    }

    /// Adds candidates: `rows` (`[m, dim]` row-major) whose indices in the searched set are
    /// `indices` (one per row).
    pub fn add(&mut self, rows: &[f32], indices: &[usize]) {
        let m = indices.len();
        if m == 0 || self.best.is_empty() {
            return;
        }
        let keep = (self.k + SLACK).min(m);
        let x = Tensor::<2>::from_data(TensorData::new(rows.to_vec(), [m, self.dim]), &self.device);
        let x_norm = x.clone().powi_scalar(2).sum_dim(1).reshape([1, m]);
        let cross = self.queries_t.clone().matmul(x.transpose());
        // Smaller is nearer; topk takes the largest, so negate.
        let score = cross.mul_scalar(2.0).sub(x_norm);
        let (_, top) = score.topk_with_indices(keep, 1);
        let top: Vec<i64> = ints(top);
        for (qi, best) in self.best.iter_mut().enumerate() {
            let q = &self.queries[qi * self.dim..(qi + 1) * self.dim];
            for &j in &top[qi * keep..(qi + 1) * keep] {
                let j = j as usize;
                let row = &rows[j * self.dim..(j + 1) * self.dim];
                best.push(Neighbour {
                    index: indices[j],
                    distance: exact_distance(q, row),
                });
            }
            best.sort_by(|a, b| {
                a.distance
                    .total_cmp(&b.distance)
                    .then(a.index.cmp(&b.index))
            });
            best.dedup_by_key(|n| n.index);
            best.truncate(self.k);
        }
    }

    /// The neighbours found so far of each query, nearest first.
    pub fn best(&self) -> &[Vec<Neighbour>] {
        &self.best
    }

    /// The neighbours of each query, nearest first.
    pub fn finish(self) -> Vec<Vec<Neighbour>> {
        self.best
    }
}

fn ints(t: Tensor<2, Int>) -> Vec<i64> {
    t.into_data()
        .convert::<i64>()
        .try_into_vec::<i64>()
        .expect("converted to i64")
}

/// Euclidean distance, accumulated in `f64`.
pub fn exact_distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Mean, median and quantiles of the nearest-neighbour distances of a group of queries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DistanceSummary {
    /// Number of queries.
    pub count: usize,
    /// Mean distance to the nearest neighbour.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// 10th percentile.
    pub p10: f64,
}

impl DistanceSummary {
    /// The summary of the first neighbour of each list (lists with none are skipped).
    pub fn of(neighbours: &[Vec<Neighbour>]) -> Self {
        let mut d: Vec<f64> = neighbours
            .iter()
            .filter_map(|n| n.first().map(|n| n.distance))
            .collect();
        d.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if d.is_empty() {
                f64::NAN
            } else {
                d[((d.len() - 1) as f64 * q).round() as usize]
            }
        };
        Self {
            count: d.len(),
            mean: if d.is_empty() {
                f64::NAN
            } else {
                d.iter().sum::<f64>() / d.len() as f64
            },
            median: at(0.5),
            min: at(0.0),
            p10: at(0.1),
        }
    }
}

/// Refuses data whose stored images differ in size or channels from the model's, unless it is
/// the same kind of data the run was trained on (fitted the same way in training) or `convert`
/// is set: neighbours across a change of geometry say little about memorisation.
pub fn check_geometry(
    source: &DataSource,
    model: &ModelConfig,
    trained_on: &DataSource,
    convert: bool,
) -> Result<()> {
    if convert || source.same_kind(trained_on) {
        return Ok(());
    }
    let channels = source.native_channels()?;
    let size_differs = source.native_size().is_some_and(|s| s != model.image_size);
    if channels != model.channels || size_differs {
        let size = source
            .native_size()
            .map_or("any-size".to_string(), |s| format!("{s}x{s}"));
        return Err(Error::option(
            "data",
            format!(
                "{source} holds {size} {channels}-channel images but the model makes {s}x{s} \
                 {mc}-channel ones (it was trained on {trained_on}); allow conversion \
                 (`convert`) to resize and convert them as training would",
                s = model.image_size,
                mc = model.channels
            ),
        ));
    }
    Ok(())
}

/// The training images to search and a held-out reference set of real images.
pub struct Reference {
    /// The training set, at the model's size and channels.
    pub train: Dataset,
    /// Indices of `train` to search (all of it, less any held-out images).
    pub search: Vec<usize>,
    /// Held-out real images.
    pub held_out: Images,
    /// Where they came from, in words.
    pub held_out_from: String,
}

/// Opens `source` for a memorisation check: the test split supplies `n_held` held-out images
/// (evenly spaced through it); a folder, which has no test split, gives up `n_held` images
/// chosen with `seed`, which are then left out of the search.
pub fn reference(
    source: &DataSource,
    model: &ModelConfig,
    n_held: usize,
    seed: u64,
) -> Result<Reference> {
    let (size, ch) = (model.image_size, Some(model.channels));
    let train = Dataset::open(source, Split::Train, size, ch)?;
    if source.has_test_split() {
        let test = Dataset::open(source, Split::Test, size, ch)?;
        let n = n_held.min(test.len());
        let idx: Vec<usize> = (0..n).map(|i| i * test.len() / n.max(1)).collect();
        let held_out = test.batch(&idx)?;
        let search = (0..train.len()).collect();
        return Ok(Reference {
            train,
            search,
            held_out,
            held_out_from: format!("{n} images of the test split"),
        });
    }
    if n_held >= train.len() {
        return Err(Error::option(
            "held_out",
            format!(
                "{n_held} held-out images would leave none of the {} in {source} to search",
                train.len()
            ),
        ));
    }
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut held: Vec<usize> = order[..n_held].to_vec();
    held.sort_unstable();
    let mut search: Vec<usize> = order[n_held..].to_vec();
    search.sort_unstable();
    let held_out = train.batch(&held)?;
    Ok(Reference {
        train,
        search,
        held_out,
        held_out_from: format!("{n_held} images held out of the folder (not searched)"),
    })
}

/// Neighbours found in pixel space and, when D is given, in D's feature space.
pub struct Found {
    /// Per query, nearest first, by the Euclidean distance of pixels in `[-1, 1]`.
    pub pixel: Vec<Vec<Neighbour>>,
    /// Per query, by the distance of D's pooled features ([`features::extract`]).
    pub feature: Option<Vec<Vec<Neighbour>>>,
}

/// Searches `indices` of `dataset` for the `k` nearest neighbours of each query image, `chunk`
/// training images at a time; `progress(done, total)` is called after each chunk.
#[allow(clippy::too_many_arguments)]
pub fn search_dataset(
    dataset: &Dataset,
    indices: &[usize],
    queries: &Images,
    d: Option<(&Discriminator, &ModelConfig)>,
    k: usize,
    chunk: usize,
    device: &Device,
    mut progress: impl FnMut(usize, usize),
) -> Result<Found> {
    /// Images per forward pass of D.
    const D_BATCH: usize = 256;
    let mut pixel = Knn::new(queries.values(), queries.shape().numel(), k, device);
    let mut feature = d.map(|(d, m)| {
        let f = features::extract_host(d, queries, m, D_BATCH, device);
        Knn::new(&f, features::feature_dimension(m), k, device)
    });
    for (done, part) in indices.chunks(chunk.max(1)).enumerate() {
        let images = dataset.batch(part)?;
        pixel.add(images.values(), part);
        if let (Some(knn), Some((d, m))) = (feature.as_mut(), d) {
            let f = features::extract_host(d, &images, m, D_BATCH, device);
            knn.add(&f, part);
        }
        progress(
            (done * chunk + part.len()).min(indices.len()),
            indices.len(),
        );
    }
    Ok(Found {
        pixel: pixel.finish(),
        feature: feature.map(Knn::finish),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Brute force in f64 for comparison.
    fn brute(q: &[f32], base: &[f32], dim: usize, k: usize) -> Vec<Vec<Neighbour>> {
        q.chunks(dim)
            .map(|qq| {
                let mut all: Vec<Neighbour> = base
                    .chunks(dim)
                    .enumerate()
                    .map(|(i, b)| Neighbour {
                        index: i,
                        distance: exact_distance(qq, b),
                    })
                    .collect();
                all.sort_by(|a, b| a.distance.total_cmp(&b.distance));
                all.truncate(k);
                all
            })
            .collect()
    }

    #[test]
    fn chunked_search_equals_brute_force_and_finds_exact_copies() {
        let dim = 48;
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let base: Vec<f32> = (0..500 * dim)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        // Queries: 10 random points and copies of base rows 17 and 333.
        let mut queries: Vec<f32> = (0..10 * dim).map(|_| rng.random_range(-1.0..1.0)).collect();
        queries.extend_from_slice(&base[17 * dim..18 * dim]);
        queries.extend_from_slice(&base[333 * dim..334 * dim]);
        let mut knn = Knn::new(&queries, dim, 3, &Device::flex());
        for start in (0..500).step_by(64) {
            let end = (start + 64).min(500);
            let idx: Vec<usize> = (start..end).collect();
            knn.add(&base[start * dim..end * dim], &idx);
        }
        let found = knn.finish();
        let want = brute(&queries, &base, dim, 3);
        for (f, w) in found.iter().zip(&want) {
            let fi: Vec<usize> = f.iter().map(|n| n.index).collect();
            let wi: Vec<usize> = w.iter().map(|n| n.index).collect();
            assert_eq!(fi, wi);
            for (a, b) in f.iter().zip(w) {
                assert!((a.distance - b.distance).abs() < 1e-9);
            }
        }
        assert_eq!(
            found[10][0],
            Neighbour {
                index: 17,
                distance: 0.0
            }
        );
        assert_eq!(
            found[11][0],
            Neighbour {
                index: 333,
                distance: 0.0
            }
        );
        assert!(found[10][1].distance > 1.0);
    }

    #[test]
    fn summaries_use_the_nearest_distance() {
        let n = |d: f64| {
            vec![Neighbour {
                index: 0,
                distance: d,
            }]
        };
        let s = DistanceSummary::of(&[n(3.0), n(1.0), n(2.0), vec![]]);
        assert_eq!(s.count, 3);
        assert_eq!((s.mean, s.median, s.min), (2.0, 2.0, 1.0));
    }
}
