//! The library's one error type. Every variant names the file, flag or value at fault.

use std::path::{Path, PathBuf};

/// Errors returned by the `dcgan` library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O failure on a named file or folder.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error (shown in the message, so not repeated as a cause).
        error: std::io::Error,
    },
    /// A file whose contents are not what its format requires.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A weights file whose tensors do not fit the model it is loaded into.
    #[error("{}: tensor `{tensor}`{} {problem}", path.display(), pytorch_name.as_ref().map(|n| format!(" (PyTorch name `{n}`)")).unwrap_or_default())]
    Tensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name in this library (`blocks.0.conv.weight`).
        tensor: String,
        /// Its name in PyTorch's `examples/dcgan`, when the file came from there.
        pytorch_name: Option<String>,
        /// What is wrong: missing, or of another shape.
        problem: String,
    },
    /// A folder that already holds a training run, given to something that would start a new
    /// one there (resume it, or start afresh to replace it).
    #[error("{}: already holds a training run", path.display())]
    RunExists {
        /// The run folder.
        path: PathBuf,
    },
    /// A training already writes this run folder (it holds the folder's `train.lock`).
    #[error(
        "{}: another training is writing this run folder{}; wait for it to end or stop it \
         (commands that only read the run, such as sample, work meanwhile)",
        path.display(),
        pid.map(|p| format!(" (process {p} holds train.lock)")).unwrap_or_default()
    )]
    RunInUse {
        /// The run folder.
        path: PathBuf,
        /// The process holding it, as its lock file says.
        pid: Option<u32>,
    },
    /// A setting with an unusable value, named as the library's configuration names it
    /// (`image_size`, `batch_size`, `iterations`: the fields of [`crate::model::ModelConfig`],
    /// [`crate::train::TrainConfig`] and the other settings structs); a front end maps the name
    /// to its own flag.
    #[error("invalid {option}: {message}")]
    InvalidOption {
        /// The setting, e.g. `image_size`.
        option: String,
        /// Why the value cannot be used.
        message: String,
    },
    /// A device that cannot be used (not compiled in, or failed to start).
    #[error("device `{device}`: {message}")]
    Device {
        /// The device name as given.
        device: String,
        /// Why it cannot be used.
        message: String,
    },
    /// A quality metric that cannot be computed from what it was given (too few samples, a
    /// singular covariance, statistics of another feature network).
    #[error("{metric}: {message}")]
    Metric {
        /// The metric, e.g. `FID`.
        metric: String,
        /// Why it cannot be computed.
        message: String,
    },
    /// Training stopped because a file it must keep could not be written (a full disk, a device
    /// error, a read-only folder): a checkpoint, the metrics log or an evaluation's best state.
    /// Nothing already written was changed; `kept` is the newest checkpoint, still whole.
    #[error(
        "{}: could not be written at iteration {iteration}: {error}; training stopped. {}",
        path.display(),
        match kept {
            Some(k) => format!(
                "The newest checkpoint, {}, is whole: free space (or make the folder writable), \
                 then continue from it with --resume",
                k.display()
            ),
            None => "There is no checkpoint yet: free space (or make the folder writable), then \
                     --resume starts the run from iteration 0"
                .to_string(),
        }
    )]
    NotWritten {
        /// The file that could not be written.
        path: PathBuf,
        /// The iteration training had reached.
        iteration: u64,
        /// The operating system's error.
        error: std::io::Error,
        /// The newest checkpoint of the run, untouched.
        kept: Option<PathBuf>,
    },
    /// Training produced non-finite losses.
    #[error(
        "losses became non-finite at iteration {iteration} (Loss_D {loss_d}, Loss_G {loss_g}); \
         the last checkpoint is kept: resume from it with a lower learning rate (`lr`)"
    )]
    Diverged {
        /// The iteration that diverged.
        iteration: u64,
        /// D's loss there.
        loss_d: f32,
        /// G's loss there.
        loss_g: f32,
    },
    /// The run was interrupted (Ctrl-C) after saving a checkpoint.
    #[error("interrupted at iteration {iteration}; checkpoint saved to {}", checkpoint.display())]
    Interrupted {
        /// Iterations completed.
        iteration: u64,
        /// Where the state was saved.
        checkpoint: PathBuf,
    },
}

/// Shorthand for results of this library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            error,
        }
    }

    /// A format error in `path`.
    pub fn format(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    /// A metric that cannot be computed.
    pub fn metric(metric: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Metric {
            metric: metric.into(),
            message: message.into(),
        }
    }

    /// An unusable value for the setting `option` (a configuration field's name).
    pub fn option(option: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidOption {
            option: option.into(),
            message: message.into(),
        }
    }
}
