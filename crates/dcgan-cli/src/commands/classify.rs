//! `dcgan features` and `dcgan classify`: D as a feature extractor (paper section 5).

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use dcgan::classify::protocol::{Labelled, ProtocolConfig, evaluate, mean_and_spread, plan};
use dcgan::classify::supervised::{self, SupervisedConfig};
use dcgan::classify::svm::{SvmConfig, accuracy};
use dcgan::classify::{dataset_features, labelled_features, reestimate_on};
use dcgan::data::{DataSource, Dataset, Split};
use dcgan::model::weights::{self, NamedTensor, Tensors};
use dcgan::model::{Discriminator, ModelConfig};
use dcgan::train::TrainConfig;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::cli::{ClassifyArgs, FeatureSourceArgs, FeaturesArgs};

/// The run's D (or a random one), its training configuration and the device.
fn discriminator(
    args: &FeatureSourceArgs,
) -> Result<(Discriminator, TrainConfig, dcgan::device::Device)> {
    let device = super::open_device(&args.device)?;
    let path = args.from.path()?;
    let (d, config) = dcgan::train::checkpoint::load_discriminator(&path, &device)?;
    let d = match args.random_d {
        Some(seed) => weights::initialize(Discriminator::new(&config.model, &device), seed),
        None => d,
    };
    Ok((d, config, device))
}

/// Training images the batch-norm statistics are re-estimated on by `dcgan features`.
const REESTIMATE_IMAGES: usize = 10_000;

fn bar(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:30.cyan/blue}} {{pos}}/{{len}} images [{{elapsed_precise}} < {{eta_precise}}]"
        ))
        .expect("valid template"),
    );
    bar
}

/// `n` evenly spaced indices of `0..len` (all when `n` is None or larger).
fn spaced(len: usize, n: Option<usize>) -> Vec<usize> {
    let n = n.unwrap_or(len).min(len);
    (0..n).map(|i| i * len / n.max(1)).collect()
}

fn features_of(
    d: &Discriminator,
    model: &ModelConfig,
    data: &Dataset,
    indices: &[usize],
    device: &dcgan::device::Device,
    what: &str,
) -> Result<Labelled> {
    let b = bar(indices.len(), what);
    let f = labelled_features(d, model, data, indices, device, |done, _| {
        b.set_position(done as u64)
    })?;
    b.finish_and_clear();
    Ok(f)
}

