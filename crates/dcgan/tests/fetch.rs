//! `dcgan data fetch` against a local HTTP server (tests cannot reach the internet) serving the
//! MNIST files of `../shared/data`: the catalogue's official MD5s accept the official files
//! and refuse a re-compressed one, a damaged download is deleted, an interrupted one resumes
//! with a range request, a server error is reported, a file already in place is not fetched
//! again, and archives unpack into what the loaders read.

mod common;

#[path = "common/http.rs"]
mod http;

use std::path::Path;

use dcgan::data::fetch::{self, Outcome, Remote, RemoteFile, Unpack};
use dcgan::data::{DataSource, Dataset, Split};
use http::{Served, Server};

fn serve_file(server: &Server, dir: &Path, name: &str) -> Vec<u8> {
    let bytes = std::fs::read(dir.join(name)).unwrap();
    server.serve(
        name,
        Served {
            bytes: bytes.clone(),
            ..Served::default()
        },
    );
    bytes
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn quiet() -> impl FnMut(&str, u64, Option<u64>) {
    |_, _, _| {}
}

#[test]
fn official_mnist_files_verify_and_a_recompressed_one_is_refused_and_deleted() {
    let test = "official_mnist_files_verify_and_a_recompressed_one_is_refused_and_deleted";
    let Some(mnist) = common::real_data(test, "mnist") else {
        return;
    };
    let server = Server::start();
    for name in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        serve_file(&server, &mnist, name);
    }
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("mnist");
    let remote = fetch::remote("mnist").unwrap();
    // ../shared/data's training images were re-compressed (the IDX bytes inside are the
    // official ones, the gzip stream is not): their MD5 is not the published one.
    let err = fetch::fetch(&remote, &to, Some(&server.base), &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("train-images-idx3-ubyte.gz")
            && err.contains("f68b3c2dcbeaaa9fbdd348bbdeb94873")
            && err.contains("deleted"),
        "{err}"
    );
    assert!(!to.join("train-images-idx3-ubyte.gz").exists());
    assert!(!to.join("train-images-idx3-ubyte.gz.part").exists());

    // The other three are the official files: the published MD5s accept them, and the
    // folder reads as MNIST's test split.
    let test_only = Remote {
        files: remote.files[1..].to_vec(),
        ..remote.clone()
    };
    let report = fetch::fetch(&test_only, &to, Some(&server.base), &mut quiet()).unwrap();
    assert_eq!(report.source, format!("mnist:{}", to.display()));
    assert!(report.files.iter().all(|f| matches!(
        f.outcome,
        Outcome::Downloaded {
            resumed_from: 0,
            ..
        }
    )));
    let data = Dataset::open(&DataSource::Mnist(to.clone()), Split::Test, 28, None).unwrap();
    assert_eq!(data.len(), 10_000);

    // Fetched again: nothing is downloaded.
    let before = server.log.lock().unwrap().len();
    let again = fetch::fetch(&test_only, &to, Some(&server.base), &mut quiet()).unwrap();
    assert!(again.files.iter().all(|f| f.outcome == Outcome::Present));
    assert_eq!(server.log.lock().unwrap().len(), before);

    // A file in place with other bytes is refused and left as it is.
    let labels = to.join("t10k-labels-idx1-ubyte.gz");
    std::fs::write(&labels, b"my own file").unwrap();
    let err = fetch::fetch(&test_only, &to, Some(&server.base), &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already there") && err.contains("left as it is"),
        "{err}"
    );
    assert_eq!(std::fs::read(&labels).unwrap(), b"my own file");
}

