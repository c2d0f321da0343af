#!/usr/bin/env python3
"""Writes the starting corpus of every fuzz target into fuzz/seeds/TARGET/.

Usage: python3 fuzz/make_seeds.py DCGAN_BINARY
       python3 fuzz/make_seeds.py --regressions   (only fuzz/regressions/, from the seeds)

Each seed is a small valid input (AFL++ works best from files under a few KB): parsers are
fuzzed from what they accept, so mutations reach deep into them. Files that only the project
can write (a checkpoint, a run's config.json and metrics.jsonl, an exported generator) come
from a tiny run of DCGAN_BINARY; the rest are written here with numpy and Pillow.
"""

import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = os.path.join(HERE, "seeds")
FIXTURES = os.path.join(ROOT, "crates", "dcgan", "tests", "fixtures")


def put(target, name, data):
    folder = os.path.join(SEEDS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def two_files(first, second):
    """The layout of the `idx` target: a u16 length of the first file, then both files."""
    assert len(first) < 65536
    return struct.pack("<H", len(first)) + first + second


def idx_seeds():
    with gzip.open("/work/shared/data/mnist/t10k-images-idx3-ubyte.gz") as f:
        images = f.read(16 + 3 * 28 * 28)
    with gzip.open("/work/shared/data/mnist/t10k-labels-idx1-ubyte.gz") as f:
        labels = f.read(8 + 3)
    images = struct.pack(">IIII", 0x803, 3, 28, 28) + images[16:]
    labels = struct.pack(">II", 0x801, 3) + labels[8:]
    put("idx", "mnist3", two_files(images, labels))
    small = struct.pack(">IIII", 0x803, 2, 4, 4) + bytes(range(32))
    put("idx", "small2", two_files(small, struct.pack(">II", 0x801, 2) + b"\x01\x07"))
    # The gzip path of the same reader.
    put("idx", "gz", two_files(gzip.compress(small), gzip.compress(struct.pack(">II", 0x801, 2) + b"\x01\x07")))


def cifar_seeds():
    rng = np.random.default_rng(0)
    records = b"".join(bytes([label]) + rng.integers(0, 256, 3072, dtype=np.uint8).tobytes() for label in (3, 7))
    put("cifar", "two", records)


def svhn_seeds():
    shutil.copy(os.path.join(FIXTURES, "svhn", "test_32x32.mat"), os.path.join(SEEDS, "svhn", "test"))


def image_seeds():
    extensions = ["png", "jpg", "bmp", "pgm", "webp", "gif"]
    formats = {"png": "PNG", "jpg": "JPEG", "bmp": "BMP", "pgm": "PPM", "webp": "WEBP", "gif": "GIF"}
    rng = np.random.default_rng(1)
    rgb = Image.fromarray(rng.integers(0, 256, (6, 5, 3), dtype=np.uint8), "RGB")
    grey = Image.fromarray(rng.integers(0, 256, (5, 6), dtype=np.uint8), "L")
    for i, ext in enumerate(extensions):
        for kind, img in (("rgb", rgb), ("grey", grey)):
            if ext == "pgm" and kind == "rgb":
                continue
            out = io.BytesIO()
            img.save(out, formats[ext])
            put("image", f"{ext}-{kind}", bytes([i]) + out.getvalue())
    rgba = Image.fromarray(rng.integers(0, 256, (4, 4, 4), dtype=np.uint8), "RGBA")
    out = io.BytesIO()
    rgba.save(out, "PNG")
    put("image", "png-rgba", bytes([0]) + out.getvalue())
    out = io.BytesIO()
    rgb.save(out, "JPEG", progressive=True)
    put("image", "jpg-progressive", bytes([1]) + out.getvalue())
    # TIFF came later: a first byte from 0xf0 up picks it, so older corpora keep their meaning.
    for kind, img, compression in (("rgb", rgb, "raw"), ("grey-lzw", grey, "tiff_lzw"),
                                   ("rgb-deflate", rgb, "tiff_adobe_deflate"),
                                   ("grey-packbits", grey, "packbits")):
        out = io.BytesIO()
        img.save(out, "TIFF", compression=compression)
        put("image", f"tif-{kind}", bytes([0xf0]) + out.getvalue())


def run_seeds(binary):
    """A checkpoint, config.json and metrics.jsonl of a tiny run; an exported generator."""
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run")
        subprocess.run(
            [binary, "train", "--out", run, "--image-size", "16", "--ngf", "1", "--ndf", "1",
             "--nz", "2", "--batch-size", "2", "--max-iters", "2", "--checkpoint-every", "2",
             "--grid-samples", "1", "--quiet"],
            check=True, stdout=subprocess.DEVNULL)
        ckpts = sorted(f for f in os.listdir(os.path.join(run, "checkpoints")) if f.startswith("ckpt_"))
        ckpt = os.path.join(run, "checkpoints", ckpts[-1])
        with open(ckpt, "rb") as f:
            data = f.read()
        put("checkpoint", "tiny", data)
        put("checkpoint", "no-checksum", drop_checksum(data))
        with open(os.path.join(run, "config.json"), "rb") as f:
            put("config", "tiny", f.read())
        with open(os.path.join(run, "metrics.jsonl"), "rb") as f:
            put("metrics", "tiny", f.read())

        # A PyTorch-named generator of the import target's shape (16x16, ngf 8, nz 16).
        big = os.path.join(tmp, "big")
        subprocess.run(
            [binary, "train", "--out", big, "--image-size", "16", "--ngf", "8", "--ndf", "8",
             "--nz", "16", "--batch-size", "2", "--max-iters", "1", "--checkpoint-every", "1",
             "--grid-samples", "1", "--quiet"],
            check=True, stdout=subprocess.DEVNULL)
        out = tmp
        subprocess.run([binary, "export", "--run", big, "--netg", os.path.join(out, "netG.safetensors")], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "netG.safetensors"), "rb") as f:
            put("import", "netG", f.read())


