"""A teacher's probabilities for the FER2013 Training images train.py uses (--teacher), with test-time views.

    /usr/bin/python3 training/teacher_probs.py --ckpt training/runs/shipped/best.pt --views 6 \
        --out training/runs/teacher-shipped-v6.npy
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from export_onnx import load_checkpoint
from fer_data import DEFAULT_DATA, load_fer_training
from train import normalised_crops
from tta_views import predict_views


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--views", type=int, default=6)
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    net, cfg, ck = load_checkpoint(a.ckpt)
    x, y = load_fer_training(a.data)
    # Small batches: V x batch images per pass, and large activations cost page faults (measured 4x slower).
    probs = predict_views(net, normalised_crops(x, cfg.in_channels), int(ck["size"]), a.views, batch=32).astype(np.float32)
    np.save(a.out, probs)
    print({"out": a.out, "n": len(probs), "train_accuracy": round(float((probs.argmax(1) == y).mean()), 4)})


if __name__ == "__main__":
    main()
