"""Static int8 (QDQ) quantization of the exported classifier, kept only if it holds accuracy.

Needs onnxruntime's quantizer, which Debian does not package: use a venv from the local wheel store,
    /usr/bin/python3 -m venv .venv-q && .venv-q/bin/pip install onnxruntime onnx numpy
    .venv-q/bin/python training/tools/quantize_int8.py --fp32 models/lightexnet-fer2013.onnx

Calibrates on 1,024 FER2013 Training images (never the test splits), quantizes weights per channel and
activations per tensor, evaluates fp32 and int8 on PrivateTest and PublicTest+PrivateTest, and writes
the int8 model and its manifest only if PrivateTest accuracy drops by at most --max-drop points.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data")


def load(root, split):
    x = np.fromfile(os.path.join(root, "fer2013", split + "_x.u8"), np.uint8).reshape(-1, 1, 48, 48)
    y = np.fromfile(os.path.join(root, "fer2013", split + "_y.u8"), np.uint8).astype(np.int64)
    return x, y


def prep(x, mean, std):
    return ((x.astype(np.float32) / 255 - mean) / std).astype(np.float32)


def view_grids(manifest) -> dict:
    """The "grid" feed for the manifest's default test-time views (torch's affine_grid, align_corners=False;
    tta_views.py), or no feed for a single-input graph."""
    v = manifest.get("views")
    if not v:
        return {}
    size = v["size"]
    base = (2 * np.arange(size) + 1) / size - 1
    gx, gy = np.meshgrid(base, base)
    grids = []
    for view in v["list"][:v["default"]]:
        a = np.radians(view["angle"])
        c, s = np.cos(a) / view["scale"], np.sin(a) / view["scale"]
        f = -1.0 if view["flip"] else 1.0
        grids.append(np.stack([c * f * gx - s * gy, s * f * gx + c * gy], -1))
    return {v["input"]: np.stack(grids).astype(np.float32)}


class Reader(CalibrationDataReader):
    def __init__(self, x, extra, batch=64):
        self.batches = [{"input": x[i:i + batch], **extra} for i in range(0, len(x), batch)]
        self.i = 0

    def get_next(self):
        if self.i >= len(self.batches):
            return None
        self.i += 1
        return self.batches[self.i - 1]


def accuracy(path, x, y, extra):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    s = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    pred = np.concatenate([s.run(None, {"input": x[i:i + 512], **extra})[0].argmax(1) for i in range(0, len(x), 512)])
    return int((pred == y).sum()), float((pred == y).mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fp32", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--max-drop", type=float, default=0.3, help="percentage points on PrivateTest")
    p.add_argument("--calib", type=int, default=1024)
    p.add_argument("--keep-rejected", action="store_true",
                   help="write the int8 model and manifest even when it loses too much (to time it with "
                   "bench/latency.js; do not ship it)")
    a = p.parse_args()
    manifest_path = os.path.splitext(a.fp32)[0] + ".json"
    with open(manifest_path) as f:
        manifest = json.load(f)
    mean, std = manifest["normalization"]["mean"], manifest["normalization"]["std"]
    xtr, _ = load(a.data, "train")
    rng = np.random.default_rng(0)
    calib = prep(xtr[rng.choice(len(xtr), a.calib, replace=False)], mean, std)

    extra = view_grids(manifest)
    base = os.path.splitext(a.fp32)[0]
    pre = base + ".pre.onnx"
    out = base + "-int8.onnx"
    quant_pre_process(a.fp32, pre, skip_symbolic_shape=True)
    quantize_static(pre, out, Reader(calib, extra), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    os.remove(pre)

    res = {}
    xs = {s: load(a.data, s) for s in ("privatetest", "publictest")}
    for name, path in (("fp32", a.fp32), ("int8", out)):
        c_pr, acc_pr = accuracy(path, prep(xs["privatetest"][0], mean, std), xs["privatetest"][1], extra)
        c_pu, _ = accuracy(path, prep(xs["publictest"][0], mean, std), xs["publictest"][1], extra)
        res[name] = {"privatetest": round(acc_pr, 4), "test_7178": round((c_pr + c_pu) / 7178, 4), "bytes": os.path.getsize(path)}
    drop = (res["fp32"]["privatetest"] - res["int8"]["privatetest"]) * 100
    res["privatetest_drop_points"] = round(drop, 2)
    res["kept"] = drop <= a.max_drop
    if res["kept"] or a.keep_rejected:
        m = dict(manifest)
        m["name"] = manifest["name"] + "-int8"
        m["file"] = os.path.basename(out)
        m["sha256"] = hashlib.sha256(open(out, "rb").read()).hexdigest()
        m["quantization"] = {"format": "QDQ static int8, per-channel weights", "calibration": f"{a.calib} FER2013 Training images", **res}
        m.pop("export_check", None)
        m.pop("accuracy", None)
        with open(os.path.splitext(out)[0] + ".json", "w") as f:
            json.dump(m, f, indent=2)
            f.write("\n")
    else:
        os.remove(out)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
