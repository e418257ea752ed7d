"""CK+ 10-fold of a whole training recipe: each fold's model trained with that fold's subjects left out
(`train.py --ckplus except:K`, tools/ckplus_recipe_cv.sh runs the shipped recipe so), scored on that fold.

    /usr/bin/python3 training/ckplus_recipe_score.py --runs 'training/runs/cv/c4-k{fold}' --out RESULT.json

Scores each fold whose run has finished (its `best.pt`, chosen on PublicTest) on its held-out subjects'
images (CK+ without contempt, which FER2013's classes lack: 927 images over the ten folds) with 1, 2 and 6
test-time views, as the exported graph computes them, and writes per-fold and pooled figures. The mean over ten folds is the protocol's figure; until all ten
are done the file says how many are. This differs from ckplus_cv.py, which fine-tunes a FER2013 model into
CK+'s own seven classes (contempt included) and scores all 981 images.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from export_onnx import load_checkpoint
from fer_data import DEFAULT_DATA, FER_LABELS, load_ckplus_as_fer
from train import normalised_crops
from tta_views import CHOICES, predict_views


def finished(run: str) -> bool:
    """Whether a run has trained all its epochs (an unfinished run's best.pt is not the recipe's model)."""
    try:
        with open(os.path.join(run, "log.jsonl")) as f:
            last = json.loads(f.read().strip().splitlines()[-1])
    except (OSError, IndexError, ValueError):
        return False
    return last["epoch"] == last["epochs"] - 1 and os.path.exists(os.path.join(run, "best.pt"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", required=True, help="each fold's run folder, with {fold} for its number")
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)

    x, y, fold = load_ckplus_as_fer(a.data)
    folds, pooled = [], {n: [0, 0] for n in CHOICES}
    for k in range(10):
        run = a.runs.format(fold=k)
        ckpt = os.path.join(run, "best.pt")
        if not finished(run):
            continue
        net, cfg, ck = load_checkpoint(ckpt)
        held = fold == k
        crops = normalised_crops(x[held], cfg.in_channels)
        row = {"fold": k, "n": int(held.sum()), "checkpoint": ckpt, "epoch": ck.get("epoch"),
               "publictest_1view": ck.get("val_acc")}
        for n in CHOICES:
            pred = predict_views(net, crops, int(ck["size"]), n).argmax(1)
            correct = int((pred == y[held]).sum())
            row[f"accuracy_{n}view"] = correct / len(pred)
            pooled[n][0] += correct
            pooled[n][1] += len(pred)
            if n == 2:
                row["confusion_2views"] = np.bincount(y[held] * 7 + pred, minlength=49).reshape(7, 7).tolist()
        folds.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "confusion_2views"}), flush=True)

    result = {
        "protocol": "the recipe trained ten times, fold k's CK+ subjects left out of training, scored on fold k "
                    "(CK+ without contempt, FER2013's classes)",
        "labels": FER_LABELS,
        "folds_done": len(folds),
        "mean": {f"{n}view": float(np.mean([r[f"accuracy_{n}view"] for r in folds])) if folds else None
                 for n in CHOICES},
        "pooled": {f"{n}view": pooled[n][0] / pooled[n][1] if pooled[n][1] else None for n in CHOICES},
        "folds": folds,
    }
    with open(a.out + ".tmp", "w") as f:  # two chains may score at once: each file whole
        json.dump(result, f, indent=1)
    os.replace(a.out + ".tmp", a.out)
    print(json.dumps({k: result[k] for k in ("folds_done", "mean", "pooled")}))


if __name__ == "__main__":
    main()
