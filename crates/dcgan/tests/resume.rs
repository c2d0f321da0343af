//! Checkpoints resume exactly: N iterations, a checkpoint, a resume and N more give the same
//! weights, optimiser state and metrics as 2N straight (fixed seed, CPU).

mod common;

use common::{config, small_model, train};
use dcgan::data::DataSource;
use dcgan::device::DeviceChoice;
use dcgan::model::weights;
use dcgan::run::RunDir;
use dcgan::train::{Start, metrics};

#[test]
fn stop_and_resume_equals_straight_through() {
    stop_and_resume(&[]);
}

/// Data-parallel training on two devices (two replicas on flex) resumes exactly too: a
/// checkpoint holds device 0's model, and the shards of every batch are fixed by the run.
#[test]
fn data_parallel_stop_and_resume_equals_straight_through() {
    let two = stop_and_resume(&[DeviceChoice::Flex]);
    // And it is a different run from one device's (batch norm per shard of 8, not the batch).
    let one = stop_and_resume(&[]);
    assert_ne!(one[0].stats, two[0].stats);
    assert_ne!(one.last().unwrap().stats, two.last().unwrap().stats);
}

/// A 12-iteration run straight, and stopped at 5 and resumed, on the flex device and the
/// `replicas`: identical checkpoints and metrics. Returns the metrics.
fn stop_and_resume(replicas: &[DeviceChoice]) -> Vec<metrics::Record> {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(small_model(16, 3, 8), DataSource::Builtin, 16, 12);
    cfg.replicas = replicas.to_vec();

    let straight = RunDir::new(tmp.path().join("straight"));
    let (summary, _) = train(&straight, &cfg, Start::New { force: false });
    let summary = summary.unwrap();
    assert_eq!(summary.iterations, 12);

    // The same run, interrupted after 5 iterations (as Ctrl-C does), then resumed.
    let split = RunDir::new(tmp.path().join("split"));
    let mut rec = common::Recorder {
        stop_after: Some(5),
        ..Default::default()
    };
    let err = dcgan::train::run_training(
        &split,
        &cfg,
        Start::New { force: false },
        &burn::tensor::Device::flex(),
        &mut rec,
    )
    .unwrap_err();
    assert!(
        matches!(err, dcgan::Error::Interrupted { iteration: 5, .. }),
        "{err}"
    );
    assert_eq!(split.latest_checkpoint().unwrap(), split.checkpoint(5));
    let (resumed, rec) = train(&split, &cfg, Start::Resume);
    assert_eq!(resumed.unwrap().iterations, 12);
    assert_eq!(rec.records.first().unwrap().iteration, 6);

    let (a, _) = weights::read_safetensors(&straight.checkpoint(12)).unwrap();
    let (b, _) = weights::read_safetensors(&split.checkpoint(12)).unwrap();
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(
        a.keys().any(|k| k.starts_with("adam_d.m.")) && a.keys().any(|k| k.contains("running_var"))
    );
    for (name, t) in &a {
        assert_eq!(t, &b[name], "{name} differs after resume");
    }
    // Same losses, iteration by iteration.
    let ma = metrics::read(&straight.metrics()).unwrap();
    let mb = metrics::read(&split.metrics()).unwrap();
    assert_eq!(ma.len(), 12);
    assert_eq!(mb.len(), 12);
    for (x, y) in ma.iter().zip(&mb) {
        assert_eq!((x.iteration, x.stats), (y.iteration, y.stats));
    }
    // And the weights really changed over the run (the comparison is not of untouched tensors).
    let (first, _) = weights::read_safetensors(&split.checkpoint(5)).unwrap();
    assert_ne!(first["g.output.weight"], a["g.output.weight"]);
    // The run folder records the devices it trained on.
    let stored = dcgan::train::read_run_config(&split).unwrap();
    assert_eq!(stored.replicas, replicas);
    ma
}

/// A finished 2-iteration run of a tiny grayscale model (checkpoint at iteration 2), in a
/// temporary folder.
fn two_iterations() -> (tempfile::TempDir, dcgan::train::TrainConfig, RunDir) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(small_model(16, 1, 4), DataSource::Builtin, 8, 2);
    let run = RunDir::new(tmp.path().join("run"));
    train(&run, &cfg, Start::New { force: false }).0.unwrap();
    (tmp, cfg, run)
}

#[test]
fn a_run_folder_is_never_overwritten_unless_asked() {
    let (_tmp, cfg, run) = two_iterations();
    let before = std::fs::read(run.checkpoint(2)).unwrap();
    let err = train(&run, &cfg, Start::New { force: false })
        .0
        .unwrap_err();
    assert!(
        matches!(&err, dcgan::Error::RunExists { path } if path == run.root()),
        "{err}"
    );
    assert!(err.to_string().contains("already holds a training run"));
    assert_eq!(std::fs::read(run.checkpoint(2)).unwrap(), before);
    // --force replaces it (a different seed gives a different checkpoint).
    let mut other = cfg.clone();
    other.seed = 9;
    train(&run, &other, Start::New { force: true }).0.unwrap();
    assert_ne!(std::fs::read(run.checkpoint(2)).unwrap(), before);
}

