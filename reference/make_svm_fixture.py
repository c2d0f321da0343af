"""Writes crates/dcgan/tests/fixtures/svm.safetensors: a small 3-class problem and scikit-learn's
LinearSVC (LIBLINEAR, squared hinge, one-vs-rest, dual) solution, against which the Rust solver
(crates/dcgan/src/classify/svm.rs) is checked. Tests only; not needed to build or run dcgan.

    pip install scikit-learn safetensors numpy && python reference/make_svm_fixture.py
"""

import os

import numpy as np
import sklearn
from safetensors.numpy import save_file
from sklearn.svm import LinearSVC

rng = np.random.default_rng(0)
classes, dim, n, n_test = 3, 24, 240, 60
centres = rng.normal(0.0, 1.0, (classes, dim))
y = np.arange(n + n_test) % classes
x = (centres[y] + rng.normal(0.0, 1.5, (n + n_test, dim))).astype(np.float32)
out = {"x": x[:n], "y": y[:n].astype(np.float32), "x_test": x[n:], "y_test": y[n:].astype(np.float32)}
for c in (0.01, 1.0):
    svc = LinearSVC(C=c, loss="squared_hinge", dual=True, tol=1e-10, max_iter=1_000_000,
                    fit_intercept=True, intercept_scaling=1.0, multi_class="ovr")
    svc.fit(x[:n], y[:n])
    tag = f"c{c:g}".replace(".", "_")
    out[f"{tag}_coef"] = np.ascontiguousarray(svc.coef_, dtype=np.float32)
    out[f"{tag}_intercept"] = svc.intercept_.astype(np.float32)
    out[f"{tag}_decision"] = np.ascontiguousarray(svc.decision_function(x[n:]), dtype=np.float32)
    print(f"C={c}: test accuracy {svc.score(x[n:], y[n:]):.3f}")
path = os.path.join(os.path.dirname(__file__), "../crates/dcgan/tests/fixtures/svm.safetensors")
save_file(out, path, metadata={"sklearn": sklearn.__version__})
print("wrote", os.path.normpath(path))
