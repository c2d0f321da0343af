//! The latent-space tools on a generator trained briefly on real MNIST: walks change smoothly,
//! arithmetic with identical terms cancels, an image never depends on its batch, and the
//! nearest-neighbour search finds a training image at distance zero among all 60,000.

mod common;

use std::sync::OnceLock;

use burn::tensor::Device;
use common::{config, small_model, train};
use dcgan::data::{DataSource, Dataset, Split};
use dcgan::figures;
use dcgan::images::Image;
use dcgan::latent::arithmetic::{Term, mean_z};
use dcgan::latent::walk::Path;
use dcgan::model::{Generator, ModelConfig};
use dcgan::nearest::{self, exact_distance};
use dcgan::run::RunDir;
use dcgan::sample::{generate, z_for_seeds};
use dcgan::train::{Start, checkpoint};

/// Iterations of the shared run: enough for digit-like strokes at this width (about 30 s).
const ITERATIONS: u64 = 150;

struct Trained {
    _dir: tempfile::TempDir,
    checkpoint: std::path::PathBuf,
    model: ModelConfig,
}

/// One short MNIST run shared by the tests of this file (`None`, reported, without the data).
fn trained(test: &str) -> Option<&'static Trained> {
    static RUN: OnceLock<Trained> = OnceLock::new();
    let data = mnist(test)?;
    Some(RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let model = small_model(32, 1, 16);
        let cfg = config(model.clone(), data, 64, ITERATIONS);
        let run = RunDir::new(dir.path().join("run"));
        let summary = train(&run, &cfg, Start::New { force: false }).0.unwrap();
        Trained {
            checkpoint: summary.checkpoint,
            _dir: dir,
            model,
        }
    }))
}

fn mnist(test: &str) -> Option<DataSource> {
    common::real_data(test, "mnist").map(DataSource::Mnist)
}

fn generator(test: &str) -> Option<(Generator, &'static ModelConfig)> {
    let t = trained(test)?;
    let (g, _) = checkpoint::load_generator(&t.checkpoint, &Device::flex()).unwrap();
    Some((g, &t.model))
}

fn rms(a: Image<'_>, b: Image<'_>) -> f64 {
    exact_distance(a.values, b.values) / (a.values.len() as f64).sqrt()
}

#[test]
fn consecutive_frames_of_a_walk_differ_less_than_its_endpoints() {
    let Some((g, model)) = generator("consecutive_frames_of_a_walk_differ_less_than_its_endpoints")
    else {
        return;
    };
    for path in [Path::Linear, Path::Spherical] {
        let walks =
            figures::walks(&g, model, &[vec![3, 17, 42, 99]], 8, path, &Device::flex()).unwrap();
        let w = &walks[0];
        assert_eq!(w.frames(), 3 * 8 + 1);
        let frame = |f: usize| w.images.get(f);
        for seg in 0..3 {
            let ends = rms(frame(seg * 8), frame(seg * 8 + 8));
            let steps: Vec<f64> = (seg * 8..seg * 8 + 8)
                .map(|f| rms(frame(f), frame(f + 1)))
                .collect();
            let largest = steps.iter().cloned().fold(0.0, f64::max);
            eprintln!("{path:?} segment {seg}: endpoints {ends:.4}, largest step {largest:.4}");
            assert!(ends > 0.05, "endpoints too alike to test: {ends}");
            assert!(
                largest < ends / 2.0,
                "{path:?} step {largest} vs endpoints {ends}"
            );
        }
        // The key frames are the seeds' own images, as `dcgan sample --seeds` draws them.
        let own = generate(&g, &z_for_seeds(&[17], model), model.nz, 1, &Device::flex());
        assert!(rms(frame(8), own.get(0)) < 1e-6);
    }
}

#[test]
fn arithmetic_with_identical_a_and_b_returns_g_of_mean_c() {
    let Some((g, model)) = generator("arithmetic_with_identical_a_and_b_returns_g_of_mean_c")
    else {
        return;
    };
    let terms = [
        Term::parse("--a", "+1,2,3").unwrap(),
        Term::parse("--b", "-1,2,3").unwrap(),
        Term::parse("--c", "+7,8,9").unwrap(),
    ];
    let r = figures::arithmetic(&g, model, &terms, 8, 0.25, 0, &Device::flex());
    let c = mean_z(&[7, 8, 9], model.nz, model.latent);
    assert_eq!(r.y, c);
    let g_c = generate(&g, &c, model.nz, 1, &Device::flex());
    let g_c = g_c.get(0);
    assert!(rms(r.results.get(0), g_c) < 1e-6);
    // The neighbours are other images, near G(Y) but not equal to it.
    for k in 1..9 {
        let d = rms(r.results.get(k), g_c);
        assert!(d > 1e-4 && d < 0.5, "neighbour {k}: {d}");
    }
    // In pixels, A - A + C is the mean of C's exemplar images.
    assert!(rms(r.pixel_result.get(0), r.pixel_means.get(2)) < 1e-6);
}

