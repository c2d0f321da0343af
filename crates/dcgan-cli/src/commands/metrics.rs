//! `dcgan metrics`.

use anyhow::{Context, Result};
use dcgan::data::DataSource;
use dcgan::metrics::evaluate::{
    Evaluation, Generated, MetricSettings, RealImages, Reference, default_cache_dir, evaluate,
};
use dcgan::metrics::{IsConfig, KidConfig, MetricSet};

use crate::cli::MetricsArgs;

pub fn run(args: MetricsArgs) -> Result<()> {
    let device = super::open_device(&args.device)?;
    let network = args.features.parse()?;
    let settings = MetricSettings {
        metrics: MetricSet::parse(&args.metrics)?,
        kid: KidConfig {
            subsets: args.kid_subsets,
            subset_size: args.kid_subset_size,
            ..KidConfig::default()
        },
        k: args.k,
        inception_score: IsConfig {
            splits: args.is_splits,
            ..IsConfig::default()
        },
    };
    // The size, channels and default data follow the generator, or the flags for --images.
    let (generated, size, channels, default_data) = match &args.images {
        Some(source) => {
            let source: DataSource = source.parse()?;
            let size = args
                .image_size
                .or(source.native_size())
                .context("--image-size is needed for a folder of images")?;
            let channels = match args.channels {
                Some(c) => c,
                None => source.native_channels()?,
            };
            let images = RealImages {
                source: source.clone(),
                split: args.images_split,
                size,
                channels,
                max_n: None,
            };
            (Generated::Images(images), size, channels, source)
        }
        None => {
            let path = super::CheckpointArgs {
                run: args.run.clone(),
                checkpoint: args.checkpoint.clone(),
            }
            .path()
            .map_err(|_| {
                anyhow::anyhow!(
                    "give the generator (--run DIR or --checkpoint FILE) or --images SOURCE"
                )
            })?;
            let config = dcgan::train::checkpoint::config_of(&path)?;
            let data = super::data_for_run(args.data.as_deref(), &config, args.convert)?;
            let generated = Generated::Checkpoint {
                path,
                first_seed: args.seed,
                n: args.n,
            };
            (
                generated,
                config.model.image_size,
                config.model.channels,
                data,
            )
        }
    };
    let reference = match &args.real_stats {
        Some(path) => Reference::StatsFile(path.clone()),
        None => {
            let source = match (&args.data, &args.images) {
                (Some(d), Some(_)) => d.parse()?,
                _ => default_data,
            };
            Reference::Images(RealImages {
                source,
                split: args.split,
                size,
                channels,
                max_n: args.real_n,
            })
        }
    };
    let evaluation = Evaluation {
        network,
        generated,
        reference,
        settings,
        batch: args.batch,
        cache_dir: if args.no_cache {
            None
        } else {
            args.cache_dir.clone().or_else(default_cache_dir)
        },
        save_generated_stats: args.save_stats.clone(),
        save_reference_stats: args.save_real_stats.clone(),
    };
    let mut bar = crate::progress::StagedBar::new();
    let report = evaluate(&evaluation, &device, &mut |name, done, total| {
        bar.update(name, done, total)
    });
    bar.finish();
    let report = report?;
    for line in report.lines() {
        println!("{line}");
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)?;
        dcgan::run::write_atomic(path, json.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
