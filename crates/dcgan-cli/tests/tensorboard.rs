//! A training run's TensorBoard events read by TensorBoard itself (`EventAccumulator`, through
//! `reference/read_tensorboard.py`): every iteration's scalars equal `metrics.jsonl`, every grid is
//! there, and a resume from an earlier checkpoint leaves one history, not two.
//!
//! Needs Python with `tensorboard` (`pip install tensorboard`); without it the test says so and
//! passes, unless `DCGAN_REQUIRE_TENSORBOARD=1` (CI) makes that a failure.

use std::path::Path;
use std::process::Command;

fn dcgan(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_dcgan"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dcgan {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// TensorBoard's view of `run`, or `None` when TensorBoard is not installed.
fn tensorboard(run: &Path) -> Option<serde_json::Value> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../reference/read_tensorboard.py"
    );
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import tensorboard"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("DCGAN_REQUIRE_TENSORBOARD").is_none(),
            "DCGAN_REQUIRE_TENSORBOARD is set but `{python} -c 'import tensorboard'` fails"
        );
        eprintln!("skipped: TensorBoard is not installed (pip install tensorboard)");
        return None;
    }
    let out = Command::new(&python).arg(script).arg(run).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn train_args<'a>(out: &'a str, iters: &'a str, checkpoint_every: &'a str) -> Vec<&'a str> {
    vec![
        "train",
        "--out",
        out,
        "--max-iters",
        iters,
        "--batch-size",
        "16",
        "--sample-every",
        "2",
        "--checkpoint-every",
        checkpoint_every,
        "--keep-checkpoints",
        "10",
        "--image-size",
        "16",
        "--ngf",
        "8",
        "--ndf",
        "8",
        "--nz",
        "16",
        "--quiet",
    ]
}

#[test]
fn tensorboard_reads_every_iteration_and_one_history_after_a_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let r = run.to_str().unwrap();
    dcgan(&train_args(r, "6", "4"));
    // Resume from iteration 4 as if 5 and 6 had been lost with a kill: their records are in the
    // first session's event file, and the second session writes them again.
    std::fs::remove_file(run.join("checkpoints/ckpt_00000006.safetensors")).unwrap();
    dcgan(&["train", "--resume", r, "--max-iters", "8", "--quiet"]);
    let Some(board) = tensorboard(&run) else {
        return;
    };
    let records: Vec<serde_json::Value> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 8);
    for (tag, field) in [
        ("loss/D", "loss_d"),
        ("loss/G", "loss_g"),
        ("D/real", "d_x"),
        ("D/fake_before_D_step", "d_g_z1"),
        ("D/fake_after_D_step", "d_g_z2"),
    ] {
        let points = board["scalars"][tag]
            .as_array()
            .unwrap_or_else(|| panic!("{tag}: {board}"));
        // Steps 1..8 once each: the first session's 5 and 6 were discarded at the resume.
        let steps: Vec<u64> = points.iter().map(|p| p[0].as_u64().unwrap()).collect();
        assert_eq!(steps, (1..=8).collect::<Vec<_>>(), "{tag}");
        for (p, r) in points.iter().zip(&records) {
            let (ours, theirs) = (r[field].as_f64().unwrap(), p[1].as_f64().unwrap());
            assert_eq!(ours as f32, theirs as f32, "{tag} at {}", p[0]);
        }
    }
    let speed = board["scalars"]["speed/images_per_s"].as_array().unwrap();
    assert!(speed.iter().all(|p| p[1].as_f64().unwrap() > 0.0));
    // The grids of iterations 2, 4, 6, 8, each the size of the PNG in samples/.
    let grids = board["images"]["samples"].as_array().unwrap();
    let steps: Vec<u64> = grids.iter().map(|g| g[0].as_u64().unwrap()).collect();
    assert_eq!(steps, [2, 4, 6, 8]);
    for g in grids {
        let file = run.join(format!("samples/iter_{:08}.png", g[0].as_u64().unwrap()));
        let png = image::open(&file).unwrap();
        assert_eq!(
            (g[1].as_u64().unwrap(), g[2].as_u64().unwrap()),
            (u64::from(png.width()), u64::from(png.height()))
        );
        assert_eq!(
            g[3].as_u64().unwrap(),
            std::fs::metadata(&file).unwrap().len()
        );
    }
}

#[test]
fn no_tensorboard_writes_no_events() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let mut args = train_args(run.to_str().unwrap(), "2", "2");
    args.push("--no-tensorboard");
    dcgan(&args);
    let events = std::fs::read_dir(&run)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("events.out.tfevents.")
        })
        .count();
    assert_eq!(events, 0);
    assert!(run.join("metrics.jsonl").exists());
}
