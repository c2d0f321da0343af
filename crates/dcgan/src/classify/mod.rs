//! Classification on D's features (paper section 5, SPEC section 3).
//!
//! - [`svm`]: the regularised linear L2-SVM, one-vs-rest, by dual coordinate descent.

pub mod svm;
