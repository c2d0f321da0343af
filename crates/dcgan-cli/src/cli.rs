//! Command-line arguments. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use dcgan::data::Split;
use dcgan::defaults;

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
    /// Walk through latent space between seeded points, linear or spherical (paper Fig. 4).
    Interpolate(InterpolateArgs),
    /// Vector arithmetic on averaged exemplar z, beside the same in pixels (paper Fig. 7).
    Arithmetic(ArithmeticArgs),
    /// Move samples along a direction between two exemplar sets, e.g. "turn" (paper Fig. 8).
    Turn(TurnArgs),
    /// Nearest training images of generated samples, in pixels and D features (memorisation).
    Nearest(NearestArgs),
    /// Guided backpropagation of D's features on their strongest images, trained vs random D
    /// (paper Fig. 5).
    Visualize(VisualizeArgs),
    /// Forget an object: drop the G feature maps tied to boxes drawn around it (paper Fig. 6).
    Forget(ForgetArgs),
    /// The appendix's evaluation of a conditional model: a nearest-neighbour classifier of the
    /// real test images whose reference set is generated samples, beside real training images.
    ConditionalEval(ConditionalEvalArgs),
    /// D's features (every layer max-pooled to 4x4, concatenated) of a data set, as safetensors.
    Features(FeaturesArgs),
    /// The paper's feature evaluation: a linear L2-SVM on D's features, C chosen on validation,
    /// all labels or N per class, beside the same for a randomly initialised D.
    Classify(ClassifyArgs),
    /// Sample quality: FID, KID, precision/recall and Inception Score of a generator's samples
    /// (or of any images) against real images, in a named feature network.
    Metrics(MetricsArgs),
    /// Train or inspect the classifier whose features `metrics --features classifier:DIR` uses.
    #[command(subcommand)]
    Classifier(ClassifierCommand),
    /// Images per second of a training iteration, of sampling and of the data pipeline, for
    /// PyTorch's `examples/dcgan` model (nz 100, ngf = ndf = 64, RGB).
    Bench(BenchArgs),
    /// Every compute device this build can reach, by the name `--device` takes.
    Devices(DevicesArgs),
    /// Near-duplicates of a dataset by the paper's autoencoder hash (section 4.1): the groups,
    /// a figure of the largest, and a keep-list for `train --keep-list`.
    Dedup(DedupArgs),
    /// Datasets: fetch the public ones, pack a source into one memory-mapped file of pixels at
    /// the model's size.
    #[command(subcommand)]
    Data(DataCommand),
    /// A local web page: training runs watched live (grids, curves, configuration) and a
    /// latent-space explorer on their checkpoints (walks, arithmetic, turns).
    Serve(ServeArgs),
}

/// `dcgan serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A run folder to serve; repeat for more.
    #[arg(long = "run", value_name = "DIR", required = true)]
    pub runs: Vec<PathBuf>,
    /// Port (0: any free one; the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on: 127.0.0.1 serves this machine only; 0.0.0.0 every network.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Device the explorer computes on: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] or cuda[:N].
    #[arg(long, default_value = "flex")]
    pub device: String,
}

impl Command {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Train(_) => "train",
            Command::Sample(_) => "sample",
            Command::Export(_) => "export",
            Command::Import(_) => "import",
            Command::Interpolate(_) => "interpolate",
            Command::Arithmetic(_) => "arithmetic",
            Command::Turn(_) => "turn",
            Command::Nearest(_) => "nearest",
            Command::Visualize(_) => "visualize",
            Command::Forget(_) => "forget",
            Command::ConditionalEval(_) => "conditional-eval",
            Command::Features(_) => "features",
            Command::Classify(_) => "classify",
            Command::Metrics(_) => "metrics",
            Command::Classifier(_) => "classifier",
            Command::Bench(_) => "bench",
            Command::Devices(_) => "devices",
            Command::Data(_) => "data",
            Command::Dedup(_) => "dedup",
            Command::Serve(_) => "serve",
        }
    }
}

