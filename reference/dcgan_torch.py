"""PyTorch's `examples/dcgan` networks, generalised to the sizes `dcgan` supports.

The module layout (and so every `state_dict` name) is exactly that of pytorch/examples
`dcgan/main.py` at 64x64 with 4x4 kernels: `main.0` ... `main.12` for netG and `main.0` ...
`main.11` for netD. Other sizes add or remove middle blocks; kernel 5 is the authors' variant
(padding 2, output padding 1). This file is for fixtures and benchmarks only; `dcgan` never
needs PyTorch at run time.
"""

import math

import torch
import torch.nn as nn


def depth(image_size):
    n = int(math.log2(image_size // 4))
    assert 4 * 2**n == image_size and n >= 2, image_size
    return n


class Generator(nn.Module):
    def __init__(self, image_size=64, nc=3, nz=100, ngf=64, kernel=4):
        super().__init__()
        n = depth(image_size)
        pad = (kernel - 1) // 2
        out_pad = 2 + 2 * pad - kernel
        width = lambda i: ngf * 2 ** (n - 1 - i)
        layers = [
            nn.ConvTranspose2d(nz, width(0), 4, 1, 0, bias=False),
            nn.BatchNorm2d(width(0)),
            nn.ReLU(True),
        ]
        for i in range(1, n):
            layers += [
                nn.ConvTranspose2d(width(i - 1), width(i), kernel, 2, pad, out_pad, bias=False),
                nn.BatchNorm2d(width(i)),
                nn.ReLU(True),
            ]
        layers += [
            nn.ConvTranspose2d(width(n - 1), nc, kernel, 2, pad, out_pad, bias=False),
            nn.Tanh(),
        ]
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, image_size=64, nc=3, ndf=64, kernel=4):
        super().__init__()
        n = depth(image_size)
        pad = (kernel - 1) // 2
        width = lambda i: ndf * 2**i
        layers = [nn.Conv2d(nc, width(0), kernel, 2, pad, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        for i in range(1, n):
            layers += [
                nn.Conv2d(width(i - 1), width(i), kernel, 2, pad, bias=False),
                nn.BatchNorm2d(width(i)),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        layers += [nn.Conv2d(width(n - 1), 1, 4, 1, 0, bias=False), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    """PyTorch's example: conv N(0, 0.02); BN weight N(1, 0.02), bias 0."""
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def train_step(netG, netD, optG, optD, real, noise):
    """One iteration of `examples/dcgan/main.py`, verbatim in substance."""
    criterion = nn.BCELoss()
    b = real.size(0)
    netD.zero_grad()
    label = torch.full((b,), 1.0)
    output = netD(real)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    fake = netG(noise)
    label.fill_(0.0)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optD.step()
    netG.zero_grad()
    label.fill_(1.0)
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optG.step()
    return errD.item(), errG.item(), D_x, D_G_z1, D_G_z2


def data_parallel_step(netG, netD, optG, optD, real, noise, n):
    """`train_step` as `DistributedDataParallel` runs it on `n` devices, simulated on one: the
    batch cut into `n` equal shards, each through its own replica (batch norm on the shard's own
    statistics, no SyncBatchNorm), the gradients averaged (summed in shard order, then divided,
    as DDP's all-reduce does), one Adam step; replica 0 is the model itself, whose running
    statistics the others receive before each forward (`broadcast_buffers`). Returns the five
    statistics averaged over shards."""
    import copy

    criterion = nn.BCELoss()
    s = real.size(0) // n
    reals, noises = real.split(s), noise.split(s)
    gs = [netG] + [copy.deepcopy(netG) for _ in range(n - 1)]
    ds = [netD] + [copy.deepcopy(netD) for _ in range(n - 1)]

    def average(models):
        for params in zip(*(m.parameters() for m in models)):
            total = params[0].grad.clone()
            for p in params[1:]:
                total += p.grad
            params[0].grad = total / n

    stats = []
    fakes = []
    for g, d, x, z in zip(gs, ds, reals, noises):
        d.zero_grad()
        output = d(x)
        err_real = criterion(output, torch.full((s,), 1.0))
        err_real.backward()
        d_x = output.mean().item()
        fake = g(z)
        output = d(fake.detach())
        err_fake = criterion(output, torch.full((s,), 0.0))
        err_fake.backward()
        stats.append([(err_real + err_fake).item(), 0.0, d_x, output.mean().item(), 0.0])
        fakes.append(fake)
    average(ds)
    optD.step()
    for d in ds[1:]:
        d.load_state_dict(netD.state_dict())
    for k, (g, d, fake) in enumerate(zip(gs, ds, fakes)):
        g.zero_grad()
        output = d(fake)
        err_g = criterion(output, torch.full((s,), 1.0))
        err_g.backward()
        stats[k][1] = err_g.item()
        stats[k][4] = output.mean().item()
    average(gs)
    optG.step()
    return [sum(col) / n for col in zip(*stats)]
