//! `dcgan-fuzz TARGET`: one AFL++ fuzz target per parser of outside input (see `targets.rs`).
//!
//! `dcgan-fuzz TARGET FILE...` replays files in order in one process, as AFL++'s persistent
//! loop runs many inputs in one process, and prints what each gave: a finding that depends on
//! what ran before it shows up there and not when its file runs alone.

// `clean_scratch` is for the regression tests: the fuzzer keeps its scratch folder until it exits.
#[allow(dead_code)]
mod targets;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_default();
    let Some(target) = targets::find(&name) else {
        eprintln!(
            "usage: dcgan-fuzz TARGET [FILE...], TARGET one of: {}",
            targets::names().join(", ")
        );
        std::process::exit(2);
    };
    let files: Vec<String> = args.collect();
    if !files.is_empty() {
        for file in files {
            let bytes = std::fs::read(&file).expect("readable input");
            let start = std::time::Instant::now();
            let result = std::panic::catch_unwind(|| target(&bytes));
            let took = start.elapsed();
            match result {
                Ok(Ok(())) => println!("{file}: accepted ({took:?})"),
                Ok(Err(e)) => println!("{file}: refused ({took:?}): {e}"),
                Err(_) => println!("{file}: PANIC ({took:?})"),
            }
        }
        return;
    }
    afl::fuzz!(|bytes: &[u8]| {
        let _ = target(bytes);
    });
}