#[test]
fn a_checkpoint_of_another_configuration_is_refused() {
    let (_tmp, cfg, run) = two_iterations();
    let ckpt = run.checkpoint(2);
    let before = std::fs::read(&ckpt).unwrap();
    let mut wider = cfg.clone();
    wider.model.ngf = 8;
    let err = dcgan::train::checkpoint::load(&ckpt, &wider, &burn::tensor::Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("ckpt_00000002") && err.contains("another model configuration"),
        "{err}"
    );
    assert_eq!(std::fs::read(&ckpt).unwrap(), before);
}

#[test]
fn a_checkpoint_header_alone_gives_its_configuration() {
    let (tmp, cfg, run) = two_iterations();
    let ckpt = run.checkpoint(2);
    let from_header = dcgan::train::checkpoint::config_of(&ckpt).unwrap();
    let (full, _, _) = dcgan::train::checkpoint::read_config(&ckpt).unwrap();
    assert_eq!(from_header, full);
    assert_eq!(from_header.model, cfg.model);
    // A file cut inside its header, one that is not safetensors, and safetensors that is not a
    // checkpoint: each an error naming the file.
    let bytes = std::fs::read(&ckpt).unwrap();
    let cut = tmp.path().join("cut.safetensors");
    std::fs::write(&cut, &bytes[..100]).unwrap();
    let text = tmp.path().join("text.safetensors");
    std::fs::write(&text, b"hello, not a checkpoint").unwrap();
    let plain = tmp.path().join("plain.safetensors");
    let (tensors, _) = weights::read_safetensors(&ckpt).unwrap();
    weights::write_safetensors(&plain, &tensors, Default::default()).unwrap();
    for (path, says) in [
        (&cut, "does not fit"),
        (&text, "not a safetensors file"),
        (&plain, "not a dcgan checkpoint"),
    ] {
        let err = dcgan::train::checkpoint::config_of(path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&*path.to_string_lossy()) && err.contains(says),
            "{err}"
        );
    }
}

/// A run killed before its first checkpoint (SIGKILL leaves config.json, some metrics and
/// grids, and no checkpoint) resumes from iteration 0 and ends as the uninterrupted run does.
#[test]
fn a_run_stopped_before_its_first_checkpoint_resumes_from_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(small_model(16, 3, 8), DataSource::Builtin, 16, 6);
    cfg.sample_every = 2;
    let straight = RunDir::new(tmp.path().join("straight"));
    train(&straight, &cfg, Start::New { force: false })
        .0
        .unwrap();

    let killed = RunDir::new(tmp.path().join("killed"));
    let mut rec = common::Recorder {
        stop_after: Some(3),
        ..Default::default()
    };
    let device = burn::tensor::Device::flex();
    let err = dcgan::train::run_training(
        &killed,
        &cfg,
        Start::New { force: false },
        &device,
        &mut rec,
    )
    .unwrap_err();
    assert!(matches!(err, dcgan::Error::Interrupted { .. }), "{err}");
    std::fs::remove_dir_all(killed.checkpoints()).unwrap();
    assert_eq!(metrics::read(&killed.metrics()).unwrap().len(), 3);
    assert!(killed.latest_checkpoint().is_err());

    let (resumed, rec) = train(&killed, &cfg, Start::Resume);
    assert_eq!(resumed.unwrap().iterations, 6);
    assert_eq!(rec.records.first().unwrap().iteration, 1);
    let (a, _) = weights::read_safetensors(&straight.checkpoint(6)).unwrap();
    let (b, _) = weights::read_safetensors(&killed.checkpoint(6)).unwrap();
    for (name, t) in &a {
        assert_eq!(t, &b[name], "{name} differs");
    }
    let ma = metrics::read(&straight.metrics()).unwrap();
    let mb = metrics::read(&killed.metrics()).unwrap();
    assert_eq!(
        mb.len(),
        6,
        "the first 3 lines were replaced, not kept twice"
    );
    for (x, y) in ma.iter().zip(&mb) {
        assert_eq!((x.iteration, x.stats), (y.iteration, y.stats));
    }
}

/// While a training holds a run folder, a second training on it (resume or --force) is refused
/// with the holder's process id and changes nothing; once it lets go, the folder trains again.
#[test]
fn a_second_training_on_a_folder_in_use_is_refused_and_changes_nothing() {
    let (_tmp, mut cfg, run) = two_iterations();
    let checkpoint = std::fs::read(run.checkpoint(2)).unwrap();
    let history = std::fs::read(run.metrics()).unwrap();
    let held = run.lock().unwrap();
    cfg.iterations = 4;
    for start in [Start::Resume, Start::New { force: true }] {
        match train(&run, &cfg, start).0 {
            Err(dcgan::Error::RunInUse { path, pid }) => {
                assert_eq!(path, run.root());
                assert_eq!(pid, Some(std::process::id()));
            }
            other => panic!("{start:?}: {other:?}"),
        }
        assert_eq!(std::fs::read(run.checkpoint(2)).unwrap(), checkpoint);
        assert_eq!(std::fs::read(run.metrics()).unwrap(), history);
        assert!(!run.checkpoint(4).exists());
    }
    drop(held);
    let (summary, _) = train(&run, &cfg, Start::Resume);
    assert_eq!(summary.unwrap().iterations, 4);
    assert!(
        !run.lock_file().exists(),
        "the training let go of the folder"
    );
}

