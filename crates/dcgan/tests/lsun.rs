//! LSUN's LMDB format: an environment written by Python's `lmdb` package (the writer of the
//! LSUN release; `reference/make_lsun_fixture.py`) decodes as Pillow decodes it, real CelebA
//! JPEGs stored as LMDB records read exactly as the same files in a folder, a record of garbage
//! is replaced and reported (or an error, strict), and a broken environment is refused when it
//! is opened.

mod common;

use std::path::{Path, PathBuf};

use dcgan::data::{DataSource, Dataset, Split, fit_image};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lsun")
}

fn open(dir: &Path, size: usize) -> dcgan::Result<Dataset> {
    Dataset::open(
        &DataSource::Lsun(dir.to_path_buf()),
        Split::Train,
        size,
        Some(3),
    )
}

fn garbage_key() -> String {
    std::fs::read_to_string(fixture().join("garbage-key.txt"))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn records_written_by_python_lmdb_decode_as_pillow_decodes_them() {
    let data = open(&fixture().join("tiny_train_lmdb"), 32).unwrap();
    assert_eq!(data.len(), 25);
    let garbage = garbage_key();
    let mut worst_mean: f64 = 0.0;
    let mut checked = 0;
    for i in 0..data.len() {
        let key = data.record_name(i);
        assert_eq!(key.len(), 40, "{key}");
        if key == garbage {
            continue;
        }
        let png = image::open(fixture().join("expected").join(format!("{key}.png"))).unwrap();
        let expected = fit_image(&png, 32, 3);
        let ours = data.pixels(&[i]).unwrap();
        assert!(ours.bad.is_empty());
        let diff: Vec<f64> = ours
            .bytes
            .iter()
            .zip(&expected)
            .map(|(&a, &b)| (a as f64 - b as f64).abs())
            .collect();
        let mean = diff.iter().sum::<f64>() / diff.len() as f64;
        let max = diff.iter().cloned().fold(0.0, f64::max);
        // Two JPEG and WebP decoders (Pillow's libjpeg-turbo and libwebp, the image crate's
        // own) round a little differently; a different picture is off by tens on average.
        assert!(
            mean < 1.0 && max <= 12.0,
            "record {key}: mean {mean}, max {max}"
        );
        worst_mean = worst_mean.max(mean);
        checked += 1;
        // ...and the check can tell pictures apart: the next record's expected image is far.
        let other = (i + 1) % data.len();
        if data.record_name(other) != garbage {
            let other_png = image::open(
                fixture()
                    .join("expected")
                    .join(format!("{}.png", data.record_name(other))),
            )
            .unwrap();
            let far = fit_image(&other_png, 32, 3)
                .iter()
                .zip(&ours.bytes)
                .map(|(&a, &b)| (a as f64 - b as f64).abs())
                .sum::<f64>()
                / expected.len() as f64;
            assert!(far > 10.0, "records {key} and {other} look alike: {far}");
        }
    }
    assert_eq!(checked, 24);
    eprintln!("24 records (12 WebP, 12 JPEG) within a mean of {worst_mean:.3} of Pillow");
}

#[test]
fn a_record_that_does_not_decode_is_replaced_and_reported_or_strictly_an_error() {
    let dir = fixture().join("tiny_train_lmdb");
    let data = open(&dir, 16).unwrap();
    let garbage = garbage_key();
    let bad = (0..data.len())
        .find(|&i| data.record_name(i) == garbage)
        .unwrap();
    let next = (bad + 1) % data.len();
    let p = data.pixels(&[bad, next]).unwrap();
    assert_eq!(p.bad.len(), 1);
    assert_eq!(p.bad[0].index, bad);
    assert!(
        p.bad[0].message.contains(&garbage) && p.bad[0].message.contains("data.mdb"),
        "{}",
        p.bad[0].message
    );
    // The replacement is the next record, so the batch is the next record twice.
    let n = 3 * 16 * 16;
    assert_eq!(p.bytes[..n], p.bytes[n..]);
    assert_eq!(p.bytes[..n], data.pixels(&[next]).unwrap().bytes[..]);

    let strict = open(&dir, 16).unwrap().strict(true);
    let err = strict.pixels(&[next, bad]).unwrap_err().to_string();
    assert!(
        err.contains(&garbage) && err.contains("does not decode"),
        "{err}"
    );
}

/// A copy of the fixture environment in a temporary folder.
fn copy_of_fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("copy_train_lmdb");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(
        fixture().join("tiny_train_lmdb/data.mdb"),
        dir.join("data.mdb"),
    )
    .unwrap();
    (tmp, dir)
}

