"""Sharpness-aware minimisation (SAM; Foret et al., ICLR 2021), for train.py --sam RHO.

Each step takes its gradient at the worst weights near the current ones (w + rho * g / ||g||, one ascent step)
instead of at w, which steers training towards flat minima; flat minima are reported to carry better to
other domains (Cha et al., "SWAD", NeurIPS 2021), which is CK+'s problem here. It costs a second forward and
backward pass per step. The second pass must not count as another batch: BatchNorm's running statistics and
the center loss's centers are left as the first pass set them.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
from torch import nn


@contextmanager
def perturbed(params: Sequence[torch.Tensor], rho: float) -> Iterator[None]:
    """After a backward pass: moves the parameters by rho along their gradient (as one vector), and back on exit."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.norm(torch.stack([g.detach().float().norm(2) for g in grads]), 2) if grads else torch.tensor(0.0)
    scale = rho / (float(norm) + 1e-12)
    moved = []
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            e = p.grad * scale
            p.add_(e)
            moved.append((p, e))
    try:
        yield
    finally:
        with torch.no_grad():
            for p, e in moved:
                p.sub_(e)


@contextmanager
def statistics_frozen(model: nn.Module, *updated_in_forward: nn.Module) -> Iterator[None]:
    """For the length of the block: the model's BatchNorm layers keep their running statistics, and modules that
    update themselves in a training-mode forward (the center loss's centers) are in eval mode. Restored on exit."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in bns]
    modes = [mod.training for mod in updated_in_forward]
    for m in bns:
        m.momentum = 0.0  # running = (1 - 0) * running + 0 * batch
    for mod in updated_in_forward:
        mod.eval()
    try:
        yield
    finally:
        for m, mom in zip(bns, momenta):
            m.momentum = mom
        for mod, mode in zip(updated_in_forward, modes):
            mod.train(mode)
