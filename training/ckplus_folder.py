"""Writes CK+ (contempt left out: FER2013 has no such class) as a folder of PNGs by FER2013 label, outside the
repository, for the Node side's cross-dataset test: `npx lightexnet eval --folder DIR`. The images stay the
dataset's 48x48 crops; the product classifies them as whole-image face crops.

    /usr/bin/python3 training/ckplus_folder.py /tmp/ckplus-fer && npx lightexnet eval --folder /tmp/ckplus-fer
"""
from __future__ import annotations

import os
import sys

from PIL import Image

from fer_data import DEFAULT_DATA, FER_LABELS, load_ckplus_as_fer


def main():
    out = sys.argv[1]
    x, y, _ = load_ckplus_as_fer(sys.argv[2] if len(sys.argv) > 2 else DEFAULT_DATA)
    for i, (img, label) in enumerate(zip(x, y)):
        d = os.path.join(out, FER_LABELS[label])
        os.makedirs(d, exist_ok=True)
        Image.fromarray(img).save(os.path.join(d, f"{i:04d}.png"))
    print({"out": out, "images": len(y)})


if __name__ == "__main__":
    main()