/// The networks' shape.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Image side: 4 * 2^n (16, 32, 64, 128, ...). Default: 32 for builtin, mnist and cifar10
    /// (their native sizes), 64 for folders.
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Image channels, 1 or 3. Default: the source's (1 for MNIST, 3 otherwise).
    #[arg(long)]
    pub channels: Option<usize>,
    /// Length of z.
    #[arg(long, default_value_t = defaults::NZ)]
    pub nz: usize,
    /// Width of G (feature maps of its last hidden layer).
    #[arg(long, default_value_t = defaults::NGF)]
    pub ngf: usize,
    /// Width of D (feature maps of its first layer).
    #[arg(long, default_value_t = defaults::NDF)]
    pub ndf: usize,
    /// Kernel of the strided layers: 4 (PyTorch's example) or 5 (the authors' code).
    #[arg(long, default_value_t = defaults::KERNEL)]
    pub kernel: usize,
    /// Prior of z: uniform in [-1, 1] (the paper) or normal (PyTorch's example).
    #[arg(long, default_value = "uniform")]
    pub latent: String,
    /// A conditional model (the paper's appendix): G and D are given each image's class, which
    /// the data must have (MNIST, CIFAR-10, SVHN, builtin, a folder of class subfolders).
    #[arg(long)]
    pub conditional: bool,
    /// Learned scale and bias in batch norm; the appendix's conditional model did better
    /// without (`--bn-affine false`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub bn_affine: bool,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training images: builtin, mnist:DIR, cifar10:DIR, svhn:DIR, folder:DIR or lsun:DIR.
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
    #[arg(long, default_value_t = defaults::BATCH_SIZE)]
    pub batch_size: usize,
    /// Passes over the data (default: 12 on builtin, 5 on other sources, when --max-iters is not
    /// given either).
    #[arg(long, conflicts_with = "max_iters")]
    pub epochs: Option<u64>,
    /// Total iterations (one D step and one G step each).
    #[arg(long)]
    pub max_iters: Option<u64>,
    /// Seed of the weights, data order and z.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] (ADAPTER: discrete[:N],
    /// integrated[:N], cpu, ...) or cuda[:N]; `dcgan devices` lists this machine's. Several,
    /// comma-separated (cuda:0,cuda:1), train data-parallel: the batch is cut into one shard per
    /// device and the gradients averaged (docs/multi-gpu.md).
    #[arg(long, default_value = "flex")]
    pub device: String,
    /// Adam learning rate (the paper: 0.0002).
    #[arg(long, default_value_t = defaults::LR)]
    pub lr: f64,
    /// Adam beta1 (the paper: 0.5).
    #[arg(long, default_value_t = defaults::BETA1)]
    pub beta1: f64,
    /// Write a sample grid every N iterations.
    #[arg(long, default_value_t = defaults::SAMPLE_EVERY)]
    pub sample_every: u64,
    /// Write a checkpoint every N iterations.
    #[arg(long, default_value_t = defaults::CHECKPOINT_EVERY)]
    pub checkpoint_every: u64,
    /// Checkpoints to keep.
    #[arg(long, default_value_t = defaults::KEEP_CHECKPOINTS)]
    pub keep_checkpoints: usize,
    /// Images in the sample grid.
    #[arg(long, default_value_t = defaults::GRID_SAMPLES)]
    pub grid_samples: usize,
    /// No progress bar: a line of losses every 50 iterations on stderr instead.
    #[arg(long)]
    pub quiet: bool,
    /// Measure FID and KID every N iterations (and after the last); the best checkpoint is
    /// kept as checkpoints/best.safetensors. Needs --eval-features.
    #[arg(long, requires = "eval_features")]
    pub eval_every: Option<u64>,
    /// Samples per evaluation (seeds 0..N, the same every time); more than the features'
    /// dimensions.
    #[arg(long, default_value_t = defaults::EVAL_SAMPLES)]
    pub eval_samples: usize,
    /// Feature network of the evaluations: inception:FILE or classifier:DIR.
    #[arg(long, requires = "eval_every")]
    pub eval_features: Option<String>,
    /// Real training images the evaluations compare against (a fixed random subset; default
    /// all).
    #[arg(long)]
    pub eval_real_n: Option<usize>,
    /// Train only on the images this keep-list keeps (written by `dcgan dedup`).
    #[arg(long, value_name = "FILE")]
    pub keep_list: Option<PathBuf>,
    /// Stop on a training image that does not decode, instead of replacing it with the next
    /// one and listing it in the run's data-errors.txt.
    #[arg(long)]
    pub strict_data: bool,
    /// Write no TensorBoard event files (they are written by default: the scalars of every
    /// iteration and each sample grid, for `tensorboard --logdir`).
    #[arg(long)]
    pub no_tensorboard: bool,
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
                "run",
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
    /// Also write each image as DIR/seed_NNNNNN.png (with --seeds) or DIR/img_NNNNNN.png:
    /// exactly the model's image (its size, grayscale or RGB as the model), no border, so
    /// tools such as pytorch-fid score the sample itself.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Images per row of the grid (default: square).
    #[arg(long)]
    pub columns: Option<usize>,
    /// A contact sheet: the images with each one's seed printed under it, and FILE.json beside
    /// it giving every tile's seed and place. For picking exemplars by eye.
    #[arg(long, value_name = "FILE")]
    pub sheet: Option<PathBuf>,
    /// Enlargement of each image in the sheet (default: to at least 64 pixels).
    #[arg(long)]
    pub zoom: Option<u32>,
    /// The class of every image, for a conditional model (e.g. 7 on MNIST). Without it a
    /// conditional model's images go one class per group: --n 100 --columns 10 shows one row
    /// per digit.
    #[arg(long)]
    pub class: Option<usize>,
    /// Compute device: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] (ADAPTER: discrete[:N],
    /// integrated[:N], cpu, ...) or cuda[:N]; `dcgan devices` lists this machine's.
    #[arg(long, default_value = "flex")]
    pub device: String,
}

