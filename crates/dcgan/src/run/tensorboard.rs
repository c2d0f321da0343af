//! TensorBoard event files: the run's scalars and sample grids, readable by a stock
//! `tensorboard --logdir runs/`.
//!
//! An event file is a TFRecord stream of `Event` protocol buffers: each record is its length
//! (u64, little-endian), the masked CRC-32C of those 8 bytes, the bytes, and their masked CRC-32C.
//! The messages below are the few fields of TensorFlow's `event.proto` and `summary.proto` that a
//! training run needs, with TensorFlow's field numbers; `prost` encodes them.
//!
//! A resumed run writes a new file whose first event after the version is a `SessionLog` START at
//! the first iteration it trains: TensorBoard then discards the events of earlier files from that
//! step on (those written after the checkpoint the run resumed from), as it does for TensorFlow's
//! own restarted jobs, so the curves show one history, the one the checkpoints hold.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// `tensorflow.Event` (the fields written here).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    /// Training iteration.
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// What the event holds.
    #[prost(oneof = "What", tags = "3, 5, 7")]
    pub what: Option<What>,
}

/// `Event.what`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum What {
    /// The first event of every file: `brain.Event:2`.
    #[prost(string, tag = "3")]
    FileVersion(String),
    /// Scalars and images.
    #[prost(message, tag = "5")]
    Summary(Summary),
    /// A session's start (or stop).
    #[prost(message, tag = "7")]
    SessionLog(SessionLog),
}

/// `tensorflow.Summary`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// The values.
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<Value>,
}

/// `tensorflow.Summary.Value`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Value {
    /// The curve or image it belongs to.
    #[prost(string, tag = "1")]
    pub tag: String,
    /// The datum.
    #[prost(oneof = "Datum", tags = "2, 4")]
    pub datum: Option<Datum>,
}

/// `Summary.Value.value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Datum {
    /// A point of a scalar curve.
    #[prost(float, tag = "2")]
    SimpleValue(f32),
    /// An encoded image.
    #[prost(message, tag = "4")]
    Image(Image),
}

/// `tensorflow.Summary.Image`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Image {
    /// Height in pixels.
    #[prost(int32, tag = "1")]
    pub height: i32,
    /// Width in pixels.
    #[prost(int32, tag = "2")]
    pub width: i32,
    /// 1 grey, 3 RGB, 4 RGBA.
    #[prost(int32, tag = "3")]
    pub colorspace: i32,
    /// The PNG.
    #[prost(bytes = "vec", tag = "4")]
    pub encoded_image_string: Vec<u8>,
}

/// `tensorflow.SessionLog`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionLog {
    /// 1: START, 2: STOP, 3: CHECKPOINT.
    #[prost(int32, tag = "1")]
    pub status: i32,
}

/// `SessionLog.START`.
pub const SESSION_START: i32 = 1;

/// TensorFlow's masked CRC-32C of a record's length and data.
pub fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Appends one TFRecord holding `data` to `out`.
pub fn frame(out: &mut Vec<u8>, data: &[u8]) {
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
}

/// The bytes of one event as a record.
pub fn encode(event: &Event) -> Vec<u8> {
    let mut out = Vec::new();
    frame(&mut out, &prost::Message::encode_to_vec(event));
    out
}

/// Reads the events of one file (for tests and `dcgan serve`): every record's CRCs are checked; a
/// record cut short at the end (a process killed while writing it) ends the list.
pub fn read_events(path: &Path) -> Result<Vec<Event>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut events = Vec::new();
    let mut at = 0usize;
    while bytes.len() - at >= 12 {
        let len_bytes = &bytes[at..at + 8];
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let len_crc = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes"));
        if masked_crc(len_bytes) != len_crc {
            return Err(Error::format(
                path,
                format!("record at byte {at}: its length fails its checksum"),
            ));
        }
        let start = at + 12;
        let Some(end) = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e.checked_add(4).is_some_and(|e| e <= bytes.len()))
        else {
            break; // cut short
        };
        let data = &bytes[start..end];
        let crc = u32::from_le_bytes(bytes[end..end + 4].try_into().expect("4 bytes"));
        if masked_crc(data) != crc {
            return Err(Error::format(
                path,
                format!("record at byte {at}: its data fails its checksum"),
            ));
        }
        let event = <Event as prost::Message>::decode(data)
            .map_err(|e| Error::format(path, format!("record at byte {at}: {e}")))?;
        events.push(event);
        at = end + 4;
    }
    Ok(events)
}

