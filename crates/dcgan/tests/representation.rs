//! D as a feature extractor on real CIFAR-10 images (`../shared/data/cifar10-jpg`): after brief
//! adversarial training on CIFAR-10's training images, without labels, D's features classify the
//! test images better than a randomly initialised D's, by the paper's protocol.

mod common;

use burn::tensor::Device;
use common::{config, small_model, train};
use dcgan::classify::protocol::{ProtocolConfig, evaluate};
use dcgan::classify::svm::SvmConfig;
use dcgan::classify::{labelled_features, reestimate_on};
use dcgan::data::{DataSource, Dataset, Split};
use dcgan::model::{Discriminator, weights};
use dcgan::run::RunDir;
use dcgan::train::{Start, checkpoint};

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
    let (trained, _) = checkpoint::load_discriminator(&summary.checkpoint, &device).unwrap();
    let random = weights::initialize(Discriminator::new(&model, &device), 0);

    let train_set = Dataset::open(&train_source, Split::Train, 32, Some(3)).unwrap();
    let test_set = Dataset::open(&test_source, Split::Test, 32, Some(3)).unwrap();
    assert_eq!((train_set.len(), test_set.len()), (50_000, 10_000));
    assert_eq!(train_set.classes, test_set.classes);
    // A fixed subset: every 10th training image, every 10th test image.
    let train_idx: Vec<usize> = (0..5000).map(|i| i * 10).collect();
    let test_idx: Vec<usize> = (0..1000).map(|i| i * 10).collect();
    let protocol = ProtocolConfig {
        labels_per_class: None,
        draws: 1,
        validation: 1000,
        c_grid: vec![1e-4, 1e-3, 1e-2, 1e-1],
        seed: 0,
        svm: SvmConfig::default(),
    };
    // Both D re-estimate their batch-norm statistics on the training subset first (the
    // authors' script does; D's own mix real and generated batches).
    let trained = reestimate_on(trained, &model, &train_set, &train_idx, &device).unwrap();
    let random = reestimate_on(random, &model, &train_set, &train_idx, &device).unwrap();
    let mut acc = Vec::new();
    for d in [&trained, &random] {
        let tr = labelled_features(d, &model, &train_set, &train_idx, &device, |_, _| {}).unwrap();
        let te = labelled_features(d, &model, &test_set, &test_idx, &device, |_, _| {}).unwrap();
        assert_eq!(tr.dim, (16 + 32 + 64) * 16);
        let outcome = evaluate(&tr, &te, 10, &protocol).unwrap();
        eprintln!(
            "accuracy {:.3} with C {} (validation {:?})",
            outcome.mean, outcome.selection.best, outcome.selection.scores
        );
        acc.push(outcome.mean);
    }
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
