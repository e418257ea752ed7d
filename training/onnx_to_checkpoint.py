"""Rebuild a trainable PyTorch checkpoint from a shipped LightExNet ONNX graph.

    /usr/bin/python3 training/onnx_to_checkpoint.py --onnx models/lightexnet-fer2013.onnx \
        --out training/runs/shipped/best.pt

Training runs (training/runs/) are not committed; the shipped .onnx and its manifest are. This gets back a
checkpoint that ckplus_cv.py, evaluate.py and export_onnx.py take, so CK+ fine-tuning can start from the
shipped weights on a fresh checkout.

The export folds every BatchNorm into the convolution before it: each such conv comes back as W' and b'.
They are split again: the conv keeps W'; its BatchNorm gets the running mean m and variance v of W'x,
measured on augmented FER2013 Training images as training saw them, weight sqrt(v + eps) and bias m + b'.
In eval mode that is exactly W'x + b' (the rebuilt network computes what the graph computes); in training
mode BatchNorm normalises with batch statistics and rescales to the population's spread, as the original
BatchNorm did (whose running statistics were the same population's), so fine-tuning behaves alike.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from typing import Callable, Dict, Iterable, List, Tuple

import numpy as np
import torch
from torch import nn

from lightexnet import LightExNet, LightExNetConfig

Batches = Callable[[], Iterable[torch.Tensor]]


def conv_call_order(net: LightExNet, size: int) -> List[nn.Conv2d]:
    """Every Conv2d in the order one forward pass calls it (the attention MLP's convs twice: avg and max
    descriptors), which is the order the traced ONNX graph lists its Conv nodes."""
    calls: List[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda m, _i, _o: calls.append(m))
             for m in net.modules() if isinstance(m, nn.Conv2d)]
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, net.cfg.in_channels, size, size))
    for h in hooks:
        h.remove()
    return calls


def batchnorm_after(net: nn.Module) -> Dict[nn.Conv2d, nn.BatchNorm2d]:
    """Each bias-free conv and the BatchNorm that follows it in its Sequential."""
    pairs: Dict[nn.Conv2d, nn.BatchNorm2d] = {}
    for seq in net.modules():
        if isinstance(seq, nn.Sequential):
            kids = list(seq.children())
            for a, b in zip(kids, kids[1:]):
                if isinstance(a, nn.Conv2d) and a.bias is None and isinstance(b, nn.BatchNorm2d):
                    pairs[a] = b
    return pairs


def graph_convs(model) -> Tuple[List[Tuple[np.ndarray, np.ndarray | None]], Tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of each Conv node in graph order, and the classifier's (weight, bias) from the Gemm."""
    from onnx import numpy_helper
    inits = {t.name: numpy_helper.to_array(t).copy() for t in model.graph.initializer}
    for node in model.graph.node:  # folded constants may also sit in Constant nodes
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            inits[node.output[0]] = numpy_helper.to_array(node.attribute[0].t).copy()
    nodes = [n for n in model.graph.node if n.op_type == "Conv"]
    missing = [name for n in nodes for name in n.input[1:] if name and name not in inits]
    if missing:
        raise ValueError(f"conv weights {missing[:3]} are not constants of the graph")
    convs, seen = [], set()
    for n in nodes:
        w, b = inits[n.input[1]], inits[n.input[2]] if len(n.input) > 2 and n.input[2] else None
        # Graphs exported before session 12 ran channel attention's MLP once per descriptor (avg, then max):
        # the same weights twice. Trained convs never coincide otherwise, so a repeat is that second call.
        key = (w.tobytes(), None if b is None else b.tobytes())
        if key not in seen:
            seen.add(key)
            convs.append((w, b))
    gemm = [n for n in model.graph.node if n.op_type == "Gemm"]
    if len(gemm) != 1:
        raise ValueError(f"expected one Gemm (the classifier), found {len(gemm)}")
    trans_b = next((a.i for a in gemm[0].attribute if a.name == "transB"), 0)
    w = inits[gemm[0].input[1]]
    return convs, (w if trans_b else w.T, inits[gemm[0].input[2]])


def load_graph_weights(net: LightExNet, model, size: int, unit_norm: bool = False
                       ) -> Dict[nn.BatchNorm2d, Tuple[torch.Tensor, torch.Tensor]]:
    """Copy the graph's weights into `net`; returns the folded bias b' and the weight scale s of each
    BatchNorm's conv (whose BatchNorm is set to x/s + b', so that eval-mode `net` already equals the graph).
    unit_norm: each output channel of a folded conv is scaled to norm 1 (s = 1/|W'_c|). BatchNorm makes the
    function indifferent to that scale, but SGD's effective step on such a weight goes as lr/|W|^2, and the
    original |W| is lost in the folding: W' = W * gamma / sqrt(var + eps)."""
    calls, (convs, (fc_w, fc_b)) = conv_call_order(net, size), graph_convs(model)
    if len(calls) != len(convs):
        raise ValueError(f"the graph has {len(convs)} convolutions, this configuration calls {len(calls)}")
    bn_of = batchnorm_after(net)
    folded: Dict[nn.BatchNorm2d, Tuple[torch.Tensor, torch.Tensor]] = {}
    with torch.no_grad():
        for conv, (w, b) in zip(calls, convs):
            if tuple(conv.weight.shape) != w.shape:
                raise ValueError(f"conv shape {tuple(conv.weight.shape)} against the graph's {w.shape}")
            conv.weight.copy_(torch.from_numpy(w))
            if conv.bias is not None:
                conv.bias.copy_(torch.from_numpy(b))
            elif conv in bn_of:
                bn = bn_of[conv]
                bias = torch.from_numpy(b).float() if b is not None else torch.zeros(bn.num_features)
                scale = 1 / conv.weight.flatten(1).norm(dim=1) if unit_norm else torch.ones(bn.num_features)
                conv.weight.mul_(scale.view(-1, 1, 1, 1))
                folded[bn] = (bias, scale)
                bn.weight.copy_(1 / scale)
                bn.bias.copy_(bias)
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
        net.classifier.weight.copy_(torch.from_numpy(np.ascontiguousarray(fc_w)))
        net.classifier.bias.copy_(torch.from_numpy(fc_b))
    return folded


