//! Where the tests find real datasets, and what they do when there are none.
//!
//! Tests whose claim is about real data read it from the folder named by `DCGAN_TEST_DATA`
//! (default: `../shared/data` beside the repository), laid out as that folder's README
//! describes (`mnist/`, `cifar10-jpg/`, `celeba/`). On a machine without it such a test says
//! plainly, on the terminal, that it did not run and what it needs, and passes; with
//! `DCGAN_REQUIRE_TEST_DATA=1` (CI sets it) missing data is a failure instead.
//! Shared by the library's and the CLI's tests (`#[path]`-included by both).

use std::io::Write;
use std::path::PathBuf;

/// Names the folder holding the real datasets.
pub const DATA_VAR: &str = "DCGAN_TEST_DATA";
/// When set (to anything but `0`), a missing dataset fails the test instead of skipping it.
pub const REQUIRE_VAR: &str = "DCGAN_REQUIRE_TEST_DATA";

/// The folder holding the real datasets: `$DCGAN_TEST_DATA`, or `../shared/data` beside the
/// repository.
pub fn data_root() -> PathBuf {
    match std::env::var_os(DATA_VAR) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// `relative` (a file or folder) inside the data root, when it is there. When it is not, the
/// test named `test` is reported as not run (or fails, under `DCGAN_REQUIRE_TEST_DATA`) and
/// `None` comes back: the caller returns at once.
pub fn real_data(test: &str, relative: &str) -> Option<PathBuf> {
    let path = data_root().join(relative);
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "test `{test}` did not run: it needs the real dataset file {} (set {DATA_VAR} to a \
         folder laid out as README.md's \"Tests and real data\" describes)",
        path.display()
    );
    let required = std::env::var_os(REQUIRE_VAR).is_some_and(|v| v != "0");
    assert!(
        !required,
        "{message}; {REQUIRE_VAR} is set, so this is a failure"
    );
    // Straight to the terminal: the test harness captures only `print!`/`eprint!`, and a
    // passing test's captured output is never shown.
    let _ = writeln!(std::io::stderr(), "NOT RUN: {message}");
    None
}
