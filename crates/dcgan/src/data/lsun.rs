//! LSUN as released: one LMDB environment per category and split (`bedroom_train_lmdb/` with
//! `data.mdb`), keys 40-character hex strings, values encoded images (WebP in the released
//! files, JPEG in older copies; the format is read from the magic bytes).
//!
//! The environment is read in place and read-only, without LMDB's lock file (as torchvision's
//! reader opens it: a released dataset is not written while it trains). Its keys are listed
//! once and kept in a cache file (`$DCGAN_CACHE/lsun-keys/`), packed: 3 million 40-hex keys are
//! 60 MB of bytes in one buffer, not 3 million strings, and a later command reads them in a
//! second instead of walking the whole B-tree again. The cache is checked against the
//! environment (its size, modification time, last transaction and entry count) and listed
//! afresh when either changed.
//!
//! LMDB trusts the pages of its file, and a damaged one would crash it rather than fail, so
//! before the keys are listed the B-tree is walked by our own bounds-checked reader
//! ([`pages`]): a damaged environment is refused naming the page. A key cache is written only
//! after that check, so an environment read through its cache passed it in the state the cache
//! was stamped with.

mod pages;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use heed::types::{Bytes, DecodeIgnore};
use heed::{Database, Env, EnvFlags, EnvOpenOptions, WithoutTls};
use sha2::{Digest, Sha256};

use super::decode;
use super::source::existing_dir;
use super::transform::fit_image;
use crate::{Error, Result};

/// An LMDB environment of encoded images.
pub(crate) struct Lsun {
    dir: PathBuf,
    env: Arc<Opened>,
    keys: Keys,
}

/// An open environment and its database, shared by every [`Lsun`] of one folder in the
/// process: LMDB (and heed) allow one open of an environment per process.
struct Opened {
    env: Env<WithoutTls>,
    db: Database<Bytes, Bytes>,
}

/// The environments open now, by canonical folder.
static OPEN: Mutex<BTreeMap<PathBuf, Weak<Opened>>> = Mutex::new(BTreeMap::new());

impl std::fmt::Debug for Lsun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lsun")
            .field("dir", &self.dir)
            .field("records", &self.keys.len())
            .finish()
    }
}

/// What identifies one state of an environment, for the key cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified_ns: u128,
    last_txn: u64,
    entries: u64,
}

impl Lsun {
    /// Opens the environment in `dir`, listing its keys or reading them from `cache_dir`.
    pub(crate) fn open(dir: &Path, cache_dir: Option<&Path>) -> Result<Self> {
        existing_dir(dir)?;
        let data = dir.join("data.mdb");
        let meta = std::fs::metadata(&data).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::format(
                    dir,
                    "holds no data.mdb: not an LMDB environment (LSUN's are folders such as \
                     bedroom_train_lmdb/ holding data.mdb)",
                )
            } else {
                Error::io(&data, e)
            }
        })?;
        // LMDB itself reports a file that is not its own; a file too short to hold its two
        // meta pages is refused here, with the size in the message.
        if meta.len() < 2 * 4096 {
            return Err(Error::format(
                &data,
                format!(
                    "{} bytes is too short for an LMDB environment (two 4096-byte meta pages at \
                     least): truncated or not LMDB",
                    meta.len()
                ),
            ));
        }
        // LMDB trusts its meta pages (a damaged page size or last page number crashes it), and
        // a truncated copy keeps them but loses pages they point to, which LMDB would fault on
        // (SIGBUS) instead of failing: they are checked before LMDB opens the file. This also
        // checks read access with a plain open, which LMDB words less clearly.
        pages::check_meta(&data, meta.len())?;
        let key = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
        let opened = {
            let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
            match open.get(&key).and_then(Weak::upgrade) {
                Some(o) => o,
                None => {
                    let o = Arc::new(open_env(dir, &data, meta.len())?);
                    open.retain(|_, w| w.strong_count() > 0);
                    open.insert(key, Arc::downgrade(&o));
                    o
                }
            }
        };
        let (env, db) = (&opened.env, &opened.db);
        let info = env.info();
        let stat = env.stat();
        let stamp = Stamp {
            len: meta.len(),
            modified_ns: modified_ns(&meta),
            last_txn: info.last_txn_id as u64,
            entries: stat.entries as u64,
        };
        let cache = cache_dir.map(|c| cache_path(c, dir));
        let keys = match cache.as_deref().and_then(|p| Keys::read_cache(p, stamp)) {
            Some(keys) => keys,
            None => {
                let tree = pages::check(&data, meta.len())?;
                // What LMDB reads must be the meta page the walk checked.
                let lmdb = pages::Tree {
                    page_size: stat.page_size as u64,
                    last_page: info.last_page_number as u64,
                    txn: info.last_txn_id as u64,
                    entries: stat.entries as u64,
                    depth: stat.depth as u16,
                };
                if tree != lmdb {
                    return Err(Error::format(
                        &data,
                        format!(
                            "LMDB reads another meta page than the one checked ({lmdb:?}, checked \
                             {tree:?})"
                        ),
                    ));
                }
                let keys = Keys::list(env, db, &data)?;
                if let Some(path) = &cache {
                    // A cache that cannot be written only costs the next command a listing.
                    let _ = keys.write_cache(path, stamp);
                }
                keys
            }
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            env: opened,
            keys,
        })
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The key of record `i`, as text (hex keys as LSUN writes them).
    pub(crate) fn key(&self, i: usize) -> String {
        String::from_utf8_lossy(&self.keys.get(i)).into_owned()
    }

    /// Decodes record `i` and fits it to the model; an error names the record.
    pub(crate) fn decode(&self, i: usize, size: usize, channels: usize) -> Result<Vec<u8>> {
        let img = self.image(i)?;
        Ok(fit_image(&img, size, channels))
    }

    /// Record `i` decoded at its own size.
    pub(crate) fn image(&self, i: usize) -> Result<image::DynamicImage> {
        let data = self.dir.join("data.mdb");
        let key = self.keys.get(i);
        let rtxn = self
            .env
            .env
            .read_txn()
            .map_err(|e| lmdb_error(&data, "cannot read", e))?;
        let value = self
            .env
            .db
            .get(&rtxn, &key)
            .map_err(|e| lmdb_error(&data, "cannot read", e))?
            .ok_or_else(|| {
                Error::format(
                    &data,
                    format!(
                        "record {} is gone (the environment changed after its keys were listed)",
                        self.key(i)
                    ),
                )
            })?;
        decode_record(value).map_err(|m| {
            Error::format(
                &data,
                format!("record {} (number {i}) does not decode: {m}", self.key(i)),
            )
        })
    }
}