#[test]
fn a_broken_environment_is_refused_when_opened() {
    let err = |dir: &Path| open(dir, 32).unwrap_err().to_string();

    // Truncated: the meta pages survive, the pages they point to do not.
    let (_t1, dir) = copy_of_fixture();
    let data = dir.join("data.mdb");
    let len = std::fs::metadata(&data).unwrap().len();
    std::fs::File::options()
        .write(true)
        .open(&data)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let e = err(&dir);
    assert!(
        e.contains("truncated") && e.contains("data.mdb") && e.contains(&(len / 2).to_string()),
        "{e}"
    );
    // Cut to a few bytes.
    std::fs::write(&data, b"short").unwrap();
    let e = err(&dir);
    assert!(e.contains("too short"), "{e}");
    // Not LMDB at all: as long as an environment, other bytes.
    std::fs::write(&data, vec![0x5a; len as usize]).unwrap();
    let e = err(&dir);
    assert!(e.contains("data.mdb") && e.contains("LMDB"), "{e}");
    // Whole, but the first record of a leaf page claims a 16 MB value: LMDB would hand out
    // bytes past the page and past the file's end. It is refused before LMDB reads it.
    let (_t2, damaged) = copy_of_fixture();
    let mut bytes = std::fs::read(damaged.join("data.mdb")).unwrap();
    let leaf = (2..bytes.len() / 4096)
        .find(|p| bytes[p * 4096 + 10] == 0x02)
        .expect("a leaf page");
    let at = leaf * 4096;
    let node = at + u16::from_le_bytes([bytes[at + 16], bytes[at + 17]]) as usize;
    bytes[node..node + 4].copy_from_slice(&[0xff, 0xff, 0xff, 0x00]);
    std::fs::write(damaged.join("data.mdb"), &bytes).unwrap();
    let e = err(&damaged);
    assert!(
        e.contains("data.mdb") && e.contains(&format!("damaged: page {leaf} has node 0")),
        "{e}"
    );
    // No data.mdb: a folder of something else.
    std::fs::remove_file(&data).unwrap();
    let e = err(&dir);
    assert!(e.contains("no data.mdb"), "{e}");
    // Not a folder.
    let e = err(&dir.join("nothing-here"));
    assert!(e.contains("nothing-here"), "{e}");
}

#[test]
fn the_key_list_is_cached_and_a_stale_or_damaged_cache_is_listed_afresh() {
    let (_t, dir) = copy_of_fixture();
    let cache = tempfile::tempdir().unwrap();
    let source = DataSource::Lsun(dir.clone());
    let names = |d: &Dataset| (0..d.len()).map(|i| d.record_name(i)).collect::<Vec<_>>();
    let first =
        Dataset::open_with_cache(&source, Split::Train, 16, Some(3), Some(cache.path())).unwrap();
    let files: Vec<PathBuf> = walkdir(cache.path());
    assert_eq!(files.len(), 1, "{files:?}");
    // 25 keys of 40 hex characters, stored as 20 bytes each.
    let size = std::fs::metadata(&files[0]).unwrap().len();
    assert!(size < 25 * 40, "{size} bytes");
    let second =
        Dataset::open_with_cache(&source, Split::Train, 16, Some(3), Some(cache.path())).unwrap();
    assert_eq!(names(&first), names(&second));
    // A damaged cache is not trusted.
    std::fs::write(&files[0], b"dcgan-lsun-keys1 and then nonsense").unwrap();
    let third =
        Dataset::open_with_cache(&source, Split::Train, 16, Some(3), Some(cache.path())).unwrap();
    assert_eq!(names(&first), names(&third));
    assert!(std::fs::metadata(&files[0]).unwrap().len() == size);
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The first `n` CelebA images of the archive as (file name, JPEG bytes).
fn celeba_jpegs(archive: &Path, n: usize) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut tar = tar::Archive::new(std::fs::File::open(archive).unwrap());
    let mut out = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        if path.extension().and_then(|e| e.to_str()) != Some("jpg") {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.push((
            path.file_name().unwrap().to_string_lossy().into_owned(),
            bytes,
        ));
        if out.len() == n {
            break;
        }
    }
    out
}