/// Options shared by the figure commands.
#[derive(Debug, Args)]
pub struct FigureArgs {
    /// Enlargement of each image (default: to at least 64 pixels).
    #[arg(long)]
    pub zoom: Option<u32>,
    /// Compute device: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] (ADAPTER: discrete[:N],
    /// integrated[:N], cpu, ...) or cuda[:N]; `dcgan devices` lists this machine's.
    #[arg(long, default_value = "flex")]
    pub device: String,
}

#[derive(Debug, Args)]
pub struct InterpolateArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Points each walk passes through (the paper: 9).
    #[arg(long, default_value_t = 9)]
    pub points: usize,
    /// Frames from each point to the next.
    #[arg(long, default_value_t = 8)]
    pub steps: usize,
    /// Walks, one row each.
    #[arg(long, default_value_t = 1)]
    pub walks: usize,
    /// Walk w passes through seeds SEED + w*points ... SEED + (w+1)*points - 1.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Walk through these seeds instead (e.g. 3,17,42); repeat the flag for more walks.
    #[arg(long, conflicts_with_all = ["points", "walks", "seed"])]
    pub from_seeds: Vec<String>,
    /// Spherical interpolation (great circles) instead of straight lines.
    #[arg(long)]
    pub slerp: bool,
    /// The walks as a PNG, one row per walk, key frames captioned with their seeds.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The walks as an animated GIF (all walks side by side).
    #[arg(long)]
    pub gif: Option<PathBuf>,
    /// Milliseconds per GIF frame.
    #[arg(long, default_value_t = 80)]
    pub frame_ms: u32,
    #[command(flatten)]
    pub figure: FigureArgs,
}

