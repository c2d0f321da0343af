//! Kill -9 soak: `dcgan train` on real MNIST, killed with SIGKILL at random moments (during
//! steps, checkpoint writes, sample writes, data loading) and resumed each time, ends with the
//! same weights, optimiser state and metrics, bit for bit, as the same run uninterrupted.
//!
//! The suite runs a short soak (`DCGAN_SOAK_KILLS`, default 8 kills, of a
//! `DCGAN_SOAK_ITERS`-iteration run, default 60); the long mode is the same test with larger
//! values, for example
//! `DCGAN_SOAK_KILLS=1000 DCGAN_SOAK_ITERS=20000 cargo test --release -p dcgan-cli --test soak -- --nocapture`.
//! `DCGAN_SOAK_SEED` replays one sequence of kill times (each run prints its seed).

#![cfg(unix)]

#[path = "../../dcgan/tests/common/data.rs"]
mod data;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// splitmix64: kill times from a printed seed, without a dependency.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn train(args: &[String]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dcgan"));
    c.arg("train")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Every tensor of a checkpoint, by name, as the bits of its values.
fn tensors(path: &Path) -> Vec<(String, Vec<u32>)> {
    let (tensors, _) = dcgan::model::weights::read_safetensors(path).unwrap();
    tensors
        .into_iter()
        .map(|(name, t)| (name, t.values.iter().map(|v| v.to_bits()).collect()))
        .collect()
}

/// Each metrics record without its timing (`seconds` differs from run to run).
fn metrics(path: &Path) -> Vec<(u64, u64, dcgan::train::StepStats)> {
    dcgan::train::metrics::read(path)
        .unwrap()
        .into_iter()
        .map(|r| (r.iteration, r.epoch, r.stats))
        .collect()
}

#[test]
fn kill_nine_at_random_moments_then_resume_equals_an_uninterrupted_run() {
    let test = "kill_nine_at_random_moments_then_resume_equals_an_uninterrupted_run";
    let Some(mnist) = data::real_data(test, "mnist") else {
        return;
    };
    let kills = env_or("DCGAN_SOAK_KILLS", 8);
    let iters = env_or("DCGAN_SOAK_ITERS", 60);
    let seed = env_or(
        "DCGAN_SOAK_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    eprintln!("soak: {kills} kills of a {iters}-iteration run, DCGAN_SOAK_SEED={seed}");
    let tmp = tempfile::tempdir().unwrap();
    let common: Vec<String> = [
        "--data",
        &format!("mnist:{}", mnist.display()),
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
        "--checkpoint-every",
        "3",
        "--keep-checkpoints",
        "2",
        "--sample-every",
        "2",
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let straight = tmp.path().join("straight");
    let killed = tmp.path().join("killed");
    let out = |dir: &Path| vec!["--out".to_string(), dir.display().to_string()];
    let length = |n: u64| vec!["--max-iters".to_string(), n.to_string()];
    let run_straight = |n: u64| {
        let _ = std::fs::remove_dir_all(&straight);
        let mut args = common.clone();
        args.extend(out(&straight));
        args.extend(length(n));
        let done = train(&args).output().unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    };

    // The uninterrupted run, timed: kill moments are drawn over its length.
    let started = Instant::now();
    run_straight(iters);
    let span = started.elapsed().as_millis().max(50) as u64;

    // Kill, resume, kill ... When a resumed run ends before its kill comes, it is extended by
    // `iters` more iterations (resume is exact, so any path to N iterations gives the same
    // state), until every kill has landed.
    let mut state = seed;
    let mut target = iters;
    let (mut survived, mut spawns, mut extended) = (0, 0, 0);
    loop {
        let mut args = if killed.join("config.json").exists() {
            vec![
                "--resume".into(),
                killed.display().to_string(),
                "--quiet".into(),
            ]
        } else {
            let mut a = common.clone();
            a.extend(out(&killed));
            a
        };
        args.extend(length(target));
        let mut child = train(&args).spawn().unwrap();
        spawns += 1;
        let stopped = if survived < kills {
            std::thread::sleep(Duration::from_millis(next(&mut state) % span));
            child.try_wait().unwrap().is_none()
        } else {
            false
        };
        if stopped {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            survived += 1;
            continue;
        }
        let finished = child.wait_with_output().unwrap();
        assert!(
            finished.status.success(),
            "after {survived} kills, run {spawns} failed (seed {seed}): {}",
            String::from_utf8_lossy(&finished.stderr)
        );
        if survived == kills {
            break;
        }
        target += iters;
        extended += 1;
    }
    eprintln!(
        "soak: survived {survived} kills in {spawns} runs to {target} iterations ({extended} \
         extensions)"
    );
    if target != iters {
        run_straight(target);
    }
    let iters = target;

    let last = format!("checkpoints/ckpt_{iters:08}.safetensors");
    let (a, b) = (tensors(&straight.join(&last)), tensors(&killed.join(&last)));
    assert!(
        a.iter().any(|(k, _)| k.starts_with("adam_d.")),
        "optimiser state compared"
    );
    assert_eq!(a.len(), b.len());
    for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
        assert_eq!(ka, kb);
        assert!(
            va == vb,
            "{ka} differs after {survived} kills (seed {seed})"
        );
    }
    let (ma, mb) = (
        metrics(&straight.join("metrics.jsonl")),
        metrics(&killed.join("metrics.jsonl")),
    );
    assert_eq!(ma.len() as u64, iters);
    let iterations =
        |m: &[(u64, u64, dcgan::train::StepStats)]| -> Vec<u64> { m.iter().map(|r| r.0).collect() };
    assert!(
        iterations(&mb) == iterations(&ma),
        "the killed run's metrics.jsonl lost or repeated iterations (seed {seed}): {:?}",
        iterations(&mb)
    );
    if let Some((x, y)) = ma.iter().zip(&mb).find(|(x, y)| x != y) {
        panic!("metrics differ after {survived} kills (seed {seed}): {x:?} against {y:?}");
    }
    assert!(
        !killed.join("train.lock").exists(),
        "the last run let go of the folder"
    );
}
