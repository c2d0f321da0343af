"""Writes a small LSUN-format LMDB environment to crates/dcgan/tests/fixtures/lsun/ with Python's
`lmdb` package, the writer the LSUN release was made with (the real files are not available
here).

As in `bedroom_train_lmdb/`: one unnamed database, keys are 40-character hex strings (SHA-1),
values are encoded images: lossy WebP as in the released files, JPEG as in older copies. The
images are synthetic (smooth gradients and ellipses, not a dataset), of the varied sizes LSUN
has, 3 of them greyscale JPEGs. One record holds garbage bytes (a record that does not decode).

Beside the environment, `expected/KEY.png` holds each record as Pillow decodes it, converted
to RGB (torchvision's LSUN reader: `Image.open(buf).convert("RGB")`), so the tests compare our
decoding with an independent decoder. Only `data.mdb` is kept (LMDB's `lock.mdb` holds process
state; our reader opens without locks, as torchvision's does).

    pip install lmdb pillow numpy && python reference/make_lsun_fixture.py
"""

import hashlib
import io
import os
import shutil

import lmdb
import numpy as np
from PIL import Image, ImageDraw

OUT = os.path.normpath(os.path.join(os.path.dirname(__file__), "../crates/dcgan/tests/fixtures/lsun"))
ENV = os.path.join(OUT, "tiny_train_lmdb")
EXPECTED = os.path.join(OUT, "expected")
GARBAGE_KEY = hashlib.sha1(b"garbage").hexdigest()


def picture(rng, w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack(
        [
            (rng.uniform(0, 255) + rng.uniform(-1, 1) * 120 * x / w + rng.uniform(-1, 1) * 80 * y / h) % 256
            for _ in range(3)
        ],
        axis=-1,
    ).astype(np.uint8)
    img = Image.fromarray(base, "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(3):
        x0, y0 = rng.uniform(0, w * 0.7), rng.uniform(0, h * 0.7)
        x1, y1 = x0 + rng.uniform(8, w * 0.5), y0 + rng.uniform(8, h * 0.5)
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse([x0, y0, x1, y1], fill=fill)
    return img


def main():
    rng = np.random.default_rng(16)
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(EXPECTED)
    records = {}
    sizes = [(96, 72), (72, 96), (80, 80), (120, 64), (64, 64), (100, 75)]
    for i in range(24):
        w, h = sizes[i % len(sizes)]
        img = picture(rng, w, h)
        buf = io.BytesIO()
        if i % 2 == 0:
            img.save(buf, format="WEBP", quality=80)
        elif i % 8 == 3:
            img.convert("L").save(buf, format="JPEG", quality=90)
        else:
            img.save(buf, format="JPEG", quality=90)
        key = hashlib.sha1(f"lsun-fixture-{i}".encode()).hexdigest()
        records[key] = buf.getvalue()
    records[GARBAGE_KEY] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()

    env = lmdb.open(ENV, map_size=1 << 24, subdir=True)
    with env.begin(write=True) as txn:
        for key, value in records.items():
            txn.put(key.encode("ascii"), value)
    env.close()
    os.remove(os.path.join(ENV, "lock.mdb"))

    for key, value in records.items():
        if key == GARBAGE_KEY:
            continue
        Image.open(io.BytesIO(value)).convert("RGB").save(os.path.join(EXPECTED, key + ".png"))
    with open(os.path.join(OUT, "garbage-key.txt"), "w") as f:
        f.write(GARBAGE_KEY + "\n")
    print("wrote", ENV, len(records), "records,", os.path.getsize(os.path.join(ENV, "data.mdb")), "bytes")


if __name__ == "__main__":
    main()
