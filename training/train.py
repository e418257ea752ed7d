"""Train LightExNet on FER2013 (select on PublicTest only), on 2 CPU cores or a GPU.

    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 OMP_WAIT_POLICY=PASSIVE \
      /usr/bin/python3 training/train.py --out training/runs/r64 --size 64 --epochs 40

Checkpoints every epoch (last.pt, best.pt) and resumes from last.pt when it exists. Logs one JSON line per
epoch to log.jsonl. Deterministic from --seed on the CPU (same threads, same torch).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import camera_aug
from class_balance import balanced_indices, sample_weights, sampled_prior
from detector_framing import DetectorFraming
from domain_aug import MixStyle, random_convolution
from fer_data import (DEFAULT_DATA, FER_LABELS, fer_training_keep, load_ckplus_as_fer, load_fer_split, load_fer_training,
                      load_level_angles, load_rafdb)
from sharpness import perturbed, statistics_frozen
from targets import load_ferplus, soft_targets
from lightexnet import ImprovedCenterLoss, LightExNet, LightExNetConfig, count_macs, count_params

MEAN, STD = 0.5, 0.5  # pixels in [0,1] -> [-1,1]; the manifest records this for the Node side


def parse_args(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=64, help="network input size (FER images are 48x48)")
    p.add_argument("--stem-stride", type=int, default=2)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--warmup", type=float, default=2.0, help="epochs of linear warm-up")
    p.add_argument("--wd", type=float, default=5e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--center-weight", type=float, default=0.003)
    p.add_argument("--center-warmup", type=int, default=3)
    p.add_argument("--erase", type=float, default=0.5, help="probability of random erasing")
    p.add_argument("--rotate", type=float, default=12, help="augmentation: max rotation, degrees")
    p.add_argument("--zoom", type=float, default=0.12, help="augmentation: max relative zoom in or out")
    p.add_argument("--framing", default="", help="augmentation: a detector framing table "
                   "(results/blazeface-framing-full.json) whose recorded boxes, cropped as the product crops, "
                   "replace the uniform zoom and shift with probability --framing-p")
    p.add_argument("--framing-p", type=float, default=0.75)
    p.add_argument("--level", default="", help="a folder of BlazeFace eye-line angles (blazeface_rolls.js): every "
                   "image, in training and in the epoch's scoring, is turned so its eye line is level, as the "
                   "product turns faces with --level-beyond 0 (the random rotation is added to it)")
    p.add_argument("--consistency", type=float, default=0,
                   help="weight of a Jensen-Shannon consistency term between two augmentations of each image "
                        "(AugMix's, Hendrycks et al. 2020): a still face in jittered camera frames should keep its "
                        "label. Each step then sees every image twice (twice the cost; halve --batch, as a forward batch "
                        "of 256 runs ~2x slower per image than 128 on these CPUs); 0 = off")
    p.add_argument("--part-occlusion", type=float, default=0,
                   help="probability of hiding one face part: a band over the brows and eyes or over the mouth, "
                        "filled with a flat grey, so no expression is learnt from one part alone (CK+'s posed anger is "
                        "brows and pressed lips, FER2013's mostly an open mouth); 0 = off")
    p.add_argument("--mixstyle", type=float, default=0, help="MixStyle (domain_aug.py): probability per batch of "
                   "mixing feature statistics between images after each of the first three stages")
    p.add_argument("--randconv", type=float, default=0, help="random convolution (domain_aug.py): probability "
                   "per image of blending it with a random filtering of itself")
    p.add_argument("--sam", type=float, default=0, help="sharpness-aware minimisation's rho (sharpness.py; "
                   "0 = plain SGD): each step's gradient is taken at the worst weights within rho; twice the cost")
    p.add_argument("--mixup", type=float, default=0, help="mixup's Beta(alpha, alpha) (Zhang et al. 2018): each "
                   "batch blended with a shuffled copy of itself, targets alike; 0 = off")
    p.add_argument("--ferplus-relabel", default="", help="FER2013 classes (comma-separated, e.g. sad) whose "
                   "Training images take FER+'s majority as their label where at least --ferplus-relabel-share of the "
                   "annotators agree on another class (FER+ calls 2,279 of FER2013's 4,777 sad faces neutral)")
    p.add_argument("--ferplus-relabel-share", type=float, default=0.6)
    p.add_argument("--camera", type=float, default=0, help="probability of each camera degradation "
                   "(resolution loss, JPEG, noise; camera_aug.py); 0 = off")
    p.add_argument("--ferplus-weight", type=float, default=0, help="share of the FER+ vote distribution in "
                   "each image's target (targets.py); the rest is the FER2013 label and the teacher")
    p.add_argument("--teacher", default="", help="teacher probabilities for Training (teacher_probs.py .npy)")
    p.add_argument("--teacher-weight", type=float, default=0)
    p.add_argument("--logit-adjust", type=float, default=0, help="tau: train on logits + tau*log(class prior) "
                   "(Menon et al. 2021), so the network's own logits are not biased to FER2013's frequent classes")
    p.add_argument("--balance", type=float, default=0, help="q: draw each epoch's images with weight n_c^-q "
                   "(class_balance.py; 0.5 = square-root sampling); logit adjustment then uses the sampled prior")
    p.add_argument("--ckplus", default="none", help="also train on CK+ (contempt left out, FER2013 labels): "
                   "'all', or 'except:K' to leave fold K's subjects out; 'none'")
    p.add_argument("--ckplus-repeat", type=int, default=4, help="copies of each CK+ image per epoch")
    p.add_argument("--rafdb", default="", help="also train on RAF-DB basic's train split (its folder: "
                   "EmoLabel/, Image/aligned/; not in ../shared/data)")
    p.add_argument("--rafdb-repeat", type=int, default=1, help="copies of each RAF-DB image per epoch")
    p.add_argument("--subset", type=int, default=0, help="train on the first N images only (quick trials)")
    p.add_argument("--max-epochs-this-run", type=int, default=0, help="stop after this many (then resume)")
    p.add_argument("--init", default="", help="start from these weights (a best.pt/last.pt) with a fresh "
                   "schedule: a warm restart that continues an earlier run")
    p.add_argument("--keep-epochs", type=int, default=0, help="also keep the weights of each of the last N "
                   "epochs (epoch-NN.pt), for average_checkpoints.py")
    p.add_argument("--bench-steps", type=int, default=0, help="time this many training steps, then exit")
    p.add_argument("--time-budget", type=float, default=0, help="seconds: after the second epoch and each later "
                   "one, cut --epochs to what fits at the latest epoch's pace, so the cosine schedule ends in time "
                   "(for a lent GPU). The log records each cut; --epochs N reproduces a run cut once, except "
                   "epoch 1's learning rate (flat at the peak under the budget)")
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast on a GPU (evaluation stays float32)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return p.parse_args(argv)


def augment(x: torch.Tensor, size: int, gen: torch.Generator, erase_p: float,
            noise_gen: torch.Generator | None = None, rotate: float = 12, zoom: float = 0.12,
            framing: DetectorFraming | None = None, framing_p: float = 0.0,
            level: torch.Tensor | None = None) -> torch.Tensor:
    """Whole-batch augmentation: random affine (rotate, scale, shift, flip) resampled straight to
    `size`, brightness/contrast jitter and random erasing. x: B x 1 x 48 x 48 float in [0,1].
    framing: with probability framing_p an image's scale and shift are a recorded detector framing instead
    (detector_framing.py); drawn after the other numbers, so runs without it are unchanged.
    level: B angles in degrees added to each image's random rotation (the eye line's, to level it).
    noise_gen: a generator on x's device for the erasing noise (B x size x size values, which at 224 px
    would cost more to draw on the CPU and copy than the GPU's training step)."""
    b, dev = x.shape[0], x.device
    # Every per-image number in one draw and one copy to the device (the same values, in the same order,
    # as drawing them one by one: CPU generators fill serially).
    u = torch.rand(12 if erase_p > 0 else 7, b, generator=gen)
    u = iter(u.pin_memory().to(dev, non_blocking=True) if dev.type == "cuda" else u.to(dev))
    angle = (next(u) * 2 - 1) * math.radians(rotate)
    if level is not None:
        # affine_grid samples the input at R(angle) p: content at angle r comes out at r - angle.
        angle = angle + torch.deg2rad(level)
    scale = 1 + (next(u) * 2 - 1) * zoom
    flip = torch.where(next(u) < 0.5, -1.0, 1.0)
    tx, ty = (next(u) * 2 - 1) * 0.12, (next(u) * 2 - 1) * 0.12
    if framing is not None and framing_p > 0:
        f = torch.rand(2, b, generator=gen).to(dev)
        fz, fx, fy = framing.draw(f[1])
        use = f[0] < framing_p
        scale, tx, ty = torch.where(use, fz, scale), torch.where(use, fx, tx), torch.where(use, fy, ty)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, [b, x.shape[1], size, size], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    contrast = 1 + (next(u).view(b, 1, 1, 1) * 2 - 1) * 0.3
    bright = (next(u).view(b, 1, 1, 1) * 2 - 1) * 0.15
    m = x.mean((1, 2, 3), keepdim=True)
    x = ((x - m) * contrast + m + bright).clamp(0, 1)
    if erase_p > 0:
        eh = (next(u) * 0.3 + 0.1) * size
        ew = (next(u) * 0.3 + 0.1) * size
        cy, cx = next(u) * size, next(u) * size
        yy = torch.arange(size, device=dev).view(1, size, 1).float()
        xx = torch.arange(size, device=dev).view(1, 1, size).float()
        box = ((yy - cy.view(-1, 1, 1)).abs() < eh.view(-1, 1, 1) / 2) & \
              ((xx - cx.view(-1, 1, 1)).abs() < ew.view(-1, 1, 1) / 2)
        box = box & (next(u) < erase_p).view(-1, 1, 1)
        noise = torch.rand(b, 1, size, size, generator=gen).to(dev) if noise_gen is None else \
            torch.rand(b, 1, size, size, generator=noise_gen, device=dev)
        x = torch.where(box.unsqueeze(1), noise, x)
    return x


