//! Command-line arguments. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// DCGAN (Radford, Metz & Chintala, 2015): train, sample and exchange weights with PyTorch.
#[derive(Debug, Parser)]
#[command(name = "dcgan", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a DCGAN (or continue a run with --resume).
    Train(TrainArgs),
    /// Draw images from a trained generator.
    Sample(SampleArgs),
    /// Write G and D as safetensors with PyTorch `examples/dcgan` names.
    Export(ExportArgs),
    /// Make a run folder from PyTorch `examples/dcgan` weights (netG, optionally netD).
    Import(ImportArgs),
}

/// The networks' shape.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Image side: 4 * 2^n (16, 32, 64, 128, ...). Default: 32 for builtin, mnist and cifar10
    /// (their native sizes), 64 for folders.
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Image channels, 1 or 3. Default: the source's (1 for MNIST, 3 otherwise).
    #[arg(long)]
    pub channels: Option<usize>,
    /// Length of z.
    #[arg(long, default_value_t = 100)]
    pub nz: usize,
    /// Width of G (feature maps of its last hidden layer).
    #[arg(long, default_value_t = 64)]
    pub ngf: usize,
    /// Width of D (feature maps of its first layer).
    #[arg(long, default_value_t = 64)]
    pub ndf: usize,
    /// Kernel of the strided layers: 4 (PyTorch's example) or 5 (the authors' code).
    #[arg(long, default_value_t = 4)]
    pub kernel: usize,
    /// Prior of z: uniform in [-1, 1] (the paper) or normal (PyTorch's example).
    #[arg(long, default_value = "uniform")]
    pub latent: String,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training images: builtin, mnist:DIR, cifar10:DIR or folder:DIR.
    #[arg(long, default_value = "builtin")]
    pub data: String,
    /// New run folder (config, metrics, grids, checkpoints).
    #[arg(long, required_unless_present = "resume", conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Continue the run in this folder from its newest checkpoint.
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// Replace the outputs of an existing run in --out.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Images per batch (the paper: 128).
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Passes over the data (default 5 when --max-iters is not given).
    #[arg(long, conflicts_with = "max_iters")]
    pub epochs: Option<u64>,
    /// Total iterations (one D step and one G step each).
    #[arg(long)]
    pub max_iters: Option<u64>,
    /// Seed of the weights, data order and z.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device: flex (CPU), wgpu, vulkan or cuda.
    #[arg(long, default_value = "flex")]
    pub device: String,
    /// Adam learning rate (the paper: 0.0002).
    #[arg(long, default_value_t = 2e-4)]
    pub lr: f64,
    /// Adam beta1 (the paper: 0.5).
    #[arg(long, default_value_t = 0.5)]
    pub beta1: f64,
    /// Write a sample grid every N iterations.
    #[arg(long, default_value_t = 100)]
    pub sample_every: u64,
    /// Write a checkpoint every N iterations.
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: u64,
    /// Checkpoints to keep.
    #[arg(long, default_value_t = 3)]
    pub keep_checkpoints: usize,
    /// Images in the sample grid.
    #[arg(long, default_value_t = 64)]
    pub grid_samples: usize,
    /// No progress bar (one summary line per sample interval instead).
    #[arg(long)]
    pub quiet: bool,
}

/// Which checkpoint to read.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Run folder (its newest checkpoint is used).
    #[arg(long, required_unless_present = "checkpoint")]
    pub run: Option<PathBuf>,
    /// A specific checkpoint file instead of a run's newest.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
}

impl CheckpointArgs {
    /// The checkpoint file these arguments name.
    pub fn path(&self) -> dcgan::Result<PathBuf> {
        match (&self.checkpoint, &self.run) {
            (Some(c), _) => Ok(c.clone()),
            (None, Some(r)) => dcgan::run::RunDir::new(r).latest_checkpoint(),
            (None, None) => Err(dcgan::Error::option(
                "--run",
                "give --run RUN_DIR or --checkpoint FILE",
            )),
        }
    }
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Number of images for a grid drawn from one --seed.
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Seed of the grid's z (images 0..n drawn in sequence).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// One image per seed, e.g. 0-63 or 1,5,9-12: the image of a seed never changes.
    #[arg(long, conflicts_with_all = ["n", "seed"])]
    pub seeds: Option<String>,
    /// Output grid image.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write each image as DIR/seed_NNNNNN.png (with --seeds) or DIR/img_NNNNNN.png.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Images per row of the grid (default: square).
    #[arg(long)]
    pub columns: Option<usize>,
    /// Compute device: flex (CPU), wgpu, vulkan or cuda.
    #[arg(long, default_value = "flex")]
    pub device: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Where to write G (PyTorch `netG` names).
    #[arg(long)]
    pub netg: Option<PathBuf>,
    /// Where to write D (PyTorch `netD` names).
    #[arg(long)]
    pub netd: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// PyTorch `netG` weights as safetensors (`safetensors.torch.save_file(netG.state_dict(), ...)`).
    #[arg(long)]
    pub netg: PathBuf,
    /// PyTorch `netD` weights; without it D starts from the paper's initialisation.
    #[arg(long)]
    pub netd: Option<PathBuf>,
    /// New run folder to create.
    #[arg(long)]
    pub out: PathBuf,
    /// Data the run would continue training on.
    #[arg(long, default_value = "builtin")]
    pub data: String,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Replace the outputs of an existing run in --out.
    #[arg(long)]
    pub force: bool,
}
