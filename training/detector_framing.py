"""The face framings our detector gives, for training's augmentation.

`node training/blazeface_framing.js` ran BlazeFace on FER2013 Training images made into camera-like frames and
recorded, per found face, where the FER image square lies relative to the box (results/blazeface-framing-*.json:
scale = image side / box side; dx, dy = (image centre - box centre) / box side). The product then crops
`crop.scale` x the box side around the box centre moved by (offsetX, offsetY) box sides (faceCrop in
src/core/classification/expression-classifier.ts). Drawing a recorded row per training image and cropping the
same way trains on the detector's real box noise (its joint scale and offset spread, long tails included)
instead of a uniform zoom and shift.
"""
from __future__ import annotations

import json
from typing import Tuple

import torch


class DetectorFraming:
    def __init__(self, path: str, crop_scale: float = 1.13, offset_x: float = 0.0, offset_y: float = -0.066):
        with open(path) as f:
            d = json.load(f)
        fields = d["rowFields"]
        rows = torch.tensor([[r[fields.index(k)] for k in ("scale", "dx", "dy")] for r in d["rows"]],
                            dtype=torch.float32)
        s, dx, dy = rows.unbind(1)
        box = 1 / s  # the box side in FER image sides
        # The crop in affine_grid's normalised input coordinates (the FER image spans -1..1): its half side
        # relative to the image's, and its centre.
        self.half = crop_scale * box
        self.cx = 2 * (offset_x - dx) * box
        self.cy = 2 * (offset_y - dy) * box
        self.n = len(rows)

    def draw(self, u: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """u: B uniforms in [0, 1) -> (zoom, tx, ty) per image, zoom as train.augment's `scale` (1 / half side)."""
        i = (u * self.n).long().clamp_(max=self.n - 1).cpu()
        return 1 / self.half[i].to(u.device), self.cx[i].to(u.device), self.cy[i].to(u.device)
