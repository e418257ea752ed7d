"""PublicTest and CK+ (927, contempt left out) of checkpoints side by side, PyTorch, 1 view: CK+ per-class recall
and the faces called neutral, which train.py's log does not give. For comparing a run with its baseline.

    cd training && /usr/bin/python3 tools/checkpoint_scores.py runs/g1s/best.pt runs/b1/best.pt [--out F]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from export_onnx import load_checkpoint  # noqa: E402
from fer_data import DEFAULT_DATA, load_ckplus_as_fer, load_fer_split  # noqa: E402
from probe_scores import scores  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ckpts", nargs="+")
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--out", default="")
    a = p.parse_args()
    torch.set_num_threads(2)
    publictest = load_fer_split(a.data, "publictest")
    xc, yc, _ = load_ckplus_as_fer(a.data)
    rows = []
    for path in a.ckpts:
        model, cfg, ck = load_checkpoint(path)
        model = model.to(memory_format=torch.channels_last)
        rows.append({"ckpt": path, "epoch": ck.get("epoch"),
                     **scores(model, publictest, (xc, yc), ck.get("size", 64), cfg.in_channels)})
        print(json.dumps(rows[-1]), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"command": " ".join(sys.argv), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