#[test]
fn an_image_is_the_same_alone_twice_and_in_batches_of_any_size() {
    let Some((g, model)) = generator("an_image_is_the_same_alone_twice_and_in_batches_of_any_size")
    else {
        return;
    };
    let seeds: Vec<u64> = (0..70).collect();
    let z = z_for_seeds(&seeds, model);
    let alone = generate(&g, &z_for_seeds(&[5], model), model.nz, 1, &Device::flex());
    let again = generate(&g, &z_for_seeds(&[5], model), model.nz, 1, &Device::flex());
    assert_eq!(alone, again);
    // Seed 66 falls in the last, partial batch of 64 and of 3 alike.
    let last = generate(&g, &z_for_seeds(&[66], model), model.nz, 1, &Device::flex());
    for batch in [3, 64] {
        let all = generate(&g, &z, model.nz, batch, &Device::flex());
        let d = rms(all.get(5), alone.get(0));
        assert!(d < 1e-6, "batch {batch}: {d}");
        let d = rms(all.get(66), last.get(0));
        assert!(d < 1e-6, "batch {batch}: {d}");
    }
    // And different seeds do give different images.
    assert!(rms(alone.get(0), last.get(0)) > 0.01);
}

#[test]
fn nearest_neighbours_find_a_training_image_at_distance_zero() {
    let test = "nearest_neighbours_find_a_training_image_at_distance_zero";
    let Some(t) = trained(test) else {
        return;
    };
    let data = mnist(test).expect("the data trained on");
    let model = &t.model;
    let train_set = Dataset::open(&data, Split::Train, 32, Some(1)).unwrap();
    assert_eq!(train_set.len(), 60_000);
    let (d, _) = checkpoint::load_discriminator(&t.checkpoint, &Device::flex()).unwrap();
    // Queries: training images 123 and 45,678, and one generated sample.
    let Some((g, _)) = generator(test) else {
        return;
    };
    let mut queries = train_set.batch(&[123, 45_678]).unwrap();
    queries.extend(&generate(
        &g,
        &z_for_seeds(&[0], model),
        model.nz,
        1,
        &Device::flex(),
    ));

    // Pixel space over the whole training set.
    let all: Vec<usize> = (0..train_set.len()).collect();
    let started = std::time::Instant::now();
    let found = nearest::search_dataset(
        &train_set,
        &all,
        &queries,
        None,
        3,
        8192,
        &Device::flex(),
        |_, _| {},
    )
    .unwrap();
    eprintln!(
        "pixel search of 60,000: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        (found.pixel[0][0].index, found.pixel[0][0].distance),
        (123, 0.0)
    );
    assert_eq!(
        (found.pixel[1][0].index, found.pixel[1][0].distance),
        (45_678, 0.0)
    );
    assert!(found.pixel[0][1].distance > 1.0);
    // A sample is not a copy: its nearest training image is some way off.
    assert!(found.pixel[2][0].distance > 1.0, "{:?}", found.pixel[2][0]);

    // D's feature space, over a slice of the training set that holds image 123.
    let slice: Vec<usize> = (0..3000).collect();
    let found = nearest::search_dataset(
        &train_set,
        &slice,
        &queries.slice(0..1),
        Some((&d, model)),
        2,
        1000,
        &Device::flex(),
        |_, _| {},
    )
    .unwrap();
    let feat = found.feature.unwrap();
    assert_eq!((feat[0][0].index, feat[0][0].distance), (123, 0.0));
    assert!(feat[0][1].distance > 0.0);
    // The brute-force distance in pixel space agrees with the search's.
    let row = train_set.batch(&[found.pixel[0][1].index]).unwrap();
    let d = exact_distance(queries.get(0).values, row.get(0).values);
    assert!((d - found.pixel[0][1].distance).abs() < 1e-9);
}