#[test]
fn an_interrupted_download_resumes_and_a_damaged_one_is_deleted() {
    let test = "an_interrupted_download_resumes_and_a_damaged_one_is_deleted";
    let Some(mnist) = common::real_data(test, "mnist") else {
        return;
    };
    let server = Server::start();
    let name = "t10k-images-idx3-ubyte.gz";
    let bytes = std::fs::read(mnist.join(name)).unwrap();
    server.serve(
        name,
        Served {
            bytes: bytes.clone(),
            cut_after: Some(500_000),
            ..Served::default()
        },
    );
    let remote = Remote {
        name: "test".into(),
        base: server.base.clone(),
        files: vec![RemoteFile {
            name: name.into(),
            md5: Some("9fb629c4189551a2d022fa330f9573f3".into()),
        }],
        unpack: Unpack::None,
        source_prefix: "mnist",
        source_subdir: None,
    };
    let tmp = tempfile::tempdir().unwrap();
    let err = fetch::fetch(&remote, tmp.path(), None, &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("500000") && err.contains("again to resume"),
        "{err}"
    );
    let part = tmp.path().join(format!("{name}.part"));
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 500_000);
    assert!(!tmp.path().join(name).exists());
    let report = fetch::fetch(&remote, tmp.path(), None, &mut quiet()).unwrap();
    assert_eq!(
        report.files[0].outcome,
        Outcome::Downloaded {
            bytes: bytes.len() as u64 - 500_000,
            resumed_from: 500_000
        }
    );
    assert_eq!(
        server.requests(name).last().unwrap().range_from,
        Some(500_000)
    );
    assert!(std::fs::read(tmp.path().join(name)).unwrap() == bytes);
    assert!(!part.exists());

    // A damaged copy on the server: one byte changed. The download is deleted.
    let mut damaged = bytes.clone();
    damaged[1000] ^= 0x10;
    server.serve(
        name,
        Served {
            bytes: damaged,
            ..Served::default()
        },
    );
    let other = tempfile::tempdir().unwrap();
    let err = fetch::fetch(&remote, other.path(), None, &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not the official") && err.contains("deleted"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(other.path()).unwrap().count(), 0);

    // A server error names the URL and the status, and leaves nothing.
    server.serve(
        name,
        Served {
            status: Some(503),
            ..Served::default()
        },
    );
    let err = fetch::fetch(&remote, other.path(), None, &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("{}{name}", server.base)) && err.contains("503"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(other.path()).unwrap().count(), 0);
}

#[test]
fn archives_unpack_into_what_the_loaders_read() {
    // An LSUN-style zip of the LMDB fixture, and a CIFAR-style tar.gz of binary batches.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lsun");
    let mut zip_bytes = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut zip_bytes));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.add_directory("tiny_train_lmdb/", options).unwrap();
        zip.start_file("tiny_train_lmdb/data.mdb", options).unwrap();
        std::io::Write::write_all(
            &mut zip,
            &std::fs::read(fixture.join("tiny_train_lmdb/data.mdb")).unwrap(),
        )
        .unwrap();
        zip.finish().unwrap();
    }
    let mut records = Vec::new();
    for k in 0..20u8 {
        records.push(k % 10);
        records.extend((0..3072).map(|i| (i as u8).wrapping_mul(k)));
    }
    let mut tgz = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut tgz, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let mut header = tar::Header::new_gnu();
        header.set_size(records.len() as u64);
        header.set_mode(0o644);
        tar.append_data(
            &mut header,
            "cifar-10-batches-bin/data_batch_1.bin",
            &records[..],
        )
        .unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    let server = Server::start();
    for (name, bytes) in [("tiny_train_lmdb.zip", &zip_bytes), ("c.tar.gz", &tgz)] {
        server.serve(
            name,
            Served {
                bytes: bytes.clone(),
                ..Served::default()
            },
        );
    }
    let remote = |name: &str, bytes: &[u8], unpack, prefix, sub: Option<&str>| Remote {
        name: name.into(),
        base: server.base.clone(),
        files: vec![RemoteFile {
            name: name.into(),
            md5: Some(md5_hex(bytes)),
        }],
        unpack,
        source_prefix: prefix,
        source_subdir: sub.map(String::from),
    };
    let tmp = tempfile::tempdir().unwrap();
    let lsun = remote(
        "tiny_train_lmdb.zip",
        &zip_bytes,
        Unpack::Zip,
        "lsun",
        Some("tiny_train_lmdb"),
    );
    let report = fetch::fetch(&lsun, tmp.path(), None, &mut quiet()).unwrap();
    let source: DataSource = report.source.parse().unwrap();
    let data = Dataset::open(&source, Split::Train, 16, None).unwrap();
    assert_eq!(data.len(), 25);

    let cifar = remote("c.tar.gz", &tgz, Unpack::TarGz, "cifar10", None);
    let report = fetch::fetch(&cifar, tmp.path(), None, &mut quiet()).unwrap();
    let source: DataSource = report.source.parse().unwrap();
    let data = Dataset::open(&source, Split::Train, 32, None).unwrap();
    assert_eq!(data.len(), 20);
    let p = data.pixels(&[3]).unwrap();
    assert_eq!(p.labels, Some(vec![3]));
    assert_eq!(p.bytes[..], records[3 * 3073 + 1..4 * 3073]);
}
