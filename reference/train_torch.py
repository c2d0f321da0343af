"""PyTorch's `examples/dcgan` training, for the side-by-side in RESULTS.md (tests and results
only; `dcgan` never needs PyTorch).

The loop, the data pipeline and the initialisation are those of pytorch/examples
`dcgan/main.py`: torchvision `Resize(size)` + `CenterCrop(size)` + `ToTensor()` +
`Normalize(0.5, 0.5)` on PIL images, a shuffled `DataLoader` (its last partial batch kept, as
the example does), `weights_init`, BCE on D's sigmoid, Adam, D's step on real then fake, G's
step through the updated D. The only additions: a fixed number of iterations, z drawn uniform
in [-1, 1] when asked (the paper's prior; the example's is normal), MNIST read from the
official IDX files as torchvision's `datasets.MNIST` would hand them over (a PIL "L" image per
digit), and G (and D) written as safetensors with the example's names, ready for `dcgan import`.

    python reference/train_torch.py --data mnist:../shared/data/mnist --image-size 32 \
        --iters 1500 --batch-size 64 --seed 0 --out runs/torch-mnist-0
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms
from PIL import Image
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dcgan_torch import Discriminator, Generator, weights_init  # noqa: E402


class IdxMnist(torch.utils.data.Dataset):
    """MNIST from the official IDX files (raw or gzipped), each digit a PIL "L" image."""

    def __init__(self, folder, transform):
        path = os.path.join(folder, "train-images-idx3-ubyte")
        opener = gzip.open if os.path.exists(path + ".gz") else open
        with opener(path + ".gz" if opener is gzip.open else path, "rb") as f:
            magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
            assert magic == 0x0803, magic
            self.images = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows, cols)
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.images[i], mode="L")), 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="mnist:DIR or folder:DIR (an ImageFolder root)")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--nz", type=int, default=100)
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--ndf", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--iters", type=int, required=True)
    p.add_argument("--lr", type=float, default=0.0002)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--latent", choices=["uniform", "normal"], default="uniform")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", required=True, help="folder for netG/netD safetensors and losses")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    kind, root = a.data.split(":", 1)
    if kind == "mnist":
        nc = 1
        data = IdxMnist(
            root,
            transforms.Compose(
                [
                    transforms.Resize(a.image_size),
                    transforms.ToTensor(),
                    transforms.Normalize((0.5,), (0.5,)),
                ]
            ),
        )
    elif kind == "folder":
        nc = 3
        data = dset.ImageFolder(
            root=root,
            transform=transforms.Compose(
                [
                    transforms.Resize(a.image_size),
                    transforms.CenterCrop(a.image_size),
                    transforms.ToTensor(),
                    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
                ]
            ),
        )
    else:
        raise SystemExit(f"unknown data kind {kind}")
    loader = torch.utils.data.DataLoader(
        data,
        batch_size=a.batch_size,
        shuffle=True,
        num_workers=a.workers,
        generator=torch.Generator().manual_seed(a.seed),
    )

    netG = Generator(a.image_size, nc, a.nz, a.ngf)
    netG.apply(weights_init)
    netD = Discriminator(a.image_size, nc, a.ndf)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=a.lr, betas=(a.beta1, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=a.lr, betas=(a.beta1, 0.999))

    def noise(b):
        if a.latent == "uniform":
            return torch.rand(b, a.nz, 1, 1) * 2 - 1
        return torch.randn(b, a.nz, 1, 1)

    os.makedirs(a.out, exist_ok=True)
    log = open(os.path.join(a.out, "metrics.jsonl"), "w")
    it, t0 = 0, time.time()
    while it < a.iters:
        for real, _ in loader:
            if it >= a.iters:
                break
            # (1) Update D: maximize log(D(x)) + log(1 - D(G(z))), as examples/dcgan/main.py.
            netD.zero_grad()
            b = real.size(0)
            label = torch.full((b,), 1.0)
            output = netD(real)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            fake = netG(noise(b))
            label.fill_(0.0)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optD.step()
            # (2) Update G: maximize log(D(G(z))).
            netG.zero_grad()
            label.fill_(1.0)
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optG.step()
            it += 1
            record = dict(iteration=it, loss_d=errD.item(), loss_g=errG.item(), d_x=D_x,
                          d_g_z1=D_G_z1, d_g_z2=D_G_z2, seconds=time.time() - t0)
            log.write(json.dumps(record) + "\n")
            if it % 100 == 0 or it == a.iters:
                log.flush()
                print(f"[{it}/{a.iters}] Loss_D {errD.item():.4f} Loss_G {errG.item():.4f} "
                      f"D(x) {D_x:.4f} D(G(z)) {D_G_z1:.4f} / {D_G_z2:.4f} "
                      f"({time.time() - t0:.0f} s)", flush=True)
    log.close()
    save_file(netG.state_dict(), os.path.join(a.out, "netG.safetensors"))
    save_file(netD.state_dict(), os.path.join(a.out, "netD.safetensors"))
    json.dump(vars(a), open(os.path.join(a.out, "args.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