#[derive(Debug, Args)]
pub struct ArithmeticArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Seeds of the exemplars of A in mean(A) - mean(B) + mean(C), e.g. 12,40,77.
    #[arg(long)]
    pub a: Option<String>,
    /// Seeds of the exemplars of B (subtracted).
    #[arg(long)]
    pub b: Option<String>,
    /// Seeds of the exemplars of C (added).
    #[arg(long)]
    pub c: Option<String>,
    /// A signed term, e.g. +12,40,77 or -3,9,150; repeatable, used instead of --a/--b/--c.
    #[arg(long, allow_hyphen_values = true, conflicts_with_all = ["a", "b", "c"])]
    pub term: Vec<String>,
    /// Noisy copies of the result drawn around it (the paper: 8).
    #[arg(long, default_value_t = defaults::NEIGHBOURS)]
    pub neighbours: usize,
    /// Half-width of the uniform noise of the neighbours (the paper: 0.25).
    #[arg(long, default_value_t = defaults::NEIGHBOUR_RADIUS)]
    pub radius: f32,
    /// Seed of the neighbours' noise.
    #[arg(long, default_value_t = 0)]
    pub noise_seed: u64,
    /// The figure.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub figure: FigureArgs,
}

#[derive(Debug, Args)]
pub struct TurnArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Exemplars the direction points towards (e.g. faces looking left).
    #[arg(long)]
    pub towards: String,
    /// Exemplars it points away from (e.g. faces looking right).
    #[arg(long)]
    pub away: String,
    /// Samples to move, one row each.
    #[arg(long, default_value = "0-7")]
    pub seeds: String,
    /// Columns: multiples of the direction from -SCALE to +SCALE.
    #[arg(long, default_value_t = defaults::TURN_STEPS)]
    pub steps: usize,
    /// Largest multiple of the direction added.
    #[arg(long, default_value_t = defaults::TURN_SCALE, allow_hyphen_values = true)]
    pub scale: f32,
    /// The figure.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub figure: FigureArgs,
}

#[derive(Debug, Args)]
pub struct NearestArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Training images to search (default: the data the run was trained on).
    #[arg(long)]
    pub data: Option<String>,
    /// Generated samples to check.
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Seed of the samples (sample i is `dcgan sample --seeds SEED+i`).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Neighbours shown per sample, in each space.
    #[arg(long, default_value_t = 3)]
    pub k: usize,
    /// Real images not trained on, checked the same way for comparison (the test split, or
    /// for a folder images left out of the search).
    #[arg(long, default_value_t = 1000)]
    pub held_out: usize,
    /// Search pixel space only (skip D's features).
    #[arg(long)]
    pub pixels_only: bool,
    /// Accept data whose stored size or channels differ from the model's, fitting it as
    /// training would.
    #[arg(long)]
    pub convert: bool,
    /// Training images per step of the search.
    #[arg(long, default_value_t = 4096)]
    pub chunk: usize,
    /// Samples shown in the figure (all are summarised).
    #[arg(long, default_value_t = 16)]
    pub show: usize,
    /// The figure: each sample beside its nearest training images.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The full result as JSON (every neighbour's index and distance, and the summaries).
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub figure: FigureArgs,
}

#[derive(Debug, Args)]
pub struct ConditionalEvalArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Labelled data whose test split is classified (default: the data the run was trained on).
    #[arg(long)]
    pub data: Option<String>,
    /// Sizes of the generated reference set (one pass makes the largest; sample i has class
    /// i % classes and seed SEED+i).
    #[arg(long, value_delimiter = ',', default_value = "10000,50000,100000")]
    pub generated: Vec<usize>,
    /// Sizes of the real reference set (nested random subsets of the training split; a size
    /// beyond it is all of it). Give 0 to skip.
    #[arg(long, value_delimiter = ',', default_value = "10000,60000")]
    pub real: Vec<usize>,
    /// Test images classified (a fixed random subset; default all).
    #[arg(long)]
    pub test: Option<usize>,
    /// First seed of the generated samples, and of the random subsets.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Reference images generated and searched per step.
    #[arg(long, default_value_t = 2500)]
    pub chunk: usize,
    /// The result as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Compute device: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] (ADAPTER: discrete[:N],
    /// integrated[:N], cpu, ...) or cuda[:N]; `dcgan devices` lists this machine's.
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

