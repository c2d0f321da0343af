//! `dcgan features` and `dcgan classify`: D as a feature extractor (paper section 5).

use anyhow::{Result, bail};
use dcgan::classify::experiment::{self, DSource, Experiment};
use dcgan::classify::protocol::ProtocolConfig;
use dcgan::classify::svm::SvmConfig;
use dcgan::data::DataSource;

use crate::cli::{ClassifyArgs, FeatureSourceArgs, FeaturesArgs};
use crate::progress::StagedBar;

/// The D the flags name, with the run's training configuration.
fn d_source(args: &FeatureSourceArgs) -> Result<(DSource, dcgan::train::TrainConfig)> {
    let checkpoint = args.from.path()?;
    let config = dcgan::train::checkpoint::config_of(&checkpoint)?;
    let d = DSource {
        checkpoint,
        random: args.random_d,
        keep_batch_norm: args.keep_bn,
    };
    Ok((d, config))
}

pub fn features(args: FeaturesArgs) -> Result<()> {
    let (d, config) = d_source(&args.d)?;
    let device = super::open_device(&args.d.device)?;
    let source = super::data_for_run(args.data.as_deref(), &config, args.convert)?;
    let mut bar = StagedBar::new();
    let export = experiment::export_features(
        &d,
        &source,
        args.split,
        &args.out,
        &device,
        &mut |stage, done, total| bar.update(stage, done, total),
    );
    bar.finish();
    let e = export?;
    println!(
        "{} images of {source} ({}) -> {} features each, {:.1} s ({:.0} images/s)",
        e.n,
        args.split,
        e.dim,
        e.seconds,
        e.n as f64 / e.seconds.max(1e-9)
    );
    println!("wrote {}", args.out.display());
    Ok(())
}

pub fn classify(args: ClassifyArgs) -> Result<()> {
    if args.c_grid.iter().any(|c| !(*c > 0.0 && c.is_finite())) {
        bail!("invalid --c-grid: every C must be a positive number");
    }
    if args.labels_per_class == Some(0) || args.draws == 0 {
        bail!("invalid --labels-per-class or --draws: each must be at least 1");
    }
    let (d, config) = d_source(&args.d)?;
    let device = super::open_device(&args.d.device)?;
    let train = super::data_for_run(Some(&args.train), &config, args.convert)?;
    let test: DataSource = match &args.test {
        Some(t) => super::data_for_run(Some(t), &config, args.convert)?,
        None if train.has_test_split() => train.clone(),
        None => bail!("{train} has no test split: give --test SOURCE"),
    };
    let e = Experiment {
        d,
        train,
        test,
        max_train: args.max_train,
        max_test: args.max_test,
        protocol: ProtocolConfig {
            labels_per_class: args.labels_per_class,
            draws: args.draws,
            validation: args.validation,
            c_grid: args.c_grid.clone(),
            seed: args.seed,
            svm: SvmConfig::default(),
        },
        baseline_seed: args.baseline_seed,
        supervised_epochs: args.supervised.then_some(args.supervised_epochs),
    };
    let mut bar = StagedBar::new();
    let report = experiment::run(&e, &device, &mut |stage, done, total| {
        bar.update(stage, done, total)
    });
    bar.finish();
    let report = report?;
    for line in report.lines() {
        println!("{line}");
    }
    let json = serde_json::to_string_pretty(&report)?;
    dcgan::run::write_atomic(&args.out, json.as_bytes())?;
    println!("wrote {}", args.out.display());
    if let Some(path) = &args.confusion {
        let m = &report.results.trained.outcome.confusion;
        dcgan::render::confusion_image(m, &report.classes).save(path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
