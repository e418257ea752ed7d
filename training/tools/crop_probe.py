"""How a checkpoint's accuracy moves when its crop is zoomed or turned (1 view, PyTorch, the exported graph's
resampling: the views' affine grids). Answers "is the CK+ gap the framing?" (zoom) and "how much does a tilted
head cost?" (turn). PublicTest is the selection split; CK+ all 927 images (contempt left out).

    /usr/bin/python3 tools/crop_probe.py --ckpt runs/o1/best.pt [--zoom 0.75,0.85,0.92,1,1.08,1.15] [--turn 0,10,20,30]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from export_onnx import load_checkpoint  # noqa: E402
from fer_data import DEFAULT_DATA, load_ckplus_as_fer, load_fer_split  # noqa: E402
from train import normalised_crops  # noqa: E402
from tta_views import multi_view_probs, view_grids  # noqa: E402


def accuracy(net, x, y, view, size) -> float:
    g = view_grids([view], size)
    with torch.no_grad():
        p = torch.cat([multi_view_probs(net, x[i:i + 256], g) for i in range(0, len(x), 256)]).argmax(1).numpy()
    return round(float((p == y).mean()) * 100, 2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--zoom", default="0.75,0.85,0.92,1,1.08,1.15")
    p.add_argument("--turn", default="0,10,20,30")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    net, cfg, ck = load_checkpoint(a.ckpt)
    net.eval()
    size = int(ck["size"])
    xc, yc, _ = load_ckplus_as_fer(a.data)
    xp, yp = load_fer_split(a.data, "publictest")
    xc, xp = (torch.from_numpy(normalised_crops(x, cfg.in_channels)) for x in (xc, xp))
    out = {"checkpoint": a.ckpt, "zoom": {}, "turn": {}}
    for z in (float(v) for v in a.zoom.split(",") if v):
        view = {"angle": 0.0, "scale": z, "flip": False}
        out["zoom"][str(z)] = {"ckplus": accuracy(net, xc, yc, view, size), "publictest": accuracy(net, xp, yp, view, size)}
    for t in (float(v) for v in a.turn.split(",") if v):
        out["turn"][str(t)] = {"publictest": accuracy(net, xp, yp, {"angle": t, "scale": 1.0, "flip": False}, size)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
