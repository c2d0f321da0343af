//! One module per subcommand; each turns its arguments into library calls.

mod bench;
mod classifier;
mod classify;
mod conditional;
mod data;
mod inside;
mod interop;
mod latent;
mod metrics;
mod nearest;
mod sample;
mod serve;
mod train;

use anyhow::{Context, Result};
use dcgan::device::Device;

pub use crate::cli::CheckpointArgs;
use crate::cli::{Cli, Command, ModelArgs};
use dcgan::data::DataSource;
use dcgan::model::ModelConfig;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Export(args) => interop::export(args),
        Command::Import(args) => interop::import(args),
        Command::Interpolate(args) => latent::interpolate(args),
        Command::Arithmetic(args) => latent::arithmetic(args),
        Command::Turn(args) => latent::turn(args),
        Command::Nearest(args) => nearest::run(args),
        Command::Visualize(args) => inside::visualize(args),
        Command::Forget(args) => inside::forget(args),
        Command::ConditionalEval(args) => conditional::evaluate(args),
        Command::Features(args) => classify::features(args),
        Command::Classify(args) => classify::classify(args),
        Command::Metrics(args) => metrics::run(args),
        Command::Classifier(command) => classifier::run(command),
        Command::Bench(args) => bench::run(args),
        Command::Devices(args) => devices(args),
        Command::Data(command) => data::run(command),
        Command::Dedup(args) => data::dedup(args),
        Command::Serve(args) => serve::run(args),
    }
}

/// The model configuration from flags; sizes default per source (see `--image-size`).
pub fn model_config(
    args: &ModelArgs,
    data: &DataSource,
    default_size: usize,
) -> Result<ModelConfig> {
    let native_small = matches!(
        data,
        DataSource::Builtin | DataSource::Mnist(_) | DataSource::Cifar10(_) | DataSource::Svhn(_)
    );
    let config = ModelConfig {
        image_size: args
            .image_size
            .unwrap_or(if native_small { 32 } else { default_size }),
        channels: match args.channels {
            Some(c) => c,
            None => data.native_channels()?,
        },
        nz: args.nz,
        ngf: args.ngf,
        ndf: args.ndf,
        kernel: args.kernel,
        latent: args.latent.parse()?,
        classes: if args.conditional {
            data.classes()?.with_context(|| {
                format!(
                    "--conditional needs labelled data, and {data} has none (a folder needs one \
                     subfolder per class)"
                )
            })?
        } else {
            0
        },
        bn_affine: args.bn_affine,
    };
    config.validate()?;
    Ok(config)
}

/// The generator of a checkpoint on the named device, in inference mode (batch norm on its
/// running statistics), with the model configuration and the device.
pub fn load_generator(
    from: &CheckpointArgs,
    device: &str,
) -> Result<(dcgan::model::Generator, ModelConfig, Device)> {
    let device = open_device(device)?;
    let path = from.path()?;
    let (g, config) = dcgan::train::checkpoint::load_generator(&path, &device)?;
    Ok((g, config.model, device))
}

/// The device named by `--device`.
pub fn open_device(name: &str) -> Result<Device> {
    Ok(name.parse::<dcgan::device::DeviceChoice>()?.device()?)
}

/// The data named by `--data`, or else the run's own, checked to hold images of the model's
/// size and channels (see [`dcgan::nearest::check_geometry`]).
pub fn data_for_run(
    data: Option<&str>,
    run: &dcgan::train::TrainConfig,
    convert: bool,
) -> Result<DataSource> {
    let source: DataSource = match data {
        Some(d) => d.parse()?,
        None => run.data.clone(),
    };
    dcgan::nearest::check_geometry(&source, &run.model, &run.data, convert)?;
    Ok(source)
}

/// `dcgan devices`.
fn devices(args: crate::cli::DevicesArgs) -> Result<()> {
    let list = dcgan::device::list();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    let width = list.iter().map(|d| d.name.len()).max().unwrap_or(0);
    for d in &list {
        println!("{:width$}  {}", d.name, d.description);
    }
    Ok(())
}
