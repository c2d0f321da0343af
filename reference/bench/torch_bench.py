"""The PyTorch side of `dcgan bench`: the identical workloads in PyTorch's `examples/dcgan`.

- train: one iteration of `examples/dcgan/main.py` (D on a real batch and on G(z).detach(),
  each with BCELoss and its own backward, Adam step; then G through the updated D), on a fixed
  random batch in [-1, 1] and fixed uniform z, nz 100, ngf = ndf = 64, RGB.
- sample: G in eval mode under no_grad on a batch of z, the images copied to the host.
- inception: pytorch-fid's `InceptionV3([3])` (its FID blocks, random weights: pytorch-fid
  downloads the real ones) on a batch of images in [0, 1], resized to 299 inside, pool3 copied
  to the host.
- fid: `np.mean` / `np.cov` of two sets of --fid-n 2048-d features and pytorch-fid's
  `calculate_frechet_distance` (scipy's `sqrtm`).
- data: torchvision's ImageFolder pipeline of the example (Resize(size), CenterCrop(size),
  ToTensor, Normalize to [-1, 1]) over the first N images of a folder, on 1 thread and on all.

Each repetition ends synchronised (`.item()` / `.cpu()` / `torch.cuda.synchronize()`). Prints one
line per figure and, with --json, writes the same record layout as `dcgan bench --json`.
For benchmarking only: `dcgan` never needs PyTorch.

    python reference/bench/torch_bench.py --what train --image-sizes 64 --batch-sizes 64 \
        --threads 2 --json torch.json
"""

import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dcgan_torch import Discriminator, Generator, weights_init  # noqa: E402


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def models(size, device):
    torch.manual_seed(0)
    g, d = Generator(size, 3, 100, 64).to(device), Discriminator(size, 3, 64).to(device)
    g.apply(weights_init)
    d.apply(weights_init)
    return g, d


def bench_train(size, b, warmup, iters, device):
    g, d = models(size, device)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    criterion = nn.BCELoss()
    gen = torch.Generator().manual_seed(11)
    real_host = torch.rand(b, 3, size, size, generator=gen) * 2 - 1
    z_host = torch.rand(b, 100, 1, 1, generator=gen) * 2 - 1
    seconds = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        real, z = real_host.to(device), z_host.to(device)
        # examples/dcgan/main.py, in substance.
        d.zero_grad()
        label = torch.full((b,), 1.0, device=device)
        output = d(real)
        err_d_real = criterion(output, label)
        err_d_real.backward()
        d_x = output.mean().item()
        fake = g(z)
        label.fill_(0.0)
        output = d(fake.detach())
        err_d_fake = criterion(output, label)
        err_d_fake.backward()
        d_g_z1 = output.mean().item()
        err_d = err_d_real + err_d_fake
        opt_d.step()
        g.zero_grad()
        label.fill_(1.0)
        output = d(fake)
        err_g = criterion(output, label)
        err_g.backward()
        d_g_z2 = output.mean().item()
        opt_g.step()
        err_d.item(), err_g.item(), d_x, d_g_z1, d_g_z2
        sync(device)
        dt = time.perf_counter() - t0
        if i >= warmup:
            seconds.append(dt)
    return b, seconds


def bench_sample(size, b, warmup, iters, device):
    g, _ = models(size, device)
    g.eval()
    z_host = torch.rand(b, 100, 1, 1, generator=torch.Generator().manual_seed(12)) * 2 - 1
    seconds = []
    with torch.no_grad():
        for i in range(warmup + iters):
            t0 = time.perf_counter()
            g(z_host.to(device)).cpu()
            dt = time.perf_counter() - t0
            if i >= warmup:
                seconds.append(dt)
    return b, seconds


def bench_inception(size, b, warmup, iters, device):
    from pytorch_fid import inception as pfi

    torch.manual_seed(0)
    net = pfi._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    net.Mixed_5b = pfi.FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = pfi.FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = pfi.FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = pfi.FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = pfi.FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = pfi.FIDInceptionE_1(1280)
    net.Mixed_7c = pfi.FIDInceptionE_2(2048)
    pfi.fid_inception_v3 = lambda: net  # InceptionV3 builds its blocks from this, no download
    model = pfi.InceptionV3([3]).to(device).eval()
    x_host = torch.rand(b, 3, size, size, generator=torch.Generator().manual_seed(13))
    seconds = []
    with torch.no_grad():
        for i in range(warmup + iters):
            t0 = time.perf_counter()
            model(x_host.to(device))[0].cpu()
            dt = time.perf_counter() - t0
            if i >= warmup:
                seconds.append(dt)
    return b, seconds


