//! `dcgan train`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use dcgan::data::{DataSource, Dataset, Split};
use dcgan::device::DeviceChoice;
use dcgan::run::RunDir;
use dcgan::train::{Start, TrainConfig, read_run_config, run_training};

use crate::cli::TrainArgs;
use crate::progress::Progress;

/// Epochs when neither --epochs nor --max-iters is given.
const DEFAULT_EPOCHS: u64 = 5;

pub fn run(args: TrainArgs) -> Result<()> {
    let device_choice: DeviceChoice = args.device.parse()?;
    let device = device_choice.device()?;
    let (run, start, config) = match &args.resume {
        Some(dir) => {
            let run = RunDir::new(dir);
            let mut config = read_run_config(&run)?;
            if let Some(n) = args.max_iters {
                config.iterations = n;
            } else if let Some(e) = args.epochs {
                let len = Dataset::open(
                    &config.data,
                    Split::Train,
                    config.model.image_size,
                    Some(config.model.channels),
                )?
                .len();
                config.iterations = e * (len / config.batch_size) as u64;
            }
            config.device = device_choice;
            (run, Start::Resume, config)
        }
        None => {
            let data: DataSource = args.data.parse()?;
            let model = super::model_config(&args.model, &data, 64)?;
            let mut config = TrainConfig::new(model, data);
            config.batch_size = args.batch_size;
            config.seed = args.seed;
            config.adam.lr = args.lr;
            config.adam.beta1 = args.beta1;
            config.sample_every = args.sample_every;
            config.checkpoint_every = args.checkpoint_every;
            config.keep_checkpoints = args.keep_checkpoints;
            config.grid_samples = args.grid_samples;
            config.device = device_choice;
            config.iterations = match (args.max_iters, args.epochs) {
                (Some(n), _) => n,
                (None, epochs) => {
                    let ds = Dataset::open(
                        &config.data,
                        Split::Train,
                        config.model.image_size,
                        Some(config.model.channels),
                    )?;
                    let per_epoch = (ds.len() / config.batch_size.max(1)) as u64;
                    epochs.unwrap_or(DEFAULT_EPOCHS) * per_epoch
                }
            };
            let out = args
                .out
                .clone()
                .context("--out is required for a new run")?;
            (RunDir::new(out), Start::New { force: args.force }, config)
        }
    };

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!(
                "\nstopping: saving a checkpoint after this iteration (Ctrl-C again to quit now)"
            );
        })
        .context("cannot install the Ctrl-C handler")?;
    }
    eprintln!(
        "{} {} on {}: {}x{}x{} images, batch {}, {} iterations, device {}",
        if matches!(start, Start::Resume) {
            "resuming"
        } else {
            "training"
        },
        run.root().display(),
        config.data,
        config.model.channels,
        config.model.image_size,
        config.model.image_size,
        config.batch_size,
        config.iterations,
        device_choice
    );
    let mut progress = Progress::new(stop, args.quiet);
    let summary = run_training(&run, &config, start, &device, &mut progress);
    progress.finish();
    let summary = summary?;
    println!("finished {} iterations", summary.iterations);
    if let Some(last) = summary.last {
        let s = last.stats;
        println!(
            "last: Loss_D {:.4} Loss_G {:.4} D(x) {:.4} D(G(z)) {:.4} / {:.4}",
            s.loss_d, s.loss_g, s.d_x, s.d_g_z1, s.d_g_z2
        );
    }
    println!("samples:    {}", summary.grid.display());
    println!("checkpoint: {}", summary.checkpoint.display());
    println!("metrics:    {}", run.metrics().display());
    Ok(())
}
