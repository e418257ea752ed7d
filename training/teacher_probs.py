"""A teacher's probabilities for the FER2013 Training images train.py uses (--teacher), with test-time views.
Several checkpoints make an ensemble teacher: the mean of their probabilities.

    /usr/bin/python3 training/teacher_probs.py --ckpt training/runs/shipped/best.pt --views 6 \
        --out training/runs/teacher-shipped-v6.npy
    python3 teacher_probs.py --ckpt runs/t1/best.pt --ckpt runs/t2/best.pt --device cuda \
        --out runs/teacher-ens-v6.npy --each --report runs/teachers.json     # on a GPU

--each also saves each checkpoint's probabilities beside --out (NAME-<run>.npy for Training, and with --report
NAME-<run>-tests.npz for PublicTest and CK+ at each view count), so that any sub-ensemble can be formed (the mean
of the saved arrays) and scored later without the GPU. --report scores each teacher and the mean on PublicTest
(the selection split) and on CK+ as a cross-dataset test (927 images, contempt left out), with 1, 2 and 6 views.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from export_onnx import load_checkpoint
from fer_data import DEFAULT_DATA, load_ckplus_as_fer, load_fer_split, load_fer_training
from train import normalised_crops
from tta_views import CHOICES, predict_views


def run_name(ckpt: str) -> str:
    """runs/t1/best.pt -> t1"""
    return os.path.basename(os.path.dirname(os.path.abspath(ckpt)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True, action="append", help="repeat for an ensemble")
    p.add_argument("--views", type=int, default=6)
    p.add_argument("--out", required=True)
    p.add_argument("--each", action="store_true", help="also save each checkpoint's probabilities")
    p.add_argument("--report", default="", help="JSON: PublicTest and CK+ accuracy of each teacher and the mean")
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.cudnn.benchmark = a.device != "cpu"
    x, y = load_fer_training(a.data)
    tests = {"publictest": load_fer_split(a.data, "publictest"), "ckplus": load_ckplus_as_fer(a.data)[:2]}
    # Small batches on the CPU: V x batch images per pass, and large activations cost page faults (4x slower).
    batch = 32 if a.device == "cpu" else 256
    train_probs, test_probs, report = [], {}, {}
    for path in a.ckpt:
        net, cfg, ck = load_checkpoint(path)
        net = net.to(a.device)
        size = int(ck["size"])
        probs = predict_views(net, normalised_crops(x, cfg.in_channels), size, a.views, batch, a.device)
        train_probs.append(probs.astype(np.float32))
        name = run_name(path)
        if a.each:
            np.save(a.out[:-len(".npy")] + f"-{name}.npy", probs.astype(np.float16))
        if a.report:
            for split, (xs, ys) in tests.items():
                for n in CHOICES:
                    pr = predict_views(net, normalised_crops(xs, cfg.in_channels), size, n, batch, a.device)
                    test_probs.setdefault((split, n), []).append(pr)
                    report.setdefault(name, {})[f"{split}_views{n}"] = round(float((pr.argmax(1) == ys).mean()), 4)
        if a.each and a.report:
            np.savez_compressed(a.out[:-len(".npy")] + f"-{name}-tests.npz",
                                **{f"{s}_views{n}": ps[-1].astype(np.float16) for (s, n), ps in test_probs.items()})
        print(json.dumps({"ckpt": path, "train_accuracy": round(float((probs.argmax(1) == y).mean()), 4),
                          **report.get(name, {})}), flush=True)
    mean = np.mean(train_probs, 0)
    np.save(a.out, mean.astype(np.float16))
    if a.report:
        report["mean"] = {f"{split}_views{n}": round(float((np.mean(ps, 0).argmax(1) == tests[split][1]).mean()), 4)
                          for (split, n), ps in test_probs.items()}
        report["mean"]["train_accuracy"] = round(float((mean.argmax(1) == y).mean()), 4)
        with open(a.report, "w") as f:
            json.dump(report, f, indent=1)
    print(json.dumps({"out": a.out, "n": len(mean), "teachers": len(a.ckpt),
                      "train_accuracy": round(float((mean.argmax(1) == y).mean()), 4)}))


if __name__ == "__main__":
    main()
