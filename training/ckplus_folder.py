"""Writes CK+ (contempt left out: FER2013 has no such class) as a folder of PNGs by FER2013 label, outside the
repository, for the Node side's cross-dataset test: `npx lightexnet eval --folder DIR`. The images stay the
dataset's 48x48 crops; the product classifies them as whole-image face crops. With --level ROLLS_DIR
(blazeface_rolls.js's angles) each crop is first turned so its eye line is level: a diagnostic only, since the
turn adds a resampling the product does not do (it costs c3s 2.5 points); ckplus_levelled_eval.js scores levelled
CK+ as the product would.

    /usr/bin/python3 training/ckplus_folder.py /tmp/ckplus-fer [DATA] [--level training/results/rolls]
    npx lightexnet eval --folder /tmp/ckplus-fer
"""
from __future__ import annotations

import argparse
import os

from PIL import Image

from fer_data import DEFAULT_DATA, FER_LABELS, load_ckplus_as_fer, load_level_angles


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("data", nargs="?", default=DEFAULT_DATA)
    p.add_argument("--level", default="", help="a folder of eye-line angles (blazeface_rolls.js)")
    p.add_argument("--size", type=int, default=48, help="with --level: the crops' side, turned and resized in one "
                   "resampling (64, the network's input, spares the product a second one)")
    a = p.parse_args()
    out = a.out
    x, y, _ = load_ckplus_as_fer(a.data)
    if a.level:
        from train import MEAN, STD, to_input  # PyTorch only for this
        t = to_input(x, a.size, 1, "cpu", load_level_angles(a.level, "ckplus", a.data))[:, 0]
        x = ((t * STD + MEAN) * 255).round().clamp(0, 255).byte().numpy()
    for i, (img, label) in enumerate(zip(x, y)):
        d = os.path.join(out, FER_LABELS[label])
        os.makedirs(d, exist_ok=True)
        Image.fromarray(img).save(os.path.join(d, f"{i:04d}.png"))
    print({"out": out, "images": len(y), "levelled": bool(a.level)})


if __name__ == "__main__":
    main()