def lsun_seeds():
    """A tiny LMDB environment as Python's lmdb writes LSUN's: two records under 40-hex keys."""
    import hashlib
    import lmdb
    rng = np.random.default_rng(2)
    with tempfile.TemporaryDirectory() as tmp:
        env = lmdb.open(tmp, map_size=1 << 20)
        with env.begin(write=True) as txn:
            for i, fmt in enumerate(("WEBP", "JPEG")):
                out = io.BytesIO()
                Image.fromarray(rng.integers(0, 256, (6, 5, 3), dtype=np.uint8), "RGB").save(out, fmt)
                txn.put(hashlib.sha1(bytes([i])).hexdigest().encode(), out.getvalue())
        env.close()
        with open(os.path.join(tmp, "data.mdb"), "rb") as f:
            put("lsun", "two", f.read())


def packed_seeds(binary):
    """A packed file of the LSUN fixture at 4x4 (24 images), and a keep-list."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tiny.pack")
        subprocess.run([binary, "data", "pack", "--data", "lsun:" + os.path.join(FIXTURES, "lsun", "tiny_train_lmdb"),
                        "--out", out, "--image-size", "4"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out, "rb") as f:
            put("packed", "tiny", f.read())
    put("keeplist", "three", b"# dcgan keep-list\n# source: folder:x\n# records: 5\n# names-sha256: ab\n# kept: 3\n0\n2\n4\n")


def drop_checksum(data):
    """The same checkpoint without its `checksum` metadata (older checkpoints, still loaded)."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.get("__metadata__", {}).pop("checksum", None)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (n - len(text))
    assert len(text) == n
    return data[:8] + text + data[8 + n:]


def weights_seeds():
    for name in ("small_zip.pth", "small_legacy.pth"):
        with open(os.path.join(FIXTURES, "metrics", name), "rb") as f:
            put("weights", name, f.read())
    body = np.arange(6, dtype=np.float32).tobytes()
    header = json.dumps({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                         "__metadata__": {"a": "b"}}).encode()
    header += b" " * (-len(header) % 8)
    put("weights", "tiny.safetensors", struct.pack("<Q", len(header)) + header + body)


def text_seeds():
    put("boxes", "two", json.dumps({"boxes": [{"seed": 12, "x": 3, "y": 5, "w": 10, "h": 8},
                                              {"seed": 4, "x": 0, "y": 0, "w": 64, "h": 64}]}).encode())
    for i, s in enumerate(["0,1,4-6", "+12,40,77", "-3,9,150-151", "second-highest", "highest",
                           "first", "last", "2"]):
        put("seeds", str(i), s.encode())
    shutil.copy(os.path.join(FIXTURES, "metrics", "stats.npz"), os.path.join(SEEDS, "stats", "fixture.npz"))
    out = io.BytesIO()
    np.savez(out, mu=np.zeros(3), sigma=np.eye(3, dtype=np.float32))
    put("stats", "small.npz", out.getvalue())


def with_config(data, **model):
    """A checkpoint (without checksum) whose configuration claims another model."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header["__metadata__"]
    meta.pop("checksum", None)
    config = json.loads(meta["config"])
    config["model"].update(model)
    meta["config"] = json.dumps(config)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data[8 + n:]


def regressions():
    """Inputs that once made a parser allocate without bound, in fuzz/regressions/TARGET/.

    Each is rebuilt from the seeds, so it stays a valid file in every other respect: only the
    fault it carries is new. `inputs_that_found_bugs_are_rejected_cleanly` replays them.
    """
    out = os.path.join(HERE, "regressions")

    def save(target, name, data):
        os.makedirs(os.path.join(out, target), exist_ok=True)
        with open(os.path.join(out, target, name), "wb") as f:
            f.write(data)

    with open(os.path.join(SEEDS, "checkpoint", "tiny"), "rb") as f:
        tiny = f.read()
    # The header claims a model of 2^40 parameters: it was built (and the allocation aborted
    # the process) before the weights were read.
    save("checkpoint", "claims-a-huge-model", with_config(tiny, image_size=4096, ngf=4096, ndf=4096))
    # An image side no model can have: 2^20 needs 18 layers of widths up to ngf * 2^17.
    save("checkpoint", "claims-a-huge-image", with_config(tiny, image_size=1 << 20))
    with open(os.path.join(SEEDS, "config", "tiny"), "rb") as f:
        config = json.loads(f.read())
    config["model"]["image_size"] = 1 << 20
    save("config", "huge-image", json.dumps(config).encode())
    # Each range is under the million-seed limit; together they asked for 8 GB.
    save("seeds", "many-ranges", ",".join(["0-999999"] * 1000).encode())


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--regressions":
        regressions()
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    shutil.rmtree(SEEDS, ignore_errors=True)
    for target in ("svhn", "stats"):
        os.makedirs(os.path.join(SEEDS, target))
    idx_seeds()
    cifar_seeds()
    svhn_seeds()
    image_seeds()
    weights_seeds()
    text_seeds()
    run_seeds(sys.argv[1])
    lsun_seeds()
    packed_seeds(sys.argv[1])
    regressions()
    for target in sorted(os.listdir(SEEDS)):
        files = os.listdir(os.path.join(SEEDS, target))
        size = sum(os.path.getsize(os.path.join(SEEDS, target, f)) for f in files)
        print(f"{target:<11} {len(files):>3} seeds, {size:>7} bytes")


if __name__ == "__main__":
    main()