#[derive(Debug, Args)]
pub struct VisualizeArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Images to search for strong responses (default: the data the run was trained on).
    #[arg(long)]
    pub data: Option<String>,
    /// D layer: first, last, or an index (0 is the input layer).
    #[arg(long, default_value = "last")]
    pub layer: String,
    /// Features (channels) of that layer, e.g. 0-5 or 3,17.
    #[arg(long, default_value = "0-5")]
    pub features: String,
    /// Strongest images shown per feature.
    #[arg(long, default_value_t = 8)]
    pub top: usize,
    /// Images scanned for responses (evenly spaced through the training split).
    #[arg(long, default_value_t = 2000)]
    pub scan: usize,
    /// Seed of the randomly initialised D shown beside the trained one.
    #[arg(long, default_value_t = 0)]
    pub random_seed: u64,
    /// Accept data whose stored size or channels differ from the model's, fitting it as
    /// training would.
    #[arg(long)]
    pub convert: bool,
    /// The figure.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub figure: FigureArgs,
}

#[derive(Debug, Args)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Boxes around the object: {"boxes": [{"seed": 12, "x": 3, "y": 5, "w": 10, "h": 8}, ...]}
    /// in image pixels of `dcgan sample --seeds` images.
    #[arg(long)]
    pub boxes: PathBuf,
    /// G layer: second-highest (the paper's), highest, or an index (0 is the 4x4 projection).
    #[arg(long, default_value = "second-highest")]
    pub layer: String,
    /// Samples drawn with and without the maps.
    #[arg(long, default_value = "0-15")]
    pub seeds: String,
    /// L2 penalty of the logistic regression (on standardised activations).
    #[arg(long, default_value_t = 0.01)]
    pub l2: f64,
    /// The figure: samples above, the same z with the maps dropped below.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub figure: FigureArgs,
}

/// Which discriminator's features.
#[derive(Debug, Args)]
pub struct FeatureSourceArgs {
    #[command(flatten)]
    pub from: CheckpointArgs,
    /// Use a randomly initialised D (from this seed) instead of the run's.
    #[arg(long)]
    pub random_d: Option<u64>,
    /// Keep D's batch-norm statistics as trained instead of re-estimating them on the training
    /// images first (the authors re-estimate: D's own mix real and generated batches).
    #[arg(long)]
    pub keep_bn: bool,
    /// Compute device: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] (ADAPTER: discrete[:N],
    /// integrated[:N], cpu, ...) or cuda[:N]; `dcgan devices` lists this machine's.
    #[arg(long, default_value = "flex")]
    pub device: String,
}

