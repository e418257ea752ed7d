"""Evaluate a LightExNet checkpoint on FER2013 with both protocols.

    /usr/bin/python3 training/evaluate.py --ckpt training/runs/r64/best.pt

Prints JSON: accuracy, n, per-class recall and the confusion matrix on PublicTest, PrivateTest (3,589) and
PublicTest+PrivateTest (7,178), for each choice of test-time views (1 = plain, 2 = + mirror, 6 = + small
rotations; tta_views.py), computed as the exported graph computes them.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from export_onnx import load_checkpoint
from fer_data import DEFAULT_DATA, FER_LABELS, load_fer_split
from train import normalised_crops
from tta_views import CHOICES, predict_views


def report(labels, y, pred) -> dict:
    k = len(labels)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y, pred), 1)
    recall = {l: round(float(cm[i, i] / max(1, cm[i].sum())), 4) for i, l in enumerate(labels)}
    return {"n": int(len(y)), "correct": int((y == pred).sum()), "accuracy": round(float((y == pred).mean()), 4),
            "per_class_recall": recall, "confusion": cm.tolist()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--publictest-only", action="store_true", help="where PrivateTest is not at hand (a GPU machine)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    net, cfg, ck = load_checkpoint(a.ckpt)
    net = net.to(a.device)
    size = int(ck["size"])
    out = {"checkpoint": a.ckpt, "epoch": ck.get("epoch"), "input": size}
    data = {}
    splits = ("publictest",) if a.publictest_only else ("publictest", "privatetest")
    for split in splits:
        x, y = load_fer_split(a.data, split)
        x = normalised_crops(x, cfg.in_channels)
        data[split] = (x, y)
    for n in CHOICES:
        y_pu, p_pu = data["publictest"][1], predict_views(net, data["publictest"][0], size, n, device=a.device)
        out[f"views_{n}"] = {"publictest": report(FER_LABELS, y_pu, p_pu.argmax(1))}
        if a.publictest_only:
            continue
        y_pr, p_pr = data["privatetest"][1], predict_views(net, data["privatetest"][0], size, n, device=a.device)
        out[f"views_{n}"].update({
            "privatetest": report(FER_LABELS, y_pr, p_pr.argmax(1)),
            "test_7178": report(FER_LABELS, np.concatenate([y_pu, y_pr]), np.concatenate([p_pu, p_pr]).argmax(1)),
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
