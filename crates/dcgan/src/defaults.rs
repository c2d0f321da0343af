//! Every default of the model and of a training run, in one place: [`crate::model::ModelConfig`],
//! [`crate::train::TrainConfig`], [`crate::train::AdamConfig`] and the command line's flags (and
//! so its `--help`) all take their values from here.

/// Length of z (PyTorch's `examples/dcgan`: `nz`).
pub const NZ: usize = 100;
/// Width of G's last hidden layer (`ngf`).
pub const NGF: usize = 64;
/// Width of D's first layer (`ndf`).
pub const NDF: usize = 64;
/// Kernel side of the strided layers (PyTorch's example: 4; the authors' code: 5).
pub const KERNEL: usize = 4;
/// Image side for sources without a native size (folders of images).
pub const IMAGE_SIZE: usize = 64;

/// Images per batch (paper section 4: 128).
pub const BATCH_SIZE: usize = 128;
/// Passes over the data when no length is given (all sources but `builtin`).
pub const EPOCHS: u64 = 5;
/// Passes over `builtin` when no length is given: 768 iterations of batch 128, whose last grid
/// shows recognisable discs, squares, triangles and rings, in about 4 minutes on 2 CPU cores.
pub const BUILTIN_EPOCHS: u64 = 12;
/// Adam's learning rate (paper section 4: 0.0002).
pub const LR: f64 = 2e-4;
/// Adam's beta1 (paper section 4: 0.5).
pub const BETA1: f64 = 0.5;
/// Adam's beta2 (PyTorch's default).
pub const BETA2: f64 = 0.999;
/// Adam's epsilon (PyTorch's default).
pub const EPS: f64 = 1e-8;
/// A sample grid every this many iterations.
pub const SAMPLE_EVERY: u64 = 100;
/// A checkpoint every this many iterations.
pub const CHECKPOINT_EVERY: u64 = 500;
/// Checkpoints kept.
pub const KEEP_CHECKPOINTS: usize = 3;
/// Images in the fixed-noise sample grid.
pub const GRID_SAMPLES: usize = 64;
/// Generated samples per evaluation during training.
pub const EVAL_SAMPLES: usize = 5000;
/// Noisy copies drawn around a vector-arithmetic result (the paper's figure 7: 8).
pub const NEIGHBOURS: usize = 8;
/// Half-width of the uniform noise of those copies (the paper: 0.25).
pub const NEIGHBOUR_RADIUS: f32 = 0.25;
/// Columns of a turn figure.
pub const TURN_STEPS: usize = 9;
/// Largest multiple of the direction a turn figure adds.
pub const TURN_SCALE: f32 = 1.0;