#[derive(Debug, Args)]
pub struct FeaturesArgs {
    #[command(flatten)]
    pub d: FeatureSourceArgs,
    /// Images: mnist:DIR, cifar10:DIR, svhn:DIR, folder:DIR or builtin (default: the run's).
    #[arg(long)]
    pub data: Option<String>,
    /// Which split: train or test.
    #[arg(long, default_value = "train")]
    pub split: Split,
    /// Where to write `features` [n, dim] and (for labelled data) `labels` [n].
    #[arg(long)]
    pub out: PathBuf,
    /// Accept data whose stored size or channels differ from the model's.
    #[arg(long)]
    pub convert: bool,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub d: FeatureSourceArgs,
    /// Labelled training images (the SVM's training and validation rows).
    #[arg(long)]
    pub train: String,
    /// Labelled test images (default: the test split of --train, where it has one).
    #[arg(long)]
    pub test: Option<String>,
    /// Train on N labels per class (class-balanced random draws) instead of all.
    #[arg(long)]
    pub labels_per_class: Option<usize>,
    /// Draws averaged with --labels-per-class (the authors: 100 on SVHN).
    #[arg(long, default_value_t = 10)]
    pub draws: usize,
    /// Training images held out to choose C.
    #[arg(long, default_value_t = 10_000)]
    pub validation: usize,
    /// Values of C tried on the validation split (the authors' SVHN script: 1e-4 to 1e-2).
    #[arg(long, value_delimiter = ',', default_value = "0.0001,0.001,0.01")]
    pub c_grid: Vec<f64>,
    /// Use at most this many training images (evenly spaced), for quick runs.
    #[arg(long)]
    pub max_train: Option<usize>,
    /// Use at most this many test images (evenly spaced).
    #[arg(long)]
    pub max_test: Option<usize>,
    /// Seed of the validation split and the label draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Seed of the random D evaluated beside the run's (the baseline).
    #[arg(long, default_value_t = 0)]
    pub baseline_seed: u64,
    /// Also train D's architecture purely supervised on each draw's labelled images (the
    /// paper's supervised baseline), the epoch chosen on the validation split.
    #[arg(long)]
    pub supervised: bool,
    /// Epochs of the supervised baseline.
    #[arg(long, default_value_t = 30)]
    pub supervised_epochs: usize,
    /// Accept data whose stored size or channels differ from the model's.
    #[arg(long)]
    pub convert: bool,
    /// The result as JSON.
    #[arg(long)]
    pub out: PathBuf,
    /// The trained D's test confusion matrix as an image.
    #[arg(long)]
    pub confusion: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure: train (one D step on real + fake, then one G step), sample (G in
    /// inference mode), data (decode + resize + centre crop + scale of --data's images),
    /// inception (features of pytorch-fid's Inception-v3, images resized to 299) and fid (FID
    /// from two sets of --fid-n 2048-d features: covariances and the matrix square root) and
    /// tensorboard (what writing TensorBoard events adds per training iteration).
    #[arg(long, value_delimiter = ',', default_value = "train,sample,data")]
    pub what: Vec<String>,
    /// Feature vectors per side of the fid workload.
    #[arg(long, default_value_t = 50_000)]
    pub fid_n: usize,
    /// Image sizes of the model (train and sample).
    #[arg(long, value_delimiter = ',', default_value = "32,64")]
    pub image_sizes: Vec<usize>,
    /// Batch sizes (train and sample).
    #[arg(long, value_delimiter = ',', default_value = "64,128")]
    pub batch_sizes: Vec<usize>,
    /// Untimed repetitions before the timed ones.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Timed repetitions of each configuration.
    #[arg(long, default_value_t = 10)]
    pub iters: usize,
    /// Compute threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Compute device: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] (ADAPTER: discrete[:N],
    /// integrated[:N], cpu, ...) or cuda[:N]; `dcgan devices` lists this machine's.
    #[arg(long, default_value = "flex")]
    pub device: String,
    /// Images for the data pipeline (e.g. folder:DIR of CelebA JPEGs). Without it, `data` is
    /// skipped.
    #[arg(long)]
    pub data: Option<String>,
    /// Side the pipeline fits images to.
    #[arg(long, default_value_t = 64)]
    pub data_size: usize,
    /// Images decoded per repetition of the pipeline.
    #[arg(long, default_value_t = 1000)]
    pub data_images: usize,
    /// Also write every figure as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Run folder whose newest checkpoint's generator is scored.
    #[arg(long, conflicts_with_all = ["checkpoint", "images"])]
    pub run: Option<PathBuf>,
    /// A specific checkpoint instead of a run's newest.
    #[arg(long, conflicts_with = "images")]
    pub checkpoint: Option<PathBuf>,
    /// Score images of a data source instead of a generator (e.g. the test split against the
    /// training split: the floor of each metric).
    #[arg(long, value_name = "SOURCE")]
    pub images: Option<String>,
    /// Split of --images: train or test.
    #[arg(long, default_value = "test")]
    pub images_split: Split,
    /// Feature network: inception:FILE (pytorch-fid's pt_inception-2015-12-05-6726825d.pth or
    /// its safetensors) or classifier:DIR (`dcgan classifier train`).
    #[arg(long)]
    pub features: String,
    /// Real images: mnist:DIR, cifar10:DIR, svhn:DIR, folder:DIR or builtin (default: the data
    /// the run was trained on).
    #[arg(long)]
    pub data: Option<String>,
    /// Split of the real images: train or test.
    #[arg(long, default_value = "train")]
    pub split: Split,
    /// Use at most N real images (a fixed random subset); default: all of the split.
    #[arg(long)]
    pub real_n: Option<usize>,
    /// Reference statistics from a pytorch-fid .npz instead of real images (FID only).
    #[arg(long, conflicts_with_all = ["data", "split", "real_n"])]
    pub real_stats: Option<PathBuf>,
    /// Generated samples (seeds SEED ... SEED + N - 1).
    #[arg(long, default_value_t = 50_000)]
    pub n: usize,
    /// Seed of the first sample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Side of the images when no run gives it (--images): default the source's own.
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Channels of the images when no run gives them (--images).
    #[arg(long)]
    pub channels: Option<usize>,
    /// Which metrics: any of fid, kid, pr, is, or all.
    #[arg(long, default_value = "all")]
    pub metrics: String,
    /// KID: subsets averaged (torch-fidelity: 100).
    #[arg(long, default_value_t = 100)]
    pub kid_subsets: usize,
    /// KID: vectors per subset (torch-fidelity: 1000).
    #[arg(long, default_value_t = 1000)]
    pub kid_subset_size: usize,
    /// Precision/recall: neighbourhood size (Kynkaanniemi et al.: 3).
    #[arg(long, default_value_t = 3)]
    pub k: usize,
    /// Inception Score: splits (torch-fidelity: 10).
    #[arg(long, default_value_t = 10)]
    pub is_splits: usize,
    /// Images per forward pass of the feature network.
    #[arg(long, default_value_t = 50)]
    pub batch: usize,
    /// Folder of the real-feature cache (default: $DCGAN_CACHE, $XDG_CACHE_HOME/dcgan or
    /// ~/.cache/dcgan).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the real-feature cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
    /// Write the generated side's statistics (mu, sigma) as a pytorch-fid .npz.
    #[arg(long, value_name = "FILE")]
    pub save_stats: Option<PathBuf>,
    /// Write the real side's statistics as a pytorch-fid .npz.
    #[arg(long, value_name = "FILE")]
    pub save_real_stats: Option<PathBuf>,
    /// Accept real data whose stored size or channels differ from the model's, fitting it as
    /// training would.
    #[arg(long)]
    pub convert: bool,
    /// The full result as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Compute device: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] (ADAPTER: discrete[:N],
    /// integrated[:N], cpu, ...) or cuda[:N]; `dcgan devices` lists this machine's.
    #[arg(long, default_value = "flex")]
    pub device: String,
}

#[derive(Debug, Args)]
pub struct DedupArgs {
    /// The images: mnist:DIR, cifar10:DIR, svhn:DIR, folder:DIR, lsun:DIR, packed:FILE.
    #[arg(long)]
    pub data: String,
    /// Folder for duplicates.json, keep.txt and groups.png.
    #[arg(long)]
    pub out: PathBuf,
    /// Which split of a source that has two.
    #[arg(long, default_value = "train")]
    pub split: Split,
    /// Minibatches the autoencoder trains for.
    #[arg(long, default_value_t = 2000)]
    pub iterations: u64,
    /// Images per minibatch.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Candidates: codes differing in at most this many of their 128 bits.
    #[arg(long, default_value_t = 16)]
    pub max_hamming: u32,
    /// Duplicates: crops whose mean absolute difference (after removing each crop's mean
    /// colour, at the best shift of up to 2 pixels) is at most this fraction of their own
    /// variation.
    #[arg(long, default_value_t = 0.25)]
    pub max_distance: f64,
    /// Seed of the autoencoder.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device (see `train --device`).
    #[arg(long, default_value = "flex")]
    pub device: String,
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Download a public dataset's official files, checked against their published checksums,
    /// resumed after an interruption, unpacked where they are archives.
    Fetch(FetchArgs),
    /// Decode, resize and crop every image of a source once into a file that `--data
    /// packed:FILE` trains from without decoding (memory-mapped, a CRC per image).
    Pack(PackArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// mnist, fashion-mnist, cifar10, svhn or lsun:CATEGORY[:val] (bedroom, church_outdoor,
    /// ...).
    pub name: String,
    /// The folder to download into (created if needed).
    #[arg(long)]
    pub to: PathBuf,
    /// Another host holding the same files under the same names (a URL ending in the folder).
    #[arg(long)]
    pub mirror: Option<String>,
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The source: mnist:DIR, cifar10:DIR, svhn:DIR, folder:DIR, lsun:DIR or builtin.
    #[arg(long)]
    pub data: String,
    /// The packed file to write (refused if it exists, unless --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Side of the packed images (the model's --image-size). Default: the source's own size
    /// (32 for builtin, mnist, cifar10, svhn), 64 for folders and LSUN.
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Channels, 1 or 3 (default: the source's).
    #[arg(long)]
    pub channels: Option<usize>,
    /// Which split of a source that has two.
    #[arg(long, default_value = "train")]
    pub split: Split,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClassifierCommand {
    /// Train a classifier on a labelled dataset; its penultimate layer becomes a feature space
    /// for `dcgan metrics --features classifier:DIR`.
    Train(ClassifierTrainArgs),
}

#[derive(Debug, Args)]
pub struct ClassifierTrainArgs {
    /// Labelled training images: mnist:DIR, cifar10:DIR, svhn:DIR or folder:DIR (one
    /// subfolder per class).
    #[arg(long)]
    pub data: String,
    /// New folder for classifier.json and classifier.safetensors.
    #[arg(long)]
    pub out: PathBuf,
    /// Input side (4 * 2^n; default: 32 for mnist, cifar10, svhn and builtin, 64 for folders).
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Input channels (default: the source's).
    #[arg(long)]
    pub channels: Option<usize>,
    /// Width of the first stage (features: width * 2^(stages - 1)).
    #[arg(long, default_value_t = 32)]
    pub width: usize,
    /// Passes over the training images.
    #[arg(long, default_value_t = 10)]
    pub epochs: u64,
    /// Images per step.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Mirror training images left-right at random (default: on for RGB, off for grayscale,
    /// where digits are not mirror images of each other).
    #[arg(long)]
    pub flip: Option<bool>,
    /// Seed of the weights, the order and the flips.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Labelled test images for the accuracy, when --data has no test split (a folder).
    #[arg(long, value_name = "SOURCE")]
    pub test: Option<String>,
    /// Compute device: flex (CPU), wgpu[:ADAPTER], vulkan[:ADAPTER] (ADAPTER: discrete[:N],
    /// integrated[:N], cpu, ...) or cuda[:N]; `dcgan devices` lists this machine's.
    #[arg(long, default_value = "flex")]
    pub device: String,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// The one default that help text states in words (the rest show clap's `[default: ...]`
    /// from `dcgan::defaults`) still says what the library does.
    #[test]
    fn help_states_the_librarys_default_length() {
        let cli = Cli::command();
        let train = cli.find_subcommand("train").expect("train");
        let epochs = train
            .get_arguments()
            .find(|a| a.get_id() == "epochs")
            .expect("--epochs");
        let help = epochs.get_help().expect("help").to_string();
        let words = format!(
            "default: {} on builtin, {} on other sources, when",
            defaults::BUILTIN_EPOCHS,
            defaults::EPOCHS
        );
        assert!(help.contains(&words), "{help}");
    }
}

#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Print the list as JSON (name, description, usable) instead of a table.
    #[arg(long)]
    pub json: bool,
}
