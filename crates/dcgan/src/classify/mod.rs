//! Classification on D's features (paper section 5, docs/paper.md section 3).
//!
//! - [`experiment`]: the whole experiment as `dcgan classify` runs it (trained and random D,
//!   the supervised baseline) and its JSON report; [`experiment::export_features`].
//! - [`labelled_features`]: D's features and the labels of a dataset.
//! - [`protocol`]: C on a validation split, class-balanced label draws, mean and 1.96 std.
//! - [`supervised`]: the same architecture trained on the labels alone (the baseline).
//! - [`svm`]: the regularised linear L2-SVM, one-vs-rest, by dual coordinate descent.

pub mod experiment;
mod extract;
pub mod protocol;
pub mod supervised;
pub mod svm;

pub use extract::{dataset_features, labelled_features, reestimate_on};
