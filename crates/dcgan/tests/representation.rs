//! D as a feature extractor on real CIFAR-10 images (`../shared/data/cifar10-jpg`): after brief
//! adversarial training on CIFAR-10's training images, without labels, D's features classify the
//! test images better than a randomly initialised D's, by the paper's protocol.

mod common;

use burn::tensor::Device;
use common::{config, small_model, train};
use dcgan::classify::experiment::{self, DSource, Experiment};
use dcgan::classify::protocol::ProtocolConfig;
use dcgan::classify::svm::SvmConfig;
use dcgan::data::{DataSource, Dataset, Split};
use dcgan::run::RunDir;
use dcgan::train::Start;

/// Adversarial iterations (batch 64) before D's features are used.
const ITERATIONS: u64 = 2000;
/// The margin, in accuracy, by which the trained D must beat the random one.
const MARGIN: f64 = 0.015;

#[test]
fn trained_d_features_beat_random_d_features_on_cifar10() {
    let test = "trained_d_features_beat_random_d_features_on_cifar10";
    let tmp = tempfile::tempdir().unwrap();
    for split in ["train", "test"] {
        let archive = format!("cifar10-jpg/cifar10-jpg-{split}.tar.gz");
        let Some(archive) = common::real_data(test, &archive) else {
            return;
        };
        let file = std::fs::File::open(&archive).unwrap();
        tar::Archive::new(flate2::read::GzDecoder::new(file))
            .unpack(tmp.path())
            .unwrap();
    }
    let train_source = DataSource::Folder(tmp.path().join("cifar10-jpg/train"));
    let test_source = DataSource::Folder(tmp.path().join("cifar10-jpg/test"));
    let model = small_model(32, 3, 16);
    let cfg = config(model.clone(), train_source.clone(), 64, ITERATIONS);
    let run = RunDir::new(tmp.path().join("run"));
    let summary = train(&run, &cfg, Start::New { force: false }).0.unwrap();
    let device = Device::flex();
    let train_set = Dataset::open(&train_source, Split::Train, 32, Some(3)).unwrap();
    let test_set = Dataset::open(&test_source, Split::Test, 32, Some(3)).unwrap();
    assert_eq!((train_set.len(), test_set.len()), (50_000, 10_000));

    // The experiment as `dcgan classify` runs it, on a fixed subset: every 10th training image,
    // every 10th test image. Both D re-estimate their batch-norm statistics on the training
    // subset first (the authors' script does; D's own mix real and generated batches).
    let e = Experiment {
        d: DSource {
            checkpoint: summary.checkpoint.clone(),
            random: None,
            keep_batch_norm: false,
        },
        train: train_source,
        test: test_source,
        max_train: Some(5000),
        max_test: Some(1000),
        protocol: ProtocolConfig {
            labels_per_class: None,
            draws: 1,
            validation: 1000,
            c_grid: vec![1e-4, 1e-3, 1e-2, 1e-1],
            seed: 0,
            svm: SvmConfig::default(),
        },
        baseline_seed: 0,
        supervised_epochs: None,
    };
    let report = experiment::run(&e, &device, &mut |_, _, _| {}).unwrap();
    assert_eq!((report.train_images, report.test_images), (5000, 1000));
    assert_eq!(report.classes.len(), 10);
    assert_eq!(report.feature_dimension, (16 + 32 + 64) * 16);
    for line in report.lines() {
        eprintln!("{line}");
    }
    let (trained, random) = (&report.results.trained, &report.results.random);
    // 4,000 training rows (1,000 held out to choose C), 1,000 test images, one draw.
    assert_eq!(trained.outcome.train_size, 4000);
    assert_eq!(trained.outcome.confusion.iter().sum::<u64>(), 1000);
    let acc = [trained.outcome.mean, random.outcome.mean];
    assert!(
        acc[1] > 0.2,
        "random D features should still beat chance: {acc:?}"
    );
    assert!(
        acc[0] > acc[1] + MARGIN,
        "trained {} vs random {}",
        acc[0],
        acc[1]
    );
}
