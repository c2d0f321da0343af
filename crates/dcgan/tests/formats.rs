//! The loaders read the official formats, checked on real data: MNIST's IDX files as shipped
//! (gzipped and raw), and CIFAR-10 binary batches written here from the CIFAR-10 images in
//! `../shared/data/cifar10-jpg` (the official binaries are not available offline).

mod common;

use std::io::{Read, Write};
use std::path::Path;

use dcgan::data::{DataSource, Dataset, Split};

#[test]
fn mnist_idx_gz_and_raw_give_the_official_digits() {
    let test = "mnist_idx_gz_and_raw_give_the_official_digits";
    let Some(dir) = common::real_data(test, "mnist") else {
        return;
    };
    let source = DataSource::Mnist(dir.clone());
    let train = Dataset::open(&source, Split::Train, 28, None).unwrap();
    let test = Dataset::open(&source, Split::Test, 28, None).unwrap();
    assert_eq!(
        (train.len(), test.len(), train.channels),
        (60_000, 10_000, 1)
    );
    let first = train.pixels(&[0, 1, 2, 3]).unwrap();
    // The first training labels of MNIST are 5, 0, 4, 1.
    assert_eq!(first.labels.unwrap(), vec![5, 0, 4, 1]);
    // MNIST's mean intensity is 0.1307 (the normalisation constant everyone uses).
    let all = train
        .pixels(&(0..60_000).collect::<Vec<_>>())
        .unwrap()
        .bytes;
    let mean = all.iter().map(|&b| b as f64).sum::<f64>() / all.len() as f64 / 255.0;
    assert!((mean - 0.1307).abs() < 1e-3, "mean {mean}");

    // The same files uncompressed read the same; resized to 32 the digit keeps its mass.
    let tmp = tempfile::tempdir().unwrap();
    for name in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(dir.join(format!("{name}.gz"))).unwrap())
            .read_to_end(&mut raw)
            .unwrap();
        std::fs::write(tmp.path().join(name), raw).unwrap();
    }
    let raw = Dataset::open(&DataSource::Mnist(tmp.path().into()), Split::Test, 28, None).unwrap();
    let idx: Vec<usize> = (0..100).collect();
    assert_eq!(
        raw.pixels(&idx).unwrap().bytes,
        test.pixels(&idx).unwrap().bytes
    );
    let big = Dataset::open(&source, Split::Test, 32, Some(3)).unwrap();
    let b = big.batch(&[0]).unwrap();
    assert_eq!((b.len(), b.values().len()), (1, 3 * 32 * 32));
    assert!(b.values().iter().all(|v| (-1.0..=1.0).contains(v)));
    let mass = |v: &[f32]| v.iter().map(|x| (x + 1.0) / 2.0).sum::<f32>() / v.len() as f32;
    let small = test.batch(&[0]).unwrap();
    assert!(
        (mass(b.values()) - mass(small.values())).abs() < 0.03,
        "{} {}",
        mass(b.values()),
        mass(small.values())
    );
}

/// The first `n` images of the CIFAR-10 JPEG archive as (class name, RGB bytes).
fn cifar_jpegs(archive: &Path, n: usize) -> Vec<(String, Vec<u8>)> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(archive).unwrap());
    let mut tar = tar::Archive::new(gz);
    let mut out = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        if path.extension().and_then(|e| e.to_str()) != Some("jpg") {
            continue;
        }
        let class = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
        out.push((class, img.into_raw()));
        if out.len() == n {
            break;
        }
    }
    out
}