@torch.no_grad()
def split_batchnorm(net: LightExNet, folded: Dict[nn.BatchNorm2d, Tuple[torch.Tensor, torch.Tensor]],
                    batches: Batches) -> None:
    """Measure each BatchNorm's input statistics over `batches` (eval mode, where the network already
    equals the graph) and re-split: running stats m, v; weight sqrt(v + eps) / s; bias m / s + b'."""
    sums: Dict[nn.BatchNorm2d, List[torch.Tensor]] = {bn: [torch.zeros(bn.num_features, dtype=torch.float64)] * 3
                                                      for bn in folded}

    def hook(bn, inp, _out):
        z = inp[0].detach().double().transpose(0, 1).flatten(1)
        n, s, ss = sums[bn]
        sums[bn] = [n + z.shape[1], s + z.sum(1), ss + (z * z).sum(1)]

    hooks = [bn.register_forward_hook(hook) for bn in folded]
    net.eval()
    for xb in batches():
        net(xb)
    for h in hooks:
        h.remove()
    for bn, (b, scale) in folded.items():
        n, s, ss = sums[bn]
        mean = s / n
        var = (ss / n - mean * mean).clamp(min=0)
        scale = scale.double()
        bn.running_mean.copy_(mean.float())
        bn.running_var.copy_(var.float())
        bn.weight.copy_((torch.sqrt(var + bn.eps) / scale).float())
        bn.bias.copy_((mean / scale + b.double()).float())


def fer_training_batches(data: str, size: int, channels: int, n: int, seed: int, batch: int = 256) -> Batches:
    """Augmented FER2013 Training images, as train.py feeds them (erasing 0.25, the shipped run's)."""
    from average_checkpoints import augmented_batches
    from fer_data import load_fer_training
    x, _ = load_fer_training(data)
    idx = np.random.default_rng(seed).permutation(len(x))[:n]
    return lambda: augmented_batches(x, idx, size, channels, 0.25, torch.Generator().manual_seed(seed), batch)


def rebuild(onnx_path: str, manifest: dict, batches: Batches, unit_norm: bool = False) -> LightExNet:
    import onnx
    cfg = LightExNetConfig.from_dict(manifest["training"]["config"])
    size = int(manifest["views"]["size"])
    net = LightExNet(cfg)
    folded = load_graph_weights(net, onnx.load(onnx_path), size, unit_norm)
    split_batchnorm(net, folded, batches)
    return net.eval()


def main():
    from fer_data import DEFAULT_DATA
    p = argparse.ArgumentParser()
    p.add_argument("--onnx", default=os.path.join(os.path.dirname(__file__), "..", "models", "lightexnet-fer2013.onnx"))
    p.add_argument("--manifest", default=None, help="default: the .json beside the .onnx")
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--images", type=int, default=8192, help="Training images for the BatchNorm statistics")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--unit-norm", action="store_true",
                   help="scale each channel of the folded convs to norm 1 (a choice of SGD step size; see load_graph_weights)")
    a = p.parse_args()
    torch.set_num_threads(2)
    with open(a.manifest or os.path.splitext(a.onnx)[0] + ".json") as f:
        manifest = json.load(f)
    with open(a.onnx, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != manifest["sha256"]:
        raise SystemExit(f"{a.onnx}: sha256 {digest} is not the manifest's {manifest['sha256']}")
    size, cfg = int(manifest["views"]["size"]), manifest["training"]["config"]
    net = rebuild(a.onnx, manifest, fer_training_batches(a.data, size, cfg["in_channels"], a.images, a.seed),
                  a.unit_norm)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save({"model": net.state_dict(), "config": cfg, "size": size,
                "epoch": manifest["training"].get("epoch", -1),
                "val_acc": manifest["training"].get("checkpoint_publictest_accuracy"),
                "args": manifest["training"].get("args"),
                "rebuilt_from": {"onnx": os.path.basename(a.onnx), "sha256": digest, "bn_images": a.images,
                                 "unit_norm": a.unit_norm}},
               a.out)
    print(json.dumps({"out": a.out, "from": a.onnx, "sha256": digest}))


if __name__ == "__main__":
    main()