pub fn features(args: FeaturesArgs) -> Result<()> {
    let split = match args.split.as_str() {
        "train" => Split::Train,
        "test" => Split::Test,
        other => bail!("invalid --split: `{other}`; expected train or test"),
    };
    let (d, config, device) = discriminator(&args.d)?;
    let model = config.model.clone();
    let source = super::data_for_run(args.data.as_deref(), &config, args.convert)?;
    let data = Dataset::open(&source, split, model.image_size, Some(model.channels))?;
    let all: Vec<usize> = (0..data.len()).collect();
    let started = std::time::Instant::now();
    let d = if args.d.keep_bn {
        d
    } else {
        let train = Dataset::open(
            &source,
            Split::Train,
            model.image_size,
            Some(model.channels),
        )?;
        let idx = spaced(train.len(), Some(REESTIMATE_IMAGES));
        reestimate_on(d, &model, &train, &idx, &device)?
    };
    let dim = dcgan::features::feature_dimension(&model);
    let b = bar(all.len(), "features");
    let (values, labels) = dataset_features(&d, &model, &data, &all, &device, |done, _| {
        b.set_position(done as u64)
    })?;
    b.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let n = all.len();
    let mut tensors = Tensors::new();
    tensors.insert(
        "features".into(),
        NamedTensor {
            shape: vec![n, dim],
            values,
        },
    );
    if let Some(l) = labels {
        tensors.insert(
            "labels".into(),
            NamedTensor {
                shape: vec![n],
                values: l.iter().map(|v| *v as f32).collect(),
            },
        );
    }
    let mut meta = BTreeMap::new();
    meta.insert("data".into(), source.to_string());
    meta.insert("split".into(), args.split.clone());
    meta.insert("dimension".into(), dim.to_string());
    if let Some(classes) = &data.classes {
        meta.insert("classes".into(), classes.join(","));
    }
    weights::write_safetensors(&args.out, &tensors, meta)?;
    println!(
        "{n} images of {source} ({}) -> {dim} features each, {seconds:.1} s ({:.0} images/s)",
        args.split,
        n as f64 / seconds.max(1e-9)
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
    let (d, config, device) = discriminator(&args.d)?;
    let model = config.model.clone();
    let train_source = super::data_for_run(Some(&args.train), &config, args.convert)?;
    let test_source: DataSource = match &args.test {
        Some(t) => super::data_for_run(Some(t), &config, args.convert)?,
        None if train_source.has_test_split() => train_source.clone(),
        None => bail!("{train_source} has no test split: give --test SOURCE"),
    };
    let (s, c) = (model.image_size, Some(model.channels));
    let train = Dataset::open(&train_source, Split::Train, s, c)?;
    let test = Dataset::open(&test_source, Split::Test, s, c)?;
    let classes = match (&train.classes, &test.classes) {
        (Some(a), Some(b)) if a == b => a.clone(),
        (Some(a), Some(b)) => bail!(
            "the classes of {train_source} ({}) and {test_source} ({}) differ",
            a.join(","),
            b.join(",")
        ),
        (None, _) => bail!(
            "{train_source} has no labels: classify needs labelled images (mnist, cifar10, or a \
             folder with one subfolder per class)"
        ),
        (_, None) => bail!("{test_source} has no labels"),
    };
    let train_idx = spaced(train.len(), args.max_train);
    let test_idx = spaced(test.len(), args.max_test);
    let protocol = ProtocolConfig {
        labels_per_class: args.labels_per_class,
        draws: args.draws,
        validation: args.validation,
        c_grid: args.c_grid.clone(),
        seed: args.seed,
        svm: SvmConfig::default(),
    };
    let random = weights::initialize(Discriminator::new(&model, &device), args.baseline_seed);
    let mut results = BTreeMap::new();
    let mut trained_confusion = None;
    let mut train_labels: Option<Vec<u16>> = None;
    for (name, net) in [("trained D", d), ("random D", random)] {
        let started = std::time::Instant::now();
        let net = if args.d.keep_bn {
            net
        } else {
            reestimate_on(net, &model, &train, &train_idx, &device)?
        };
        let net = &net;
        let tr = features_of(net, &model, &train, &train_idx, &device, name)?;
        let te = features_of(net, &model, &test, &test_idx, &device, name)?;
        train_labels.get_or_insert_with(|| tr.labels.clone());
        let extract_s = started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        let outcome = evaluate(&tr, &te, classes.len(), &protocol)?;
        let fit_s = started.elapsed().as_secs_f64();
        println!(
            "{name:>9}: test accuracy {:.2}% +- {:.2} (C = {}, {} training examples x {} draw(s), \
             {} features; extraction {extract_s:.0} s, SVMs {fit_s:.0} s)",
            100.0 * outcome.mean,
            100.0 * outcome.spread,
            outcome.selection.best,
            outcome.train_size,
            outcome.accuracies.len(),
            tr.dim
        );
        if name == "trained D" {
            trained_confusion = Some(outcome.confusion.clone());
        }
        results.insert(
            name.to_string(),
            json!({"outcome": outcome, "extract_seconds": extract_s, "fit_seconds": fit_s}),
        );
    }
    if args.supervised {
        let labels = train_labels.as_deref().unwrap_or_default();
        let plan = plan(labels, classes.len(), &protocol)?;
        let started = std::time::Instant::now();
        let pick = |rows: &[usize]| -> dcgan::Result<(Vec<f32>, Vec<u16>)> {
            let idx: Vec<usize> = rows.iter().map(|&i| train_idx[i]).collect();
            let p = train.pixels(&idx)?;
            Ok((
                dcgan::data::to_unit_range(&p.bytes),
                p.labels.unwrap_or_default(),
            ))
        };
        let (val_x, val_y) = pick(&plan.validation)?;
        let test_p = test.pixels(&test_idx)?;
        let (test_x, test_y) = (
            dcgan::data::to_unit_range(&test_p.bytes),
            test_p.labels.unwrap_or_default(),
        );
        let mut accuracies = Vec::new();
        let mut epochs = Vec::new();
        for (k, draw) in plan.draws.iter().enumerate() {
            let (x, y) = pick(draw)?;
            let config = SupervisedConfig {
                epochs: args.supervised_epochs,
                seed: args.seed.wrapping_add(k as u64),
                ..SupervisedConfig::default()
            };
            let c = supervised::train(
                &model,
                classes.len(),
                &x,
                &y,
                &val_x,
                &val_y,
                &config,
                &device,
            );
            accuracies.push(accuracy(&c.predict(&test_x, &model, &device), &test_y));
            epochs.push(c.epoch);
        }
        let (mean, spread) = mean_and_spread(&accuracies);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "supervised: test accuracy {:.2}% +- {:.2} (D's architecture on the labels alone, \
             {} draw(s), best epochs {epochs:?}; {seconds:.0} s)",
            100.0 * mean,
            100.0 * spread,
            accuracies.len()
        );
        results.insert(
            "supervised".to_string(),
            json!({"accuracies": accuracies, "mean": mean, "spread": spread,
                   "best_epochs": epochs, "epochs": args.supervised_epochs, "seconds": seconds}),
        );
    }
    let value = json!({
        "checkpoint": args.d.from.path()?.display().to_string(),
        "random_d_instead_of_run": args.d.random_d,
        "train": train_source.to_string(),
        "test": test_source.to_string(),
        "classes": classes,
        "train_images": train_idx.len(),
        "test_images": test_idx.len(),
        "labels_per_class": args.labels_per_class,
        "validation": args.validation,
        "c_grid": args.c_grid,
        "feature_dimension": dcgan::features::feature_dimension(&model),
        "results": results,
    });
    dcgan::run::write_atomic(&args.out, serde_json::to_string_pretty(&value)?.as_bytes())?;
    println!("wrote {}", args.out.display());
    if let (Some(path), Some(m)) = (&args.confusion, trained_confusion) {
        dcgan::render::confusion_image(&m, &classes).save(path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