def add_labelled(xtr: np.ndarray, ytr: np.ndarray, ttr: np.ndarray | None, x: np.ndarray, y: np.ndarray,
                 repeat: int) -> tuple:
    """Appends `repeat` copies of hard-labelled images (CK+, RAF-DB) to the training set, with one-hot soft
    targets when training on soft ones (ttr not None)."""
    x, y = np.tile(x, (repeat, 1, 1)), np.tile(y, repeat)
    if ttr is not None:
        ttr = np.concatenate([ttr, np.eye(7, dtype=np.float32)[y]])
    return np.concatenate([xtr, x]), np.concatenate([ytr, y]), ttr


def relabel_from_ferplus(y: np.ndarray, plus: np.ndarray, classes: list, share: float) -> np.ndarray:
    """FER2013 labels of the given classes replaced by FER+'s majority where its share reaches `share`."""
    known = ~np.isnan(plus[:, 0])
    majority = np.where(known, np.nan_to_num(plus).argmax(1), y)
    strong = known & (np.nan_to_num(plus).max(1) >= share) & (majority != y)
    pick = strong & np.isin(y, [FER_LABELS.index(c) for c in classes])
    out = y.copy()
    out[pick] = majority[pick]
    print(json.dumps({"relabelled": int(pick.sum()),
                      "to": {FER_LABELS[k]: int((out[pick] == k).sum()) for k in range(len(FER_LABELS))}}), flush=True)
    return out


