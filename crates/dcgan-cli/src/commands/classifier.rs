//! `dcgan classifier train`.

use anyhow::Result;
use dcgan::data::DataSource;
use dcgan::metrics::network::classifier::{self, ClassifierConfig, ClassifierTraining};
use dcgan::train::AdamConfig;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{ClassifierCommand, ClassifierTrainArgs};

pub fn run(command: ClassifierCommand) -> Result<()> {
    match command {
        ClassifierCommand::Train(args) => train(args),
    }
}

fn train(args: ClassifierTrainArgs) -> Result<()> {
    let device = super::open_device(&args.device)?;
    let data: DataSource = args.data.parse()?;
    let channels = match args.channels {
        Some(c) => c,
        None => data.native_channels()?,
    };
    let size = args.image_size.unwrap_or(
        if data.native_size().is_some() || data == DataSource::Builtin {
            32
        } else {
            64
        },
    );
    let config = ClassifierConfig {
        image_size: size,
        channels,
        classes: 0,
        width: args.width,
    };
    let training = ClassifierTraining {
        data,
        epochs: args.epochs,
        batch_size: args.batch_size,
        adam: AdamConfig {
            lr: args.lr,
            beta1: 0.9,
            ..AdamConfig::default()
        },
        seed: args.seed,
        flip: args.flip.unwrap_or(channels == 3),
        test: args.test.as_deref().map(str::parse).transpose()?,
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30.cyan/blue} {pos}/{len} [{elapsed_precise} < {eta_precise}] {msg}",
        )
        .expect("valid template"),
    );
    let record = classifier::train(
        &config,
        &training,
        &args.out,
        &device,
        &mut |it, total, loss, acc| {
            bar.set_length(total);
            bar.set_position(it);
            bar.set_message(format!(
                "loss {loss:.4}, epoch accuracy {:.2}%",
                100.0 * acc
            ));
            if bar.is_hidden() && (it % 100 == 0 || it == total) {
                eprintln!(
                    "[{it}/{total}] loss {loss:.4}, epoch accuracy {:.2}%",
                    100.0 * acc
                );
            }
        },
    );
    bar.finish_and_clear();
    let record = record?;
    println!(
        "trained a {}-class classifier ({}-d features) in {:.0} s: last epoch's training accuracy {:.2}%{}",
        record.config.classes,
        record.config.feature_dimension(),
        record.seconds,
        100.0 * record.train_accuracy,
        record
            .test_accuracy
            .map(|a| format!(", test accuracy {:.2}%", 100.0 * a))
            .unwrap_or_default()
    );
    println!(
        "use it with: dcgan metrics --features classifier:{}",
        args.out.display()
    );
    Ok(())
}
