"""Temperature scaling (Guo et al. 2017): one number T that divides the logits, fitted on PublicTest by
minimising the negative log-likelihood, so a face called "sad 0.88" is sad about 88 % of the time. The argmax
(accuracy) is unchanged for one view. Reports expected calibration error (15 bins) before and after, on
PublicTest (where T is chosen) and PrivateTest (reported only, never used to choose).

    /usr/bin/python3 training/calibrate.py --ckpt training/runs/s1/best.pt --views 1 --out training/results/<run>-calibration.json
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from export_onnx import Tempered, load_checkpoint
from fer_data import DEFAULT_DATA, load_fer_split
from train import normalised_crops
from tta_views import predict_views


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    conf, pred = probs.max(1), probs.argmax(1)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += abs((pred[m] == y[m]).mean() - conf[m].mean()) * m.sum()
    return float(total / len(y))


def nll(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(probs[np.arange(len(y)), y] + 1e-12).mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--views", type=int, default=1)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--out", default="")
    a = p.parse_args()
    torch.set_num_threads(2)
    net, cfg, ck = load_checkpoint(a.ckpt)
    size = int(ck["size"])
    data = {s: load_fer_split(a.data, s) for s in ("publictest", "privatetest")}
    inputs = {s: normalised_crops(x, cfg.in_channels) for s, (x, _) in data.items()}

    def probs(split: str, t: float) -> np.ndarray:
        return predict_views(Tempered(net, t).eval(), inputs[split], size, a.views, batch=64)

    y_pub = data["publictest"][1]
    # Coarse grid, then a finer one around the best: each point is one pass over PublicTest.
    grid = [0.6, 0.8, 1.0, 1.2, 1.4, 1.7, 2.0]
    scores = {t: nll(probs("publictest", t), y_pub) for t in grid}
    best = min(scores, key=scores.get)
    for t in (best - 0.1, best - 0.05, best + 0.05, best + 0.1):
        scores[round(t, 3)] = nll(probs("publictest", t), y_pub)
    best = min(scores, key=scores.get)
    out = {"checkpoint": a.ckpt, "views": a.views, "temperature": best, "publictest_nll": scores,
           "chosen_on": "PublicTest NLL"}
    for split, (_, y) in data.items():
        before, after = probs(split, 1.0), probs(split, best)
        out[split] = {"accuracy": float((after.argmax(1) == y).mean()), "ece_before": round(ece(before, y), 4),
                      "ece_after": round(ece(after, y), 4), "nll_before": round(nll(before, y), 4),
                      "nll_after": round(nll(after, y), 4)}
    print(json.dumps(out))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