#[test]
fn celeba_jpegs_as_lmdb_records_read_exactly_as_the_same_files_in_a_folder() {
    use sha2::Digest;
    let test = "celeba_jpegs_as_lmdb_records_read_exactly_as_the_same_files_in_a_folder";
    let Some(archive) = common::real_data(test, "celeba/celeba-align-subset5000.tar") else {
        return;
    };
    let images = celeba_jpegs(&archive, 300);
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("faces");
    let env_dir = tmp.path().join("faces_train_lmdb");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::create_dir_all(&env_dir).unwrap();
    // Keys as LSUN's: 40 hex characters of a hash of the image's name. A third of the records
    // are re-encoded as (lossless) WebP, the released files' format.
    let env = unsafe {
        heed::EnvOpenOptions::new()
            .map_size(1 << 28)
            .open(&env_dir)
            .unwrap()
    };
    let mut wtxn = env.write_txn().unwrap();
    let db: heed::Database<heed::types::Bytes, heed::types::Bytes> =
        env.create_database(&mut wtxn, None).unwrap();
    let mut key_of = std::collections::HashMap::new();
    for (k, (name, jpeg)) in images.iter().enumerate() {
        std::fs::write(folder.join(name), jpeg).unwrap();
        let key: String = sha2::Sha256::digest(name.as_bytes())[..20]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let value = if k % 3 == 0 {
            let img = image::load_from_memory(jpeg).unwrap();
            let mut webp = Vec::new();
            img.write_to(
                &mut std::io::Cursor::new(&mut webp),
                image::ImageFormat::WebP,
            )
            .unwrap();
            assert_eq!(&webp[8..12], b"WEBP");
            webp
        } else {
            jpeg.clone()
        };
        db.put(&mut wtxn, key.as_bytes(), &value).unwrap();
        key_of.insert(key, name.clone());
    }
    wtxn.commit().unwrap();
    drop(env);

    let lsun = open(&env_dir, 64).unwrap();
    let files = Dataset::open(
        &DataSource::Folder(folder.clone()),
        Split::Train,
        64,
        Some(3),
    )
    .unwrap();
    assert_eq!((lsun.len(), files.len()), (300, 300));
    let all: Vec<usize> = (0..300).collect();
    let from_lsun = lsun.pixels(&all).unwrap();
    let from_files = files.pixels(&all).unwrap();
    assert!(from_lsun.bad.is_empty());
    let n = 3 * 64 * 64;
    let file_index: std::collections::HashMap<String, usize> = (0..300)
        .map(|i| {
            let path = files.record_name(i);
            (
                Path::new(&path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                i,
            )
        })
        .collect();
    for i in 0..300 {
        let name = &key_of[&lsun.record_name(i)];
        let j = file_index[name];
        assert!(
            from_lsun.bytes[i * n..(i + 1) * n] == from_files.bytes[j * n..(j + 1) * n],
            "{name}: the LMDB record and the file decode differently"
        );
    }
}

// ---- The packed cache (`dcgan data pack`, `packed:FILE`) ----

fn pack(data: &Dataset, out: &Path) -> dcgan::data::PackReport {
    dcgan::data::pack(data, out, false, &mut |_, _| {}).unwrap()
}

#[test]
fn packed_mnist_holds_the_sources_pixels_and_labels_byte_for_byte() {
    let Some(dir) = common::real_data(
        "packed_mnist_holds_the_sources_pixels_and_labels_byte_for_byte",
        "mnist",
    ) else {
        return;
    };
    let source = Dataset::open(&DataSource::Mnist(dir), Split::Test, 32, None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("mnist-test-32.pack");
    let report = pack(&source, &file);
    assert_eq!((report.header.count, report.header.bad), (10_000, 0));
    assert!(report.header.labels);
    let packed = Dataset::open(&DataSource::Packed(file.clone()), Split::Train, 32, None).unwrap();
    assert_eq!((packed.len(), packed.channels), (10_000, 1));
    assert_eq!(packed.classes, source.classes);
    let all: Vec<usize> = (0..10_000).collect();
    let (a, b) = (source.pixels(&all).unwrap(), packed.pixels(&all).unwrap());
    assert!(a.bytes == b.bytes, "pixels differ");
    assert_eq!(a.labels, b.labels);
    // Exactly the pixels, labels, checksums and header: nothing else in the file.
    let len = std::fs::metadata(&file).unwrap().len();
    assert_eq!(len, 4096 + 10_000 * (1024 + 2 + 4) + 32);
    // Opened as RGB, each grey pixel is repeated in three planes.
    let rgb = Dataset::open(&DataSource::Packed(file), Split::Train, 32, Some(3)).unwrap();
    let one = rgb.pixels(&[7]).unwrap().bytes;
    assert_eq!(one[..1024], a.bytes[7 * 1024..8 * 1024]);
    assert_eq!(one[..1024], one[2048..]);
}

#[test]
fn packed_celeba_equals_the_folder_and_leaves_out_what_does_not_decode() {
    let test = "packed_celeba_equals_the_folder_and_leaves_out_what_does_not_decode";
    let Some(archive) = common::real_data(test, "celeba/celeba-align-subset5000.tar") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("faces");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, jpeg) in celeba_jpegs(&archive, 200) {
        std::fs::write(folder.join(name), jpeg).unwrap();
    }
    // One file that is not an image after all.
    std::fs::write(
        folder.join("000000_broken.jpg"),
        b"\xff\xd8\xff\xe0 not really",
    )
    .unwrap();
    let source = Dataset::open(
        &DataSource::Folder(folder.clone()),
        Split::Train,
        64,
        Some(3),
    )
    .unwrap();
    assert_eq!(source.len(), 201);
    let file = tmp.path().join("faces64.pack");
    let report = pack(&source, &file);
    assert_eq!((report.header.count, report.header.bad), (200, 1));
    assert!(report.bad[0].message.contains("000000_broken.jpg"));
    let packed = Dataset::open(&DataSource::Packed(file.clone()), Split::Train, 64, None).unwrap();
    assert_eq!((packed.len(), packed.channels, packed.size), (200, 3, 64));
    // The broken file sorted first; the packed images are the folder's from the second on.
    let n = 3 * 64 * 64;
    let a = source.pixels(&(1..201).collect::<Vec<_>>()).unwrap().bytes;
    let b = packed.pixels(&(0..200).collect::<Vec<_>>()).unwrap().bytes;
    assert!(a == b, "the packed images differ from the folder's");
    assert_eq!(a.len(), 200 * n);
    // Another size is refused, with the way out.
    let err = Dataset::open(&DataSource::Packed(file.clone()), Split::Train, 32, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("64x64") && err.contains("--image-size 32"),
        "{err}"
    );
    // An existing file is not replaced unless asked.
    let before = std::fs::read(&file).unwrap();
    let err = dcgan::data::pack(&source, &file, false, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert!(std::fs::read(&file).unwrap() == before);
}

#[test]
fn a_damaged_or_foreign_packed_file_is_refused_and_a_flipped_pixel_is_found() {
    let data = open(&fixture().join("tiny_train_lmdb"), 16).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("tiny.pack");
    let report = pack(&data, &file);
    assert_eq!((report.header.count, report.header.bad), (24, 1));
    let good = std::fs::read(&file).unwrap();
    let open_err = |bytes: &[u8]| {
        let f = tmp.path().join("bad.pack");
        std::fs::write(&f, bytes).unwrap();
        Dataset::open(&DataSource::Packed(f), Split::Train, 16, None)
            .unwrap_err()
            .to_string()
    };
    let e = open_err(&good[..good.len() - 100]);
    assert!(e.contains("bad.pack") && e.contains("truncated"), "{e}");
    let mut longer = good.clone();
    longer.extend_from_slice(b"extra");
    let e = open_err(&longer);
    assert!(e.contains("longer than its header says"), "{e}");
    let e = open_err(b"PK\x03\x04 a zip file, say");
    assert!(e.contains("not a packed dataset"), "{e}");
    // A flipped byte in the header, or in the checksums, breaks the digest.
    let mut flipped = good.clone();
    let at = good.windows(5).position(|w| w == b"\"size").unwrap() + 2;
    flipped[at] ^= 0x01;
    let e = open_err(&flipped);
    assert!(e.contains("damaged"), "{e}");
    let mut flipped = good.clone();
    let len = flipped.len();
    flipped[len - 40] ^= 0x80;
    let e = open_err(&flipped);
    assert!(e.contains("digest"), "{e}");
    // A flipped pixel opens (the pixels are not read at open) but that image fails its CRC.
    let mut flipped = good.clone();
    let image = 5;
    flipped[4096 + image * 3 * 16 * 16 + 100] ^= 0x04;
    let f = tmp.path().join("pixel.pack");
    std::fs::write(&f, &flipped).unwrap();
    let packed = Dataset::open(&DataSource::Packed(f), Split::Train, 16, None).unwrap();
    let p = packed.pixels(&[image]).unwrap();
    assert_eq!(p.bad.len(), 1);
    assert!(
        p.bad[0].message.contains("image 5 fails its checksum"),
        "{}",
        p.bad[0].message
    );
    assert!(packed.strict(true).pixels(&[image]).is_err());
}