#[test]
fn cifar10_binary_batches_read_back_the_images_and_labels() {
    let test = "cifar10_binary_batches_read_back_the_images_and_labels";
    let Some(archive) = common::real_data(test, "cifar10-jpg/cifar10-jpg-test.tar.gz") else {
        return;
    };
    let images = cifar_jpegs(&archive, 300);
    let classes = dcgan::data::CIFAR10_CLASSES;
    let tmp = tempfile::tempdir().unwrap();
    // Official layout: label byte, then the R, G and B planes.
    let mut file = std::fs::File::create(tmp.path().join("test_batch.bin")).unwrap();
    for (class, rgb) in &images {
        let label = classes.iter().position(|c| c == class).unwrap() as u8;
        file.write_all(&[label]).unwrap();
        for c in 0..3 {
            let plane: Vec<u8> = rgb.chunks_exact(3).map(|p| p[c]).collect();
            file.write_all(&plane).unwrap();
        }
    }
    drop(file);
    let ds = Dataset::open(
        &DataSource::Cifar10(tmp.path().into()),
        Split::Test,
        32,
        None,
    )
    .unwrap();
    assert_eq!(ds.len(), 300);
    assert_eq!(ds.classes.as_deref().unwrap()[3], "cat");
    let px = ds.pixels(&[0, 299]).unwrap();
    for (k, i) in [0usize, 299].into_iter().enumerate() {
        let (class, rgb) = &images[i];
        assert_eq!(classes[px.labels.as_ref().unwrap()[k] as usize], class);
        let planes = &px.bytes[k * 3072..(k + 1) * 3072];
        for (j, p) in rgb.chunks_exact(3).enumerate() {
            assert_eq!(
                [planes[j], planes[1024 + j], planes[2048 + j]],
                [p[0], p[1], p[2]]
            );
        }
    }
    // No training batches in the folder: a clear error naming what is expected.
    let err = Dataset::open(
        &DataSource::Cifar10(tmp.path().into()),
        Split::Train,
        32,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("data_batch_1.bin"), "{err}");
}

/// Pixel (r, c, ch) of image k in the SVHN fixture (`reference/make_svhn_fixture.py`).
fn svhn_pixel(r: usize, c: usize, ch: usize, k: usize) -> u8 {
    ((7 * r + 3 * c + 50 * ch + 11 * k) % 256) as u8
}

#[test]
fn svhn_mat_files_plain_and_compressed_give_their_pixels_and_digits() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/svhn");
    let source = DataSource::Svhn(dir.clone());
    for (split, n) in [(Split::Train, 12), (Split::Test, 7)] {
        let ds = Dataset::open(&source, split, 32, None).unwrap();
        assert_eq!((ds.len(), ds.channels), (n, 3));
        let all: Vec<usize> = (0..n).collect();
        let p = ds.pixels(&all).unwrap();
        // Labels 1-10 become digits, 10 being 0.
        let want: Vec<u16> = (0..n).map(|k| ((k % 10 + 1) % 10) as u16).collect();
        assert_eq!(p.labels.unwrap(), want);
        for k in [0, n - 1] {
            for (r, c, ch) in [(0, 0, 0), (5, 17, 1), (31, 2, 2), (12, 30, 0)] {
                let got = p.bytes[k * 3072 + ch * 1024 + r * 32 + c];
                assert_eq!(
                    got,
                    svhn_pixel(r, c, ch, k),
                    "{split:?} image {k} ({r}, {c}, {ch})"
                );
            }
        }
        assert_eq!(ds.classes.as_ref().unwrap()[0], "0");
    }
    // Fitted to grayscale 16x16 like any source.
    let small = Dataset::open(&source, Split::Train, 16, Some(1)).unwrap();
    assert_eq!(small.image_len(), 256);

    // A truncated or foreign file is an error naming it, and it is left as it was.
    let tmp = tempfile::tempdir().unwrap();
    let error = |split| {
        Dataset::open(&DataSource::Svhn(tmp.path().to_path_buf()), split, 32, None)
            .unwrap_err()
            .to_string()
    };
    let bytes = std::fs::read(dir.join("train_32x32.mat")).unwrap();
    let broken = tmp.path().join("train_32x32.mat");
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    let err = error(Split::Train);
    assert!(err.contains("train_32x32.mat"), "{err}");
    assert_eq!(std::fs::read(&broken).unwrap().len(), bytes.len() / 2);
    std::fs::write(&broken, b"MATLAB 5.0 MAT-file, but not really").unwrap();
    let err = error(Split::Train);
    assert!(err.contains("train_32x32.mat"), "{err}");
    let err = error(Split::Test);
    assert!(err.contains("test_32x32.mat"), "{err}");
}
