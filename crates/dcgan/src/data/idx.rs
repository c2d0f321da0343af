//! MNIST and Fashion-MNIST in the IDX format (raw or gzipped).
//!
//! Format (yann.lecun.com/exdb/mnist): a big-endian magic `0x0000_08_0D` (`08` = unsigned byte,
//! `D` = number of dimensions), then D big-endian u32 sizes, then the bytes.

use std::io::Read;
use std::path::{Path, PathBuf};

use image::{DynamicImage, GrayImage};
use rayon::prelude::*;

use super::transform::fit_image;
use super::{Pixels, Split, source::existing_dir};
use crate::{Error, Result};

/// Class names of MNIST (Fashion-MNIST uses the same files; its classes are numbered too).
fn class_names() -> Vec<String> {
    (0..10).map(|d| d.to_string()).collect()
}

/// Finds `stem` in `dir` under the names the official archives use.
fn find(dir: &Path, stem: &str) -> Result<PathBuf> {
    let dotted = stem.replacen("-idx", ".idx", 1);
    for name in [stem.to_string(), dotted] {
        for ext in ["", ".gz"] {
            let p = dir.join(format!("{name}{ext}"));
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(Error::format(
        dir,
        format!(
            "no `{stem}` or `{stem}.gz` here: expected the official MNIST/Fashion-MNIST IDX files"
        ),
    ))
}

/// Reads a whole file, gunzipping it when it starts with the gzip magic.
fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::format(path, format!("corrupt gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses an IDX file of unsigned bytes with `dims` dimensions; returns the sizes and the data.
pub(crate) fn parse(path: &Path, bytes: &[u8], dims: usize) -> Result<(Vec<usize>, Vec<u8>)> {
    let header = 4 + 4 * dims;
    if bytes.len() < header {
        return Err(Error::format(
            path,
            format!("too short for an IDX header ({} bytes)", bytes.len()),
        ));
    }
    let magic = u32::from_be_bytes(bytes[0..4].try_into().expect("4 bytes"));
    let expected = 0x0800 | dims as u32;
    if magic != expected {
        return Err(Error::format(
            path,
            format!(
                "wrong IDX magic number 0x{magic:08x}; expected 0x{expected:08x} (unsigned bytes, {dims} dimensions)"
            ),
        ));
    }
    let sizes: Vec<usize> = (0..dims)
        .map(|i| {
            u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let got = bytes.len() - header;
    // Checked: three 32-bit sizes can multiply past 64 bits, and a wrapped product could match.
    let want = sizes.iter().try_fold(1usize, |a, &s| a.checked_mul(s));
    if want != Some(got) {
        let want = want.map_or("over 2^64".to_string(), |w| w.to_string());
        return Err(Error::format(
            path,
            format!(
                "header promises {want} data bytes ({sizes:?}) but the file has {got}: truncated or corrupt"
            ),
        ));
    }
    if sizes[1..].contains(&0) {
        return Err(Error::format(
            path,
            format!("header gives an empty item shape {:?}", &sizes[1..]),
        ));
    }
    Ok((sizes, bytes[header..].to_vec()))
}

/// Loads the images and labels of `split`, fitted to `size` and `channels`.
pub(crate) fn load(
    dir: &Path,
    split: Split,
    size: usize,
    channels: usize,
) -> Result<(Pixels, Vec<String>)> {
    existing_dir(dir)?;
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let (sizes, images) = parse(&images_path, &read_maybe_gz(&images_path)?, 3)?;
    let (lsizes, labels) = parse(&labels_path, &read_maybe_gz(&labels_path)?, 1)?;
    let (n, h, w) = (sizes[0], sizes[1], sizes[2]);
    if lsizes[0] != n {
        return Err(Error::format(
            &labels_path,
            format!(
                "has {} labels but {} has {n} images",
                lsizes[0],
                images_path.display()
            ),
        ));
    }
    if let Some(bad) = labels.iter().find(|&&l| l > 9) {
        return Err(Error::format(
            &labels_path,
            format!("label {bad} is not a digit class 0-9"),
        ));
    }
    let fitted: Vec<Vec<u8>> = images
        .par_chunks_exact(h * w)
        .map(|px| {
            let img = GrayImage::from_raw(w as u32, h as u32, px.to_vec()).expect("sized");
            fit_image(&DynamicImage::ImageLuma8(img), size, channels)
        })
        .collect();
    Ok((
        Pixels {
            bytes: fitted.concat(),
            labels: Some(labels.into_iter().map(u16::from).collect()),
            bad: Vec::new(),
        },
        class_names(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn parses_and_rejects() {
        let p = Path::new("f.idx");
        let (sizes, data) = parse(p, &idx(&[2, 2, 2], &[1; 8]), 3).unwrap();
        assert_eq!((sizes, data.len()), (vec![2, 2, 2], 8));
        let err = parse(p, &idx(&[2, 2, 2], &[1; 7]), 3)
            .unwrap_err()
            .to_string();
        assert!(err.contains("f.idx") && err.contains("truncated"), "{err}");
        let mut wrong = idx(&[2, 2, 2], &[1; 8]);
        wrong[3] = 1;
        let err = parse(p, &wrong, 3).unwrap_err().to_string();
        assert!(err.contains("magic"), "{err}");
        assert!(
            parse(p, &[0, 0], 3)
                .unwrap_err()
                .to_string()
                .contains("too short")
        );
    }
}
