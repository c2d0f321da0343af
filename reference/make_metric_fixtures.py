"""Fixtures for the quality metrics (`crates/dcgan/tests/metrics.rs`), computed by the reference
implementations themselves:

- FID by pytorch-fid's `calculate_frechet_distance` on `np.mean` / `np.cov` statistics;
- KID, precision/recall and the Inception Score by torch-fidelity's `kid_features_to_metric`,
  `prc_features_to_metric` and `isc_features_to_metric` (in float64);
- the FID Inception-v3 of pytorch-fid (its FIDInceptionA/C/E_1/E_2 blocks in torchvision's
  Inception3, 1008 classes) with deterministic pseudo-random weights (the real
  `pt_inception-2015-12-05-6726825d.pth` cannot be downloaded here): its pool3 features, logits
  and unbiased logits for a few images, with `resize_input` and `normalize_input` as pytorch-fid
  uses them. The weights are not stored: every value is a function of the tensor's name and
  position (`weight_values` below, written again in Rust in the test), so the 24 million
  parameters cost nothing in the repository;
- bilinear resizing by `F.interpolate(..., align_corners=False)`;
- pytorch-fid `.npz` statistics and small `.pth` files in both of torch.save's containers.

    pip install torch torchvision pytorch-fid torch-fidelity scipy safetensors numpy
    python reference/make_metric_fixtures.py
"""

import os

import numpy as np
import torch
import torch.nn.functional as F
from pytorch_fid import inception as pfi
from pytorch_fid.fid_score import calculate_frechet_distance
from safetensors.numpy import save_file
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric
from torch_fidelity.metric_prc import prc_features_to_metric

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "dcgan", "tests", "fixtures", "metrics")
MASK = (1 << 64) - 1


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def uniform(name, n):
    """n values in [0, 1): splitmix64 of (fnv1a64(name) + (i + 1) * golden), top 53 bits."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(fnv1a64(name)) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def weight_values(name, shape):
    """The deterministic value of every Inception parameter (see the module docstring)."""
    n = int(np.prod(shape))
    u = uniform(name, n)
    if name.endswith("conv.weight"):
        fan_in = int(np.prod(shape[1:]))
        v = (2 * u - 1) * np.sqrt(6.0 / fan_in)
    elif name.endswith("bn.weight"):
        v = 0.8 + 0.4 * u
    elif name.endswith("bn.bias") or name.endswith("bn.running_mean"):
        v = 0.2 * (2 * u - 1)
    elif name.endswith("bn.running_var"):
        v = 0.5 + u
    elif name == "fc.weight":
        v = (2 * u - 1) * np.sqrt(3.0 / shape[1])
    elif name == "fc.bias":
        v = 0.1 * (2 * u - 1)
    else:
        raise ValueError(name)
    return v.astype(np.float32).reshape(shape)


def fid_inception():
    """pytorch-fid's `fid_inception_v3()` without its download."""
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
    state = {
        k: torch.from_numpy(weight_values(k, tuple(v.shape)))
        for k, v in net.state_dict().items()
        if not k.endswith("num_batches_tracked")
    }
    net.load_state_dict(state, strict=False)
    return net.eval()


