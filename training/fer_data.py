"""Readers for the packed datasets in ../shared/data (raw uint8 arrays; see its README)."""
from __future__ import annotations

import os
from typing import Tuple

import numpy as np

FER_LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
CKPLUS_LABELS = ["anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"]
# The FER2013 class each CK+ class starts from when fine-tuning; contempt has no FER2013 class and starts
# from neutral, the class the FER2013 model gives most CK+ contempt images (43 of 54 for stage 4).
CKPLUS_FROM_FER = {"anger": "angry", "contempt": "neutral", "disgust": "disgust", "fear": "fear",
                   "happy": "happy", "sadness": "sad", "surprise": "surprise"}
DEFAULT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


def load_fer_split(root: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """split: train | publictest | privatetest. Returns (N x 48 x 48 uint8, N int64 labels)."""
    base = os.path.join(root, "fer2013", split + "_")
    x = np.fromfile(base + "x.u8", np.uint8).reshape(-1, 48, 48)
    y = np.fromfile(base + "y.u8", np.uint8).astype(np.int64)
    assert len(x) == len(y), f"{split}: {len(x)} images but {len(y)} labels"
    return x, y


def load_fer_dupflag(root: str, split: str) -> np.ndarray:
    return np.fromfile(os.path.join(root, "fer2013", split + "_dupflag.u8"), np.uint8)


def fer_training_keep(root: str) -> np.ndarray:
    """Which Training images training uses: all but identical images with conflicting labels (dupflag bit 1)."""
    return (load_fer_dupflag(root, "train") & 2) == 0


def load_fer_training(root: str) -> Tuple[np.ndarray, np.ndarray]:
    """The Training split less its identical images with conflicting labels."""
    x, y = load_fer_split(root, "train")
    keep = fer_training_keep(root)
    return x[keep], y[keep]


def load_ckplus(root: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (981 x 48 x 48 uint8, labels, subject-independent fold 0..9)."""
    base = os.path.join(root, "ckplus", "all_")
    x = np.fromfile(base + "x.u8", np.uint8).reshape(-1, 48, 48)
    y = np.fromfile(base + "y.u8", np.uint8).astype(np.int64)
    fold = np.fromfile(base + "fold10_subject.u8", np.uint8).astype(np.int64)
    return x, y, fold


def load_ckplus_as_fer(root: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CK+ without contempt (FER2013 has no such class), labels mapped to FER2013's: the 927 images of the
    cross-dataset test. Returns (images, FER2013 labels, fold)."""
    x, y, fold = load_ckplus(root)
    keep = y != CKPLUS_LABELS.index("contempt")
    to_fer = np.array([FER_LABELS.index(CKPLUS_FROM_FER[c]) for c in CKPLUS_LABELS])
    return x[keep], to_fer[y[keep]], fold[keep]


# RAF-DB basic's labels 1..7 in its own order (EmoLabel/list_patition_label.txt), as FER2013 classes.
RAFDB_LABELS = ["surprise", "fear", "disgust", "happy", "sad", "angry", "neutral"]


def load_rafdb(root: str, split: str = "train", size: int = 48) -> Tuple[np.ndarray, np.ndarray]:
    """RAF-DB "basic" (not in ../shared/data: its licence forbids redistribution; for whoever has it), in the
    layout `lightexnet eval --rafdb` reads: EmoLabel/list_patition_label.txt ("train_00001.jpg 5") and
    Image/aligned/train_00001_aligned.jpg (100x100 RGB). Returns (N x size x size uint8 grey, FER2013 labels):
    greyscale by PIL's ITU-R 601 luma and an area-average resize, like FER2013's own 48x48 grey faces. RAF-DB's
    aligned faces are framed tighter than FER2013's (as CK+48's are)."""
    from PIL import Image  # Debian's python3-pil; only needed here

    if split not in ("train", "test"):
        raise ValueError(f"RAF-DB split must be train or test, not {split!r}")
    listing = os.path.join(root, "EmoLabel", "list_patition_label.txt")
    if not os.path.isfile(listing):
        raise FileNotFoundError(f"{listing} not found: is {root} RAF-DB's basic folder (EmoLabel/, Image/aligned/)?")
    xs, ys = [], []
    with open(listing) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts or not parts[0].startswith(split + "_"):
                continue
            if len(parts) != 2 or parts[1] not in ("1", "2", "3", "4", "5", "6", "7"):
                raise ValueError(f"{listing}:{n}: expected 'NAME LABEL' with a label 1..7, got {line.strip()!r}")
            name, code = parts
            file = os.path.join(root, "Image", "aligned", name[:-len(".jpg")] + "_aligned.jpg")
            with Image.open(file) as im:
                grey = im.convert("L").resize((size, size), Image.Resampling.BOX)
            xs.append(np.asarray(grey, np.uint8))
            ys.append(FER_LABELS.index(RAFDB_LABELS[int(code) - 1]))
    if not xs:
        raise ValueError(f"no {split} images listed in {listing}")
    return np.stack(xs), np.array(ys, np.int64)


def load_level_angles(rolls_dir: str, split: str, data_root: str = DEFAULT_DATA) -> np.ndarray:
    """Degrees to turn each image of a split by to level its eye line, as the product does with --level-beyond 0
    (face-roll.ts levellingDegrees): BlazeFace's eye-line angle from blazeface_rolls.js (DIR/<split>.f32), 0 where
    no face was found or the angle is beyond +-90 degrees. split: train (the images load_fer_training keeps),
    publictest, privatetest, or ckplus (the 927 of load_ckplus_as_fer)."""
    rolls = np.fromfile(os.path.join(rolls_dir, split + ".f32"), np.float32)
    if split == "train":
        rolls = rolls[fer_training_keep(data_root)]
    elif split == "ckplus":
        rolls = rolls[np.fromfile(os.path.join(data_root, "ckplus", "all_y.u8"), np.uint8)
                      != CKPLUS_LABELS.index("contempt")]
    return np.where(np.isfinite(rolls) & (np.abs(rolls) <= 90), rolls, 0).astype(np.float32)
