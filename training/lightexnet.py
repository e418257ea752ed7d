"""LightExNet, reconstructed from the paper's abstract (Algorithms 2025, 18(8), 473).

The abstract fixes: a MobileNetV2 inverted-residual backbone, "streamlined"; deep-shallow feature fusion;
a channel + spatial attention; a joint loss (cross-entropy + an improved center loss); 3.27 M params and
298.27 M FLOPs at 224x224. Everything else here is our reconstruction (see shared/design/LIGHTEXNET.md and
models/MODEL_CARD.md). The default `LightExNetConfig()` is the reference reconstruction R*.

Written in the style of torchvision's MobileNetV2 and kept runnable on PyTorch 1.13 and 2.x.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

# (expansion t, out channels c, repeats n, first stride s), as in MobileNetV2.
MOBILENETV2_STAGES: Tuple[Tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


@dataclass
class LightExNetConfig:
    num_classes: int = 7
    in_channels: int = 3
    stem_stride: int = 2  # 1 suits 48x48 inputs; 2 is MobileNetV2's
    attention: str = "cbam"  # "cbam" (channel in blocks + spatial on the head), "channel", "none"
    reduction: int = 8  # channel-attention MLP: C -> C/reduction -> C
    fusion_taps: Tuple[int, ...] = (1, 2, 3)  # stage indices (1-based) fused into the deep map
    head_width: int = 768  # the 1x1 conv after fusion (MobileNetV2 has 1280)
    dropout: float = 0.2
    spatial_kernel: int = 7

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fusion_taps"] = list(self.fusion_taps)
        return d

    @staticmethod
    def from_dict(d: dict) -> "LightExNetConfig":
        d = dict(d)
        d["fusion_taps"] = tuple(d.get("fusion_taps", (1, 2, 3)))
        return LightExNetConfig(**d)


class ConvBNReLU6(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1):
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class ChannelAttention(nn.Module):
    """Average- and max-pooled channel descriptors through one shared MLP, summed, sigmoid.

    The last layer starts at zero weight and a positive bias, so the gate starts near a constant
    (sigmoid(3) ~ 0.95) and training begins close to a plain MobileNetV2 block.
    """

    def __init__(self, channels: int, reduction: int = 8):
        super().__init__()
        hidden = max(channels // reduction, 8)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        nn.init.zeros_(self.fc2.weight)
        nn.init.constant_(self.fc2.bias, 1.5)  # summed twice (avg + max) -> sigmoid(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The two descriptors side by side (B x C x 1 x 2) go through the MLP in one pass and are summed after:
        # fc2(relu(fc1(avg))) + fc2(relu(fc1(max))), with one pair of 1x1 convolutions in the ONNX graph rather
        # than two. Global pooling (any input size) stays in ONNX Runtime's blocked layout, where ReduceMean
        # and ReduceMax would not.
        desc = torch.cat([F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1)], 3)
        gate = self.fc2(F.relu(self.fc1(desc))).sum(3, keepdim=True)
        return x * torch.sigmoid(gate)


class SpatialAttention(nn.Module):
    """Channel-mean and channel-max maps -> k x k conv -> sigmoid, scaling each position."""

    def __init__(self, kernel: int = 7):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel, padding=kernel // 2)
        nn.init.zeros_(self.conv.weight)
        nn.init.constant_(self.conv.bias, 3.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        desc = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)
        return x * torch.sigmoid(self.conv(desc))


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int, attention: Optional[nn.Module]):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        layers: List[nn.Module] = []
        if expand != 1:
            layers.append(ConvBNReLU6(cin, hidden, 1))
        layers.append(ConvBNReLU6(hidden, hidden, 3, stride, groups=hidden))
        if attention is not None:
            layers.append(attention)
        layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res else self.conv(x)


class LightExNet(nn.Module):
    def __init__(self, cfg: Optional[LightExNetConfig] = None):
        super().__init__()
        self.cfg = cfg = cfg or LightExNetConfig()
        channel_att = cfg.attention in ("cbam", "channel")
        self.stem = ConvBNReLU6(cfg.in_channels, 32, 3, cfg.stem_stride)
        stages: List[nn.Module] = []
        cin = 32
        for t, c, n, s in MOBILENETV2_STAGES:
            blocks = []
            for i in range(n):
                att = ChannelAttention(cin * t, cfg.reduction) if channel_att else None
                blocks.append(InvertedResidual(cin, c, s if i == 0 else 1, t, att))
                cin = c
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        fused = cin + sum(MOBILENETV2_STAGES[i - 1][1] for i in cfg.fusion_taps)
        # How much smaller the deep map is than each tap: the product of the later stages' strides. A
        # constant, so the fusion pooling exports to ONNX for any input size (adaptive pooling would not).
        self.tap_factors = {i: math.prod(s for _, _, _, s in MOBILENETV2_STAGES[i:]) for i in cfg.fusion_taps}
        self.head = ConvBNReLU6(fused, cfg.head_width, 1)
        self.spatial = SpatialAttention(cfg.spatial_kernel) if cfg.attention == "cbam" else nn.Identity()
        self.dropout = nn.Dropout(cfg.dropout)
        self.classifier = nn.Linear(cfg.head_width, cfg.num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m.bias is None:
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled embedding the center loss acts on."""
        x = self.stem(x)
        taps = []
        for i, stage in enumerate(self.stages, start=1):
            x = stage(x)
            if i in self.cfg.fusion_taps:
                taps.append(x)
        # Shallow maps are average-pooled down to the deep map's size.
        pooled = [F.avg_pool2d(t, k, k) if k > 1 else t for t, k in zip(taps, self.tap_factors.values())]
        x = self.head(torch.cat(pooled + [x], 1))
        x = self.spatial(x)
        return x.mean((2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.features(x)))


