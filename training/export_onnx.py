"""Export a trained LightExNet checkpoint to ONNX, check it against PyTorch, write the manifest.

    /usr/bin/python3 training/export_onnx.py --ckpt training/runs/r64/best.pt \
        --out models/lightexnet-fer2013.onnx [--check-split privatetest]

The graph takes what the Node side feeds: "input", N x C x 48 x 48 crops normalised with the manifest's
mean/std (dynamic batch; height and width are dynamic too), and "grid", V x S x S x 2 sampling grids of the
test-time views (tta_views.py; S is the network's input size). GridSample resamples each view to S x S
(bilinear, half-pixel, exactly as training resamples), so no client reproduces PyTorch's resampling; the
client only picks how many views to pay for. Output: "logits", N x 7 (log of the mean probabilities).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from fer_data import DEFAULT_DATA, FER_LABELS, load_fer_split
from lightexnet import LightExNet, LightExNetConfig, count_macs, count_params
from train import MEAN, STD, normalised_crops
from tta_views import CHOICES, VIEWS, multi_view_probs, predict_views, view_grids

# The crop around a BlazeFace box that frames a face like FER2013 does, measured by running BlazeFace
# (short range) on 1,500 PublicTest images: median FER side / box side = 1.13, FER centre 6.6 % of the
# side above the box centre (see training/EXPERIMENTS.md).
CROP_POLICY = {"scale": 1.13, "offsetX": 0.0, "offsetY": -0.066}


class Tempered(torch.nn.Module):
    """The network's logits divided by a temperature (calibrate.py fits it on PublicTest): the same argmax,
    probabilities that mean what they say."""

    def __init__(self, net: LightExNet, temperature: float = 1.0):
        super().__init__()
        self.net = net
        self.temperature = float(temperature)

    def forward(self, x):
        z = self.net(x)
        return z / self.temperature if self.temperature != 1.0 else z


class ExportWrapper(torch.nn.Module):
    """What the graph computes: the views of each crop (resampled to the network's input size by the
    grid, as training's augmentation resamples), then the mean of their (temperature-scaled) softmax,
    returned as log-probabilities so the output stays "logits" (softmax of it gives back the mean)."""

    def __init__(self, net: LightExNet, temperature: float = 1.0):
        super().__init__()
        self.net = Tempered(net, temperature)

    def forward(self, x, grid):
        return torch.log(multi_view_probs(self.net, x, grid))


def load_checkpoint(path: str):
    ck = torch.load(path, map_location="cpu")
    cfg = LightExNetConfig.from_dict(ck["config"])
    net = LightExNet(cfg)
    net.load_state_dict(ck["model"])
    net.eval()
    return net, cfg, ck


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--name", default=None)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--opset", type=int, default=16, help="16+: GridSample")
    p.add_argument("--check-split", default="privatetest")
    p.add_argument("--check-n", type=int, default=0, help="check on the split's first N images only (0 = all)")
    p.add_argument("--views", type=int, default=2, choices=CHOICES,
                   help="the manifest's default number of test-time views (choose on PublicTest)")
    p.add_argument("--wasm-views", type=int, default=1, choices=CHOICES,
                   help="the default on the WASM runtime, where each view costs ~5x its native cost")
    p.add_argument("--temperature", type=float, default=1.0, help="divide the logits by this (calibrate.py)")
    p.add_argument("--data-note", default="FER2013 Training (28,709 images, 96 duplicate images with conflicting "
                   "labels removed)", help="what the model was trained on, for the manifest")
    a = p.parse_args()

    net, cfg, ck = load_checkpoint(a.ckpt)
    size = int(ck["size"])
    wrapper = ExportWrapper(net, a.temperature).eval()
    dummy = (torch.zeros(2, cfg.in_channels, 48, 48), view_grids(VIEWS[:3], size))
    torch.onnx.export(wrapper, dummy, a.out, opset_version=a.opset, input_names=["input", "grid"],
                      output_names=["logits"],
                      dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}, "grid": {0: "views"},
                                    "logits": {0: "batch"}},
                      do_constant_folding=True)

    import onnx
    model = onnx.load(a.out)
    onnx.checker.check_model(model)

    # Check the export on real images: PyTorch (training's own preprocessing) vs the ONNX graph.
    x, y = load_fer_split(a.data, a.check_split)
    if a.check_n:
        x, y = x[:a.check_n], y[:a.check_n]
    inp = normalised_crops(x, cfg.in_channels)
    probs_pt = predict_views(wrapper.net, inp, size, a.views)
    check = {"split": a.check_split, "n": int(len(y)), "views": a.views,
             "pytorch_accuracy": float((probs_pt.argmax(1) == y).mean())}
    try:
        import onnxruntime as ort  # optional: only in the pip venv
        sess = ort.InferenceSession(a.out, providers=["CPUExecutionProvider"])
        grid = view_grids(VIEWS[:a.views], size).numpy()
        logits = np.concatenate([sess.run(None, {"input": inp[i:i + 256], "grid": grid})[0]
                                 for i in range(0, len(inp), 256)])
        e = np.exp(logits - logits.max(1, keepdims=True))
        probs_ort = e / e.sum(1, keepdims=True)
        check["onnxruntime_accuracy"] = float((probs_ort.argmax(1) == y).mean())
        check["max_prob_diff"] = float(np.abs(probs_ort - probs_pt).max())
        check["argmax_agreement"] = float((probs_ort.argmax(1) == probs_pt.argmax(1)).mean())
    except ImportError:
        check["onnxruntime"] = "not installed in this Python; the Node parity test checks the graph"
    print(json.dumps(check))

    name = a.name or os.path.splitext(os.path.basename(a.out))[0]
    manifest = {
        "name": name,
        "file": os.path.basename(a.out),
        "sha256": sha256(a.out),
        "labels": FER_LABELS,
        "input": {"name": "input", "width": 48, "height": 48, "channels": cfg.in_channels},
        "output": {"name": "logits", "kind": "logits"},
        "normalization": {"mean": MEAN, "std": STD},
        "crop": CROP_POLICY,
        "training": {
            "architecture": "LightExNet (reconstruction R*, see MODEL_CARD.md)",
            "config": cfg.to_dict(),
            "network_input": [cfg.in_channels, size, size],
            "params": count_params(net),
            "macs": count_macs(LightExNet(cfg), (cfg.in_channels, size, size)),
            "data": a.data_note,
            "temperature": a.temperature,
            "selected_on": "FER2013 PublicTest",
            "epoch": int(ck.get("epoch", -1)),
            "checkpoint_publictest_accuracy": ck.get("val_acc"),
            # average_checkpoints.py: the weights are the mean of these epochs' (BatchNorm re-estimated)
            **({"averaged": ck["averaged"]} if "averaged" in ck else {}),
            "args": ck.get("args"),
        },
        "views": {"input": "grid", "size": size, "default": a.views, "wasmDefault": a.wasm_views, "choices": list(CHOICES), "list": VIEWS},
        "export_check": check,
    }
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps({"onnx": a.out, "bytes": os.path.getsize(a.out), "sha256": manifest["sha256"]}))


if __name__ == "__main__":
    main()
