"""Training throughput of PyTorch's `examples/dcgan` step on random data, for side-by-side
figures in BENCHMARKS.md (issue: speed). Usage:

    python reference/train_speed.py --image-size 32 --batch-size 128 --threads 2 --iters 30
"""

import argparse
import time

import torch

from dcgan_torch import Discriminator, Generator, train_step, weights_init

p = argparse.ArgumentParser()
p.add_argument("--image-size", type=int, default=32)
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--iters", type=int, default=30)
p.add_argument("--warmup", type=int, default=5)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
g, d = Generator(a.image_size, 3, 100, 64), Discriminator(a.image_size, 3, 64)
g.apply(weights_init)
d.apply(weights_init)
oG = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
oD = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
b = a.batch_size
real = torch.rand(b, 3, a.image_size, a.image_size) * 2 - 1
for i in range(a.warmup + a.iters):
    if i == a.warmup:
        t0 = time.perf_counter()
    train_step(g, d, oG, oD, real, torch.rand(b, 100, 1, 1) * 2 - 1)
dt = time.perf_counter() - t0
print(f"pytorch {torch.__version__} image {a.image_size} batch {b} threads {a.threads}: "
      f"{a.iters * b / dt:.1f} images/s ({dt / a.iters:.3f} s/iteration)")
