//! `metrics.jsonl`: one JSON object per iteration, appended as training goes.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StepStats;
use crate::render::{Series, save_plot};
use crate::{Error, Result};

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Iteration number (1-based: the count after this step).
    pub iteration: u64,
    /// Epoch this iteration's batch came from (0-based).
    pub epoch: u64,
    /// The step's measurements.
    #[serde(flatten)]
    pub stats: StepStats,
    /// Seconds this iteration took, data wait included (an evaluation's time excluded).
    pub seconds: f64,
    /// The evaluation made after this iteration (`--eval-every`), if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval: Option<EvalStats>,
}

/// What an evaluation during training measured (in the feature network named in the run's
/// `config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalStats {
    /// FID of the evaluation samples against the real images.
    pub fid: f64,
    /// KID mean.
    pub kid: f64,
    /// KID standard deviation over subsets.
    pub kid_std: f64,
    /// Seconds the evaluation took.
    pub seconds: f64,
}

/// Reads the records of `path` (missing file: none), in file order.
pub fn read(path: &Path) -> Result<Vec<Record>> {
    read_records(path, false)
}

/// [`read`] of a log that a training may be appending to: a last line not yet whole is passed
/// over (the next read gets it).
pub fn read_live(path: &Path) -> Result<Vec<Record>> {
    read_records(path, true)
}

/// [`read`], passing over a last line cut short (a process killed while appending it).
fn read_records(path: &Path, torn_tail_ok: bool) -> Result<Vec<Record>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let lines: Vec<String> = std::io::BufReader::new(file)
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(record) => out.push(record),
            Err(_) if torn_tail_ok && i + 1 == lines.len() => break,
            Err(e) => return Err(Error::format(path, format!("line {}: {e}", i + 1))),
        }
    }
    Ok(out)
}

/// Appends records to `metrics.jsonl` and keeps the loss plot current.
pub struct MetricsLog {
    path: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    history: Vec<Record>,
}

impl MetricsLog {
    /// Opens the log for a run resuming after `iteration`: records beyond it (written after the
    /// checkpoint, before an interruption) are dropped so the log matches the restored state.
    pub fn open(path: &Path, iteration: u64) -> Result<Self> {
        let history: Vec<Record> = read_records(path, true)?
            .into_iter()
            .filter(|r| r.iteration <= iteration)
            .collect();
        let mut text = String::new();
        for r in &history {
            text.push_str(&serde_json::to_string(r).expect("record serialises"));
            text.push('\n');
        }
        crate::run::write_atomic(path, text.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: std::io::BufWriter::new(file),
            history,
        })
    }

    /// Appends one record.
    pub fn push(&mut self, record: Record) -> Result<()> {
        let line = serde_json::to_string(&record).expect("record serialises");
        writeln!(self.file, "{line}").map_err(|e| Error::io(&self.path, e))?;
        self.history.push(record);
        Ok(())
    }

    /// Flushes to disk.
    pub fn flush(&mut self) -> Result<()> {
        self.file.flush().map_err(|e| Error::io(&self.path, e))
    }

    /// Flushes and syncs to the device: called before each checkpoint, so no checkpoint is ever
    /// newer than the log (a record lost after its checkpoint is never written again).
    pub fn persist(&mut self) -> Result<()> {
        self.flush()?;
        self.file
            .get_ref()
            .sync_data()
            .map_err(|e| Error::io(&self.path, e))
    }

    /// All records so far.
    pub fn history(&self) -> &[Record] {
        &self.history
    }

    /// Draws FID against iteration into `path` (nothing when no evaluation ran yet).
    pub fn plot_eval(&self, path: &Path, network: &str) -> Result<()> {
        let points: Vec<(f64, f64)> = self
            .history
            .iter()
            .filter_map(|r| Some((r.iteration as f64, r.eval?.fid)))
            .collect();
        if points.is_empty() {
            return Ok(());
        }
        save_plot(
            path,
            &format!("FID in {network} features"),
            "iteration",
            &[Series {
                label: "FID".to_string(),
                color: [44, 160, 44],
                points,
            }],
        )
    }

    /// Draws Loss_D and Loss_G against iteration into `path`.
    pub fn plot(&self, path: &Path) -> Result<()> {
        let series = |label: &str, color: [u8; 3], f: fn(&Record) -> f32| Series {
            label: label.to_string(),
            color,
            points: self
                .history
                .iter()
                .map(|r| (r.iteration as f64, f(r) as f64))
                .collect(),
        };
        save_plot(
            path,
            "DCGAN losses",
            "iteration",
            &[
                series("Loss_D", [214, 39, 40], |r| r.stats.loss_d),
                series("Loss_G", [31, 119, 180], |r| r.stats.loss_g),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_cut_short_by_a_kill_is_dropped_on_resume_and_refused_elsewhere() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("metrics.jsonl");
        let whole = |i: u64| {
            format!(
                "{{\"iteration\":{i},\"epoch\":0,\"loss_d\":1.0,\"loss_g\":2.0,\"d_x\":0.5,\
                 \"d_g_z1\":0.4,\"d_g_z2\":0.3,\"seconds\":0.1}}\n"
            )
        };
        let text = format!("{}{}{}", whole(1), whole(2), "{\"iteration\":3,\"epo");
        std::fs::write(&path, &text).unwrap();
        // Only the resuming log may pass over the torn tail; a reader of the run says it is bad.
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        let log = MetricsLog::open(&path, 5).unwrap();
        let kept: Vec<u64> = log.history().iter().map(|r| r.iteration).collect();
        assert_eq!(kept, [1, 2]);
        drop(log);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
        // A bad line that is not the last is damage, not a kill: refused even on resume.
        std::fs::write(&path, format!("{}{{oops\n{}", whole(1), whole(2))).unwrap();
        assert!(MetricsLog::open(&path, 5).is_err());
    }
}
