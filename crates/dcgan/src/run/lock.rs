//! One writer per run folder: `train.lock`, held by the training process for as long as it
//! trains.
//!
//! The hold is an advisory lock of the operating system (`flock` on Unix), not the file's
//! existence: when the process ends in any way, SIGKILL and power loss included, the lock goes
//! with it, so a crashed run never leaves a stale lock to delete by hand. The file itself only
//! carries the holder's process id for the message a second training gets; it is removed when
//! the training ends normally.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::RunDir;
use crate::{Error, Result};

/// An exclusive hold on a run folder for training, released when dropped.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunDir {
    /// `train.lock`: held while a training writes the folder.
    pub fn lock_file(&self) -> PathBuf {
        self.root().join("train.lock")
    }

    /// Takes the folder for training (the folder must exist), or fails with
    /// [`Error::RunInUse`] naming the process that has it.
    pub fn lock(&self) -> Result<RunLock> {
        let path = self.lock_file();
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let pid = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|text| text.trim().parse().ok());
                    return Err(Error::RunInUse {
                        path: self.root().to_path_buf(),
                        pid,
                    });
                }
                Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            // The last holder removes the file as it lets go: if that happened between our open
            // and our lock, we hold a file no one else can see. Start again on the one at `path`.
            if !is_at(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(|e| Error::io(&path, e))?;
            writeln!(file, "{}", std::process::id()).map_err(|e| Error::io(&path, e))?;
            return Ok(RunLock { file, path });
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Removed while still held, so no one else ever locks the file being removed; closing
        // `file` (after this) lets go of the lock.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Whether `file` is the file now at `path`.
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_hold_is_refused_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::new(tmp.path());
        let first = run.lock().unwrap();
        let text = std::fs::read_to_string(run.lock_file()).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        match run.lock() {
            Err(Error::RunInUse { path, pid }) => {
                assert_eq!(path, tmp.path());
                assert_eq!(pid, Some(std::process::id()));
            }
            other => panic!("{other:?}"),
        }
        drop(first);
        assert!(!run.lock_file().exists(), "removed when let go");
        let again = run.lock().unwrap();
        drop(again);
    }

    #[test]
    fn a_lock_file_left_by_a_dead_process_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::new(tmp.path());
        // What SIGKILL leaves: the file with the dead holder's id, and no lock on it.
        std::fs::write(run.lock_file(), "4000000\n").unwrap();
        let lock = run.lock().unwrap();
        let text = std::fs::read_to_string(run.lock_file()).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        drop(lock);
    }
}
