"""Pack the training data (and a warm-start checkpoint) small enough to send to a lent GPU machine.

    /usr/bin/python3 training/tools/pack_data.py pack .devdata --init training/runs/r64c/swa.pt
    python3 training/tools/pack_data.py unpack .devdata /tmp/data      # on the GPU machine

The device tool sends at most 64 MiB with the working tree, and FER2013's Training images alone are 66 MB.
Images are stored as the residuals of the median edge detector predictor (LOCO-I / JPEG-LS) and then
xz-compressed: lossless, about 12 % smaller than xz on the raw pixels. Unpacking checks every file's sha256
against the original. The warm-start checkpoint travels as float16 weights (half the size; a warm start
does not need the last bits).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import shutil

import numpy as np

# What a GPU run reads: Training (with its duplicate flags and FER+ votes), PublicTest for selection, PrivateTest for the
# evaluation and CK+ for the cross-validation.
FILES = {
    "fer2013/train_x.u8": "image", "fer2013/train_y.u8": "raw", "fer2013/train_dupflag.u8": "raw",
    "fer2013/train_ferplus_votes.u8": "votes",
    "fer2013/publictest_x.u8": "image", "fer2013/publictest_y.u8": "raw",
    "fer2013/privatetest_x.u8": "image", "fer2013/privatetest_y.u8": "raw",
    "ckplus/all_x.u8": "image", "ckplus/all_y.u8": "raw", "ckplus/all_fold10_subject.u8": "raw",
}
SIDE = 48
ROW_BYTES = {"image": SIDE * SIDE, "raw": 1, "votes": 10}  # bytes per image in each kind of file


def med_prediction(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Median edge detector: left a, above b, above-left c (int16 arrays)."""
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    return np.where(c >= hi, lo, np.where(c <= lo, hi, a + b - c))


def encode_images(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.int16)
    a, b, c = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    a[:, :, 1:], b[:, 1:, :], c[:, 1:, 1:] = x[:, :, :-1], x[:, :-1, :], x[:, :-1, :-1]
    return ((x - med_prediction(a, b, c)) % 256).astype(np.uint8)


def decode_images(res: np.ndarray) -> np.ndarray:
    """Pixel by pixel in raster order, every image at once."""
    n, h, w = res.shape
    x = np.zeros((n, h + 1, w + 1), np.int16)  # a zero row above and column to the left
    r = res.astype(np.int16)
    for i in range(h):
        for j in range(w):
            p = med_prediction(x[:, i + 1, j], x[:, i, j + 1], x[:, i, j])
            x[:, i + 1, j + 1] = (r[:, i, j] + p) % 256
    return x[:, 1:, 1:].astype(np.uint8)


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def pack(data: str, out: str, init: str, limit: int = 0, skip: tuple = ()) -> None:
    os.makedirs(out, exist_ok=True)
    sums = {}
    for rel, kind in FILES.items():
        if any(part in rel for part in skip):
            continue
        raw = open(os.path.join(data, rel), "rb").read()
        if limit:  # a small pack for trying a GPU script out on the CPU
            raw = raw[:limit * ROW_BYTES[kind]]
        sums[rel] = sha256(raw)
        body = encode_images(np.frombuffer(raw, np.uint8).reshape(-1, SIDE, SIDE)).tobytes() if kind == "image" else raw
        with open(os.path.join(out, rel.replace("/", "__") + ".xz"), "wb") as f:
            f.write(lzma.compress(body, preset=9 | lzma.PRESET_EXTREME))
    with open(os.path.join(out, "sha256.json"), "w") as f:
        json.dump(sums, f, indent=1)
    if init:
        import torch
        ck = torch.load(init, map_location="cpu")
        small = {k: ck[k] for k in ("config", "size", "epoch", "val_acc", "averaged") if k in ck}
        small["model"] = {k: v.half() if v.is_floating_point() else v for k, v in ck["model"].items()}
        small["from"] = init
        torch.save(small, os.path.join(out, "init.pt"))
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(json.dumps({"out": out, "bytes": total}))


def unpack(src: str, data: str) -> None:
    sums = json.load(open(os.path.join(src, "sha256.json")))
    for rel in sums:  # what was packed (pack --skip leaves some out)
        kind = FILES[rel]
        body = lzma.decompress(open(os.path.join(src, rel.replace("/", "__") + ".xz"), "rb").read())
        raw = decode_images(np.frombuffer(body, np.uint8).reshape(-1, SIDE, SIDE)).tobytes() if kind == "image" else body
        if sha256(raw) != sums[rel]:
            raise SystemExit(f"{rel}: unpacked data differs from the original (sha256)")
        os.makedirs(os.path.dirname(os.path.join(data, rel)), exist_ok=True)
        with open(os.path.join(data, rel), "wb") as f:
            f.write(raw)
    print(json.dumps({"unpacked": sorted(sums), "to": data, "sha256": "ok"}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("pack")
    pk.add_argument("out")
    pk.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
    pk.add_argument("--init", default="", help="checkpoint to send as float16 weights (init.pt)")
    pk.add_argument("--limit", type=int, default=0, help="only the first N images of each file (for trials)")
    pk.add_argument("--skip", action="append", default=[], help="leave out files whose path contains this "
                    "(e.g. privatetest, when the working tree and the data together exceed the tool's 64 MiB)")
    up = sub.add_parser("unpack")
    up.add_argument("src")
    up.add_argument("data")
    a = p.parse_args()
    if a.cmd == "pack":
        if os.path.isdir(a.out):
            shutil.rmtree(a.out)
        pack(a.data, a.out, a.init, a.limit, tuple(a.skip))
    else:
        unpack(a.src, a.data)


if __name__ == "__main__":
    main()
