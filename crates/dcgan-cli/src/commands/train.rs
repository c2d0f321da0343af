//! `dcgan train`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use dcgan::data::DataSource;
use dcgan::device::DeviceChoice;
use dcgan::run::RunDir;
use dcgan::train::{Start, TrainConfig, run_training};

use crate::cli::TrainArgs;
use crate::progress::Progress;

pub fn run(args: TrainArgs) -> Result<()> {
    // One device, or several for data-parallel training: the first holds the model.
    let mut devices = args.device.split(',').map(str::parse::<DeviceChoice>);
    let device_choice = devices.next().expect("split yields one item")?;
    let replicas = devices.collect::<dcgan::Result<Vec<_>>>()?;
    let device = device_choice.device()?;
    let (run, start, config) = match &args.resume {
        Some(dir) => {
            // Only the length and the device can change; the rest comes from the run folder.
            let data: DataSource = "builtin".parse()?;
            let mut config = TrainConfig::new(dcgan::model::ModelConfig::default(), data);
            config.iterations = args.max_iters.unwrap_or(0);
            config.epochs = args.epochs;
            config.device = device_choice;
            config.replicas = replicas;
            config.strict_data = args.strict_data;
            config.tensorboard = !args.no_tensorboard;
            (RunDir::new(dir), Start::Resume, config)
        }
        None => {
            let data: DataSource = args.data.parse()?;
            let mut model_args = args.model.clone();
            if model_args.channels.is_none() {
                // The run's first line: which channel count was chosen, and why (detected once:
                // for a folder, that reads image headers).
                let choice = data.detect_channels()?;
                println!(
                    "{data}: {} channel{}, as {} (--channels to choose)",
                    choice.channels,
                    if choice.channels == 1 { "" } else { "s" },
                    choice.reason
                );
                model_args.channels = Some(choice.channels);
            }
            let model = super::model_config(&model_args, &data, dcgan::defaults::IMAGE_SIZE)?;
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
            config.replicas = replicas;
            config.strict_data = args.strict_data;
            config.keep_list = args.keep_list.clone();
            config.tensorboard = !args.no_tensorboard;
            if let (Some(every), Some(features)) = (args.eval_every, &args.eval_features) {
                config.eval = Some(dcgan::train::EvalConfig {
                    every,
                    samples: args.eval_samples,
                    features: features.parse()?,
                    real_n: args.eval_real_n,
                    cache_dir: dcgan::metrics::evaluate::default_cache_dir(),
                });
            }
            match args.max_iters {
                Some(n) => config.iterations = n,
                None => config.epochs = Some(args.epochs.unwrap_or(config.data.default_epochs())),
            }
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
    match &summary.grid {
        Some(grid) => println!("samples:    {}", grid.display()),
        None => println!("samples:    not written (see the warnings above)"),
    }
    println!("checkpoint: {}", summary.checkpoint.display());
    println!("metrics:    {}", run.metrics().display());
    Ok(())
}
