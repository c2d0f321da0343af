//! A packed cache: any source decoded, resized and cropped once into one file of `u8` pixels at
//! the model's size, read through a memory map (`packed:FILE`). At 64x64 RGB an image is 12 KiB
//! (LSUN bedrooms: 37 GB), and no epoch decodes anything.
//!
//! Layout (little-endian):
//!
//! ```text
//! magic "dcgan-packed\0\0\0\x01"   16 bytes
//! header length H                  u64
//! header                           H bytes of JSON ({count, channels, size, labels, classes,
//!                                  source, bad}), padded with spaces to a 4096-byte boundary
//! pixels                           count x channels x size x size bytes, [c, y, x] per image
//! labels                           count x u16 (when the source has labels)
//! checksums                        count x u32: CRC-32 of each image's pixels
//! digest                           SHA-256 of everything above except the pixels
//! ```
//!
//! Opening checks the magic, the header, the exact length (a truncated or extended file is
//! refused) and the digest (header, labels and checksums: a few bytes an image); each image's
//! CRC is checked whenever it is read, so a flipped bit in the pixels is found where it is,
//! without reading 37 GB at every start.

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Dataset, transform::convert_channels};
use crate::{Error, Result};

const MAGIC: &[u8; 16] = b"dcgan-packed\0\0\0\x01";
const ALIGN: usize = 4096;
/// Images decoded at a time while packing (in parallel), then written in order.
const CHUNK: usize = 2048;

/// What a packed file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackHeader {
    /// Images.
    pub count: usize,
    /// 1 or 3.
    pub channels: usize,
    /// Side in pixels.
    pub size: usize,
    /// Whether a `u16` class follows for every image.
    pub labels: bool,
    /// Class names, when labelled.
    pub classes: Option<Vec<String>>,
    /// The source it was packed from (`lsun:/data/bedroom_train_lmdb`).
    pub source: String,
    /// Records of the source that did not decode and were left out.
    pub bad: usize,
}

impl PackHeader {
    fn image_len(&self) -> usize {
        self.channels * self.size * self.size
    }
}

/// An open packed file.
pub(crate) struct Packed {
    path: PathBuf,
    map: memmap2::Mmap,
    header: PackHeader,
    pixels_at: usize,
    labels: Option<Vec<u16>>,
    crcs: Vec<u32>,
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packed")
            .field("path", &self.path)
            .field("header", &self.header)
            .finish()
    }
}

/// The header of the packed file at `path`, checked as [`Packed::open`] checks it.
pub fn read_header(path: &Path) -> Result<PackHeader> {
    Ok(Packed::open(path)?.header)
}

impl Packed {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len() as usize;
        let bad = |m: String| Error::format(path, m);
        if len < MAGIC.len() + 8 || {
            let mut head = [0u8; 16];
            std::io::Read::read_exact(&mut &file, &mut head).map_err(|e| Error::io(path, e))?;
            &head != MAGIC
        } {
            return Err(bad(
                "not a packed dataset (no dcgan-packed header; `dcgan data pack` writes them)"
                    .into(),
            ));
        }
        // SAFETY: the map is only read; a file changed under a running training is outside
        // what any reader can guard against (the CRCs catch most such changes).
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let header_len = u64::from_le_bytes(map[16..24].try_into().expect("8 bytes")) as usize;
        let header_end = 24usize
            .checked_add(header_len)
            .filter(|&e| e <= len)
            .ok_or_else(|| bad(format!("truncated: its header claims {header_len} bytes")))?;
        let header: PackHeader = serde_json::from_slice(&map[24..header_end])
            .map_err(|e| bad(format!("damaged header: {e}")))?;
        if !matches!(header.channels, 1 | 3)
            || header.size == 0
            || header.size.checked_mul(header.size).is_none()
        {
            return Err(bad(format!(
                "damaged header: {} channels of {}x{}",
                header.channels, header.size, header.size
            )));
        }
        let pixels_at = header_end.div_ceil(ALIGN) * ALIGN;
        let n = header.count;
        let expected = (header.size * header.size)
            .checked_mul(header.channels)
            .and_then(|l| l.checked_mul(n))
            .and_then(|p| p.checked_add(pixels_at))
            .and_then(|p| p.checked_add(if header.labels { 2 * n } else { 0 }))
            .and_then(|p| p.checked_add(4 * n + 32))
            .ok_or_else(|| bad(format!("damaged header: {n} images cannot fit a file")))?;
        if len != expected {
            return Err(bad(format!(
                "{}: {len} bytes, but its header ({n} images of {}x{}x{}) makes {expected}",
                if len < expected {
                    "truncated"
                } else {
                    "longer than its header says"
                },
                header.channels,
                header.size,
                header.size
            )));
        }
        let tail_at = pixels_at + header.image_len() * n;
        let digest_at = len - 32;
        let mut h = Sha256::new();
        h.update(&map[..pixels_at]);
        h.update(&map[tail_at..digest_at]);
        if h.finalize().as_slice() != &map[digest_at..] {
            return Err(bad(
                "damaged: its header, labels or checksums do not match their digest".into(),
            ));
        }
        let mut at = tail_at;
        let labels = header.labels.then(|| {
            let l = map[at..at + 2 * n]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            at += 2 * n;
            l
        });
        let crcs = map[at..at + 4 * n]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        Ok(Self {
            path: path.to_path_buf(),
            map,
            header,
            pixels_at,
            labels,
            crcs,
        })
    }

    pub(crate) fn header(&self) -> &PackHeader {
        &self.header
    }

    pub(crate) fn len(&self) -> usize {
        self.header.count
    }

    pub(crate) fn labels(&self) -> Option<&[u16]> {
        self.labels.as_deref()
    }

    /// Image `i` with `channels` channels, its CRC checked.
    pub(crate) fn image(&self, i: usize, channels: usize) -> Result<Vec<u8>> {
        let n = self.header.image_len();
        let bytes = &self.map[self.pixels_at + i * n..self.pixels_at + (i + 1) * n];
        if crc32fast::hash(bytes) != self.crcs[i] {
            return Err(Error::format(
                &self.path,
                format!("image {i} fails its checksum: the file is damaged there"),
            ));
        }
        Ok(convert_channels(bytes, self.header.channels, channels))
    }

    /// A digest of what the file holds, from its checksums (no pass over the pixels).
    pub(crate) fn fingerprint(&self) -> [u8; 32] {
        let digest_at = self.map.len() - 32;
        self.map[digest_at..].try_into().expect("32 bytes")
    }
}

