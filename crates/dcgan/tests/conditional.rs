//! The appendix's conditional DCGAN on real MNIST: the class reaches G and D, batch norm without
//! its scale and bias trains and stores neither, the label path survives PyTorch export and
//! import, and bad classes are clear errors.

mod common;

use burn::tensor::Device;
use common::{config, real_data, small_model, train};
use dcgan::conditional::evaluate::NearestClassifier;
use dcgan::data::{DataSource, Dataset, Split};
use dcgan::model::weights;
use dcgan::run::RunDir;
use dcgan::sample::{generate, inputs, z_for_seeds};
use dcgan::train::{Start, checkpoint};

/// Iterations of the conditional run (batch 64, widths 16): about 90 s on two CPU cores. At 300
/// the samples of this seed have not yet learnt their classes (nor escaped an early collapse);
/// by 1,000 every column of the training grid is its digit.
const ITERATIONS: u64 = 1000;
/// Samples asked for per class.
const PER_CLASS: usize = 50;

#[test]
fn a_conditional_mnist_model_draws_the_digit_it_is_asked_for() {
    let Some(mnist) = real_data(
        "a_conditional_mnist_model_draws_the_digit_it_is_asked_for",
        "mnist",
    ) else {
        return;
    };
    let source = DataSource::Mnist(mnist);
    let tmp = tempfile::tempdir().unwrap();
    let mut model = small_model(32, 1, 16);
    model.classes = 10;
    model.bn_affine = false;
    let cfg = config(model.clone(), source.clone(), 64, ITERATIONS);
    let run = RunDir::new(tmp.path().join("run"));
    let (summary, rec) = train(&run, &cfg, Start::New { force: false });
    let summary = summary.unwrap();
    assert_eq!(rec.records.len() as u64, ITERATIONS);
    assert!(rec.records.iter().all(|r| r.stats.loss_d.is_finite()));

    // BN without affine parameters: running statistics only, no scale or bias anywhere.
    let (g, stored) = checkpoint::load_any_generator(&summary.checkpoint, &Device::flex()).unwrap();
    let (d, _) = checkpoint::load_any_discriminator(&summary.checkpoint, &Device::flex()).unwrap();
    assert_eq!(stored.model, model);
    for names in [weights::list(&g), weights::list(&d)] {
        assert!(names.keys().any(|k| k.ends_with("bn.running_var")));
        let affine: Vec<_> = names
            .keys()
            .filter(|k| k.ends_with("bn.weight") || k.ends_with("bn.bias"))
            .collect();
        assert!(affine.is_empty(), "{affine:?}");
    }
    assert_eq!(g.input_len(), 32 + 10);

    // Ask for PER_CLASS samples of each digit; classify them by their nearest real training
    // digit (10,000 of them). Chance is 10%.
    let seeds: Vec<u64> = (0..(10 * PER_CLASS) as u64).collect();
    let asked: Vec<usize> = (0..10 * PER_CLASS).map(|i| i / PER_CLASS).collect();
    let mut z = Vec::new();
    for class in 0..10 {
        let part = z_for_seeds(&seeds[class * PER_CLASS..(class + 1) * PER_CLASS], &model);
        z.extend(inputs(part, &model, Some(class), &summary.checkpoint).unwrap());
    }
    let device = Device::flex();
    let samples = generate(&g, &z, model.generator_input(), 100, &device);
    let train_set = Dataset::open(&source, Split::Train, 32, Some(1)).unwrap();
    let idx: Vec<usize> = (0..10_000).map(|i| i * 6).collect();
    let (real, labels) = train_set.labelled(&idx).unwrap();
    let labels: Vec<usize> = labels.unwrap().into_iter().map(usize::from).collect();
    let mut nn = NearestClassifier::new(&samples, asked.clone(), &device);
    for part in (0..idx.len()).collect::<Vec<_>>().chunks(2500) {
        nn.add(&real.select(part), &labels[part[0]..part[0] + part.len()]);
    }
    let accuracy = 1.0 - nn.errors() as f64 / asked.len() as f64;
    // Measured: 0.84 at 1,000 iterations (seed 0); at 300 this run had collapsed to one blurred
    // shape for every class and scored 0.06. Chance, for a label path that does not reach G, is
    // 0.1.
    assert!(accuracy > 0.5, "accuracy {accuracy}");
    let per_class: Vec<usize> = (0..10)
        .map(|c| {
            nn.predictions()[c * PER_CLASS..(c + 1) * PER_CLASS]
                .iter()
                .filter(|p| **p == Some(c))
                .count()
        })
        .collect();
    // Every digit, not just a few, is drawn on request more often than chance.
    assert!(
        per_class.iter().all(|&n| n > PER_CLASS / 5),
        "{per_class:?}"
    );

    // The label path survives export to PyTorch's names and import into a new run.
    let netg = tmp.path().join("netG.safetensors");
    let netd = tmp.path().join("netD.safetensors");
    dcgan::interop::export_pytorch(&summary.checkpoint, Some(&netg), Some(&netd)).unwrap();
    let imported = RunDir::new(tmp.path().join("imported"));
    let first = dcgan::interop::import_pytorch(&imported, &cfg, &netg, Some(&netd), false).unwrap();
    let (g2, c2) = checkpoint::load_any_generator(&first, &device).unwrap();
    assert_eq!(c2.model, model);
    let again = generate(&g2, &z, model.generator_input(), 100, &device);
    assert_eq!(again.values(), samples.values());

    // Bad classes, and unconditional commands on a conditional model, are clear errors.
    let err = inputs(
        z_for_seeds(&[0], &model),
        &model,
        Some(12),
        &summary.checkpoint,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("12") && err.contains("0 to 9"), "{err}");
    let plain = small_model(32, 1, 16);
    let err = inputs(
        z_for_seeds(&[0], &plain),
        &plain,
        Some(3),
        &summary.checkpoint,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("unconditional"), "{err}");
    let err = checkpoint::load_generator(&summary.checkpoint, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("conditional") && err.contains(&summary.checkpoint.display().to_string()),
        "{err}"
    );
}

#[test]
fn conditional_training_refuses_data_without_labels() {
    // A folder of images with no class subfolders.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("flat");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..2 {
        image::RgbImage::from_pixel(8, 8, image::Rgb([i * 100, 0, 0]))
            .save(dir.join(format!("{i}.png")))
            .unwrap();
    }
    let source = DataSource::Folder(dir.clone());
    assert_eq!(source.classes().unwrap(), None);
    let mut model = small_model(16, 3, 4);
    model.classes = 4;
    let cfg = config(model, source, 2, 1);
    let run = RunDir::new(tmp.path().join("run"));
    let (result, _) = train(&run, &cfg, Start::New { force: false });
    let err = result.unwrap_err().to_string();
    assert!(err.contains("no labels") && err.contains("flat"), "{err}");
    assert!(!run.config().exists(), "a refused run writes nothing");

    // Builtin has 4 labelled shapes; a model with another count is refused before training.
    let mut model = small_model(16, 3, 4);
    model.classes = 3;
    let cfg = config(model, DataSource::Builtin, 2, 1);
    let run = RunDir::new(tmp.path().join("run2"));
    let (result, _) = train(&run, &cfg, Start::New { force: false });
    let err = result.unwrap_err().to_string();
    assert!(err.contains("3 classes") && err.contains("has 4"), "{err}");
}
