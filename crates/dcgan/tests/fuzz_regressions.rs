//! Replays the fuzzing corpus (`fuzz/`, see its README) through the same targets AFL++ ran:
//! every seed (a valid file) must be accepted, and every input that once made a parser panic,
//! hang or allocate without bound (`fuzz/regressions/TARGET/`) must now be rejected with an
//! error that names the file.

#[allow(dead_code)]
#[path = "../../../fuzz/src/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Every (target, file) under `fuzz/KIND/`, sorted.
fn corpus(kind: &str) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(targets) = std::fs::read_dir(fuzz_dir().join(kind)) else {
        return out;
    };
    for target in targets.flatten().filter(|t| t.path().is_dir()) {
        let name = target.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(target.path()).unwrap().flatten() {
            out.push((name.clone(), file.path()));
        }
    }
    out.sort();
    out
}

/// Runs one input, timing it (AFL++ counts a run over its timeout as a hang).
fn replay(target: &str, path: &Path) -> (dcgan::Result<()>, Duration) {
    let run =
        targets::find(target).unwrap_or_else(|| panic!("{}: no target {target}", path.display()));
    let bytes = std::fs::read(path).unwrap();
    let start = Instant::now();
    let result = run(&bytes);
    (result, start.elapsed())
}

#[test]
fn every_target_accepts_its_seeds() {
    let seeds = corpus("seeds");
    let mut covered: Vec<&str> = seeds.iter().map(|(t, _)| t.as_str()).collect();
    covered.dedup();
    assert_eq!(
        covered,
        {
            let mut all = targets::names();
            all.sort();
            all
        },
        "every target has seeds in fuzz/seeds/"
    );
    // Layer names and seed lists share one target: a seed need only satisfy one parser.
    for (target, path) in seeds.iter().filter(|(t, _)| t != "seeds") {
        let (result, took) = replay(target, path);
        assert!(
            result.is_ok(),
            "{target} rejects its seed {}: {}",
            path.display(),
            result.unwrap_err()
        );
        assert!(
            took < Duration::from_secs(5),
            "{target}: {} took {took:?}",
            path.display()
        );
    }
    targets::clean_scratch();
}

#[test]
fn inputs_that_found_bugs_are_rejected_cleanly() {
    let found = corpus("regressions");
    for (target, path) in &found {
        let (result, took) = replay(target, path);
        let err = result.expect_err(&format!(
            "{target}: {} is malformed but was accepted",
            path.display()
        ));
        println!("{target} {}: {err}", path.display());
        assert!(!err.to_string().is_empty());
        assert!(
            took < Duration::from_secs(5),
            "{target}: {} took {took:?}",
            path.display()
        );
    }
    targets::clean_scratch();
    println!("{} regression inputs replayed", found.len());
}
