"""Runs `dcgan bench` and the same workloads in PyTorch side by side, and prints ours/PyTorch.

Every configuration runs in its own fresh process on each side (so peak RSS is that
configuration's own), the two sides alternating, `--rounds` times; the ratio of each round is
taken from the two runs next to each other in time, and the table gives the median round. Both
sides get the same number of threads.

    cargo build --release -p dcgan-cli
    pip install torch torchvision        # benchmarking only
    python reference/bench/compare.py --threads 2 --data ../shared/data/celeba/celeba-align-subset5000.tar

--data takes a folder of class subfolders or the CelebA tar (unpacked to a temporary folder).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(cmd, env=None):
    """Runs `cmd`, returns (its JSON records, its peak RSS in bytes)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    proc = subprocess.Popen(cmd + ["--json", out], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    text = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{text}")
    with open(out) as f:
        doc = json.load(f)
    os.unlink(out)
    return doc, usage.ru_maxrss * 1024


def unpack(data):
    if data is None or os.path.isdir(data):
        return data
    if data.endswith(".tar") or data.endswith(".tar.gz"):
        tmp = tempfile.mkdtemp(prefix="dcgan-bench-")
        with tarfile.open(data) as t:
            t.extractall(tmp, filter="data")
        return tmp
    sys.exit(f"{data}: neither a folder nor a .tar archive")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dcgan", default=os.path.join(ROOT, "target", "release", "dcgan"))
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--what", default="train,sample,data")
    p.add_argument("--image-sizes", default="32,64")
    p.add_argument("--batch-sizes", default="64,128")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, or cuda (ours: --our-device)")
    p.add_argument("--our-device", default="flex", help="flex, wgpu, vulkan or cuda")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=8)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--data")
    p.add_argument("--data-images", type=int, default=1000)
    p.add_argument("--fid-n", type=int, default=50000)
    p.add_argument("--json", help="write every measurement here")
    a = p.parse_args()
    if not os.path.exists(a.dcgan):
        sys.exit(f"{a.dcgan}: not built; run `cargo build --release -p dcgan-cli` first")
    data = unpack(a.data)
    common = ["--warmup", str(a.warmup), "--iters", str(a.iters), "--threads", str(a.threads)]
    configs = []
    for w in a.what.split(","):
        if w == "data":
            if data:
                configs.append((w, None, None))
            continue
        if w == "fid":
            configs.append((w, None, None))
            continue
        for s in a.image_sizes.split(","):
            for b in a.batch_sizes.split(","):
                configs.append((w, s, b))
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), MKL_NUM_THREADS=str(a.threads))
    rows = {}
    for r in range(a.rounds):
        for w, s, b in configs:
            if w == "fid":
                extra = ["--fid-n", str(a.fid_n)]
                ours_cmd = [a.dcgan, "bench", "--what", w] + extra
                torch_cmd = [a.python, os.path.join(HERE, "torch_bench.py"), "--what", w] + extra
            elif w == "data":
                extra = ["--data-images", str(a.data_images), "--data-size", "64"]
                ours_cmd = [a.dcgan, "bench", "--what", w, "--data", f"folder:{data}"] + extra
                torch_cmd = [a.python, os.path.join(HERE, "torch_bench.py"), "--what", w,
                             "--data", data] + extra
            else:
                extra = ["--image-sizes", s, "--batch-sizes", b]
                ours_cmd = [a.dcgan, "bench", "--what", w, "--device", a.our_device] + extra
                torch_cmd = [a.python, os.path.join(HERE, "torch_bench.py"), "--what", w,
                             "--device", a.device] + extra
            order = [("ours", ours_cmd + common), ("torch", torch_cmd + common)]
            if r % 2 == 1:
                order.reverse()
            got = {}
            for side, cmd in order:
                doc, peak = run(cmd, env)
                got[side] = (doc["records"], peak)
            for i, ours in enumerate(got["ours"][0]):
                theirs = got["torch"][0][i]
                key = (w, ours["image_size"], ours["batch_size"], ours["threads"])
                rows.setdefault(key, []).append(dict(
                    ours=ours["images_per_s"], torch=theirs["images_per_s"],
                    ours_rss=got["ours"][1], torch_rss=got["torch"][1]))
                print(f"round {r + 1}: {w} {key[1]} {key[2]} threads {key[3]}: ours "
                      f"{ours['images_per_s']:.1f}, pytorch {theirs['images_per_s']:.1f} images/s",
                      flush=True)
    print()
    print(f"| workload | image | batch | threads | dcgan images/s | PyTorch images/s | "
          f"ratio ours/PyTorch | dcgan peak RSS | PyTorch peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    summary = []
    for (w, s, b, t), ms in rows.items():
        ratios = [m["ours"] / m["torch"] for m in ms]
        ratio = statistics.median(ratios)
        ours = statistics.median(m["ours"] for m in ms)
        theirs = statistics.median(m["torch"] for m in ms)
        ours_rss = max(m["ours_rss"] for m in ms) >> 20
        torch_rss = max(m["torch_rss"] for m in ms) >> 20
        batch = "-" if w == "data" else b
        if w == "fid":
            s, batch = "2048-d", f"{b} vectors"
        print(f"| {w} | {s} | {batch} | {t} | {ours:.1f} | {theirs:.1f} | {ratio:.2f}x "
              f"({', '.join(f'{x:.2f}' for x in ratios)}) | {ours_rss} MiB | {torch_rss} MiB |")
        summary.append(dict(workload=w, image_size=s, batch_size=b, threads=t, rounds=ms,
                            ratio=ratio))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
