//! The run folder: everything a run writes, in one place that describes itself.
//!
//! ```text
//! RUN_DIR/
//!   config.json            the full training configuration, written first
//!   metrics.jsonl          one JSON object per iteration (Loss_D, Loss_G, D(x), D(G(z)))
//!   loss.png               the loss curves, kept current
//!   fid.png, best.json     with --eval-every: FID/KID over training, the best evaluation
//!   samples/iter_000500.png  grids from one fixed noise batch
//!   samples/latest.png
//!   checkpoints/ckpt_000500.safetensors   G, D, both Adam states, RNG and data position
//!   checkpoints/best.safetensors          the same at the best evaluation (--eval-every)
//!   events.out.tfevents.*   TensorBoard: the scalars and grids, one file per session
//!   train.lock             while a training writes the folder: its process id ([`RunLock`])
//! ```

mod lock;
pub mod tensorboard;

pub use lock::RunLock;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Paths inside a run folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// A run folder at `root` (not created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `config.json`.
    pub fn config(&self) -> PathBuf {
        self.root.join("config.json")
    }

    /// `metrics.jsonl`.
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }

    /// `data-errors.txt`: the training images that did not decode and were replaced, one line
    /// each (`iteration N: error`).
    pub fn data_errors(&self) -> PathBuf {
        self.root.join("data-errors.txt")
    }

    /// `loss.png`.
    pub fn loss_plot(&self) -> PathBuf {
        self.root.join("loss.png")
    }

    /// `fid.png`: the evaluation curve, when training evaluates (`--eval-every`).
    pub fn eval_plot(&self) -> PathBuf {
        self.root.join("fid.png")
    }

    /// `best.json`: the iteration and score of the best evaluation so far.
    pub fn best(&self) -> PathBuf {
        self.root.join("best.json")
    }

    /// `checkpoints/best.safetensors`: the whole state at the best evaluation.
    pub fn best_checkpoint(&self) -> PathBuf {
        self.checkpoints().join("best.safetensors")
    }

    /// `samples/`.
    pub fn samples(&self) -> PathBuf {
        self.root.join("samples")
    }

    /// `checkpoints/`.
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }

    /// The checkpoint file for `iteration`.
    pub fn checkpoint(&self, iteration: u64) -> PathBuf {
        self.checkpoints()
            .join(format!("ckpt_{iteration:08}.safetensors"))
    }

    /// Checkpoints present, oldest first, as (iteration, path).
    pub fn list_checkpoints(&self) -> Result<Vec<(u64, PathBuf)>> {
        let dir = self.checkpoints();
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let path = entry.map_err(|e| Error::io(&dir, e))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(iter) = name
                .strip_prefix("ckpt_")
                .and_then(|n| n.strip_suffix(".safetensors"))
                .and_then(|n| n.parse::<u64>().ok())
            {
                found.push((iter, path));
            }
        }
        found.sort();
        Ok(found)
    }

    /// Removes the files a run writes (config, metrics, plot, samples, checkpoints) and nothing
    /// else in the folder: what `--force` replaces.
    pub fn clear_outputs(&self) -> Result<()> {
        for file in [
            self.config(),
            self.metrics(),
            self.loss_plot(),
            self.eval_plot(),
            self.best(),
            self.data_errors(),
        ]
        .into_iter()
        .chain(if self.root.exists() {
            tensorboard::event_files(&self.root)?
        } else {
            Vec::new()
        }) {
            if file.exists() {
                std::fs::remove_file(&file).map_err(|e| Error::io(&file, e))?;
            }
        }
        for dir in [self.samples(), self.checkpoints()] {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            }
        }
        Ok(())
    }

    /// The newest checkpoint, or a clear error naming the run folder.
    pub fn latest_checkpoint(&self) -> Result<PathBuf> {
        self.list_checkpoints()?
            .pop()
            .map(|(_, p)| p)
            .ok_or_else(|| {
                Error::format(
                    &self.root,
                    "no checkpoint in checkpoints/: is this a dcgan run folder, and did its \
                     training reach its first checkpoint?",
                )
            })
    }
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same folder, flushed, then
/// renamed over `path`. A crash leaves either the old file or the new one, never half of one; so
/// does a failed write (a full disk, a read-only folder), which removes the temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_replacing(path, bytes, true)
}

/// [`write_atomic`] without the flush to the device: a failed write still leaves no partial
/// file, but a crash of the machine (not of the process) may. For outputs made again cheaply
/// and written by the thousand (sample images), where a sync each would cost more than writing.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    write_replacing(path, bytes, false)
}

fn write_replacing(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        if sync {
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// The default folder of caches (real-image features, LSUN key lists): `$DCGAN_CACHE`, else
/// `$XDG_CACHE_HOME/dcgan`, else `~/.cache/dcgan`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("DCGAN_CACHE") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("dcgan"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("dcgan"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_listed_in_order_and_atomic_writes_replace() {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::new(tmp.path());
        assert!(
            run.latest_checkpoint()
                .unwrap_err()
                .to_string()
                .contains("no checkpoint")
        );
        for i in [20u64, 3, 100] {
            write_atomic(&run.checkpoint(i), b"x").unwrap();
        }
        std::fs::write(run.checkpoints().join("notes.txt"), "").unwrap();
        let iters: Vec<u64> = run
            .list_checkpoints()
            .unwrap()
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(iters, vec![3, 20, 100]);
        assert_eq!(run.latest_checkpoint().unwrap(), run.checkpoint(100));
        write_atomic(&run.config(), b"new").unwrap();
        write_atomic(&run.config(), b"newer").unwrap();
        assert_eq!(std::fs::read(run.config()).unwrap(), b"newer");
        let leftovers = std::fs::read_dir(tmp.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
        // --force removes only what a run writes.
        std::fs::write(tmp.path().join("my_notes.txt"), "keep").unwrap();
        run.clear_outputs().unwrap();
        assert!(!run.config().exists() && !run.checkpoints().exists());
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("my_notes.txt")).unwrap(),
            "keep"
        );
    }
}
