"""Nested choice among CK+ fine-tuning recipes, so that no test fold picks its own recipe.

    /usr/bin/python3 training/ckplus_select.py RUN_A RUN_B ...

Each RUN is a ckplus_cv.py output folder holding result.json (the 10-fold run) and inner/result.json (the
same recipe with --inner: for outer fold k, fine-tuned without folds k and k+1, scored on k+1). For each
outer fold k the recipe with the best inner score is chosen (ties go to the first listed, the baseline),
and fold k's accuracy is that recipe's. The nested mean is the figure to report; the best single recipe's
10-fold mean is optimistic (it was picked on the test folds).
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np


def read(run: str, inner: bool) -> dict:
    with open(os.path.join(run, "inner" if inner else "", "result.json")) as f:
        r = json.load(f)
    assert bool(r.get("inner")) == inner, f"{run}: expected inner={inner}"
    return r


def select(runs: list[str]) -> dict:
    outer = [read(r, False) for r in runs]
    inner = [read(r, True) for r in runs]
    folds = sorted(outer[0]["per_fold"], key=int)
    chosen, acc = {}, []
    for k in folds:
        scores = [i["per_fold"][k]["accuracy"] for i in inner]
        best = int(np.argmax(scores))  # first of equals
        chosen[k] = runs[best]
        acc.append(outer[best]["per_fold"][k]["accuracy"])
    views = {o["views"] for o in outer}
    assert len(views) == 1, f"the runs differ in test-time views: {views}"
    return {
        "protocol": "CK+ subject-independent 10-fold, recipe chosen per fold on an inner validation fold",
        "nested_mean_accuracy": round(float(np.mean(acc)), 4), "views": views.pop(),
        "per_fold": {k: {"recipe": chosen[k], "accuracy": a} for k, a in zip(folds, acc)},
        "recipes": {r: {"inner_mean": i["mean_accuracy"], "outer_mean": o["mean_accuracy"],
                        "epochs": o["epochs"], "lr": o["lr"], "head_init": o.get("head_init", "random"),
                        "erase": o.get("erase", 0.25), "seeds": o.get("seeds", 1), "size": o.get("size"),
                        "init": o.get("init")}
                    for r, i, o in zip(runs, inner, outer)},
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("runs", nargs="+")
    print(json.dumps(select(p.parse_args().runs), indent=1))


if __name__ == "__main__":
    main()
