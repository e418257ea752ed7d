"""Training targets beyond FER2013's one label per image.

- FER+ (Barsoum et al. 2016): ten annotators re-labelled every FER2013 image; their votes, mapped to
  FER2013's classes, are a distribution that says where a face is ambiguous (their majority agrees with
  FER2013's label on only 64 % of Training: many "sad" and "angry" faces are neutral to them).
- A teacher's probabilities (e.g. the shipped model with 6 test-time views), for distillation.

soft_targets() mixes them with the FER2013 label: w_fer * onehot + w_plus * FER+ + w_teacher * teacher.
With w_fer >= 0.5 the FER2013 label stays the argmax of every target, so accuracy on FER2013's labels is
not traded away; the rest teaches how sure to be.
"""
from __future__ import annotations

import os

import numpy as np

from fer_data import FER_LABELS

# FER+ vote columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
FERPLUS_COLUMNS = ["neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt", "unknown", "nf"]
FERPLUS_TO_FER = [FERPLUS_COLUMNS.index(l) for l in FER_LABELS]  # contempt, unknown and NF are dropped


def load_ferplus(root: str, split: str) -> np.ndarray:
    """N x 7 FER+ vote distributions in FER2013's class order; rows of NaN where FER+ has no usable votes."""
    v = np.fromfile(os.path.join(root, "fer2013", split + "_ferplus_votes.u8"), np.uint8).reshape(-1, 10)
    votes = v[:, FERPLUS_TO_FER].astype(np.float32)
    total = votes.sum(1, keepdims=True)
    missing = (v[:, 0] == 255) | (total[:, 0] == 0)
    dist = votes / np.maximum(total, 1)
    dist[missing] = np.nan
    return dist


def soft_targets(labels: np.ndarray, ferplus: np.ndarray | None, teacher: np.ndarray | None,
                 w_plus: float, w_teacher: float) -> np.ndarray:
    """N x 7 float32 targets that sum to 1. A missing FER+ row gives its weight to the FER2013 label."""
    n, k = len(labels), len(FER_LABELS)
    onehot = np.zeros((n, k), np.float32)
    onehot[np.arange(n), labels] = 1
    out = (1 - w_plus - w_teacher) * onehot
    if w_plus:
        plus = np.where(np.isnan(ferplus), onehot, ferplus) if ferplus is not None else onehot
        out += w_plus * plus
    if w_teacher:
        out += w_teacher * teacher.astype(np.float32)
    return out / out.sum(1, keepdims=True)