/// Opens the environment in `dir` (its `data.mdb` of `len` bytes, whose meta pages passed
/// [`pages::check_meta`]) read-only, and opens its unnamed database.
fn open_env(dir: &Path, data: &Path, len: u64) -> Result<Opened> {
    let mut options = EnvOpenOptions::new().read_txn_without_tls();
    // The map must cover the file, in whole pages.
    options
        .map_size((len as usize).div_ceil(4096) * 4096)
        .max_readers(4096);
    // SAFETY: read-only, unlocked use of an environment nobody writes while we train is the
    // use LSUN's files are for; the map is never written.
    let env = unsafe {
        options.flags(EnvFlags::READ_ONLY | EnvFlags::NO_LOCK | EnvFlags::NO_READ_AHEAD);
        options.open(dir)
    }
    .map_err(|e| lmdb_error(data, "cannot open it as an LMDB environment", e))?;
    let rtxn = env
        .read_txn()
        .map_err(|e| lmdb_error(data, "cannot read", e))?;
    let db: Database<Bytes, Bytes> = env
        .open_database(&rtxn, None)
        .map_err(|e| lmdb_error(data, "cannot open its database", e))?
        .ok_or_else(|| Error::format(data, "has no unnamed database"))?;
    drop(rtxn);
    Ok(Opened { env, db })
}

/// An encoded image's bytes decoded, the format read from its magic bytes.
pub fn decode_record(bytes: &[u8]) -> std::result::Result<image::DynamicImage, String> {
    let format = image::guess_format(bytes).map_err(|_| {
        let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!(
            "not an image format this reader knows (first bytes {}; LSUN records are WebP or \
             JPEG)",
            head.join(" ")
        )
    })?;
    let reader = || image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    if format == image::ImageFormat::WebP {
        // libwebp allocates what the header claims: the claim is held to the size limit first.
        let (w, h) = reader()
            .into_dimensions()
            .map_err(|e| format!("{format:?}: {e}"))?;
        let decoded = 4 * w as u64 * h as u64;
        if decoded > decode::MAX_DECODED_BYTES {
            return Err(format!("{format:?}: {}", decode::too_large(w, h, decoded)));
        }
        if let Some(img) = decode_webp(bytes) {
            return Ok(img);
        }
    }
    decode::decode(reader(), bytes.len() as u64).map_err(|e| format!("{format:?}: {e}"))
}

