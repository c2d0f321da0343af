//! The quality metrics against their reference implementations, on fixtures written by
//! `reference/make_metric_fixtures.py`: FID by pytorch-fid, KID, precision/recall and the
//! Inception Score by torch-fidelity, the FID Inception-v3 by pytorch-fid's own modules (with
//! pseudo-random weights, regenerated here from the same formula), resizing by `F.interpolate`,
//! statistics files by `np.savez_compressed`, weights by `torch.save`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};
use dcgan::images::{ImageShape, Images};
use dcgan::metrics::network::inception::{self, InceptionV3};
use dcgan::metrics::stats_file::{StatsMeta, read_npz, write_npz};
use dcgan::metrics::{
    FeatureNetwork, FeatureSet, Gaussian, IsConfig, KidConfig, NetworkSpec, RandomState,
    evaluate::FeatureSide, frechet_distance, inception_score, kernel_inception_distance,
    precision_recall,
};
use dcgan::model::weights::{self, NamedTensor, Tensors};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metrics")
        .join(name)
}

/// Every tensor of a fixture in `f64` (the reference values are float64).
fn fixture(name: &str) -> BTreeMap<String, (Vec<usize>, Vec<f64>)> {
    let bytes = std::fs::read(fixture_path(name)).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(k, v)| {
            let values = match v.dtype() {
                safetensors::Dtype::F64 => v
                    .data()
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
                    .collect(),
                safetensors::Dtype::F32 => v
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()) as f64)
                    .collect(),
                safetensors::Dtype::I64 => v
                    .data()
                    .chunks_exact(8)
                    .map(|b| i64::from_le_bytes(b.try_into().unwrap()) as f64)
                    .collect(),
                other => panic!("{k}: {other:?}"),
            };
            (k, (v.shape().to_vec(), values))
        })
        .collect()
}

fn features(f: &BTreeMap<String, (Vec<usize>, Vec<f64>)>, name: &str) -> FeatureSet {
    let (shape, values) = &f[name];
    FeatureSet::new(shape[1], values.iter().map(|&v| v as f32).collect())
}

fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    let rel = (got - want).abs() / want.abs().max(1e-300);
    assert!(rel <= tol, "{what}: {got} vs {want} (relative {rel:e})");
}

#[test]
fn fid_kid_precision_recall_and_is_equal_the_reference_implementations() {
    let f = fixture("metrics.safetensors");
    let generated = features(&f, "generated");
    let real = features(&f, "real");
    let g = Gaussian::fit(&generated).unwrap();
    let r = Gaussian::fit(&real).unwrap();
    // np.mean / np.cov of the same float32 values, in float64.
    for (i, (a, b)) in g.mu.iter().zip(&f["mu_generated"].1).enumerate() {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "mu[{i}] {a} {b}");
    }
    for (i, (a, b)) in g.sigma.iter().zip(&f["sigma_generated"].1).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "sigma[{i}] {a} {b}"
        );
    }
    // pytorch-fid's calculate_frechet_distance.
    let fid = frechet_distance(&g, &r).unwrap();
    assert_rel(fid.value, f["fid"].1[0], 1e-6, "FID");
    assert!(!fid.regularised);
    // torch-fidelity's kid_features_to_metric, 20 subsets of 500; its subsets are numpy's.
    let subsets = &f["kid_first_subsets"].1;
    let mut rng = RandomState::new(2020);
    let first: Vec<f64> = rng
        .choice(1500, 500)
        .into_iter()
        .map(|i| i as f64)
        .collect();
    let second: Vec<f64> = rng
        .choice(1200, 500)
        .into_iter()
        .map(|i| i as f64)
        .collect();
    assert_eq!(&first[..], &subsets[..500]);
    assert_eq!(&second[..], &subsets[500..]);
    let kid = kernel_inception_distance(
        &generated,
        &real,
        &KidConfig {
            subsets: 20,
            subset_size: 500,
            ..KidConfig::default()
        },
    )
    .unwrap();
    assert_rel(kid.mean, f["kid"].1[0], 1e-6, "KID mean");
    assert_rel(kid.std, f["kid"].1[1], 1e-6, "KID std");
    // torch-fidelity's prc_features_to_metric, k = 3 (its results pass through float32).
    let pr = precision_recall(&generated, &real, 3).unwrap();
    let want = &f["precision_recall"].1;
    assert_rel(pr.precision, want[0], 1e-6, "precision");
    assert_rel(pr.recall, want[1], 1e-6, "recall");
    assert_rel(pr.f_score, want[2], 1e-6, "f-score");
    // torch-fidelity's isc_features_to_metric: 10 splits after numpy's shuffle.
    let is = inception_score(&features(&f, "logits"), &IsConfig::default()).unwrap();
    assert_rel(is.mean, f["inception_score"].1[0], 1e-6, "IS mean");
    assert_rel(is.std, f["inception_score"].1[1], 1e-6, "IS std");
}

