"""Would averaging two trained models beat one? Scores every pair of the given runs' best checkpoints, one view
each (the cost of one model's two views), on the selection split (PublicTest) and on CK+ as a cross-dataset test
(927 images, contempt left out), averaging probabilities (arithmetic) or log-probabilities (geometric).
PrivateTest is not touched. Only runs that never saw CK+ make the CK+ column a test.

    /usr/bin/python3 ensemble_probe.py g1 f1 shipped d1 g2 g3 g4 --cache /tmp/ens --out results/ensemble-pairs.json

Each run's probabilities are cached in --cache (a minute or two per run and split on one thread).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os

import numpy as np
import torch

from export_onnx import load_checkpoint
from fer_data import DEFAULT_DATA, load_ckplus_as_fer, load_fer_split
from train import normalised_crops
from tta_views import predict_views


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    return round(100 * float((p.argmax(1) == y).mean()), 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+", help="folders under runs/ with a best.pt")
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.cache, exist_ok=True)
    xp, yp = load_fer_split(a.data, "publictest")
    xc, yc, _ = load_ckplus_as_fer(a.data)
    splits = {"publictest": (xp, yp), "ckplus_cross": (xc, yc)}
    probs: dict = {}
    for run in a.runs:
        loaded = None  # the checkpoint, read once and only where something is not cached
        for split, (x, _) in splits.items():
            for views in (1, 2):
                f = os.path.join(a.cache, f"{run}-{split}-v{views}.npy")
                if not os.path.exists(f):
                    loaded = loaded or load_checkpoint(os.path.join("runs", run, "best.pt"))
                    net, cfg, ck = loaded
                    np.save(f, predict_views(net, normalised_crops(x, cfg.in_channels), int(ck["size"]), views).astype(np.float32))
                probs[run, split, views] = np.load(f)
    out = {"singles": {}, "pairs_1_view_each": {}}
    for run in a.runs:
        out["singles"][run] = {f"{s}_views{v}": accuracy(probs[run, s, v], y) for s, (_, y) in splits.items() for v in (1, 2)}
    for r1, r2 in itertools.combinations(a.runs, 2):
        row = {}
        for s, (_, y) in splits.items():
            p1, p2 = probs[r1, s, 1], probs[r2, s, 1]
            row[f"{s}_mean"] = accuracy(p1 + p2, y)
            row[f"{s}_geometric"] = accuracy(np.log(p1 + 1e-8) + np.log(p2 + 1e-8), y)
        out["pairs_1_view_each"][f"{r1}+{r2}"] = row
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    best = max(out["pairs_1_view_each"].items(), key=lambda kv: kv[1]["ckplus_cross_mean"])
    print(json.dumps({"best_pair_on_ckplus": best}))


if __name__ == "__main__":
    main()