/// A still WebP image through libwebp (`None`: not one libwebp decodes, e.g. animated; the
/// image crate's decoder then says why).
fn decode_webp(bytes: &[u8]) -> Option<image::DynamicImage> {
    let decoded = webp::Decoder::new(bytes).decode()?;
    let (w, h) = (decoded.width(), decoded.height());
    if decoded.is_alpha() {
        image::RgbaImage::from_raw(w, h, decoded.to_vec()).map(image::DynamicImage::ImageRgba8)
    } else {
        image::RgbImage::from_raw(w, h, decoded.to_vec()).map(image::DynamicImage::ImageRgb8)
    }
}

fn lmdb_error(path: &Path, what: &str, e: heed::Error) -> Error {
    match e {
        heed::Error::Io(io) => Error::io(path, io),
        other => Error::format(path, format!("{what}: {other}")),
    }
}

fn modified_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// The cache file of the environment in `dir`: named by a digest of its absolute path.
fn cache_path(cache_dir: &Path, dir: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let digest = Sha256::digest(abs.to_string_lossy().as_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    cache_dir.join("lsun-keys").join(format!("{name}.keys"))
}

/// Every key of an environment, in its (sorted) order, packed in one buffer.
#[derive(Debug, PartialEq, Eq)]
struct Keys {
    /// The keys back to back; hex keys as their bytes (half the size).
    bytes: Vec<u8>,
    /// Bytes per key when all keys have one length; 0 when they vary (then `ends` is used).
    width: usize,
    /// End of each key in `bytes`, when the lengths vary.
    ends: Vec<u64>,
    /// Whether the keys are lowercase hex of even length, stored decoded.
    hex: bool,
}

/// Version 2: written only for environments whose pages passed [`pages::check`] (version 1
/// caches, written before that check existed, are listed and checked afresh).
const MAGIC: &[u8; 16] = b"dcgan-lsun-keys2";

impl Keys {
    /// Walks the database's keys (values are not read).
    fn list(env: &Env<WithoutTls>, db: &Database<Bytes, Bytes>, data: &Path) -> Result<Self> {
        let rtxn = env
            .read_txn()
            .map_err(|e| lmdb_error(data, "cannot read", e))?;
        let db = db.remap_data_type::<DecodeIgnore>();
        let iter = db
            .iter(&rtxn)
            .map_err(|e| lmdb_error(data, "cannot list its keys", e))?;
        let mut raw = Vec::new();
        let mut ends = Vec::new();
        for item in iter {
            let (key, ()) = item.map_err(|e| lmdb_error(data, "cannot list its keys", e))?;
            raw.extend_from_slice(key);
            ends.push(raw.len() as u64);
        }
        Ok(Self::pack(raw, ends))
    }

    fn pack(raw: Vec<u8>, ends: Vec<u64>) -> Self {
        let n = ends.len();
        let width = match ends.first() {
            Some(&w)
                if ends
                    .iter()
                    .enumerate()
                    .all(|(i, &e)| e == (i as u64 + 1) * w) =>
            {
                w as usize
            }
            _ => 0,
        };
        let hex = width > 0
            && width.is_multiple_of(2)
            && raw.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if hex {
            let bytes = raw
                .chunks_exact(2)
                .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
                .collect();
            return Self {
                bytes,
                width: width / 2,
                ends: Vec::new(),
                hex,
            };
        }
        Self {
            bytes: raw,
            width,
            ends: if width > 0 || n == 0 {
                Vec::new()
            } else {
                ends
            },
            hex: false,
        }
    }

    fn len(&self) -> usize {
        self.bytes
            .len()
            .checked_div(self.width)
            .unwrap_or(self.ends.len())
    }

    /// Key `i` as stored in the environment.
    fn get(&self, i: usize) -> Vec<u8> {
        let raw = if self.width > 0 {
            &self.bytes[i * self.width..(i + 1) * self.width]
        } else {
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            &self.bytes[start..self.ends[i] as usize]
        };
        if self.hex {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            raw.iter()
                .flat_map(|b| [HEX[(b >> 4) as usize], HEX[(b & 15) as usize]])
                .collect()
        } else {
            raw.to_vec()
        }
    }

    /// The cache file's bytes: magic, the environment's stamp, the layout, the keys, and a
    /// SHA-256 of all that.
    fn encode(&self, stamp: Stamp) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes.len() + self.ends.len() * 8 + 128);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&stamp.len.to_le_bytes());
        out.extend_from_slice(&stamp.modified_ns.to_le_bytes());
        out.extend_from_slice(&stamp.last_txn.to_le_bytes());
        out.extend_from_slice(&stamp.entries.to_le_bytes());
        out.push(self.hex as u8);
        out.extend_from_slice(&(self.width as u64).to_le_bytes());
        out.extend_from_slice(&(self.ends.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.bytes.len() as u64).to_le_bytes());
        self.ends
            .iter()
            .for_each(|e| out.extend_from_slice(&e.to_le_bytes()));
        out.extend_from_slice(&self.bytes);
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    fn decode(file: &[u8], stamp: Stamp) -> Option<Self> {
        let (body, digest) = file.split_at_checked(file.len().checked_sub(32)?)?;
        if Sha256::digest(body).as_slice() != digest {
            return None;
        }
        let mut r = body.strip_prefix(MAGIC)?;
        let mut u64_ = || take_u64(&mut r);
        let (len, lo, hi, last_txn, entries) = (u64_()?, u64_()?, u64_()?, u64_()?, u64_()?);
        let modified_ns = (lo as u128) | ((hi as u128) << 64);
        if (Stamp {
            len,
            modified_ns,
            last_txn,
            entries,
        }) != stamp
        {
            return None;
        }
        let (&hex, rest) = r.split_first()?;
        r = rest;
        let mut u64_ = || take_u64(&mut r).map(|v| v as usize);
        let (width, n_ends, n_bytes) = (u64_()?, u64_()?, u64_()?);
        let ends_len = n_ends.checked_mul(8)?;
        if r.len() != ends_len.checked_add(n_bytes)? {
            return None;
        }
        let ends: Vec<u64> = r[..ends_len]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let keys = Self {
            bytes: r[ends_len..].to_vec(),
            width,
            ends,
            hex: hex == 1,
        };
        (keys.len() as u64 == entries).then_some(keys)
    }

    fn read_cache(path: &Path, stamp: Stamp) -> Option<Self> {
        Self::decode(&std::fs::read(path).ok()?, stamp)
    }

    fn write_cache(&self, path: &Path, stamp: Stamp) -> Result<()> {
        crate::run::write_whole(path, &self.encode(stamp))
    }
}

