"""Merge ckplus_cv.py results that ran disjoint folds (--folds) as separate processes into one 10-fold result.

    /usr/bin/python3 training/ckplus_merge.py RUN_A RUN_B --out RUN

Running folds 0-4 and 5-9 as two one-thread processes halves the wall time on two cores. Fold k's seed is
--seed + k either way, so the merged result is the one a single process would have written (fold timings
aside). The figures are recomputed over all folds (ckplus_cv.summary), the confusion matrices (at the reported
views) summed.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

from ckplus_cv import summary

# What must agree for two parts to be one run.
RECIPE_KEYS = ("inner", "init", "epochs", "lr", "head_init", "erase", "views", "seeds", "size", "labels")


def merge(parts: list[dict]) -> dict:
    first = parts[0]
    for p in parts[1:]:
        differ = [k for k in RECIPE_KEYS if p.get(k) != first.get(k)]
        assert not differ, f"the parts differ in {differ}"
    per_fold: dict = {}
    for p in parts:
        overlap = per_fold.keys() & p["per_fold"].keys()
        assert not overlap, f"folds {sorted(overlap)} appear twice"
        per_fold.update(p["per_fold"])
    per_fold = {k: per_fold[k] for k in sorted(per_fold, key=int)}
    cm = np.sum([np.array(p["confusion"]) for p in parts], axis=0)
    merged = {k: v for k, v in first.items() if k not in ("per_fold", "confusion")}
    merged.update({
        **summary(per_fold, cm, first["views"], first.get("seeds", 1), [int(n) for n in first["mean_accuracy_by_views"]]),
        "per_fold": per_fold, "confusion": cm.tolist(),
        "folds_run_as": f"{len(parts)} processes, folds "
                        + " and ".join(",".join(sorted(p["per_fold"], key=int)) for p in parts) + " (--folds), merged",
    })
    return merged


def main():
    p = argparse.ArgumentParser()
    p.add_argument("runs", nargs="+", help="ckplus_cv.py output folders (each with result.json)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    parts = []
    for r in a.runs:
        with open(os.path.join(r, "result.json")) as f:
            parts.append(json.load(f))
    merged = merge(parts)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(merged, f, indent=1)
    print(json.dumps({k: merged[k] for k in ("mean_accuracy", "pooled_accuracy", "mean_accuracy_by_views")}))


if __name__ == "__main__":
    main()