def bench_fid(n, dim, warmup, iters):
    import numpy as np
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(14)
    a = rng.uniform(-1, 1, size=(n, dim)).astype(np.float32)
    b = rng.uniform(-1, 1, size=(n, dim)).astype(np.float32)
    seconds = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        stats = [(np.mean(x, axis=0), np.cov(x, rowvar=False)) for x in (a, b)]
        calculate_frechet_distance(*stats[0], *stats[1])
        dt = time.perf_counter() - t0
        if i >= warmup:
            seconds.append(dt)
    return n, seconds


def bench_data(folder, size, n, threads, warmup, iters):
    import torchvision.datasets as dset
    import torchvision.transforms as transforms

    ds = dset.ImageFolder(
        root=folder,
        transform=transforms.Compose(
            [
                transforms.Resize(size),
                transforms.CenterCrop(size),
                transforms.ToTensor(),
                transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
            ]
        ),
    )
    n = min(n, len(ds))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.Subset(ds, range(n)),
        batch_size=n if threads == 1 else -(-n // threads),
        shuffle=False,
        num_workers=0 if threads == 1 else threads,
        persistent_workers=threads > 1,
    )
    seconds = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        total = sum(x.shape[0] for x, _ in loader)
        dt = time.perf_counter() - t0
        assert total == n
        if i >= warmup:
            seconds.append(dt)
    return n, seconds


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--what", default="train,sample")
    p.add_argument("--image-sizes", default="32,64")
    p.add_argument("--batch-sizes", default="64,128")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--device", default="cpu")
    p.add_argument("--data", help="folder of images in class subfolders (ImageFolder)")
    p.add_argument("--data-size", type=int, default=64)
    p.add_argument("--data-images", type=int, default=1000)
    p.add_argument("--fid-n", type=int, default=50000)
    p.add_argument("--json")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    what = a.what.split(",")
    print(f"pytorch {torch.__version__} bench on {device} with {a.threads} threads "
          f"({a.iters} timed after {a.warmup} warm-up)")
    records = []

    def record(workload, size, batch, threads, images, seconds):
        rate = images * len(seconds) / sum(seconds)
        median = sorted(seconds)[len(seconds) // 2]
        peak = peak_rss_bytes()
        print(f"{workload:>6} image {size:>3} batch {batch:>4} threads {threads}: {rate:>9.1f} "
              f"images/s (median {median:.4f} s per repetition, peak RSS {peak >> 20} MiB)")
        records.append(dict(workload=workload, image_size=size, batch_size=batch,
                            threads=threads, device=a.device, images_per_s=rate,
                            median_s=median, seconds=seconds, peak_rss_bytes=peak))

    for size in map(int, a.image_sizes.split(",")):
        for b in map(int, a.batch_sizes.split(",")):
            if "train" in what:
                images, s = bench_train(size, b, a.warmup, a.iters, device)
                record("train", size, b, a.threads, images, s)
            if "sample" in what:
                images, s = bench_sample(size, b, a.warmup, a.iters, device)
                record("sample", size, b, a.threads, images, s)
            if "inception" in what:
                images, s = bench_inception(size, b, a.warmup, a.iters, device)
                record("inception", size, b, a.threads, images, s)
    if "fid" in what:
        images, s = bench_fid(a.fid_n, 2048, a.warmup, a.iters)
        record("fid", 2048, a.fid_n, a.threads, images, s)
    if "data" in what:
        if not a.data:
            sys.exit("--what data needs --data (a folder of images)")
        for threads in sorted({1, a.threads}):
            images, s = bench_data(a.data, a.data_size, a.data_images, threads, a.warmup, a.iters)
            record("data", a.data_size, images, threads, images, s)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(torch_version=torch.__version__, threads=a.threads, device=a.device,
                           warmup=a.warmup, iters=a.iters, records=records), f, indent=2)


if __name__ == "__main__":
    main()
