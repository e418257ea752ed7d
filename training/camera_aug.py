"""Camera-pipeline degradations for training batches: what a face goes through between a camera and the
classifier that FER2013's web photos did not (a small face upscaled to 48 px, JPEG at the camera's quality,
exposure and gamma of a cheap sensor, sensor noise).

Applied to the 48x48 source images before training's affine augmentation (train.augment), so the order is
the product's: the camera degrades the frame, then the face is cropped and resampled. One draw from the
training generator per image and parameter, so runs stay deterministic from --seed.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

try:  # torchvision's libjpeg bindings; without them the JPEG step is skipped (and the run says so)
    from torchvision.io import decode_jpeg, encode_jpeg
except ImportError:  # pragma: no cover - Debian's python3-torchvision has them
    encode_jpeg = decode_jpeg = None

JPEG_AVAILABLE = encode_jpeg is not None


def degrade(x: torch.Tensor, gen: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """x: B x 1 x 48 x 48 float in [0,1] -> the same, each image degraded by each step with probability p:
    resolution loss (the face was 19-48 px wide in the frame: down with antialiasing, back up bilinear),
    JPEG at quality 25-90, gamma 0.67-1.5, Gaussian noise up to sigma 0.03."""
    b, side = x.shape[0], x.shape[-1]
    u = torch.rand(8, b, generator=gen)
    out = x.detach().cpu().clone()  # never write into the caller's tensor
    # Resolution loss, in groups of similar factors (one interpolation per group, not per image).
    low = torch.where(u[0] < p, (0.4 + 0.6 * u[1]) * side, torch.full_like(u[1], float(side))).round().long()
    for s in low.unique().tolist():
        if s >= side:
            continue
        idx = (low == s).nonzero().flatten()
        small = F.interpolate(out[idx], size=(s, s), mode="bilinear", align_corners=False, antialias=True)
        out[idx] = F.interpolate(small, size=(side, side), mode="bilinear", align_corners=False)
    if JPEG_AVAILABLE:
        q = (25 + 65 * u[3]).long()
        for i in (u[2] < p).nonzero().flatten().tolist():
            img = (out[i] * 255).round().clamp(0, 255).to(torch.uint8)
            out[i] = decode_jpeg(encode_jpeg(img, quality=int(q[i]))).float() / 255
    gamma = torch.exp((u[4] * 2 - 1) * 0.4).view(b, 1, 1, 1)
    out = out.clamp(1e-4, 1).pow(gamma)
    sigma = torch.where(u[5] < p, u[6] * 0.03, torch.zeros_like(u[6])).view(b, 1, 1, 1)
    out = (out + sigma * torch.randn(out.shape, generator=gen)).clamp(0, 1)
    return out.to(x.device)