/// What [`pack`] wrote.
#[derive(Debug, Clone)]
pub struct PackReport {
    /// The file's header.
    pub header: PackHeader,
    /// The records left out, with why.
    pub bad: Vec<super::BadRecord>,
    /// Bytes written.
    pub bytes: u64,
    /// Seconds it took.
    pub seconds: f64,
}

/// Packs every image of `data` (at its size and channels) into `out`, written to a temporary
/// file and renamed into place when whole; an existing `out` is refused unless `replace`.
/// Records that do not decode are left out and reported. `progress(done, total)` is called
/// after each chunk.
pub fn pack(
    data: &Dataset,
    out: &Path,
    replace: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PackReport> {
    if out.exists() && !replace {
        return Err(Error::format(
            out,
            "already exists; pass --force to replace it",
        ));
    }
    use rayon::prelude::*;
    let t0 = std::time::Instant::now();
    let total = data.len();
    let mut header = PackHeader {
        count: total,
        channels: data.channels,
        size: data.size,
        labels: false,
        classes: data.classes.clone(),
        source: data.source.to_string(),
        bad: 0,
    };
    // The header is written first with room for the final counts (never more digits than
    // the totals) and rewritten in place at the end.
    let json_of = |h: &PackHeader| serde_json::to_vec(h).expect("header serialises");
    let probe = {
        let mut p = header.clone();
        p.labels = data.classes.is_some();
        p.bad = total;
        json_of(&p)
    };
    let header_room = probe.len() + 16;
    let pixels_at = (24 + header_room).div_ceil(ALIGN) * ALIGN;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = out.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| -> Result<PackReport> {
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut w = BufWriter::with_capacity(1 << 22, file);
        let io = |e| Error::io(&tmp, e);
        w.write_all(&vec![0u8; pixels_at]).map_err(io)?;
        let mut labels: Vec<u16> = Vec::new();
        let mut has_labels = None;
        let mut crcs: Vec<u32> = Vec::with_capacity(total);
        let mut bad = Vec::new();
        let mut start = 0;
        while start < total {
            let end = (start + CHUNK).min(total);
            type Decoded = (usize, Result<(Vec<u8>, Option<u16>)>);
            let decoded: Vec<Decoded> = (start..end)
                .into_par_iter()
                .map(|i| (i, data.image_with_label(i)))
                .collect();
            for (i, r) in decoded {
                match r {
                    Ok((bytes, label)) => {
                        crcs.push(crc32fast::hash(&bytes));
                        w.write_all(&bytes).map_err(io)?;
                        has_labels.get_or_insert(label.is_some());
                        labels.extend(label);
                    }
                    Err(e) => bad.push(super::BadRecord {
                        index: i,
                        message: e.to_string(),
                    }),
                }
            }
            start = end;
            progress(start, total);
        }
        header.count = crcs.len();
        header.bad = bad.len();
        header.labels = has_labels.unwrap_or(false);
        if header.count == 0 {
            return Err(Error::format(
                data.source.path().unwrap_or(Path::new("builtin")),
                "no image decoded: nothing to pack",
            ));
        }
        let mut tail = Vec::with_capacity(labels.len() * 2 + crcs.len() * 4);
        if header.labels {
            labels
                .iter()
                .for_each(|l| tail.extend_from_slice(&l.to_le_bytes()));
        }
        crcs.iter()
            .for_each(|c| tail.extend_from_slice(&c.to_le_bytes()));
        w.write_all(&tail).map_err(io)?;
        let mut json = json_of(&header);
        json.resize(header_room, b' ');
        let mut head = Vec::with_capacity(pixels_at);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&(json.len() as u64).to_le_bytes());
        head.extend_from_slice(&json);
        head.resize(pixels_at, 0);
        let mut h = Sha256::new();
        h.update(&head);
        h.update(&tail);
        w.write_all(&h.finalize()).map_err(io)?;
        let mut file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&head).map_err(io)?;
        file.sync_all().map_err(io)?;
        let bytes = file.metadata().map_err(io)?.len();
        Ok(PackReport {
            header: header.clone(),
            bad,
            bytes,
            seconds: 0.0,
        })
    })();
    match result {
        Ok(mut report) => {
            std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
            report.seconds = t0.elapsed().as_secs_f64();
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