/// The next little-endian `u64` of `r`, advancing it.
fn take_u64(r: &mut &[u8]) -> Option<u64> {
    let (v, rest) = r.split_first_chunk::<8>()?;
    *r = rest;
    Some(u64::from_le_bytes(*v))
}

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> Stamp {
        Stamp {
            len: 8192,
            modified_ns: 1 << 70,
            last_txn: 3,
            entries: 2,
        }
    }

    #[test]
    fn hex_keys_are_stored_as_bytes_and_read_back() {
        let raw = b"00ff10ab99cd".to_vec();
        let keys = Keys::pack(raw, vec![6, 12]);
        assert!(keys.hex);
        assert_eq!(keys.bytes, vec![0x00, 0xff, 0x10, 0xab, 0x99, 0xcd]);
        assert_eq!(keys.get(0), b"00ff10");
        assert_eq!(keys.get(1), b"ab99cd");
        let file = keys.encode(stamp());
        assert_eq!(Keys::decode(&file, stamp()), Some(keys));
    }

    #[test]
    fn other_keys_are_kept_as_they_are() {
        let keys = Keys::pack(b"abcXYZhello".to_vec(), vec![3, 6, 11]);
        assert!(!keys.hex);
        assert_eq!(keys.len(), 3);
        assert_eq!(keys.get(1), b"XYZ");
        assert_eq!(keys.get(2), b"hello");
        let upper = Keys::pack(b"ABCD".to_vec(), vec![2, 4]);
        assert!(!upper.hex, "uppercase hex would not round-trip");
        assert_eq!(upper.get(1), b"CD");
        let mut s = stamp();
        s.entries = 3;
        assert_eq!(Keys::decode(&keys.encode(s), s), Some(keys));
    }

    #[test]
    fn a_cache_of_another_state_or_damaged_is_not_used() {
        let keys = Keys::pack(b"00ff10ab99cd".to_vec(), vec![6, 12]);
        let file = keys.encode(stamp());
        let mut changed = stamp();
        changed.last_txn += 1;
        assert_eq!(Keys::decode(&file, changed), None);
        let mut flipped = file.clone();
        flipped[70] ^= 1;
        assert_eq!(Keys::decode(&flipped, stamp()), None);
        assert_eq!(Keys::decode(&file[..file.len() - 1], stamp()), None);
        assert_eq!(Keys::decode(&[], stamp()), None);
    }

    #[test]
    fn records_that_are_not_images_say_what_they_start_with() {
        let err = decode_record(b"\x01\x02\x03\x04garbage").unwrap_err();
        assert!(err.contains("01 02 03 04"), "{err}");
        let err = decode_record(b"\xff\xd8\xff\xe0 truncated jpeg").unwrap_err();
        assert!(err.contains("Jpeg"), "{err}");
    }
}