fn normal_samples(n: usize, mean: &[f64], std: &[f64], seed: u64) -> FeatureSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = mean.len();
    let values = (0..n * d)
        .map(|k| {
            let z: f64 = StandardNormal.sample(&mut rng);
            (mean[k % d] + std[k % d] * z) as f32
        })
        .collect();
    FeatureSet::new(d, values)
}

#[test]
fn fid_of_sampled_gaussians_approaches_the_analytic_value() {
    let d = 16;
    let zeros = vec![0.0; d];
    let ones = vec![1.0; d];
    // Two samples of one Gaussian: FID near 0 (its estimate is biased up by about d^2 / n).
    let a = Gaussian::fit(&normal_samples(20_000, &zeros, &ones, 1)).unwrap();
    let b = Gaussian::fit(&normal_samples(20_000, &zeros, &ones, 2)).unwrap();
    let same = frechet_distance(&a, &b).unwrap().value;
    assert!((0.0..0.03).contains(&same), "{same}");
    // Different diagonal Gaussians: |m1 - m2|^2 + sum (s1 - s2)^2 (standard deviations).
    let mean: Vec<f64> = (0..d).map(|i| i as f64 / 8.0).collect();
    let std: Vec<f64> = (0..d).map(|i| 0.5 + i as f64 / 10.0).collect();
    let c = Gaussian::fit(&normal_samples(20_000, &mean, &std, 3)).unwrap();
    let analytic: f64 = mean.iter().map(|m| m * m).sum::<f64>()
        + std.iter().map(|s| (s - 1.0).powi(2)).sum::<f64>();
    let got = frechet_distance(&a, &c).unwrap().value;
    assert_rel(got, analytic, 0.02, "sampled FID vs analytic");
    // Fewer vectors than dimensions: the covariance is singular, and the error says so.
    let few = Gaussian::fit(&normal_samples(10, &zeros, &ones, 4)).unwrap();
    let err = frechet_distance(&few, &a).unwrap_err().to_string();
    assert!(
        err.contains("singular") && err.contains("at least 17"),
        "{err}"
    );
}

// ---- The FID Inception-v3 ----

/// `weight_values` of reference/make_metric_fixtures.py.
fn uniform(name: &str, n: usize) -> Vec<f64> {
    let mut seed: u64 = 0xCBF2_9CE4_8422_2325;
    for b in name.bytes() {
        seed = (seed ^ b as u64).wrapping_mul(0x100_0000_01B3);
    }
    (1..=n as u64)
        .map(|i| {
            let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 * 2f64.powi(-53)
        })
        .collect()
}

fn weight_values(name: &str, shape: &[usize]) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let u = uniform(name, n);
    let map: Box<dyn Fn(f64) -> f64> = if name.ends_with("conv.weight") {
        let fan_in: usize = shape[1..].iter().product();
        let a = (6.0 / fan_in as f64).sqrt();
        Box::new(move |u| (2.0 * u - 1.0) * a)
    } else if name.ends_with("bn.weight") {
        Box::new(|u| 0.8 + 0.4 * u)
    } else if name.ends_with("bn.bias") || name.ends_with("bn.running_mean") {
        Box::new(|u| 0.2 * (2.0 * u - 1.0))
    } else if name.ends_with("bn.running_var") {
        Box::new(|u| 0.5 + u)
    } else if name == "fc.weight" {
        let a = (3.0 / shape[1] as f64).sqrt();
        Box::new(move |u| (2.0 * u - 1.0) * a)
    } else {
        Box::new(|u| 0.1 * (2.0 * u - 1.0))
    };
    u.into_iter().map(|v| map(v) as f32).collect()
}