class ImprovedCenterLoss(nn.Module):
    """Center loss on L2-normalised features with the computation-cutting steps we adopt:
    distances only to each sample's own center, centers updated in closed form (moving average)
    for the classes present in the batch, and no gradient to the centers."""

    def __init__(self, num_classes: int, dim: int, alpha: float = 0.5):
        super().__init__()
        self.alpha = alpha
        self.register_buffer("centers", F.normalize(torch.randn(num_classes, dim), dim=1))

    def forward(self, feats: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        f = F.normalize(feats, dim=1)
        c = self.centers[labels]
        loss = 0.5 * (f - c).pow(2).sum(1).mean()
        if self.training:
            with torch.no_grad():
                if f.is_cuda:
                    self._update_batched(f, labels)
                else:
                    for k in labels.unique():
                        mean = f[labels == k].mean(0)
                        self.centers[k] = F.normalize(
                            (1 - self.alpha) * self.centers[k] + self.alpha * mean, dim=0)
        return loss

    def _update_batched(self, f: torch.Tensor, labels: torch.Tensor) -> None:
        """The same update for all classes at once, without the loop's host round trips (each
        labels.unique() and boolean index waits for the GPU). Equal to the loop up to float rounding;
        the CPU keeps the loop so that earlier CPU runs reproduce bit for bit."""
        n = torch.bincount(labels, minlength=self.centers.shape[0]).to(f.dtype)
        sums = torch.zeros_like(self.centers).index_add_(0, labels, f)
        moved = F.normalize((1 - self.alpha) * self.centers + self.alpha * sums / n.clamp(min=1).unsqueeze(1), dim=1)
        self.centers.copy_(torch.where((n > 0).unsqueeze(1), moved, self.centers))


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, input_size: Sequence[int]) -> int:
    """Multiply-accumulates of conv and linear layers (the paper's 'FLOPs')."""
    macs = [0]

    def conv_hook(m: nn.Conv2d, _inp, out):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        macs[0] += out.numel() // out.shape[0] * k

    def linear_hook(m: nn.Linear, _inp, out):
        macs[0] += m.in_features * m.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *input_size))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return macs[0]


if __name__ == "__main__":
    import argparse
    import json

    p = argparse.ArgumentParser(description="Report params and MACs of a LightExNet configuration")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--stem-stride", type=int, default=2)
    p.add_argument("--attention", default="cbam")
    p.add_argument("--head-width", type=int, default=768)
    a = p.parse_args()
    cfg = LightExNetConfig(in_channels=a.channels, stem_stride=a.stem_stride, attention=a.attention,
                           head_width=a.head_width)
    m = LightExNet(cfg)
    print(json.dumps({"config": cfg.to_dict(), "input": [a.channels, a.size, a.size],
                      "params": count_params(m), "macs": count_macs(m, (a.channels, a.size, a.size))}))
