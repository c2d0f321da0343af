//! pytorch-fid's statistics files: an `.npz` archive (`np.savez_compressed`) holding `mu`
//! (`[d]`, float64) and `sigma` (`[d, d]`, float64). Published reference statistics come in this
//! form, and pytorch-fid reads the files written here (`python -m pytorch_fid a.npz b.npz`).
//!
//! Files written here also hold `dcgan_meta`: a `uint8` array of UTF-8 JSON naming the feature
//! network and the images the statistics describe. pytorch-fid ignores it; reading a file whose
//! metadata names another network is an error, so statistics of different networks are never
//! compared.

use std::io::{Cursor, Read, Write};
use std::path::Path;

use npyz::WriterBuilder;
use serde::{Deserialize, Serialize};

use super::Gaussian;
use crate::{Error, Result};

/// What a statistics file describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsMeta {
    /// The feature network's name (as in every result).
    pub network: String,
    /// The network's identity: the SHA-256 of its weights.
    pub network_id: String,
    /// The images: a data source and split, or a generator's checkpoint.
    pub images: String,
    /// How many images.
    pub n: usize,
}

fn npy_f64(values: &[f64], shape: &[u64]) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut bytes)
        .begin_nd()?;
    w.extend(values.iter().copied())?;
    w.finish()?;
    Ok(bytes)
}

fn npy_u8(values: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[values.len() as u64])
        .writer(&mut bytes)
        .begin_nd()?;
    w.extend(values.iter().copied())?;
    w.finish()?;
    Ok(bytes)
}

/// Writes `stats` as pytorch-fid's `.npz` (with `meta`), atomically.
pub fn write_npz(path: &Path, stats: &Gaussian, meta: &StatsMeta) -> Result<()> {
    let d = stats.dim() as u64;
    let meta_json = serde_json::to_vec(meta).expect("metadata serialises");
    let entries = [
        ("mu.npy", npy_f64(&stats.mu, &[d])),
        ("sigma.npy", npy_f64(&stats.sigma, &[d, d])),
        ("dcgan_meta.npy", npy_u8(&meta_json)),
    ];
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        let bytes = bytes.map_err(|e| Error::io(path, e))?;
        zip.start_file(name, options)
            .and_then(|_| zip.write_all(&bytes).map_err(Into::into))
            .map_err(|e| Error::format(path, format!("cannot write the archive: {e}")))?;
    }
    let bytes = zip
        .finish()
        .map_err(|e| Error::format(path, format!("cannot write the archive: {e}")))?
        .into_inner();
    crate::run::write_atomic(path, &bytes)
}

/// Reads a pytorch-fid `.npz` (ours or anyone's): the Gaussian and, when the file has it, what
/// it describes.
pub fn read_npz(path: &Path) -> Result<(Gaussian, Option<StatsMeta>)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |m: String| Error::format(path, m);
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        bad(format!(
            "not a pytorch-fid statistics file (an .npz archive with mu and sigma): {e}"
        ))
    })?;
    let mut array = |name: &str| -> Result<Option<npyz::NpyFile<Cursor<Vec<u8>>>>> {
        let mut entry = match zip.by_name(&format!("{name}.npy")) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(bad(format!("cannot read `{name}`: {e}"))),
        };
        let mut raw = Vec::new();
        entry
            .read_to_end(&mut raw)
            .map_err(|e| bad(format!("cannot read `{name}`: {e}")))?;
        npyz::NpyFile::new(Cursor::new(raw))
            .map(Some)
            .map_err(|e| bad(format!("`{name}` is not a .npy array: {e}")))
    };
    let floats =
        |file: npyz::NpyFile<Cursor<Vec<u8>>>, name: &str| -> Result<(Vec<u64>, Vec<f64>)> {
            let shape = file.shape().to_vec();
            let values = match file.dtype() {
                npyz::DType::Plain(t)
                    if t.type_char() == npyz::TypeChar::Float && t.size_field() == 4 =>
                {
                    file.into_vec::<f32>()
                        .map(|v| v.into_iter().map(f64::from).collect())
                }
                _ => file.into_vec::<f64>(),
            }
            .map_err(|e| bad(format!("`{name}` must hold floating-point numbers: {e}")))?;
            Ok((shape, values))
        };
    let missing = |name: &str| {
        bad(format!(
            "has no `{name}` array: not a pytorch-fid statistics file"
        ))
    };
    let (mu_shape, mu) = floats(array("mu")?.ok_or_else(|| missing("mu"))?, "mu")?;
    let (sigma_shape, sigma) = floats(array("sigma")?.ok_or_else(|| missing("sigma"))?, "sigma")?;
    let d = mu.len() as u64;
    if mu_shape.len() != 1 || sigma_shape != [d, d] {
        return Err(bad(format!(
            "`mu` has shape {mu_shape:?} and `sigma` {sigma_shape:?}; expected [d] and [d, d]"
        )));
    }
    let meta = match array("dcgan_meta")? {
        Some(file) => {
            let raw: Vec<u8> = file
                .into_vec()
                .map_err(|e| bad(format!("`dcgan_meta` is not bytes: {e}")))?;
            Some(
                serde_json::from_slice::<StatsMeta>(&raw)
                    .map_err(|e| bad(format!("`dcgan_meta` is not dcgan's metadata: {e}")))?,
            )
        }
        None => None,
    };
    let n = meta.as_ref().map(|m| m.n);
    Ok((Gaussian { mu, sigma, n }, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_its_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.npz");
        let g = Gaussian {
            mu: vec![0.5, -1.25],
            sigma: vec![2.0, 0.1, 0.1, 3.0],
            n: Some(40),
        };
        let meta = StatsMeta {
            network: "test".into(),
            network_id: "abc".into(),
            images: "builtin (train)".into(),
            n: 40,
        };
        write_npz(&path, &g, &meta).unwrap();
        let (back, m) = read_npz(&path).unwrap();
        assert_eq!(back, g);
        assert_eq!(m.unwrap(), meta);
        std::fs::write(&path, b"not a zip").unwrap();
        let err = read_npz(&path).unwrap_err().to_string();
        assert!(
            err.contains("s.npz") && err.contains("not a pytorch-fid"),
            "{err}"
        );
    }
}
