//! `dcgan data fetch`: the official files of the public datasets, downloaded and checked.
//!
//! Each file is downloaded to `NAME.part` beside its destination, resumed from where it stopped
//! when the server honours a range request, checked against its published MD5 (the checksums
//! torchvision and the datasets' pages list), and only then renamed into place; a file whose
//! checksum is wrong is deleted and the fetch fails. A file already in place with the right
//! checksum is not downloaded again, and one with another checksum is left alone and refused:
//! nothing the user has is overwritten. Archives (CIFAR-10, LSUN) are unpacked beside them.
//!
//! LSUN publishes no checksums: its files are checked for a whole download (the length the
//! server announced) and their SHA-256 is printed and kept beside them (`NAME.sha256`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// One file of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Its name in the destination folder (and, after the base URL, on the server).
    pub name: String,
    /// The published MD5 (hex), when there is one.
    pub md5: Option<String>,
}

/// How a downloaded archive becomes the folder the loaders read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpack {
    /// Read as downloaded.
    None,
    /// A `.tar.gz`, unpacked into the destination folder.
    TarGz,
    /// A `.zip`, unpacked into the destination folder.
    Zip,
}

/// A dataset that `dcgan data fetch` knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// The name it is fetched by: `mnist`, `fashion-mnist`, `cifar10`, `svhn`, `lsun:CATEGORY`.
    pub name: String,
    /// Where the files are: the official host (or the mirror torchvision uses where the
    /// original is gone), ending in `/`.
    pub base: String,
    /// Its files.
    pub files: Vec<RemoteFile>,
    /// What to do with them.
    pub unpack: Unpack,
    /// The `--data` source that reads the result, given the destination folder.
    pub source_prefix: &'static str,
    /// A subfolder of the destination the source reads (LSUN's `CATEGORY_train_lmdb`).
    pub source_subdir: Option<String>,
}

/// LSUN's scene categories.
pub const LSUN_CATEGORIES: [&str; 10] = [
    "bedroom",
    "bridge",
    "church_outdoor",
    "classroom",
    "conference_room",
    "dining_room",
    "kitchen",
    "living_room",
    "restaurant",
    "tower",
];

/// Every name [`remote`] knows, for messages.
pub const NAMES: &str = "mnist, fashion-mnist, cifar10, svhn, lsun:CATEGORY[:val]";

fn file(name: &str, md5: &str) -> RemoteFile {
    RemoteFile {
        name: name.to_string(),
        md5: Some(md5.to_string()),
    }
}

/// The dataset called `name`.
pub fn remote(name: &str) -> Result<Remote> {
    let idx = |base: &str, md5s: [&str; 4]| Remote {
        name: name.to_string(),
        base: base.to_string(),
        files: [
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ]
        .iter()
        .zip(md5s)
        .map(|(n, m)| file(n, m))
        .collect(),
        unpack: Unpack::None,
        source_prefix: "mnist",
        source_subdir: None,
    };
    Ok(match name {
        // yann.lecun.com refuses most downloads now; torchvision's mirror holds the same bytes.
        "mnist" => idx(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            [
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "d53e105ee54ea40749a09fcbcd1e9432",
                "9fb629c4189551a2d022fa330f9573f3",
                "ec29112dd5afa0611ce80d1b7f02629c",
            ],
        ),
        "fashion-mnist" => idx(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            [
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "25c81989df183df01b3e8a0aad5dffbe",
                "bef4ecab320f06d8554ea6380940ec79",
                "bb300cfdad3c16e7a12a480ee83cd310",
            ],
        ),
        "cifar10" => Remote {
            name: name.to_string(),
            base: "https://www.cs.toronto.edu/~kriz/".to_string(),
            files: vec![file(
                "cifar-10-binary.tar.gz",
                "c32a1d4ab5d03f1284b67883e8d87530",
            )],
            unpack: Unpack::TarGz,
            source_prefix: "cifar10",
            source_subdir: None,
        },
        "svhn" => Remote {
            name: name.to_string(),
            base: "http://ufldl.stanford.edu/housenumbers/".to_string(),
            files: vec![
                file("train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373"),
                file("test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3"),
            ],
            unpack: Unpack::None,
            source_prefix: "svhn",
            source_subdir: None,
        },
        _ => {
            let Some(rest) = name.strip_prefix("lsun:") else {
                return Err(Error::option(
                    "dataset",
                    format!("unknown dataset `{name}`; fetch knows {NAMES}"),
                ));
            };
            let (category, split) = match rest.split_once(':') {
                None => (rest, "train"),
                Some((c, "val")) => (c, "val"),
                Some((c, "train")) => (c, "train"),
                Some((_, other)) => {
                    return Err(Error::option(
                        "dataset",
                        format!("`{name}`: LSUN's splits are train and val, not `{other}`"),
                    ));
                }
            };
            if !LSUN_CATEGORIES.contains(&category) {
                return Err(Error::option(
                    "dataset",
                    format!(
                        "`{category}` is not an LSUN scene category; they are {}",
                        LSUN_CATEGORIES.join(", ")
                    ),
                ));
            }
            let stem = format!("{category}_{split}_lmdb");
            Remote {
                name: name.to_string(),
                base: "http://dl.yf.io/lsun/scenes/".to_string(),
                files: vec![RemoteFile {
                    name: format!("{stem}.zip"),
                    md5: None,
                }],
                unpack: Unpack::Zip,
                source_prefix: "lsun",
                source_subdir: Some(stem),
            }
        }
    })
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already in place with the right checksum.
    Present,
    /// Downloaded (bytes fetched this time; `resumed_from` > 0 when a partial download went on).
    Downloaded {
        /// Bytes transferred in this call.
        bytes: u64,
        /// Where a previous partial download had stopped.
        resumed_from: u64,
    },
}

