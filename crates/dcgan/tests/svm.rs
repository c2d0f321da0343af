//! The L2-SVM against scikit-learn's `LinearSVC` (LIBLINEAR) on the same data:
//! `python reference/make_svm_fixture.py` wrote the data and sklearn's solution.

use std::path::Path;

use dcgan::classify::svm::{LinearSvm, SvmConfig, accuracy};
use dcgan::model::weights::read_safetensors;

#[test]
fn weights_and_decision_values_match_linear_svc() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/svm.safetensors");
    let (t, _) = read_safetensors(&path).unwrap();
    let x = &t["x"].values;
    let dim = t["x"].shape[1];
    let labels: Vec<u16> = t["y"].values.iter().map(|v| *v as u16).collect();
    let test_labels: Vec<u16> = t["y_test"].values.iter().map(|v| *v as u16).collect();
    for (c, tag) in [(0.01, "c0_01"), (1.0, "c1")] {
        let config = SvmConfig {
            c,
            tol: 1e-6,
            max_passes: 100_000,
            ..SvmConfig::default()
        };
        let svm = LinearSvm::fit(x, &labels, dim, 3, &config).unwrap();
        let coef = &t[&format!("{tag}_coef")].values;
        let intercept = &t[&format!("{tag}_intercept")].values;
        let scale = coef.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (a, b) in svm
            .weights
            .iter()
            .zip(coef)
            .chain(svm.biases.iter().zip(intercept))
        {
            assert!(
                (a - b).abs() < 1e-3 * scale,
                "C {c}: weight {a} vs sklearn {b}"
            );
        }
        let want = &t[&format!("{tag}_decision")].values;
        let got = svm.decision(&t["x_test"].values);
        let dscale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (a, b) in got.iter().zip(want) {
            assert!(
                (a - b).abs() < 1e-3 * dscale,
                "C {c}: decision {a} vs sklearn {b}"
            );
        }
        let acc = accuracy(&svm.predict(&t["x_test"].values), &test_labels);
        eprintln!("C {c}: test accuracy {acc:.3}, passes {:?}", svm.passes);
        assert!(acc > 0.9);
    }
}