def occlude_parts(x: torch.Tensor, gen: torch.Generator, p: float) -> torch.Tensor:
    """Hides the brows-and-eyes band or the mouth band of a face crop (FER2013's framing: eyes at ~40 % of the
    height, mouth at ~75 %) with probability p, filled with a flat grey. x: B x 1 x S x S in [0, 1]."""
    b, size, dev = x.shape[0], x.shape[-1], x.device
    u = torch.rand(5, b, generator=gen).to(dev)
    upper = u[1] < 0.5
    top = torch.where(upper, 0.18 + u[2] * 0.12, 0.55 + u[2] * 0.12) * size
    height = (0.22 + u[3] * 0.12) * size
    yy = torch.arange(size, device=dev).view(1, size, 1).float()
    band = (yy >= top.view(-1, 1, 1)) & (yy < (top + height).view(-1, 1, 1)) & (u[0] < p).view(-1, 1, 1)
    grey = (0.2 + u[4] * 0.6).view(-1, 1, 1, 1)
    return torch.where(band.unsqueeze(1), grey, x)


def noise_generator(device: str, seed: int) -> torch.Generator | None:
    """augment's generator for the erasing noise on a GPU; None on the CPU (the main generator draws it)."""
    return torch.Generator(device=device).manual_seed(seed) if device != "cpu" else None


