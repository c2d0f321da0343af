//! Shuffled batches, assembled on a background thread ahead of the training loop.
//!
//! The order is a function of the seed alone: epoch `e` visits the images in the permutation
//! drawn from `(seed, e)`, and iteration `i` takes batch `i % batches_per_epoch` of epoch
//! `i / batches_per_epoch`. Resuming at iteration `i` therefore sees exactly the batches an
//! uninterrupted run would. The last partial batch of each epoch is dropped, so every batch has
//! the same size (batch-norm statistics stay comparable).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use rand::seq::SliceRandom;

use super::{Dataset, to_unit_range};
use crate::images::Images;
use crate::{Error, Result};

/// One batch of images in `[-1, 1]`.
#[derive(Debug)]
pub struct Batch {
    /// The iteration this batch belongs to.
    pub iteration: u64,
    /// The images.
    pub images: Images,
    /// The images' classes, when the source has labels.
    pub labels: Option<Vec<u16>>,
    /// Records that did not decode and were replaced by the next ones that did.
    pub bad: Vec<super::BadRecord>,
}

/// A background producer of batches.
pub struct Loader {
    rx: Receiver<Result<Batch>>,
    handle: Option<JoinHandle<()>>,
}

/// The image order of `epoch` (the run's stream for it, see [`crate::seeding`]).
pub fn permutation(len: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut rng = crate::seeding::stream(seed, crate::seeding::DATA_ORDER + epoch);
    order.shuffle(&mut rng);
    order
}

impl Loader {
    /// Starts producing batches of `batch_size` for iterations `start..end`, keeping up to
    /// `prefetch` batches ready.
    pub fn start(
        dataset: Arc<Dataset>,
        batch_size: usize,
        seed: u64,
        start: u64,
        end: u64,
        prefetch: usize,
    ) -> Result<Self> {
        let per_epoch = (dataset.len() / batch_size) as u64;
        if per_epoch == 0 {
            return Err(Error::option(
                "batch_size",
                format!(
                    "{batch_size} is larger than the dataset {} ({} images)",
                    dataset.source,
                    dataset.len()
                ),
            ));
        }
        let (tx, rx) = sync_channel(prefetch.max(1));
        let handle = std::thread::Builder::new()
            .name("dcgan-loader".into())
            .spawn(move || {
                let mut cached: Option<(u64, Vec<usize>)> = None;
                for iteration in start..end {
                    let (epoch, k) = (iteration / per_epoch, (iteration % per_epoch) as usize);
                    if cached.as_ref().is_none_or(|(e, _)| *e != epoch) {
                        cached = Some((epoch, permutation(dataset.len(), seed, epoch)));
                    }
                    let order = &cached.as_ref().expect("set above").1;
                    let indices = &order[k * batch_size..(k + 1) * batch_size];
                    let batch = dataset.pixels(indices).and_then(|p| {
                        Ok(Batch {
                            iteration,
                            images: Images::new(to_unit_range(&p.bytes), dataset.shape())?,
                            labels: p.labels,
                            bad: p.bad,
                        })
                    });
                    let failed = batch.is_err();
                    if tx.send(batch).is_err() || failed {
                        return; // receiver gone, or an error was delivered
                    }
                }
            })
            .map_err(|e| Error::io("dcgan-loader thread", e))?;
        Ok(Self {
            rx,
            handle: Some(handle),
        })
    }

    /// The next batch; `None` when the range is exhausted.
    pub fn next_batch(&mut self) -> Option<Result<Batch>> {
        self.rx.recv().ok()
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        // Unblock the producer by dropping the receiver first, then wait for it.
        let (_, dummy) = sync_channel(1);
        drop(std::mem::replace(&mut self.rx, dummy));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataSource, Split};

    #[test]
    fn resuming_mid_run_yields_the_same_batches() {
        let ds = Arc::new(Dataset::open(&DataSource::Builtin, Split::Test, 8, Some(1)).unwrap());
        // 1024 images / 100 = 10 batches per epoch; iterations 0..25 cross two epochs.
        let all: Vec<Images> = {
            let mut l = Loader::start(ds.clone(), 100, 5, 0, 25, 2).unwrap();
            std::iter::from_fn(|| l.next_batch())
                .map(|b| b.unwrap().images)
                .collect()
        };
        assert_eq!(all.len(), 25);
        let tail: Vec<Images> = {
            let mut l = Loader::start(ds.clone(), 100, 5, 13, 25, 2).unwrap();
            std::iter::from_fn(|| l.next_batch())
                .map(|b| b.unwrap().images)
                .collect()
        };
        assert_eq!(&all[13..], &tail[..]);
        // Different epochs use different orders.
        assert_ne!(permutation(1024, 5, 0), permutation(1024, 5, 1));
        let err = Loader::start(ds, 5000, 5, 0, 1, 2)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("batch_size"), "{err}");
    }
}
