"""Average the weights of a run's last epochs (stochastic weight averaging, SWA), or of several runs
warm-started from one checkpoint (a "model soup", Wortsman et al. 2022), and re-estimate BatchNorm.

    /usr/bin/python3 training/average_checkpoints.py --run training/runs/r64c --last 8
    /usr/bin/python3 training/average_checkpoints.py --ckpts runs/a/best.pt runs/b/best.pt --out runs/soup-ab.pt

Reads epoch-NN.pt (train.py --keep-epochs) or the given checkpoints, averages every float tensor, then
recomputes the BatchNorm running statistics with one pass over augmented training images (averaged weights
do not match any epoch's statistics; --keep-bn averages the statistics instead, which suits runs whose
recipe augments more than the basic augmentation used here does). Writes <run>/swa.pt (or --out) in best.pt's format and prints its
PublicTest accuracy (one view), so the choice is made on PublicTest only; --ckplus adds CK+ (927 images,
contempt left out), a cross-dataset test only when none of the averaged checkpoints saw CK+.
"""
from __future__ import annotations

import argparse
import glob
import json
import os

import numpy as np
import torch
import torch.nn as nn
from torch.optim.swa_utils import update_bn

from export_onnx import load_checkpoint
from fer_data import DEFAULT_DATA, load_ckplus_as_fer, load_fer_split, load_fer_training
from train import augment, noise_generator, normalise, predict


def average_state(paths: list[str], weights: list[float] | None = None) -> dict:
    return mean_state([torch.load(p, map_location="cpu")["model"] for p in paths], weights)


def mean_state(states: list[dict], weights: list[float] | None = None) -> dict:
    """The (weighted) mean of every float tensor; counters (num_batches_tracked) are the first state's."""
    w = torch.tensor(weights or [1.0] * len(states), dtype=torch.float32)
    w = w / w.sum()
    return {k: torch.einsum("n,n...->...", w, torch.stack([s[k].float() for s in states])).to(v.dtype)
            if v.is_floating_point() else v for k, v in states[0].items()}


def augmented_batches(x_u8: np.ndarray, order: np.ndarray, size: int, channels: int, erase: float,
                      gen: torch.Generator, batch: int, device: str = "cpu", drop_last: bool = False):
    """x_u8[order] through training's augmentation, batch by batch: the images BatchNorm statistics are
    measured on (here and in onnx_to_checkpoint.py)."""
    noise_gen = noise_generator(device, int(gen.initial_seed()))
    xt = torch.from_numpy(x_u8)
    stop = len(order) - batch + 1 if drop_last else len(order)
    for i in range(0, stop, batch):
        x = xt[order[i:i + batch]].to(device).float().div_(255).unsqueeze(1)
        yield normalise(augment(x, size, gen, erase, noise_gen), channels).contiguous(memory_format=torch.channels_last)


def recalibrate_bn(model: nn.Module, x_u8: np.ndarray, size: int, channels: int, erase: float, seed: int,
                   batch: int = 256, device: str = "cpu") -> None:
    """BatchNorm statistics averaged over augmented training batches, as training saw them (torch's
    update_bn); leaves the model in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x_u8), generator=gen).numpy()
    update_bn(augmented_batches(x_u8, perm, size, channels, erase, gen, batch, device, drop_last=True), model)
    model.eval()


def main():
    p = argparse.ArgumentParser()
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="average this run's latest epoch-NN.pt")
    src.add_argument("--ckpts", nargs="+", help="average these checkpoints (runs warm-started from one checkpoint)")
    p.add_argument("--last", type=int, default=8, help="average this many of the latest epoch-NN.pt")
    p.add_argument("--weights", type=float, nargs="+", help="one weight per checkpoint (default: equal)")
    p.add_argument("--keep-bn", action="store_true",
                   help="average the BatchNorm statistics too instead of re-estimating them on basic augmentation "
                        "(which loses the recipe's camera, framing and occlusion augmentation)")
    p.add_argument("--ckplus", action="store_true", help="also print CK+ accuracy (one view)")
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--bn-images", type=int, default=0, help="training images for BatchNorm (0 = all)")
    p.add_argument("--erase", type=float, default=0.25)
    p.add_argument("--out", default="", help="default: <run>/swa.pt")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    paths = a.ckpts or sorted(glob.glob(os.path.join(a.run, "epoch-*.pt")))[-a.last:]
    if len(paths) < 2:
        raise SystemExit(f"need at least 2 checkpoints to average (train.py --keep-epochs), found {len(paths)}")
    if not a.out and not a.run:
        raise SystemExit("--ckpts needs --out")
    if a.weights and (len(a.weights) != len(paths) or min(a.weights) < 0 or sum(a.weights) <= 0):
        raise SystemExit(f"--weights: one non-negative weight per checkpoint ({len(paths)}), not all zero")
    net, cfg, ck = load_checkpoint(paths[-1])
    size = int(ck["size"])
    net.load_state_dict(average_state(paths, a.weights))
    net = net.to(a.device, memory_format=torch.channels_last)

    if a.keep_bn:
        net.eval()
    else:
        xtr, _ = load_fer_training(a.data)
        if a.bn_images:
            xtr = xtr[:a.bn_images]
        recalibrate_bn(net, xtr, size, cfg.in_channels, a.erase, seed=0, device=a.device)

    xval, yval = load_fer_split(a.data, "publictest")
    val_acc = float((predict(net, xval, size, cfg.in_channels, a.device).argmax(1) == yval).mean())
    report = {"publictest_1view": round(val_acc, 4)}
    if a.ckplus:
        xc, yc, _ = load_ckplus_as_fer(a.data)
        report["ckplus_1view"] = round(float((predict(net, xc, size, cfg.in_channels, a.device).argmax(1) == yc).mean()), 4)
    out = a.out or os.path.join(a.run, "swa.pt")
    averaged = [p if a.ckpts else os.path.basename(p) for p in paths]
    net = net.cpu()
    torch.save({"model": net.state_dict(), "config": cfg.to_dict(), "size": size, "epoch": ck.get("epoch"),
                "val_acc": val_acc, "averaged": averaged, "weights": a.weights, "args": ck.get("args")}, out)
    print(json.dumps({"out": out, "averaged": averaged, "weights": a.weights, **report}))


if __name__ == "__main__":
    main()
