//! SVHN's cropped digits in their official MATLAB files (`train_32x32.mat`, `test_32x32.mat`):
//! `X`, a 32x32x3xN `uint8` array, and `y`, N labels 1-10 where 10 stands for the digit 0.
//! MATLAB stores arrays column-major, so `X[r, c, ch, n]` is at `r + 32 (c + 32 (ch + 3 n))`.

use std::path::Path;

use rayon::prelude::*;

use super::transform::fit_rgb_planes;
use super::{Pixels, Split, source::existing_dir};
use crate::{Error, Result};

/// Side of SVHN's images.
const SIDE: usize = 32;

/// The file of a split.
pub fn file_name(split: Split) -> &'static str {
    match split {
        Split::Train => "train_32x32.mat",
        Split::Test => "test_32x32.mat",
    }
}

/// Loads `split`, fitted to `size` and `channels`; labels are the digits 0-9.
pub(crate) fn load(
    dir: &Path,
    split: Split,
    size: usize,
    channels: usize,
) -> Result<(Pixels, Vec<String>)> {
    existing_dir(dir)?;
    let path = dir.join(file_name(split));
    let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
    let mat = matfile::MatFile::parse(std::io::BufReader::new(file))
        .map_err(|e| Error::format(&path, format!("not a readable MATLAB v5 file: {e:?}")))?;
    let bad = |m: String| Error::format(&path, m);
    let x = mat
        .find_by_name("X")
        .ok_or_else(|| bad("has no numeric array `X` (the images)".into()))?;
    let y = mat
        .find_by_name("y")
        .ok_or_else(|| bad("has no numeric array `y` (the labels)".into()))?;
    let dims = x.size();
    if dims.len() != 4 || dims[0] != SIDE || dims[1] != SIDE || dims[2] != 3 {
        return Err(bad(format!("`X` is {dims:?}, not 32x32x3xN")));
    }
    let n = dims[3];
    let pixels: &[u8] = match x.data() {
        matfile::NumericData::UInt8 { real, .. } => real,
        _ => return Err(bad("`X` is not uint8".into())),
    };
    if (SIDE * SIDE * 3).checked_mul(n) != Some(pixels.len()) {
        return Err(bad(format!(
            "`X` holds {} values for {n} images: truncated",
            pixels.len()
        )));
    }
    let labels: Vec<f64> = match y.data() {
        matfile::NumericData::Double { real, .. } => real.clone(),
        matfile::NumericData::UInt8 { real, .. } => real.iter().map(|v| *v as f64).collect(),
        _ => return Err(bad("`y` is neither double nor uint8".into())),
    };
    if labels.len() != n {
        return Err(bad(format!("{} labels for {n} images", labels.len())));
    }
    let labels: Vec<u16> = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| match l {
            10.0 => Ok(0),
            l if (1.0..=9.0).contains(&l) && l.fract() == 0.0 => Ok(l as u16),
            l => Err(bad(format!("image {i} has label {l}, not 1-10"))),
        })
        .collect::<Result<_>>()?;
    let plane = SIDE * SIDE;
    let fitted: Vec<Vec<u8>> = (0..n)
        .into_par_iter()
        .map(|k| {
            // Column-major [r, c, ch] of image k to row-major R, G, B planes.
            let mut planes = vec![0u8; 3 * plane];
            for ch in 0..3 {
                for c in 0..SIDE {
                    for r in 0..SIDE {
                        planes[ch * plane + r * SIDE + c] =
                            pixels[r + SIDE * (c + SIDE * (ch + 3 * k))];
                    }
                }
            }
            fit_rgb_planes(&planes, SIDE, size, channels)
        })
        .collect();
    Ok((
        Pixels {
            bytes: fitted.concat(),
            labels: Some(labels),
            bad: Vec::new(),
        },
        (0..10).map(|d| d.to_string()).collect(),
    ))
}