def to_input(x_u8: np.ndarray, size: int, channels: int, device: str,
             level: np.ndarray | None = None) -> torch.Tensor:
    """Evaluation preprocessing: the exported ONNX graph does the same resize inside itself. level: degrees to
    turn each image by (its eye line's; the product's graph turns it in this same one resampling)."""
    x = torch.from_numpy(x_u8).to(device).float().div_(255).unsqueeze(1)
    if level is not None:
        # With angle 0 this samples where the bilinear resize below samples (align_corners=False, edges held).
        a = torch.deg2rad(torch.from_numpy(level).to(device))
        cos, sin, zero = torch.cos(a), torch.sin(a), torch.zeros_like(a)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
        grid = F.affine_grid(theta, [len(x), 1, size, size], align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    elif size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return normalise(x, channels)


def normalised_crops(x_u8: np.ndarray, channels: int) -> np.ndarray:
    """N x 48 x 48 uint8 -> N x C x 48 x 48 float32, what the exported graph takes (and the Node side feeds)."""
    return ((x_u8.astype(np.float32) / 255 - MEAN) / STD)[:, None].repeat(channels, 1)


def normalise(x: torch.Tensor, channels: int) -> torch.Tensor:
    x = (x - MEAN) / STD
    return x.expand(-1, channels, -1, -1) if channels != 1 else x


def ckplus_split(spec: str, x: np.ndarray, y: np.ndarray, fold: np.ndarray):
    """What of CK+ (load_ckplus_as_fer's images, labels, folds) a run trains on and what it scores each epoch
    (never used for selection): --ckplus none trains on none and scores all of it (the cross-dataset figure),
    'all' trains on all and scores none, 'except:K' trains on the other folds and scores fold K (the recipe's
    10-fold protocol). Returns ((x, y) to train on, (x, y) to score, what is scored: "all", "fold K" or None)."""
    none = (x[:0], y[:0])
    if spec == "none":
        return none, (x, y), "all"
    if spec == "all":
        return (x, y), none, None
    if spec.startswith("except:") and spec[7:].isdigit() and int(spec[7:]) in set(fold.tolist()):
        held = fold == int(spec[7:])
        return (x[~held], y[~held]), (x[held], y[held]), f"fold {int(spec[7:])}"
    raise ValueError(f"--ckplus must be none, all or except:K with K a fold of CK+ (0-{int(fold.max())}), not {spec!r}")


@torch.no_grad()
def predict(model, x_u8: np.ndarray, size: int, channels: int, device: str, flip: bool = False,
            batch: int = 512, level: np.ndarray | None = None) -> np.ndarray:
    """Returns softmax probabilities (N x classes). level: degrees to turn each image by (to_input)."""
    model.eval()
    out = []
    for i in range(0, len(x_u8), batch):
        x = to_input(x_u8[i:i + batch], size, channels, device,
                     None if level is None else level[i:i + batch]).contiguous(memory_format=torch.channels_last)
        p = F.softmax(model(x), 1)
        if flip:
            p = (p + F.softmax(model(x.flip(3)), 1)) / 2
        out.append(p.float().cpu())
    return torch.cat(out).numpy()


def js_consistency(logits: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence between the predictions for two augmentations of the same images (the first
    and second halves of the batch), on the logits the exported graph uses (no logit adjustment)."""
    p1, p2 = F.softmax(logits, 1).chunk(2)
    log_m = ((p1 + p2) / 2).clamp_min(1e-7).log()
    return (F.kl_div(log_m, p1, reduction="batchmean") + F.kl_div(log_m, p2, reduction="batchmean")) / 2


def epochs_within_budget(epochs: int, epoch: int, runs: int, budget_s: float, spent_s: float, epoch_s: float) -> int:
    """The epoch count that ends a run inside its time budget, after epoch `epoch` (the `runs`-th of this process).

    The first epoch pays for start-up (cuDNN autotuning), so planning starts after the second; it is redone after
    every later epoch at the latest epoch's pace, since other runs sharing a GPU start and stop. Never lengthens a
    run. The first plan keeps one epoch after it for the schedule to fall; a later one may stop the run there.
    """
    if runs < 2:
        return epochs
    fit = epoch + 1 + int((budget_s - spent_s) / (epoch_s * 1.05))
    return min(epochs, max(fit, epoch + (2 if runs == 2 else 1)))


def lr_at(step: int, total: int, warmup: int, peak: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * t))


def load_init(model: torch.nn.Module, state: dict) -> None:
    """Load weights for a warm start. A grey (1-channel) stem into a 3-channel network is spread evenly
    over the channels, so grey images copied to RGB give the same activations as before."""
    own = model.state_dict()
    for k, v in state.items():
        if k in own and v.ndim == 4 and own[k].shape[1] != v.shape[1] and v.shape[1] == 1:
            state[k] = v.expand(-1, own[k].shape[1], -1, -1) / own[k].shape[1]
    model.load_state_dict(state)


def main(argv=None):
    a = parse_args(argv)
    if a.mixup and a.consistency:
        raise SystemExit("--mixup blends images across the batch; the consistency term needs each image's two views")
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    # On a GPU too: the camera degradations and the augmentation's random draws run on the host, where several
    # runs side by side, each with a thread per core, would contend (session 13: the run with camera
    # degradations took 274 s for its first epoch beside two runs that took ~100 s).
    torch.set_num_threads(a.threads)
    if a.device != "cpu":
        torch.backends.cudnn.benchmark = True

    xtr, ytr = load_fer_training(a.data)
    if a.ferplus_relabel:
        ytr = relabel_from_ferplus(ytr, load_ferplus(a.data, "train")[fer_training_keep(a.data)],
                                   a.ferplus_relabel.split(","), a.ferplus_relabel_share)
    prior = torch.tensor(np.bincount(ytr, minlength=7) / len(ytr), dtype=torch.float32, device=a.device)
    soft = a.ferplus_weight > 0 or a.teacher_weight > 0
    if soft:
        plus = load_ferplus(a.data, "train")[fer_training_keep(a.data)]
        teacher = np.load(a.teacher) if a.teacher_weight else None
        ttr = soft_targets(ytr, plus, teacher, a.ferplus_weight, a.teacher_weight)
    xck, yck, fck = load_ckplus_as_fer(a.data)
    ck_train, ck_test, ck_scope = ckplus_split(a.ckplus, xck, yck, fck)
    # Eye-line angles (--level) follow the images: CK+'s split the same way, RAF-DB's aligned faces left as they are.
    ltr = load_level_angles(a.level, "train", a.data) if a.level else None
    lck_train = lck_test = None
    if a.level:
        (lck_train, _), (lck_test, _), _ = ckplus_split(a.ckplus, load_level_angles(a.level, "ckplus", a.data), yck, fck)
    if len(ck_train[0]):
        xtr, ytr, ttr = add_labelled(xtr, ytr, ttr if soft else None, *ck_train, a.ckplus_repeat)
        if a.level:
            ltr = np.concatenate([ltr, np.tile(lck_train, a.ckplus_repeat)])
    if a.rafdb:
        xrf, yrf = load_rafdb(a.rafdb, "train")
        xtr, ytr, ttr = add_labelled(xtr, ytr, ttr if soft else None, xrf, yrf, a.rafdb_repeat)
        if a.level:
            ltr = np.concatenate([ltr, np.zeros(len(xrf) * a.rafdb_repeat, np.float32)])
        print(f"RAF-DB: {len(xrf)} training images added ({a.rafdb_repeat} copies each)", flush=True)
    if a.subset:
        xtr, ytr = xtr[:a.subset], ytr[:a.subset]
        if soft:
            ttr = ttr[:a.subset]
        if a.level:
            ltr = ltr[:a.subset]
    framing = DetectorFraming(a.framing) if a.framing else None
    xval, yval = load_fer_split(a.data, "publictest")
    lval = load_level_angles(a.level, "publictest", a.data) if a.level else None
    xck_test, yck_test = ck_test

    cfg = LightExNetConfig(in_channels=a.channels, stem_stride=a.stem_stride)
    model = LightExNet(cfg).to(a.device)
    center = ImprovedCenterLoss(cfg.num_classes, cfg.head_width).to(a.device)
    model = model.to(memory_format=torch.channels_last)
    if a.mixstyle:
        # Its own stream, so that the augmentations of runs without it are unchanged.
        MixStyle(a.mixstyle, torch.Generator().manual_seed(a.seed + 7919)).attach(model.stages[:3])
    params = list(model.parameters())
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0}],
                          lr=a.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = len(xtr) // a.batch
    total = steps_per_epoch * a.epochs
    warmup = int(a.warmup * steps_per_epoch)
    gen = torch.Generator().manual_seed(a.seed)
    noise_gen = noise_generator(a.device, a.seed)
    start_epoch, best = 0, -1.0
    last_path, best_path = os.path.join(a.out, "last.pt"), os.path.join(a.out, "best.pt")
    if os.path.exists(last_path):
        ck = torch.load(last_path, map_location=a.device)
        model.load_state_dict(ck["model"])
        center.load_state_dict(ck["center"])
        opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"])
        start_epoch, best = ck["epoch"] + 1, ck["best"]
        print(f"resumed at epoch {start_epoch} (best PublicTest {best:.4f})", flush=True)
    else:
        if a.init:
            ck = torch.load(a.init, map_location=a.device)
            load_init(model, ck["model"])
            if "center" in ck:
                center.load_state_dict(ck["center"])
            print(f"initialised from {a.init} (epoch {ck.get('epoch')})", flush=True)
        info = {"args": vars(a), "config": cfg.to_dict(), "params": count_params(model),
                "macs": count_macs(LightExNet(cfg), (a.channels, a.size, a.size)), "n_train": len(xtr)}
        print(json.dumps(info), flush=True)
        with open(os.path.join(a.out, "info.json"), "w") as f:
            json.dump(info, f, indent=1)

    # On a GPU the whole training set lives there (66 MB), so a step copies no images.
    ytr_t = torch.from_numpy(ytr).to(a.device)
    ttr_t = torch.from_numpy(ttr).to(a.device) if soft else None
    if a.balance:
        prior = sampled_prior(prior, a.balance)
        draw_weights = sample_weights(ytr, a.balance)
    log_prior = a.logit_adjust * prior.log()
    xtr_t = torch.from_numpy(xtr).to(a.device)
    ltr_t = torch.from_numpy(ltr).to(a.device) if a.level else None
    runs, t_start = 0, time.time()
    for epoch in range(start_epoch, a.epochs):
        model.train()
        center.train()
        t0 = time.time()
        perm = (balanced_indices(draw_weights, len(xtr), gen) if a.balance
                else torch.randperm(len(xtr), generator=gen)).to(a.device)
        # Running sums stay on the device: a .item() per step would make a GPU wait for the CPU.
        zero = torch.zeros((), device=a.device, dtype=torch.float64)
        sums = {"loss": zero.clone(), "center": zero.clone(), "correct": zero.clone(), "n": 0}
        use_center = a.center_weight > 0 and epoch >= a.center_warmup
        for it in range(steps_per_epoch):
            step = epoch * steps_per_epoch + it
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, warmup, a.lr)
            idx = perm[it * a.batch:(it + 1) * a.batch]
            x0 = xtr_t[idx].float().div_(255).unsqueeze(1)
            y = ytr_t[idx]
            views = []
            for _ in range(2 if a.consistency else 1):
                x = camera_aug.degrade(x0, gen, a.camera) if a.camera else x0
                x = augment(x, a.size, gen, a.erase, noise_gen, a.rotate, a.zoom, framing, a.framing_p,
                            ltr_t[idx] if a.level else None)
                if a.randconv:
                    x = random_convolution(x, gen, a.randconv)
                if a.part_occlusion:
                    x = occlude_parts(x, gen, a.part_occlusion)
                views.append(normalise(x, a.channels))
            x = torch.cat(views).contiguous(memory_format=torch.channels_last)
            if a.consistency:
                y = torch.cat([y, y])
                idx = torch.cat([idx, idx])
            t = ttr_t[idx] if soft else F.one_hot(y, 7).float()
            if a.mixup:
                lam = float(torch.distributions.Beta(a.mixup, a.mixup).sample())
                shuffle = torch.randperm(len(y), generator=gen).to(a.device)
                x = lam * x + (1 - lam) * x[shuffle]
                t = lam * t + (1 - lam) * t[shuffle]
            def forward_loss():
                with torch.autocast(a.device.split(":")[0], dtype=torch.bfloat16, enabled=a.amp):
                    feats = model.features(x)
                    logits = model.classifier(model.dropout(feats))
                feats, logits = feats.float(), logits.float()
                fit = logits + log_prior if a.logit_adjust else logits
                if soft or a.mixup:
                    tt = t * (1 - a.label_smoothing) + a.label_smoothing / fit.shape[1]
                    loss = -(tt * F.log_softmax(fit, 1)).sum(1).mean()
                else:
                    loss = F.cross_entropy(fit, y, label_smoothing=a.label_smoothing)
                if a.consistency:
                    loss = loss + a.consistency * js_consistency(logits)
                closs = center(feats, y) if use_center else None
                if closs is not None:
                    loss = loss + a.center_weight * closs
                return loss, logits, closs

            loss, logits, closs = forward_loss()
            if closs is not None:
                sums["center"] += closs.detach() * len(y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if a.sam:  # the gradient again, at the worst weights within rho (sharpness.py)
                with perturbed(params, a.sam), statistics_frozen(model, center):
                    opt.zero_grad(set_to_none=True)
                    forward_loss()[0].backward()
            opt.step()
            if a.bench_steps and it + 1 == a.bench_steps:
                print(json.dumps({"bench_img_per_s": (it + 1) * a.batch / (time.time() - t0),
                                  "torch": torch.__version__}), flush=True)
                return
            sums["loss"] += loss.detach() * len(y)
            sums["correct"] += (logits.argmax(1) == y).sum()
            sums["n"] += len(y)
        sums = {k: float(v) for k, v in sums.items()}
        train_s = time.time() - t0
        pv = predict(model, xval, a.size, a.channels, a.device, level=lval)
        val_loss = float(-np.log(pv[np.arange(len(yval)), yval] + 1e-8).mean())
        val_acc = float((pv.argmax(1) == yval).mean())
        # CK+ (never used for selection here): all of it as a cross-dataset check, or the held-out fold.
        ck_acc = float((predict(model, xck_test, a.size, a.channels, a.device, level=lck_test).argmax(1)
                        == yck_test).mean()) \
            if len(xck_test) else None
        rec = {"epoch": epoch, "lr": opt.param_groups[0]["lr"], "train_loss": sums["loss"] / sums["n"],
               "train_center": sums["center"] / sums["n"], "train_acc": sums["correct"] / sums["n"],
               "val_loss": val_loss, "val_acc": val_acc, "ckplus_acc": ck_acc,
               "ckplus_scored": ck_scope,
               "img_per_s": sums["n"] / train_s,
               "epoch_s": time.time() - t0, "epochs": a.epochs}
        improved = val_acc > best
        best = max(best, val_acc)
        state = {"model": model.state_dict(), "center": center.state_dict(), "opt": opt.state_dict(),
                 "gen": gen.get_state(), "epoch": epoch, "best": best, "config": cfg.to_dict(),
                 "size": a.size, "args": vars(a)}
        torch.save(state, last_path + ".tmp")
        os.replace(last_path + ".tmp", last_path)
        weights = {"model": model.state_dict(), "config": cfg.to_dict(), "size": a.size, "epoch": epoch,
                   "val_acc": val_acc, "args": vars(a)}
        if improved:
            torch.save(weights, best_path)
        if a.keep_epochs and epoch >= a.epochs - a.keep_epochs:
            torch.save(weights, os.path.join(a.out, f"epoch-{epoch:02d}.pt"))
        with open(os.path.join(a.out, "log.jsonl"), "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)
        runs += 1
        if a.time_budget and runs >= 2:
            fit = epochs_within_budget(a.epochs, epoch, runs, a.time_budget, time.time() - t_start, time.time() - t0)
            if fit < a.epochs:
                a.epochs, total = fit, steps_per_epoch * fit
                print(json.dumps({"time_budget_epochs": a.epochs}), flush=True)
        if epoch + 1 >= a.epochs:
            break
        if a.max_epochs_this_run and runs >= a.max_epochs_this_run:
            break


if __name__ == "__main__":
    main()
