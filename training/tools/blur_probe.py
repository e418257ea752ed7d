"""How much a checkpoint's accuracy depends on fine detail: PublicTest and CK+ (927, contempt left out) scored with
each 48x48 image blurred (Gaussian, sigma in pixels, 5x5, edges repeated) or sharpened (unsharp mask, negative
sigma), PyTorch, 1 view. A diagnostic, not a selection: nothing is chosen on it.

    cd training && /usr/bin/python3 tools/blur_probe.py --ckpt runs/c3s/best.pt [--out results/c3s-blur-probe.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from export_onnx import load_checkpoint  # noqa: E402
from fer_data import DEFAULT_DATA, load_ckplus_as_fer, load_fer_split  # noqa: E402
from probe_scores import scores, write_rows  # noqa: E402


def filtered(x: np.ndarray, sigma: float) -> np.ndarray:
    if sigma == 0:
        return x
    t = torch.from_numpy(x).float().unsqueeze(1)
    k = torch.arange(-2, 3).float()
    g = torch.exp(-k ** 2 / (2 * sigma ** 2))
    g /= g.sum()
    b = F.conv2d(F.pad(t, (2, 2, 0, 0), mode="replicate"), g.view(1, 1, 1, 5))
    b = F.conv2d(F.pad(b, (0, 0, 2, 2), mode="replicate"), g.view(1, 1, 5, 1))
    out = b if sigma > 0 else 2 * t - b
    return out.round().clamp(0, 255).byte().squeeze(1).numpy()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--sigmas", default="0,0.5,0.8,-0.5,-0.8")
    p.add_argument("--out", default="")
    a = p.parse_args()
    torch.set_num_threads(2)
    model, _, ck = load_checkpoint(a.ckpt)
    model = model.to(memory_format=torch.channels_last)
    size = ck.get("size", 64)
    xp, yp = load_fer_split(a.data, "publictest")
    xc, yc, _ = load_ckplus_as_fer(a.data)
    rows = []
    for s in (float(v) for v in a.sigmas.split(",")):
        rows.append({"sigma": s, **scores(model, (filtered(xp, s), yp), (filtered(xc, s), yc), size, 1)})
        print(json.dumps(rows[-1]), flush=True)
    write_rows(a.out, a.ckpt, rows)


if __name__ == "__main__":
    main()