/// The event files of a run folder, oldest first (by name: the names start with the time).
pub fn event_files(run: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(run)
        .map_err(|e| Error::io(run, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("events.out.tfevents."))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Appends events to this session's event file in a run folder. Events are buffered and written
/// by [`flush`](Self::flush), which training calls with its metrics log.
pub struct EventWriter {
    path: PathBuf,
    file: std::fs::File,
    pending: Vec<u8>,
}

impl EventWriter {
    /// Creates a new event file in `dir` for a session whose first trained iteration is
    /// `first_step` (1 for a new run), named as TensorFlow names them:
    /// `events.out.tfevents.SECONDS.HOST.PID.0`, with a counter appended if that name is taken.
    ///
    /// TensorBoard reads a folder's files in the order of their names, so the seconds in the name
    /// are made later than any file already there (a resume in the same second as the last
    /// session's start would otherwise sort by process id).
    pub fn create(dir: &Path, first_step: u64) -> Result<Self> {
        let wall = now();
        let latest = event_files(dir)?
            .iter()
            .filter_map(|p| {
                let name = p.file_name()?.to_str()?;
                name.strip_prefix("events.out.tfevents.")?
                    .split('.')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .max();
        let seconds = match latest {
            Some(l) if l >= wall as u64 => l + 1,
            _ => wall as u64,
        };
        let host = hostname();
        let pid = std::process::id();
        let mut n = 0u32;
        let (path, file) = loop {
            let path = dir.join(format!(
                "events.out.tfevents.{seconds:010}.{host}.{pid}.{n}"
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => break (path, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(Error::io(&path, e)),
            }
        };
        let mut writer = Self {
            path,
            file,
            pending: Vec::new(),
        };
        writer.push(Event {
            wall_time: wall,
            step: 0,
            what: Some(What::FileVersion("brain.Event:2".into())),
        });
        writer.push(Event {
            wall_time: wall,
            step: first_step as i64,
            what: Some(What::SessionLog(SessionLog {
                status: SESSION_START,
            })),
        });
        writer.flush()?;
        Ok(writer)
    }

    /// This session's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn push(&mut self, event: Event) {
        frame(&mut self.pending, &prost::Message::encode_to_vec(&event));
    }

    /// Points of scalar curves at `step`, as one event.
    pub fn scalars(&mut self, step: u64, values: &[(&str, f64)]) {
        let value = values
            .iter()
            .map(|&(tag, v)| Value {
                tag: tag.to_string(),
                datum: Some(Datum::SimpleValue(v as f32)),
            })
            .collect();
        self.push(Event {
            wall_time: now(),
            step: step as i64,
            what: Some(What::Summary(Summary { value })),
        });
    }

    /// An image (a PNG of `width` x `height` with `channels` channels) at `step`.
    pub fn image(&mut self, step: u64, tag: &str, png: &[u8], size: (u32, u32), channels: u8) {
        self.push(Event {
            wall_time: now(),
            step: step as i64,
            what: Some(What::Summary(Summary {
                value: vec![Value {
                    tag: tag.to_string(),
                    datum: Some(Datum::Image(Image {
                        height: size.1 as i32,
                        width: size.0 as i32,
                        colorspace: i32::from(channels),
                        encoded_image_string: png.to_vec(),
                    })),
                }],
            })),
        });
    }

    /// Writes what is buffered.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&self.pending)
            .map_err(|e| Error::io(&self.path, e))?;
        self.pending.clear();
        Ok(())
    }
}

fn hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_crcs_match_tensorflow() {
        // TensorFlow's crc32c_test: Mask(Value("foo")) and the CRC-32C check value of "123456789".
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        let crc = crc32c::crc32c(b"foo");
        assert_eq!(
            masked_crc(b"foo"),
            crc.rotate_right(15).wrapping_add(0xa282_ead8)
        );
        assert_ne!(masked_crc(b"foo"), crc);
    }

    #[test]
    fn a_session_reads_back_and_a_torn_record_ends_the_list() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = EventWriter::create(tmp.path(), 1).unwrap();
        w.scalars(1, &[("loss/D", 1.25), ("loss/G", 0.5)]);
        w.image(1, "samples", b"\x89PNG", (2, 3), 3);
        w.flush().unwrap();
        let path = w.path().to_path_buf();
        let events = read_events(&path).unwrap();
        assert_eq!(events.len(), 4);
        assert_eq!(
            events[0].what,
            Some(What::FileVersion("brain.Event:2".into()))
        );
        assert_eq!(
            events[1].what,
            Some(What::SessionLog(SessionLog { status: 1 }))
        );
        let Some(What::Summary(s)) = &events[2].what else {
            panic!("{:?}", events[2])
        };
        assert_eq!(s.value[0].tag, "loss/D");
        assert_eq!(s.value[0].datum, Some(Datum::SimpleValue(1.25)));
        // A kill in the middle of a record: the records before it still read.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        assert_eq!(read_events(&path).unwrap().len(), 3);
        // A flipped byte inside a record is damage.
        let mut bad = bytes.clone();
        bad[bytes.len() - 8] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        let err = read_events(&path).unwrap_err().to_string();
        assert!(err.contains("checksum"), "{err}");
        assert_eq!(event_files(tmp.path()).unwrap(), vec![path]);
    }
}
