"""Is CK+'s gap a shift in feature statistics? Batch-norm statistics re-estimated on a set's own images, labels
unused (AdaBN, Li et al. 2016), then PublicTest and CK+ (927, contempt left out) scored, PyTorch, 1 view. A
diagnostic, not a selection and not a protocol we report as the generalisation figure: re-estimating on CK+ looks
at the test images (transductively), and nothing is chosen on it.

Rows: the checkpoint's own statistics; re-estimated on PublicTest (the control: the procedure itself, in domain);
on CK+; on FER2013 Training (what training's statistics would be without augmentation).

    cd training && /usr/bin/python3 tools/adabn_probe.py --ckpt runs/c3s/best.pt [--out results/c3s-adabn-probe.json]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys

import numpy as np
import torch
from torch.optim.swa_utils import update_bn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from export_onnx import load_checkpoint  # noqa: E402
from fer_data import DEFAULT_DATA, load_ckplus_as_fer, load_fer_split, load_fer_training  # noqa: E402
from probe_scores import scores, write_rows  # noqa: E402
from train import to_input  # noqa: E402


def restat(model: torch.nn.Module, x_u8: np.ndarray, size: int, channels: int, batch: int = 256) -> torch.nn.Module:
    """A copy of model whose batch-norm running statistics are the plain average over x_u8's batches (unaugmented)."""
    m = copy.deepcopy(model)
    batches = (to_input(x_u8[i:i + batch], size, channels, "cpu").contiguous(memory_format=torch.channels_last)
               for i in range(0, len(x_u8), batch))
    update_bn(batches, m)
    return m.eval()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--out", default="")
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model, cfg, ck = load_checkpoint(a.ckpt)
    model = model.to(memory_format=torch.channels_last)
    size, channels = ck.get("size", 64), cfg.in_channels
    xp, yp = load_fer_split(a.data, "publictest")
    xc, yc, _ = load_ckplus_as_fer(a.data)
    xt, _ = load_fer_training(a.data)
    # Training images in a fixed shuffled order so that every batch mixes classes as training's did.
    xt = xt[np.random.default_rng(0).permutation(len(xt))]
    sources = {"checkpoint": None, "publictest": xp, "ckplus": xc, "training": xt}
    rows = []
    for name, xs in sources.items():
        m = model if xs is None else restat(model, xs, size, channels)
        rows.append({"statistics_from": name, **scores(m, (xp, yp), (xc, yc), size, channels)})
        print(json.dumps(rows[-1]), flush=True)
    write_rows(a.out, a.ckpt, rows)


if __name__ == "__main__":
    main()
