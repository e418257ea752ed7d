"""Class-balanced sampling: each epoch draws images with weight n_c^-q, so rare classes (FER2013's disgust: 436 of
28,709) are seen more often than once an epoch (Mahajan et al. 2018 use q = 0.5, "square-root sampling").

Logit adjustment (train.py --logit-adjust) corrects the decision boundary for the class prior the network trains on;
with resampling that prior is the sampled one, n_c^(1-q), which `sampled_prior` gives. With both on, the boundary
correction is the same as without resampling and what changes is how often each class's images reach the network.
"""
from __future__ import annotations

import numpy as np
import torch


def sample_weights(y: np.ndarray, q: float, num_classes: int = 7) -> torch.Tensor:
    """Per-image weights n_{y_i}^-q (their sum per class is n_c^(1-q))."""
    counts = np.bincount(y, minlength=num_classes).astype(np.float64)
    per_class = np.where(counts > 0, np.maximum(counts, 1) ** -q, 0.0)
    return torch.from_numpy(per_class[y])


def balanced_indices(weights: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    """n indices drawn with replacement in proportion to weights (one epoch's order)."""
    return torch.multinomial(weights, n, replacement=True, generator=gen)


def sampled_prior(prior: torch.Tensor, q: float) -> torch.Tensor:
    """The class distribution the network sees when drawing with weights n_c^-q from data with this prior."""
    p = prior.clamp_min(0) ** (1 - q)
    return p / p.sum()
