"""What the one-view probes (blur_probe, adabn_probe) report per setting: PublicTest accuracy, CK+ accuracy and
per-class recall, CK+ faces called neutral (CK+ has none); and the file they write."""
from __future__ import annotations

import json
import sys

import numpy as np

from fer_data import FER_LABELS
from train import predict

NEUTRAL = FER_LABELS.index("neutral")


def scores(model, publictest: tuple, ckplus: tuple, size: int, channels: int) -> dict:
    (xp, yp), (xc, yc) = publictest, ckplus
    pp = predict(model, xp, size, channels, "cpu").argmax(1)
    pc = predict(model, xc, size, channels, "cpu").argmax(1)
    return {"publictest": round(float((pp == yp).mean()), 4), "ckplus": round(float((pc == yc).mean()), 4),
            "ckplus_recall": {FER_LABELS[c]: round(float((pc[yc == c] == c).mean()), 4) for c in np.unique(yc)},
            "ckplus_called_neutral": int((pc == NEUTRAL).sum())}


def write_rows(path: str, ckpt: str, rows: list) -> None:
    if path:
        with open(path, "w") as f:
            json.dump({"ckpt": ckpt, "command": " ".join(sys.argv), "rows": rows}, f, indent=1)