/// A 6-iteration run with a checkpoint at 2, 4 and 6, and the same run straight through.
fn three_checkpoints() -> (tempfile::TempDir, dcgan::train::TrainConfig, RunDir, RunDir) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(small_model(16, 1, 4), DataSource::Builtin, 8, 6);
    cfg.checkpoint_every = 2;
    cfg.keep_checkpoints = 3;
    let run = RunDir::new(tmp.path().join("run"));
    train(&run, &cfg, Start::New { force: false }).0.unwrap();
    let mut longer = cfg.clone();
    longer.iterations = 8;
    let straight = RunDir::new(tmp.path().join("straight"));
    train(&straight, &longer, Start::New { force: false })
        .0
        .unwrap();
    (tmp, longer, run, straight)
}

/// Flips one bit in the middle of a file (inside the tensors, past the header).
fn flip_a_bit(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = bytes.len() - bytes.len() / 3;
    bytes[i] ^= 0x10;
    std::fs::write(path, bytes).unwrap();
}

/// A bit flipped in the newest checkpoint, or the file cut short, is found on load with the
/// file named; resume passes over it, says so, sets it aside as `NAME.damaged`, continues from
/// the newest intact one and ends as the uninterrupted run does (metrics past that checkpoint
/// replaced).
#[test]
fn a_damaged_newest_checkpoint_is_detected_and_resume_falls_back() {
    for damage in ["bit", "truncated"] {
        let (_tmp, longer, run, straight) = three_checkpoints();
        let newest = run.checkpoint(6);
        match damage {
            "bit" => flip_a_bit(&newest),
            _ => {
                let bytes = std::fs::read(&newest).unwrap();
                std::fs::write(&newest, &bytes[..bytes.len() / 2]).unwrap();
            }
        }
        let err = dcgan::train::checkpoint::load(&newest, &longer, &burn::tensor::Device::flex())
            .err()
            .expect("damage is detected");
        let text = err.to_string();
        assert!(text.contains("ckpt_00000006.safetensors"), "{text}");
        if damage == "bit" {
            assert!(text.contains("damaged"), "{text}");
        }

        let damaged_bytes = std::fs::read(&newest).unwrap();
        let (summary, rec) = train(&run, &longer, Start::Resume);
        assert_eq!(summary.unwrap().iterations, 8, "{damage}");
        // Kept, under a name that is no longer a checkpoint of the run.
        let aside = run.checkpoints().join("ckpt_00000006.safetensors.damaged");
        assert_eq!(std::fs::read(&aside).unwrap(), damaged_bytes, "{damage}");
        assert!(
            rec.notes
                .iter()
                .any(|n| n.contains("kept the damaged file as") && n.contains(".damaged")),
            "{:?}",
            rec.notes
        );
        assert_eq!(rec.records.first().unwrap().iteration, 5, "resumed from 4");
        assert!(
            rec.notes
                .iter()
                .any(|n| n.contains("passing over a damaged checkpoint")
                    && n.contains("ckpt_00000006"))
                && rec
                    .notes
                    .iter()
                    .any(|n| n.contains("resuming from") && n.contains("ckpt_00000004")),
            "{:?}",
            rec.notes
        );
        let (a, _) = weights::read_safetensors(&straight.checkpoint(8)).unwrap();
        let (b, _) = weights::read_safetensors(&run.checkpoint(8)).unwrap();
        for (name, t) in &a {
            assert_eq!(t, &b[name], "{damage}: {name} differs");
        }
        let ma = metrics::read(&straight.metrics()).unwrap();
        let mb = metrics::read(&run.metrics()).unwrap();
        assert_eq!(mb.len(), 8, "{damage}: no iteration logged twice");
        for (x, y) in ma.iter().zip(&mb) {
            assert_eq!((x.iteration, x.stats), (y.iteration, y.stats));
        }
    }
}

/// With every checkpoint damaged, resume refuses (it does not start over on its own) and says
/// how to.
#[test]
fn a_run_whose_checkpoints_are_all_damaged_is_refused() {
    let (_tmp, longer, run, _straight) = three_checkpoints();
    for it in [2, 4, 6] {
        flip_a_bit(&run.checkpoint(it));
    }
    let err = train(&run, &longer, Start::Resume)
        .0
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("none of its 3 checkpoints reads back whole") && err.contains("--force"),
        "{err}"
    );
}
