//! `dcgan-fuzz TARGET`: one AFL++ fuzz target per parser of outside input (see `targets.rs`).

// `clean_scratch` is for the regression tests: the fuzzer keeps its scratch folder until it exits.
#[allow(dead_code)]
mod targets;

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = targets::find(&name) else {
        eprintln!(
            "usage: dcgan-fuzz TARGET, one of: {}",
            targets::names().join(", ")
        );
        std::process::exit(2);
    };
    afl::fuzz!(|bytes: &[u8]| {
        let _ = target(bytes);
    });
}
