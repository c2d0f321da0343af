"""Writes the PyTorch reference fixtures that `crates/dcgan/tests/pytorch_parity.rs` checks.

    pip install torch safetensors numpy
    python reference/make_fixtures.py    # writes crates/dcgan/tests/fixtures/*.safetensors

Each file holds seeded weights under `g.` / `d.` (PyTorch names), inputs, outputs, and for the
step fixture the weights after one full iteration (D step, then G step, Adam 2e-4 / 0.5) under
`after.g.` / `after.d.`. The model configuration is in the metadata.
"""

import json
import os

import torch
from safetensors.torch import save_file

from dcgan_torch import Discriminator, Generator, data_parallel_step, train_step, weights_init

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "dcgan", "tests", "fixtures")


def build(cfg, seed):
    torch.manual_seed(seed)
    g = Generator(cfg["image_size"], cfg["channels"], cfg["nz"], cfg["ngf"], cfg["kernel"])
    d = Discriminator(cfg["image_size"], cfg["channels"], cfg["ndf"], cfg["kernel"])
    g.apply(weights_init)
    d.apply(weights_init)
    return g, d


def weights(prefix, module):
    return {
        f"{prefix}.{k}": v.detach().clone().float().contiguous()
        for k, v in module.state_dict().items()
        if v.dtype.is_floating_point
    }


def forward_fixture(name, cfg, batch, seed):
    g, d = build(cfg, seed)
    torch.manual_seed(seed + 1)
    z = torch.rand(batch, cfg["nz"]) * 2 - 1
    real = torch.rand(batch, cfg["channels"], cfg["image_size"], cfg["image_size"]) * 2 - 1
    tensors = {**weights("g", g), **weights("d", d), "z": z, "real": real}
    with torch.no_grad():
        # Inference mode on the initial running statistics (mean 0, var 1); first, because a
        # training-mode forward updates them.
        g.eval()
        d.eval()
        tensors["fake_eval"] = g(z.view(batch, -1, 1, 1))
        tensors["d_real_eval"] = d(real)
        # Training mode: batch statistics (what a training step sees).
        g.train()
        d.train()
        tensors["fake_train"] = g(z.view(batch, -1, 1, 1))
        tensors["d_real_train"] = d(real)
    save(name, tensors, cfg)


def step_fixture(name, cfg, batch, seed, shards=1):
    """Two training steps; with `shards` > 1, data-parallel on that many simulated devices."""
    step = train_step if shards == 1 else (lambda *a: data_parallel_step(*a, shards))
    g, d = build(cfg, seed)
    torch.manual_seed(seed + 1)
    z = torch.rand(batch, cfg["nz"]) * 2 - 1
    real = torch.rand(batch, cfg["channels"], cfg["image_size"], cfg["image_size"]) * 2 - 1
    tensors = {**weights("g", g), **weights("d", d), "z": z, "real": real}
    optD = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    stats = step(g, d, optG, optD, real, z.view(batch, -1, 1, 1))
    tensors["stats"] = torch.tensor(stats, dtype=torch.float32)  # Loss_D, Loss_G, D(x), D(G(z)) x2
    tensors.update(weights("after.g", g))
    tensors.update(weights("after.d", d))
    # A second step checks Adam's bias correction at t = 2 and the running statistics again.
    torch.manual_seed(seed + 2)
    z2 = torch.rand(batch, cfg["nz"]) * 2 - 1
    real2 = torch.rand(batch, cfg["channels"], cfg["image_size"], cfg["image_size"]) * 2 - 1
    stats2 = step(g, d, optG, optD, real2, z2.view(batch, -1, 1, 1))
    tensors.update({"z2": z2, "real2": real2, "stats2": torch.tensor(stats2, dtype=torch.float32)})
    tensors.update(weights("after2.g", g))
    tensors.update(weights("after2.d", d))
    save(name, tensors, cfg)


def save(name, tensors, cfg):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"{name}.safetensors")
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata={"config": json.dumps(cfg)})
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    # python reference/make_fixtures.py [NAME ...]: only the fixtures named (default: all).
    import sys

    torch.set_num_threads(1)
    base = dict(channels=3, nz=16, ngf=8, ndf=8, kernel=4, image_size=32)
    fixtures = {
        "step32": lambda: step_fixture("step32", base, batch=8, seed=0),
        # The same model, weights and batches as step32, data-parallel on two devices.
        "step32_dp2": lambda: step_fixture("step32_dp2", base, batch=8, seed=0, shards=2),
        "forward32_k5_gray": lambda: forward_fixture(
            "forward32_k5_gray", {**base, "channels": 1, "kernel": 5}, batch=4, seed=1
        ),
        "forward64": lambda: forward_fixture(
            "forward64", {**base, "image_size": 64, "nz": 100, "ngf": 8, "ndf": 8}, batch=4, seed=2
        ),
    }
    for name in sys.argv[1:] or fixtures:
        fixtures[name]()
