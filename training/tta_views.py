"""Test-time views: the crop seen several ways (mirrored, slightly rotated), probabilities averaged.

The exported ONNX graph takes the views as a second input ("grid": V x S x S x 2, torch's affine_grid
for each view) so a client picks how many views to pay for; the manifest lists the views in order and
the Node side builds the same grids (src/core/test-time-views.ts). Prefixes of VIEWS are the choices:
1 = the crop alone, 2 = + its mirror image, 6 = + rotations of +-6 degrees and their mirrors. The view set
was fixed before the shipped model was trained (rotations are within training's augmentation range);
which prefix the manifest makes the default is chosen on PublicTest.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

VIEWS = [
    {"angle": 0.0, "scale": 1.0, "flip": False},
    {"angle": 0.0, "scale": 1.0, "flip": True},
    {"angle": 6.0, "scale": 1.0, "flip": False},
    {"angle": 6.0, "scale": 1.0, "flip": True},
    {"angle": -6.0, "scale": 1.0, "flip": False},
    {"angle": -6.0, "scale": 1.0, "flip": True},
]
CHOICES = (1, 2, 6)


def view_theta(view: dict) -> list[list[float]]:
    """The 2x3 affine matrix (output -> input, normalised coordinates) of a view, as training's augment
    builds it: rotate by `angle` degrees, zoom in by `scale`, mirror horizontally when `flip`."""
    a = math.radians(view["angle"])
    c, s = math.cos(a) / view["scale"], math.sin(a) / view["scale"]
    f = -1.0 if view["flip"] else 1.0
    return [[c * f, -s, 0.0], [s * f, c, 0.0]]


def view_grids(views: Sequence[dict], size: int) -> torch.Tensor:
    """V x size x size x 2 sampling grids (align_corners=False)."""
    theta = torch.tensor([view_theta(v) for v in views], dtype=torch.float32)
    return F.affine_grid(theta, [len(views), 1, size, size], align_corners=False)


def multi_view_probs(net: torch.nn.Module, x: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Mean softmax over the views. x: N x C x H x W normalised crops (any H, W); grid: V x S x S x 2.
    Exported as is, so it only uses shape arithmetic that ONNX tracing keeps dynamic."""
    v, n = grid.shape[0], x.shape[0]
    xs = x.unsqueeze(0).expand(v, -1, -1, -1, -1).flatten(0, 1)
    gs = grid.unsqueeze(1).expand(-1, n, -1, -1, -1).flatten(0, 1)
    xs = F.grid_sample(xs, gs, mode="bilinear", padding_mode="border", align_corners=False)
    p = F.softmax(net(xs), 1)
    return p.reshape(v, n, p.shape[1]).mean(0)


@torch.no_grad()
def predict_views(net: torch.nn.Module, x_norm: np.ndarray | torch.Tensor, size: int, n_views: int,
                  batch: int = 256, device: str = "cpu") -> np.ndarray:
    """Probabilities for normalised crops (N x C x H x W) with the first n_views views; `net` is on `device`."""
    net.eval()
    grid = view_grids(VIEWS[:n_views], size).to(device)
    x = torch.as_tensor(x_norm)
    return torch.cat([multi_view_probs(net, x[i:i + batch].to(device), grid).cpu()
                      for i in range(0, len(x), batch)]).numpy()