def metric_fixtures(rng):
    d = 48
    mix_a = rng.normal(size=(d, d)) / np.sqrt(d)
    mix_b = mix_a + 0.3 * rng.normal(size=(d, d)) / np.sqrt(d)
    gen = (rng.normal(size=(1500, d)) @ mix_a + 0.2).astype(np.float32)
    real = (rng.normal(size=(1200, d)) @ mix_b).astype(np.float32)
    g64, r64 = gen.astype(np.float64), real.astype(np.float64)
    mu_g, sigma_g = np.mean(g64, axis=0), np.cov(g64, rowvar=False)
    mu_r, sigma_r = np.mean(r64, axis=0), np.cov(r64, rowvar=False)
    fid = calculate_frechet_distance(mu_g, sigma_g, mu_r, sigma_r)
    kid = kid_features_to_metric(
        torch.from_numpy(g64), torch.from_numpy(r64), kid_subsets=20, kid_subset_size=500,
        verbose=False,
    )
    prc = prc_features_to_metric(
        torch.from_numpy(g64), torch.from_numpy(r64), prc_neighborhood=3, verbose=False,
        save_cpu_ram=False, prc_batch_size=10000,
    )
    logits = (rng.normal(size=(1000, 10)) * 3).astype(np.float32)
    isc = isc_features_to_metric(torch.from_numpy(logits.astype(np.float64)), splits=10)
    # The first KID subsets as numpy draws them (checks the RandomState port directly).
    rs = np.random.RandomState(2020)
    subsets = np.stack([rs.choice(1500, 500, replace=False), rs.choice(1200, 500, replace=False)])
    return {
        "generated": gen,
        "real": real,
        "mu_generated": mu_g,
        "sigma_generated": sigma_g,
        "fid": np.array([fid]),
        "kid": np.array([kid["kernel_inception_distance_mean"], kid["kernel_inception_distance_std"]]),
        "kid_first_subsets": subsets.astype(np.int64),
        "precision_recall": np.array([prc["precision"], prc["recall"], prc["f_score"]]),
        "logits": logits,
        "inception_score": np.array([isc["inception_score_mean"], isc["inception_score_std"]]),
    }


def inception_fixtures(rng):
    net = fid_inception()
    captured = {}
    pfi.fid_inception_v3 = lambda: net  # InceptionV3 builds its blocks from this
    model = pfi.InceptionV3([3], resize_input=True, normalize_input=True).eval()
    images = rng.uniform(-1, 1, size=(3, 3, 32, 32)).astype(np.float32)
    # A smooth image too (most of a real image's energy is at low frequencies).
    yy, xx = np.mgrid[0:32, 0:32] / 31.0
    images[2] = np.stack([xx * 2 - 1, yy * 2 - 1, (xx * yy) * 2 - 1]).astype(np.float32)
    with torch.no_grad():
        x01 = (torch.from_numpy(images) + 1) / 2  # pytorch-fid takes [0, 1] images
        pool3 = model(x01)[0].flatten(1)
        logits = net.fc(pool3)
        unbiased = pool3 @ net.fc.weight.T
    captured.update(
        images=images,
        pool3=pool3.numpy(),
        logits=logits.numpy(),
        logits_unbiased=unbiased.numpy(),
    )
    resize_in = rng.uniform(-1, 1, size=(2, 3, 7, 9)).astype(np.float32)
    t = torch.from_numpy(resize_in)
    captured["resize_in"] = resize_in
    captured["resize_up"] = F.interpolate(t, size=(19, 23), mode="bilinear", align_corners=False).numpy()
    captured["resize_down"] = F.interpolate(t, size=(4, 5), mode="bilinear", align_corners=False).numpy()
    # The weight generator's first values, so the Rust port can be checked on its own.
    captured["weights_probe"] = weight_values("Mixed_6b.branch7x7_2.conv.weight", (128, 128, 1, 7))[0, :2]
    return captured


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(19)
    save_file(metric_fixtures(rng), os.path.join(OUT, "metrics.safetensors"))
    save_file(inception_fixtures(rng), os.path.join(OUT, "inception.safetensors"))
    # pytorch-fid's statistics format (`np.savez_compressed(path, mu=mu, sigma=sigma)`).
    a = rng.normal(size=(200, 8))
    np.savez_compressed(os.path.join(OUT, "stats.npz"), mu=a.mean(0), sigma=np.cov(a, rowvar=False))
    # Both of torch.save's containers, for the PyTorch reader.
    small = {"conv.weight": torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) / 10,
             "fc.bias": torch.tensor([1.5, -2.0, 0.25])}
    torch.save(small, os.path.join(OUT, "small_zip.pth"))
    torch.save(small, os.path.join(OUT, "small_legacy.pth"), _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main()
