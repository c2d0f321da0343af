"""The LSUN data path, for BENCHMARKS.md: builds an LSUN-like LMDB environment from CelebA and
measures how fast Python reads it the way torchvision's LSUN dataset does.

    pip install lmdb pillow numpy
    python reference/bench/lsun_data.py make ../shared/data/celeba/celeba-align-subset5000.tar /tmp/celeba_webp_lmdb
    python reference/bench/lsun_data.py read /tmp/celeba_webp_lmdb 64 2000

`make` stores each CelebA image as LSUN stores its images: the shorter side resized to 256, lossy
WebP (quality 75), under the SHA-1 of its name as 40 hex characters, written with Python's `lmdb`.
`read` times, on one core, what torchvision.datasets.LSUN does per image (a read transaction's
get, PIL.Image.open(...).convert("RGB")) followed by the DCGAN transform of PyTorch's example
(Resize(size) + CenterCrop(size), then the pixels as an array), and prints images per second.
"""

import hashlib
import io
import sys
import tarfile
import time

import lmdb
import numpy as np
from PIL import Image


def make(archive, out):
    env = lmdb.open(out, map_size=1 << 32)
    n = 0
    with tarfile.open(archive) as tar, env.begin(write=True) as txn:
        for m in tar:
            if not m.name.endswith(".jpg"):
                continue
            img = Image.open(tar.extractfile(m)).convert("RGB")
            w, h = img.size
            s = 256 / min(w, h)
            img = img.resize((round(w * s), round(h * s)), Image.BILINEAR)
            buf = io.BytesIO()
            img.save(buf, format="WEBP", quality=75)
            txn.put(hashlib.sha1(m.name.encode()).hexdigest().encode(), buf.getvalue())
            n += 1
    print("wrote", n, "records to", out)


def read(path, size, count):
    env = lmdb.open(path, max_readers=1, readonly=True, lock=False, readahead=False, meminit=False)
    with env.begin(write=False) as txn:
        keys = [k for k in txn.cursor().iternext(keys=True, values=False)][:count]

    def one(key):
        with env.begin(write=False) as txn:
            img = Image.open(io.BytesIO(txn.get(key))).convert("RGB")
        w, h = img.size
        s = size / min(w, h)
        img = img.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR)
        w, h = img.size
        left, top = (w - size) // 2, (h - size) // 2
        return np.asarray(img.crop((left, top, left + size, top + size)))

    for k in keys[:50]:
        one(k)
    t = time.perf_counter()
    for k in keys:
        one(k)
    dt = time.perf_counter() - t
    print(f"python lmdb + PIL, 1 core: {len(keys) / dt:.0f} images/s ({len(keys)} images at {size}x{size})")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        read(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