fn random_inception_tensors() -> Tensors {
    inception::expected_tensors()
        .into_iter()
        .map(|(name, shape)| {
            let values = weight_values(&name, &shape);
            (name, NamedTensor { shape, values })
        })
        .collect()
}

fn max_abs(v: &[f32]) -> f32 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

fn assert_close(got: &[f32], want: &[f64], tol_of_scale: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let want: Vec<f32> = want.iter().map(|&v| v as f32).collect();
    let scale = max_abs(&want);
    let worst = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= tol_of_scale * scale,
        "{what}: largest difference {worst} against a scale of {scale}"
    );
}

#[test]
fn inception_equals_pytorch_fids_network() {
    let f = fixture("inception.safetensors");
    let probe = weight_values("Mixed_6b.branch7x7_2.conv.weight", &[128, 128, 1, 7]);
    let want: Vec<f32> = f["weights_probe"].1.iter().map(|&v| v as f32).collect();
    assert_eq!(&probe[..14], &want[..], "the weight formula itself");

    let device = Device::flex();
    let tensors = random_inception_tensors();
    let net = InceptionV3::from_tensors(&tensors, Path::new("random"), &device).unwrap();
    let (shape, images) = &f["images"];
    let images: Vec<f32> = images.iter().map(|&v| v as f32).collect();
    let x = Tensor::<4>::from_data(TensorData::new(images.clone(), shape.clone()), &device);
    let pool3 = net.pool3(x);
    let logits = NamedTensor::from_tensor(net.logits(pool3.clone(), true)).values;
    let unbiased = NamedTensor::from_tensor(net.logits(pool3.clone(), false)).values;
    let pool3 = NamedTensor::from_tensor(pool3).values;
    assert_close(&pool3, &f["pool3"].1, 1e-4, "pool3");
    assert_close(&logits, &f["logits"].1, 1e-4, "logits");
    assert_close(&unbiased, &f["logits_unbiased"].1, 1e-4, "unbiased logits");

    // The same weights through a file and FeatureNetwork::open: the same features, and a
    // grayscale image is scored as its RGB copy (pytorch-fid's convert("RGB")).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("inception-random.safetensors");
    weights::write_safetensors(&file, &tensors, Default::default()).unwrap();
    let opened = FeatureNetwork::open(&NetworkSpec::Inception(file.clone()), &device).unwrap();
    assert!(
        opened.name().contains("not the published weights"),
        "{}",
        opened.name()
    );
    assert_eq!(opened.dim(), 2048);
    let batch = Images::new(images.clone(), ImageShape::new(3, 32)).unwrap();
    let (feat, _) = opened.extract(&batch, 2, &device);
    assert_close(&feat.values, &f["pool3"].1, 1e-4, "pool3 through open()");
    let gray: Vec<f32> = images[..32 * 32].to_vec();
    let rgb = Images::new(gray.repeat(3), ImageShape::new(3, 32)).unwrap();
    let gray = Images::new(gray, ImageShape::new(1, 32)).unwrap();
    let (g1, _) = opened.extract(&gray, 1, &device);
    let (g3, _) = opened.extract(&rgb, 1, &device);
    assert_eq!(g1.values, g3.values);
}

#[test]
fn bilinear_resizing_equals_f_interpolate() {
    let f = fixture("inception.safetensors");
    let device = Device::flex();
    let (shape, values) = &f["resize_in"];
    let x = Tensor::<4>::from_data(
        TensorData::new(
            values.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            shape.clone(),
        ),
        &device,
    );
    let up = NamedTensor::from_tensor(inception::resize_bilinear(x.clone(), 19, 23)).values;
    let down = NamedTensor::from_tensor(inception::resize_bilinear(x, 4, 5)).values;
    assert_close(&up, &f["resize_up"].1, 1e-6, "upsampling");
    assert_close(&down, &f["resize_down"].1, 1e-6, "downsampling");
}

