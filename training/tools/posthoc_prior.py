"""Post-hoc logit adjustment (Menon et al., ICLR 2021): the class prior taken out of a trained model's answers at
run time, logits - tau * log(prior of FER2013 Training), for a grid of tau. Reports FER2013 PublicTest (accuracy and
mean per-class recall, where tau would be chosen) and CK+ as a cross-dataset test (927 images, contempt left out),
1 view, PyTorch. A diagnostic: does a deployment prior move the CK+ figure once training has its own adjustment?

    cd training && /usr/bin/python3 tools/posthoc_prior.py --ckpt runs/sam1/best.pt --ckpt runs/r64d/best.pt \\
        --out results/rejected/posthoc-prior-session14.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from export_onnx import load_checkpoint  # noqa: E402
from fer_data import DEFAULT_DATA, load_ckplus_as_fer, load_fer_split, load_fer_training  # noqa: E402
from train import normalised_crops  # noqa: E402
from tta_views import predict_views  # noqa: E402

TAUS = [-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]


def mean_recall(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean([(pred[y == c] == c).mean() for c in np.unique(y)]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True, action="append")
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(2)
    _, y_train = load_fer_training(a.data)
    log_prior = np.log(np.bincount(y_train, minlength=7) / len(y_train))
    tests = {"publictest": load_fer_split(a.data, "publictest"), "ckplus": load_ckplus_as_fer(a.data)[:2]}
    report = {}
    for ckpt in a.ckpt:
        net, cfg, meta = load_checkpoint(ckpt)
        logp = {s: np.log(predict_views(net.eval(), normalised_crops(x, cfg.in_channels), int(meta["size"]), 1, 32) + 1e-9)
                for s, (x, _) in tests.items()}
        rows = []
        for tau in TAUS:
            row = {"tau": tau}
            for s, (_, y) in tests.items():
                pred = (logp[s] - tau * log_prior).argmax(1)
                row[f"{s}_accuracy"] = round(float((pred == y).mean()), 4)
                row[f"{s}_mean_recall"] = round(mean_recall(pred, y), 4)
            rows.append(row)
            print(ckpt, json.dumps(row), flush=True)
        report[ckpt] = rows
    with open(a.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