/// One file's result.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The file in the destination folder.
    pub path: PathBuf,
    /// What was done.
    pub outcome: Outcome,
    /// Its SHA-256 (hex), for the record.
    pub sha256: String,
}

/// What a fetch did, and the `--data` source that reads the result.
#[derive(Debug, Clone)]
pub struct FetchReport {
    /// Each file.
    pub files: Vec<Fetched>,
    /// `mnist:DIR`, `lsun:DIR/bedroom_train_lmdb`, ...
    pub source: String,
}

/// Progress of a download: `(file name, bytes so far, total when known)`.
pub type Progress<'a> = &'a mut dyn FnMut(&str, u64, Option<u64>);

/// Fetches `remote` into `dir` (from `mirror` instead of its official host when given).
pub fn fetch(
    remote: &Remote,
    dir: &Path,
    mirror: Option<&str>,
    progress: Progress,
) -> Result<FetchReport> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let base = match mirror {
        Some(m) if m.ends_with('/') => m.to_string(),
        Some(m) => format!("{m}/"),
        None => remote.base.clone(),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_body(Some(Duration::from_secs(120)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut files = Vec::new();
    for f in &remote.files {
        let url = format!("{base}{}", f.name);
        let fetched = fetch_file(&agent, &url, &dir.join(&f.name), f.md5.as_deref(), progress)?;
        if f.md5.is_none() {
            let note = dir.join(format!("{}.sha256", f.name));
            let line = format!("{}  {}\n", fetched.sha256, f.name);
            crate::run::write_whole(&note, line.as_bytes())?;
        }
        files.push(fetched);
    }
    for f in &files {
        match remote.unpack {
            Unpack::None => {}
            Unpack::TarGz => unpack_tar_gz(&f.path, dir)?,
            Unpack::Zip => unpack_zip(&f.path, dir)?,
        }
    }
    let root = match &remote.source_subdir {
        Some(sub) => dir.join(sub),
        None => dir.to_path_buf(),
    };
    Ok(FetchReport {
        files,
        source: format!("{}:{}", remote.source_prefix, root.display()),
    })
}

/// MD5 and SHA-256 of a file, in hex.
fn digests(path: &Path) -> Result<(String, String)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let (mut md5, mut sha) = (Md5::new(), Sha256::new());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    Ok((hex(&md5.finalize()), hex(&sha.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn fetch_file(
    agent: &ureq::Agent,
    url: &str,
    dest: &Path,
    md5: Option<&str>,
    progress: Progress,
) -> Result<Fetched> {
    let name = dest
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    if dest.exists() {
        let (got, sha256) = digests(dest)?;
        return match md5 {
            Some(want) if got != want => Err(Error::format(
                dest,
                format!(
                    "is already there with MD5 {got}, not the official {want}; it was left as \
                     it is: move it away to fetch the official file"
                ),
            )),
            _ => Ok(Fetched {
                path: dest.to_path_buf(),
                outcome: Outcome::Present,
                sha256,
            }),
        };
    }
    let part = dest.with_file_name(format!("{name}.part"));
    let have = std::fs::metadata(&part).map_or(0, |m| m.len());
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let failed = |m: String| Error::format(dest, format!("fetching {url}: {m}"));
    let response = request.call().map_err(|e| failed(e.to_string()))?;
    let status = response.status().as_u16();
    let (mut file, start) = match status {
        206 => {
            let f = std::fs::OpenOptions::new()
                .append(true)
                .open(&part)
                .map_err(|e| Error::io(&part, e))?;
            (f, have)
        }
        200 => (
            std::fs::File::create(&part).map_err(|e| Error::io(&part, e))?,
            0,
        ),
        // The partial file is already whole: the server has nothing after it.
        416 if have > 0 => {
            return finish(dest, &part, md5, have, 0);
        }
        other => {
            return Err(failed(format!(
                "the server answered {other}{}",
                response
                    .status()
                    .canonical_reason()
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default()
            )));
        }
    };
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let total = length.map(|l| l + start);
    let mut body = response.into_body().into_reader();
    let mut buf = vec![0u8; 1 << 16];
    let mut done = start;
    progress(&name, done, total);
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                file.flush().ok();
                return Err(failed(format!(
                    "the transfer broke off after {done} bytes ({e}); run the same command \
                     again to resume from there"
                )));
            }
        };
        file.write_all(&buf[..n]).map_err(|e| Error::io(&part, e))?;
        done += n as u64;
        progress(&name, done, total);
    }
    file.sync_all().map_err(|e| Error::io(&part, e))?;
    if let Some(t) = total
        && done != t
    {
        return Err(failed(format!(
            "the transfer ended after {done} of {t} bytes; run the same command again to \
             resume from there"
        )));
    }
    finish(dest, &part, md5, done - start, start)
}

/// Checks a whole `.part` file and renames it into place, or deletes it when its checksum is
/// wrong.
fn finish(dest: &Path, part: &Path, md5: Option<&str>, bytes: u64, from: u64) -> Result<Fetched> {
    let (got, sha256) = digests(part)?;
    if let Some(want) = md5
        && got != want
    {
        std::fs::remove_file(part).map_err(|e| Error::io(part, e))?;
        return Err(Error::format(
            dest,
            format!(
                "the download's MD5 is {got}, not the official {want}: it was deleted (a \
                 damaged transfer, or a mirror holding other bytes)"
            ),
        ));
    }
    std::fs::rename(part, dest).map_err(|e| Error::io(dest, e))?;
    Ok(Fetched {
        path: dest.to_path_buf(),
        outcome: Outcome::Downloaded {
            bytes,
            resumed_from: from,
        },
        sha256,
    })
}

/// Unpacks a `.tar.gz` into `dir`, unless what it holds is already there.
fn unpack_tar_gz(archive: &Path, dir: &Path) -> Result<()> {
    let open = || -> Result<tar::Archive<flate2::read::GzDecoder<std::fs::File>>> {
        let f = std::fs::File::open(archive).map_err(|e| Error::io(archive, e))?;
        Ok(tar::Archive::new(flate2::read::GzDecoder::new(f)))
    };
    let bad = |e: std::io::Error| Error::format(archive, format!("cannot unpack: {e}"));
    let mut missing = false;
    for entry in open()?.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.into_owned();
        if !dir.join(&path).exists() {
            missing = true;
            break;
        }
    }
    if missing {
        // `unpack` refuses entries that would land outside `dir` (absolute paths, `..`).
        open()?.unpack(dir).map_err(bad)?;
    }
    Ok(())
}

/// Unpacks a `.zip` into `dir`, unless its first entry is already there.
fn unpack_zip(archive: &Path, dir: &Path) -> Result<()> {
    let f = std::fs::File::open(archive).map_err(|e| Error::io(archive, e))?;
    let bad = |e: zip::result::ZipError| Error::format(archive, format!("cannot unpack: {e}"));
    let mut zip = zip::ZipArchive::new(f).map_err(bad)?;
    let complete = (0..zip.len()).all(|i| {
        zip.by_index(i)
            .ok()
            .and_then(|e| e.enclosed_name())
            .is_some_and(|p| dir.join(p).exists())
    });
    if !complete {
        zip.extract(dir).map_err(bad)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_their_files_and_sources() {
        let m = remote("mnist").unwrap();
        assert_eq!(m.files.len(), 4);
        assert_eq!(m.source_prefix, "mnist");
        let l = remote("lsun:church_outdoor:val").unwrap();
        assert_eq!(l.files[0].name, "church_outdoor_val_lmdb.zip");
        assert_eq!(l.source_subdir.as_deref(), Some("church_outdoor_val_lmdb"));
        assert_eq!(
            remote("lsun:bedroom").unwrap().files[0].name,
            "bedroom_train_lmdb.zip"
        );
        for bad in ["imagenet", "lsun:sofa", "lsun:bedroom:test", "lsun"] {
            let e = remote(bad).unwrap_err().to_string();
            assert!(e.contains("dataset"), "{bad}: {e}");
        }
    }
}
