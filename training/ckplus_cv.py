"""CK+ subject-independent 10-fold cross-validation, fine-tuning from the FER2013 model.

    /usr/bin/python3 training/ckplus_cv.py --init training/runs/r64/best.pt --out training/runs/ckplus

For each fold k (the fold column shipped with the data, every subject in exactly one fold): start from the
FER2013 weights with a 7-way classifier made of the FER2013 classifier's matching rows (CK+ has contempt
instead of neutral: it starts from neutral; --head-init random for a fresh one), fine-tune on the other nine
folds, test on fold k (with 1, 2 and 6 test-time views, as the exported graph computes them; the headline
is --views, the shipped manifest's default). Prints per-fold and mean accuracy as JSON and writes it to
OUT/result.json.
With --inner, fold k+1 is scored instead, fold k left out: ckplus_select.py chooses among recipes with it.
With --seeds N, each fold fine-tunes N models from the same start (seeds differ: batch order, augmentation)
and scores their uniform weight average, BatchNorm re-estimated on the training folds (a "model soup": one
network, the size of each); each member and the mean of the members' probabilities are scored too.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from average_checkpoints import mean_state, recalibrate_bn
from export_onnx import load_checkpoint
from fer_data import CKPLUS_FROM_FER, CKPLUS_LABELS, DEFAULT_DATA, FER_LABELS, load_ckplus
from train import augment, noise_generator, normalise, normalised_crops
from tta_views import CHOICES, predict_views


def ckplus_head(fer_head: torch.nn.Linear, head_init: str) -> torch.nn.Linear:
    """The 7-way CK+ classifier: fresh (random) or the FER2013 classifier's rows, mapped class by class."""
    head = torch.nn.Linear(fer_head.in_features, len(CKPLUS_LABELS))
    if head_init == "fer":
        rows = [FER_LABELS.index(CKPLUS_FROM_FER[c]) for c in CKPLUS_LABELS]
        with torch.no_grad():
            head.weight.copy_(fer_head.weight[rows])
            head.bias.copy_(fer_head.bias[rows])
    return head


