//! `dcgan train` when the disk refuses a write: a checkpoint that cannot be written stops
//! training with the file and the reason named, and the previous checkpoint stays whole and
//! resumes to the same result as an uninterrupted run; a sample grid that cannot be written is a
//! warning and training goes on.
//!
//! Two ways to make writes fail. A limit on the size of the files a process may write
//! (`RLIMIT_FSIZE`: writes past it fail with EFBIG) works for any user on any Unix machine. A
//! small tmpfs (ENOSPC) and a read-only bind mount (EROFS), made in a private mount namespace
//! with `unshare`, need root; where the machine does not allow them that test says NOT RUN.

#![cfg(target_os = "linux")]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A tiny model on the built-in shapes: a checkpoint is 116 KB, a grid of 64 samples 18 KB.
fn train_args(out: &Path, iterations: u64) -> Vec<String> {
    [
        "train",
        "--out",
        s(out),
        "--max-iters",
        &iterations.to_string(),
        "--sample-every",
        "2",
        "--checkpoint-every",
        "2",
        "--keep-checkpoints",
        "100",
        "--quiet",
        "--image-size",
        "16",
        "--ngf",
        "8",
        "--ndf",
        "8",
        "--nz",
        "16",
        "--batch-size",
        "16",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

fn dcgan() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dcgan"))
}

/// Runs `dcgan` with the files it writes limited to `bytes` each.
fn run_limited(args: &[String], bytes: u64) -> Output {
    let mut cmd = dcgan();
    cmd.args(args);
    // SAFETY: the closure only calls async-signal-safe functions (signal, setrlimit).
    unsafe {
        cmd.pre_exec(move || {
            // Past the limit the kernel sends SIGXFSZ, which would kill the process; ignored
            // (and an ignored signal stays ignored across exec), the write fails with EFBIG.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn succeeds(args: &[String]) -> String {
    let out = dcgan().args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?}:\n{}", text(&out));
    text(&out)
}

/// Every tensor of a checkpoint (which also checks its checksum), as the bits of its values.
fn tensors(path: &Path) -> Vec<(String, Vec<u32>)> {
    dcgan::train::checkpoint::read_config(path)
        .unwrap_or_else(|e| panic!("{} does not read back whole: {e}", path.display()));
    let (tensors, _) = dcgan::model::weights::read_safetensors(path).unwrap();
    tensors
        .into_iter()
        .map(|(name, t)| (name, t.values.iter().map(|v| v.to_bits()).collect()))
        .collect()
}

/// Each metrics record without its timing.
fn metrics(run: &Path) -> Vec<(u64, u64, dcgan::train::StepStats)> {
    dcgan::train::metrics::read(&run.join("metrics.jsonl"))
        .unwrap()
        .into_iter()
        .map(|r| (r.iteration, r.epoch, r.stats))
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn checkpoint(run: &Path, iteration: u64) -> PathBuf {
    run.join("checkpoints")
        .join(format!("ckpt_{iteration:08}.safetensors"))
}

/// The state of an uninterrupted 8-iteration run, to compare every other path to 8 with.
fn straight(dir: &Path) -> PathBuf {
    let run = dir.join("straight");
    succeeds(&train_args(&run, 8));
    run
}

fn assert_same_run(a: &Path, b: &Path, iteration: u64) {
    assert_eq!(
        tensors(&checkpoint(a, iteration)),
        tensors(&checkpoint(b, iteration)),
        "{} and {} differ at iteration {iteration}",
        a.display(),
        b.display()
    );
    assert_eq!(metrics(a), metrics(b), "metrics differ");
}

/// A checkpoint that cannot be written stops training: the error names the file, the system's
/// reason and the newest checkpoint, which is whole, and no temporary file is left. Resumed
/// with room to write, the run ends as the uninterrupted run does.
#[test]
fn a_checkpoint_that_cannot_be_written_stops_training_and_the_last_one_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = straight(tmp.path());
    let run = tmp.path().join("run");
    succeeds(&train_args(&run, 4));

    // 64 KB a file: grids (18 KB), metrics and the plot fit; a checkpoint (116 KB) does not.
    let mut resume = vec!["train".to_string(), "--resume".into(), s(&run).into()];
    resume.extend(["--max-iters".into(), "8".into()]);
    let out = run_limited(&resume, 64 << 10);
    let err = text(&out);
    assert!(!out.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for expected in [
        "ckpt_00000006.safetensors: could not be written at iteration 6",
        "File too large",
        "training stopped",
        "ckpt_00000004.safetensors, is whole",
        "--resume",
    ] {
        assert!(err.contains(expected), "`{expected}` not in:\n{err}");
    }
    assert_eq!(
        names(&run.join("checkpoints")),
        ["ckpt_00000002.safetensors", "ckpt_00000004.safetensors"],
        "no partial or temporary checkpoint"
    );
    assert!(
        names(&run.join("samples")).contains(&"iter_00000006.png".to_string()),
        "grids fit under the limit"
    );
    assert_eq!(metrics(&run).len(), 6, "the log reached iteration 6");

    succeeds(&resume);
    assert_same_run(&reference, &run, 8);
}

/// A sample grid that cannot be written (here larger than the limit, while checkpoints fit) is
/// a warning each time and training goes to its end, with the same checkpoints as a run that
/// wrote every grid.
#[test]
fn a_sample_grid_that_cannot_be_written_is_a_warning_and_training_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = straight(tmp.path());
    let run = tmp.path().join("run");
    let mut args = train_args(&run, 8);
    // 1,024 samples make a 280 KB grid; the limit is 200 KB.
    args.extend(["--grid-samples".into(), "1024".into()]);
    let out = run_limited(&args, 200 << 10);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    for it in [2, 4, 6, 8] {
        let warning = format!("warning: skipped the sample grid of iteration {it}:");
        assert!(all.contains(&warning), "`{warning}` not in:\n{all}");
    }
    assert!(all.contains("File too large"), "{all}");
    assert!(all.contains("samples:    not written"), "{all}");
    assert!(
        names(&run.join("samples")).is_empty(),
        "no partial grid or temporary file: {:?}",
        names(&run.join("samples"))
    );
    assert_same_run(&reference, &run, 8);
}

/// A shell script run as root in a private mount namespace (the mounts vanish with it), or
/// `None` when this machine does not allow it.
fn in_mount_namespace(script: &str, vars: &[(&str, &Path)]) -> Option<Output> {
    let probe = Command::new("unshare")
        .args(["--mount", "--", "sh", "-c"])
        .arg("d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\"")
        .output();
    match probe {
        Ok(p) if p.status.success() => {}
        other => {
            let why = match other {
                Ok(p) => String::from_utf8_lossy(&p.stderr).trim().to_string(),
                Err(e) => e.to_string(),
            };
            eprintln!(
                "NOT RUN: this machine does not allow a private tmpfs mount (unshare --mount \
                 as root: {why}); the RLIMIT_FSIZE tests cover the same code"
            );
            return None;
        }
    }
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--", "sh", "-c", script]);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    Some(cmd.output().expect("unshare runs"))
}

/// A real full disk (a 320 KB tmpfs: room for about two checkpoints) and a real read-only
/// `samples/` folder (a read-only bind mount).
#[test]
fn a_full_disk_and_a_read_only_samples_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = straight(tmp.path());
    let full_args = train_args(Path::new("$DISK/run"), 8).join(" ");
    let ro_args = train_args(Path::new("$DISK/ro"), 8).join(" ");
    let script = format!(
        r#"set -u
mount -t tmpfs -o size=320k tmpfs "$DISK" || exit 90
"$DCGAN" {full_args} > "$OUT/full.log" 2>&1; echo $? > "$OUT/full.rc"
cp -a "$DISK/run" "$OUT/full"
umount "$DISK" && mount -t tmpfs -o size=8m tmpfs "$DISK" || exit 91
mkdir -p "$DISK/ro/samples" && mount --bind "$DISK/ro/samples" "$DISK/ro/samples" &&
  mount -o remount,bind,ro "$DISK/ro/samples" || exit 92
"$DCGAN" {ro_args} > "$OUT/ro.log" 2>&1; echo $? > "$OUT/ro.rc"
cp -a "$DISK/ro" "$OUT/ro"
"#
    );
    let disk = tmp.path().join("disk");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&disk).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let dcgan_bin = PathBuf::from(env!("CARGO_BIN_EXE_dcgan"));
    let Some(result) = in_mount_namespace(
        &script,
        &[("DISK", &disk), ("OUT", &out), ("DCGAN", &dcgan_bin)],
    ) else {
        return;
    };
    assert!(result.status.success(), "{}", text(&result));
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();

    // Full: training stops at the checkpoint that does not fit; the one before is whole.
    let log = read("full.log");
    assert_ne!(read("full.rc").trim(), "0", "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(log.contains("No space left on device"), "{log}");
    let full = out.join("full");
    let kept = names(&full.join("checkpoints"));
    let newest: u64 = kept.last().expect("one checkpoint fits")[5..13]
        .parse()
        .unwrap();
    assert!(newest < 8, "{kept:?}");
    for expected in [
        "could not be written at iteration".to_string(),
        format!("ckpt_{newest:08}.safetensors, is whole"),
    ] {
        assert!(log.contains(&expected), "`{expected}` not in:\n{log}");
    }
    assert!(
        kept.iter().all(|n| n.starts_with("ckpt_")),
        "no temporary file: {kept:?}"
    );
    // Copied to a disk with room, the run resumes and ends as the uninterrupted one.
    succeeds(&[
        "train".into(),
        "--resume".into(),
        s(&full).into(),
        "--quiet".into(),
    ]);
    assert_same_run(&reference, &full, 8);

    // Read-only samples/: every grid is a warning; the run ends with all its checkpoints.
    let log = read("ro.log");
    assert_eq!(read("ro.rc").trim(), "0", "{log}");
    assert!(log.contains("Read-only file system"), "{log}");
    assert!(
        log.contains("warning: skipped the sample grid of iteration 8"),
        "{log}"
    );
    let ro = out.join("ro");
    assert!(names(&ro.join("samples")).is_empty());
    assert_same_run(&reference, &ro, 8);
}