#[test]
fn weight_files_of_the_wrong_shape_or_format_name_the_tensor() {
    let device = Device::flex();
    let mut tensors = random_inception_tensors();
    let origin = Path::new("weights.pth");
    tensors
        .get_mut("Mixed_6b.branch7x7_2.conv.weight")
        .unwrap()
        .shape = vec![128, 128, 7, 1];
    let err = InceptionV3::from_tensors(&tensors, origin, &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("weights.pth")
            && err.contains("Mixed_6b.branch7x7_2.conv.weight")
            && err.contains("[128, 128, 1, 7]"),
        "{err}"
    );
    tensors.remove("fc.bias");
    tensors
        .get_mut("Mixed_6b.branch7x7_2.conv.weight")
        .unwrap()
        .shape = vec![128, 128, 1, 7];
    let err = InceptionV3::from_tensors(&tensors, origin, &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`fc.bias` is missing"), "{err}");
    // Not a weights file at all; a file named as the official one whose bytes are not.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pth");
    std::fs::write(&junk, b"these are not weights").unwrap();
    let err = FeatureNetwork::open(&NetworkSpec::Inception(junk.clone()), &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("junk.pth") && err.contains("not a PyTorch checkpoint"),
        "{err}"
    );
    let fake = dir.path().join("pt_inception-2015-12-05-6726825d.pth");
    std::fs::write(&fake, b"truncated download").unwrap();
    let err = FeatureNetwork::open(&NetworkSpec::Inception(fake), &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("damaged"), "{err}");
    assert_eq!(std::fs::read(&junk).unwrap(), b"these are not weights");
}

#[test]
fn pytorch_checkpoints_are_read_in_both_containers() {
    for name in ["small_zip.pth", "small_legacy.pth"] {
        let t = weights::read_weights(&fixture_path(name)).unwrap();
        assert_eq!(t.len(), 2, "{name}");
        assert_eq!(t["conv.weight"].shape, vec![2, 3, 2, 2]);
        let want: Vec<f32> = (0..24).map(|i| i as f32 / 10.0).collect();
        assert_eq!(t["conv.weight"].values, want, "{name}");
        assert_eq!(t["fc.bias"].values, vec![1.5, -2.0, 0.25], "{name}");
    }
}

#[test]
fn statistics_files_are_pytorch_fids_and_refuse_another_network() {
    // Written by np.savez_compressed(mu=..., sigma=...), as pytorch-fid's --save-stats.
    let (g, meta) = read_npz(&fixture_path("stats.npz")).unwrap();
    assert_eq!(g.dim(), 8);
    assert_eq!(g.sigma.len(), 64);
    assert!(meta.is_none() && g.n.is_none());
    assert!(g.sigma[0] > 0.0 && (g.sigma[1] - g.sigma[8]).abs() < 1e-15);

    let device = Device::flex();
    let net = FeatureNetwork::from_inception(
        InceptionV3::from_tensors(&random_inception_tensors(), Path::new("r"), &device).unwrap(),
        "random Inception",
        "a".repeat(64),
    );
    let err = FeatureSide::from_stats_file(&fixture_path("stats.npz"), &net)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stats.npz") && err.contains("8-dimensional"),
        "{err}"
    );
    // Our own file, made with another network of the same length.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.npz");
    let d = 2048;
    let other = Gaussian {
        mu: vec![0.0; d],
        sigma: (0..d * d)
            .map(|k| if k / d == k % d { 1.0 } else { 0.0 })
            .collect(),
        n: Some(5000),
    };
    let meta = StatsMeta {
        network: "another network".into(),
        network_id: "b".repeat(64),
        images: "cifar10 (train)".into(),
        n: 5000,
    };
    write_npz(&path, &other, &meta).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = FeatureSide::from_stats_file(&path, &net)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("another network") && err.contains("random Inception"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // The same network's file is accepted.
    let mine = StatsMeta {
        network_id: "a".repeat(64),
        ..meta
    };
    write_npz(&path, &other, &mine).unwrap();
    let side = FeatureSide::from_stats_file(&path, &net).unwrap();
    assert_eq!(side.n, 5000);
    assert_eq!(side.gaussian, other);
}