def finetune(init: str, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, batch: int, seed: int,
             device: str = "cpu", head_init: str = "fer", erase: float = 0.25, size: int | None = None):
    net, cfg, ck = load_checkpoint(init)
    size = size or int(ck["size"])
    net.classifier = ckplus_head(net.classifier, head_init)
    net = net.to(device, memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    gen = torch.Generator().manual_seed(seed)
    noise_gen = noise_generator(device, seed)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    steps = epochs * math.ceil(len(x) / batch)
    step = 0
    for _ in range(epochs):
        net.train()
        # The last epoch's fit on augmented batches (is it still rising?), summed on the device: no sync per step.
        seen, correct, loss_sum = 0, torch.zeros((), device=device), torch.zeros((), device=device)
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch].to(device)
            if len(idx) < 2:
                continue
            for g in opt.param_groups:
                g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
            xb = xt[idx].float().div_(255).unsqueeze(1)
            xb = normalise(augment(xb, size, gen, erase, noise_gen), cfg.in_channels)
            logits = net(xb.contiguous(memory_format=torch.channels_last))
            loss = F.cross_entropy(logits, yt[idx], label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            seen += len(idx)
            correct += (logits.argmax(1) == yt[idx]).sum()
            loss_sum += loss.detach() * len(idx)
    fit = {"train_accuracy": round(correct.item() / seen, 4), "train_loss": round(loss_sum.item() / seen, 4)}
    return net, cfg, size, fit


def soup(nets: list, x_train: np.ndarray, size: int, channels: int, erase: float, seed: int, device: str = "cpu"):
    """The uniform average of the members' weights, BatchNorm statistics re-estimated for it (the members'
    statistics do not describe the averaged network) on augmented training images."""
    net = copy.deepcopy(nets[0])
    net.load_state_dict(mean_state([n.state_dict() for n in nets]))
    recalibrate_bn(net, x_train, size, channels, erase, seed, batch=64, device=device)
    return net


def accuracy(probs: np.ndarray, y: np.ndarray) -> float:
    return round(float((probs.argmax(1) == y).mean()), 4)


def soup_means(per_fold: dict, seeds: int, views: int) -> dict:
    """10-fold means of each member alone and of the members' mean probabilities (the soup is the headline)."""
    key = f"accuracy_views_{views}"
    return {"member_mean_accuracy": [round(float(np.mean([v["members"][j][key] for v in per_fold.values()])), 4)
                                     for j in range(seeds)],
            "ensemble_mean_accuracy": round(float(np.mean([v["ensemble"][key] for v in per_fold.values()])), 4)}


def summary(per_fold: dict, confusion: np.ndarray, views: int, seeds: int, choices=CHOICES) -> dict:
    """A result's figures over its folds: the mean per number of views (the headline at `views`), the pooled
    accuracy of the confusion matrix, and with several seeds the members' and ensemble's means."""
    mean = {str(n): round(float(np.mean([v[f"accuracy_views_{n}"] for v in per_fold.values()])), 4) for n in choices}
    return {"mean_accuracy": mean[str(views)],
            "pooled_accuracy": round(float(np.trace(confusion) / confusion.sum()), 4),
            "mean_accuracy_by_views": mean,
            **(soup_means(per_fold, seeds, views) if seeds > 1 else {})}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--init", required=True, help="FER2013 checkpoint to start from")
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--folds", default="0,1,2,3,4,5,6,7,8,9")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=1,
                   help="models fine-tuned per fold (seeds seed+k+1000j); more than one: their weight average is scored")
    p.add_argument("--inner", action="store_true",
                   help="nested selection: for outer fold k, hold out fold k+1 (mod 10) as the validation "
                   "fold, fine-tune on the other eight and score on k+1; fold k is never seen (ckplus_select.py)")
    p.add_argument("--erase", type=float, default=0.25, help="probability of random erasing")
    p.add_argument("--head-init", default="fer", choices=("fer", "random"),
                   help="the CK+ classifier starts random or from the FER2013 classifier's matching rows")
    p.add_argument("--views", type=int, default=1, choices=CHOICES, help="test-time views of the headline figures")
    p.add_argument("--size", type=int, default=None,
                   help="input size while fine-tuning and testing (default: the FER2013 model's); the network is size-agnostic")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    x, y, fold = load_ckplus(a.data)
    per_fold = {}
    cms = {n: np.zeros((7, 7), dtype=int) for n in CHOICES}
    for k in [int(f) for f in a.folds.split(",")]:
        t0 = time.time()
        held = (k + 1) % 10 if a.inner else k
        tr, te = (fold != k) & (fold != held), fold == held
        if not te.any():
            continue
        members = [finetune(a.init, x[tr], y[tr], a.epochs, a.lr, a.batch, a.seed + k + 1000 * j, a.device,
                            a.head_init, a.erase, a.size) for j in range(a.seeds)]
        _, cfg, size, fit = members[0]
        xte = normalised_crops(x[te], cfg.in_channels)
        per_fold[k] = {"n": int(te.sum()), "scored_fold": held, **fit}
        if a.seeds > 1:
            net = soup([m[0] for m in members], x[tr], size, cfg.in_channels, a.erase, a.seed + k, a.device)
            probs = {n: [predict_views(m[0], xte, size, n, device=a.device) for m in members] for n in CHOICES}
            per_fold[k]["members"] = [{**m[3], **{f"accuracy_views_{n}": accuracy(probs[n][j], y[te]) for n in CHOICES}}
                                      for j, m in enumerate(members)]
            per_fold[k]["ensemble"] = {f"accuracy_views_{n}": accuracy(np.mean(probs[n], 0), y[te]) for n in CHOICES}
        else:
            net = members[0][0]
        for n in CHOICES:
            pred = predict_views(net, xte, size, n, device=a.device).argmax(1)
            np.add.at(cms[n], (y[te], pred), 1)
            per_fold[k][f"accuracy_views_{n}"] = round(float((pred == y[te]).mean()), 4)
        per_fold[k]["accuracy"] = per_fold[k][f"accuracy_views_{a.views}"]
        per_fold[k]["seconds"] = round(time.time() - t0, 1)
        print(json.dumps({"fold": k, **per_fold[k]}), flush=True)
    cm = cms[a.views]
    result = {
        "protocol": "CK+ subject-independent 10-fold (all_fold10_subject.u8), fine-tuned from FER2013"
                    + (": inner validation, fold k+1 scored, fold k unseen" if a.inner else ""),
        "inner": a.inner,
        "init": a.init, "epochs": a.epochs, "lr": a.lr, "head_init": a.head_init,
        "erase": a.erase, "views": a.views, "seeds": a.seeds, "size": size,
        **summary(per_fold, cm, a.views, a.seeds),
        "per_fold": per_fold, "labels": CKPLUS_LABELS, "confusion": cm.tolist(),
    }
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
