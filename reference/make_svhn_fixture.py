"""Writes small SVHN-format MATLAB v5 files to crates/dcgan/tests/fixtures/svhn/ (the real ones
are not available here): `X` 32x32x3xN uint8 and `y` Nx1 double with labels 1-10 (10 = digit 0),
as in train_32x32.mat / test_32x32.mat. Pixel (r, c, ch) of image k is (7r + 3c + 50ch + 11k)
mod 256 and its label is k mod 10 + 1, which crates/dcgan/tests/formats.rs recomputes. The train
file is uncompressed, the test file zlib-compressed (the official files are compressed).

    pip install scipy numpy && python reference/make_svhn_fixture.py
"""

import os

import numpy as np
from scipy.io import savemat

out = os.path.join(os.path.dirname(__file__), "../crates/dcgan/tests/fixtures/svhn")
os.makedirs(out, exist_ok=True)
for name, n, compress in (("train_32x32.mat", 12, False), ("test_32x32.mat", 7, True)):
    r, c, ch, k = np.meshgrid(np.arange(32), np.arange(32), np.arange(3), np.arange(n), indexing="ij")
    x = ((7 * r + 3 * c + 50 * ch + 11 * k) % 256).astype(np.uint8)
    y = (np.arange(n) % 10 + 1).astype(np.float64).reshape(n, 1)
    savemat(os.path.join(out, name), {"X": x, "y": y}, do_compression=compress)
    print("wrote", os.path.normpath(os.path.join(out, name)), x.shape)
