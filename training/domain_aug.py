"""Domain-generalisation augmentations, tried for the CK+ cross-dataset gap (issue 15, session 12).

Both change only training: MixStyle acts through forward hooks that do nothing in eval mode (and are not part of
a checkpoint), and random convolution acts on the input batch. Neither is in the exported graph.

- MixStyle (Zhou et al., "Domain Generalization with MixStyle", ICLR 2021): in early layers, each image's
  per-channel feature mean and standard deviation (its "style": lighting, contrast, texture) are mixed with
  another image's, so the network sees new styles of the same faces.
- Random convolution (Xu et al., "Robust and Generalizable Visual Representation Learning via Random
  Convolutions", ICLR 2021): the input is filtered by a random k x k kernel and blended with itself, so
  local texture and sharpness (FER2013's web JPEGs against CK+'s studio frames) stop being a cue.
"""
from __future__ import annotations

from typing import Iterable, List

import torch
import torch.nn.functional as F
from torch import nn


class MixStyle:
    """Mixes feature statistics between the images of a batch, with probability p per batch and layer.

    lambda ~ Beta(alpha, alpha) per image; the partner is a random other image of the batch. The statistics are
    detached, as in the paper, so gradients do not flow through the mixing weights.
    """

    def __init__(self, p: float, gen: torch.Generator, alpha: float = 0.1, eps: float = 1e-6):
        if not 0 <= p <= 1:
            raise ValueError(f"MixStyle probability must be in [0, 1], not {p}")
        self.p, self.gen, self.alpha, self.eps = p, gen, alpha, eps
        self.handles: List[torch.utils.hooks.RemovableHandle] = []

    def mix(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        if b < 2 or float(torch.rand(1, generator=self.gen)) >= self.p:
            return x
        mu = x.mean((2, 3), keepdim=True).detach()
        sig = (x.var((2, 3), keepdim=True) + self.eps).sqrt().detach()
        lam = beta_sample(self.alpha, self.alpha, b, self.gen).to(x.device, x.dtype).view(b, 1, 1, 1)
        perm = torch.randperm(b, generator=self.gen).to(x.device)
        mu_mix = lam * mu + (1 - lam) * mu[perm]
        sig_mix = lam * sig + (1 - lam) * sig[perm]
        return (x - mu) / sig * sig_mix + mu_mix

    def attach(self, modules: Iterable[nn.Module]) -> "MixStyle":
        """Mixes the outputs of these modules while they are in training mode."""
        for m in modules:
            self.handles.append(m.register_forward_hook(lambda mod, _inp, out: self.mix(out) if mod.training else out))
        return self

    def detach(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles.clear()


def beta_sample(a: float, b: float, n: int, gen: torch.Generator) -> torch.Tensor:
    """n draws of Beta(a, b) from `gen` (torch's Beta takes no generator, so its draws would not follow --seed):
    Johnk's algorithm, exact, and accepting almost every draw for the a, b < 1 mixing uses."""
    out = torch.empty(0)
    while len(out) < n:
        u = torch.rand(2, 2 * n, generator=gen, dtype=torch.float64)
        x, y = u[0] ** (1 / a), u[1] ** (1 / b)
        ok = (x + y <= 1) & (x + y > 0)
        out = torch.cat([out, (x[ok] / (x[ok] + y[ok])).float()])
    return out[:n]


def random_convolution(x: torch.Tensor, gen: torch.Generator, p: float,
                       kernels: tuple = (1, 3, 5, 7)) -> torch.Tensor:
    """With probability p per image, blends the image with a random filtering of itself (RandConv's mixing
    variant). x: B x 1 x S x S in [0, 1]. One random kernel per batch (as in the paper), a blending weight per
    image; the filtered image is rescaled to the original's mean and standard deviation, so brightness and
    contrast stay what the photometric augmentation made them."""
    if p <= 0:
        return x
    b, c, dev = x.shape[0], x.shape[1], x.device
    k = kernels[int(torch.randint(len(kernels), (1,), generator=gen))]
    w = torch.randn(c, c, k, k, generator=gen) / (k * (c ** 0.5))
    y = F.conv2d(x, w.to(dev, x.dtype), padding=k // 2)
    m, s = x.mean((1, 2, 3), keepdim=True), x.std((1, 2, 3), keepdim=True)
    ym, ys = y.mean((1, 2, 3), keepdim=True), y.std((1, 2, 3), keepdim=True)
    y = (y - ym) / (ys + 1e-6) * s + m
    u = torch.rand(2, b, generator=gen).to(dev)
    alpha = u[1].view(b, 1, 1, 1)
    mixed = (alpha * x + (1 - alpha) * y).clamp(0, 1)
    return torch.where((u[0] < p).view(b, 1, 1, 1), mixed, x)
