"""``auto``: automatic colorization by two CNNs classifying a and b (varga2017, section 3).

Follows the paper: one CNN predicts a as a distribution over Q1 = 33 bins, the other b over
Q2 = 20 bins; training uses class-rebalanced cross entropy with weights
w ∝ ((1-λ)p̃ + λ/Q)^-1 (λ = 1/2) over the in-gamut ab grid of size 10, p̃ being the
empirical ab distribution of the training data smoothed by a Gaussian with σ = 5; outputs
are decoded by the annealed mean (temperature T, default 0.38, from Zhang et al.).

Deviations, and why:

* Bin placement. The paper gives the counts (33, 20) but not the ranges; a uses 33 bins
  evenly spread over [-90, 100] (the sRGB a range with margin) and b 20 bins over
  [-110, 100]. The rebalancing weights live on the 2-D grid-10 ab lattice (Q = 313 in the
  paper; here every lattice cell in ``[-110, 110]²``, counted as in gamut when the
  training data ever lands in it) and each pixel is weighted by its 2-D cell, as in eq. 3.
* Rebalancing alone makes the paper-white background of cartoon frames nearly free to get
  wrong (it is the most common bin by far), and it comes out tinted; training adds the
  plain cross entropy to the rebalanced one (``training/losses.py``).
* Line art carries no lightness, so the a-network also regresses L (one more output
  map); for grayscale input the engine keeps the input's own L.
* Each CNN is the compact U-Net of ``blocks.py`` (pixel-unshuffled) rather than the
  paper's VGG-like stack, to fit the CPU latency budget.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.color import AB_SCALE
from .blocks import UNet

A_BINS = np.linspace(-90.0, 100.0, 33).astype(np.float32)
B_BINS = np.linspace(-110.0, 100.0, 20).astype(np.float32)
GRID = 10.0
GRID_LO = -110.0
GRID_N = 22  # cells of size 10 over [-110, 110)


def grid_index(ab: np.ndarray) -> np.ndarray:
    """``...x2`` ab (Lab units) -> flat index into the 22x22 grid-10 lattice."""
    ij = np.clip(((ab - GRID_LO) / GRID).astype(np.int64), 0, GRID_N - 1)
    return ij[..., 0] * GRID_N + ij[..., 1]


def rebalance_weights(counts: np.ndarray, lam: float = 0.5, sigma: float = 5.0) -> np.ndarray:
    """Class-rebalancing weights on the grid-10 ab lattice (varga2017 eq. 4).

    ``counts``: GRID_N*GRID_N pixel counts gathered over the training data. Cells never
    seen count as out of gamut and get weight 0 (no pixel falls there). Returns float32
    weights normalised so that their expectation under p̃ is 1.
    """
    import cv2

    p = counts.reshape(GRID_N, GRID_N).astype(np.float64)
    in_gamut = p > 0
    p = p / max(p.sum(), 1.0)
    # σ is in ab units; the lattice step is 10
    p_s = cv2.GaussianBlur(p, (0, 0), sigmaX=sigma / GRID, borderType=cv2.BORDER_CONSTANT)
    p_s = np.where(in_gamut, p_s, 0.0)
    p_s /= max(p_s.sum(), 1e-12)
    q = max(int(in_gamut.sum()), 1)
    w = np.where(in_gamut, 1.0 / ((1 - lam) * p_s + lam / q), 0.0)
    w /= max((w * p_s).sum(), 1e-12)
    return w.reshape(-1).astype(np.float32)


class AutoNet(nn.Module):
    def __init__(self, widths=(32, 64, 128, 192), blocks=2, temperature=0.38):
        super().__init__()
        self.net_a = UNet(2, len(A_BINS) + 1, widths=tuple(widths), blocks=blocks)
        self.net_b = UNet(2, len(B_BINS), widths=tuple(widths), blocks=blocks)
        self.temperature = temperature
        self.register_buffer("a_bins", torch.from_numpy(A_BINS / AB_SCALE))
        self.register_buffer("b_bins", torch.from_numpy(B_BINS / AB_SCALE))
        # class-rebalancing weights over the grid-10 lattice, computed on the training data
        self.register_buffer("class_weights", torch.ones(GRID_N * GRID_N))

    def logits(self, L, kind):
        x = torch.cat([L, kind.expand_as(L)], 1)
        ya = self.net_a(x)
        return ya[:, :1], ya[:, 1:], self.net_b(x)

    @staticmethod
    def annealed_mean(logits, bins, T):
        p = F.softmax(logits / T, dim=1)
        return (p * bins.view(1, -1, 1, 1)).sum(1, keepdim=True)

    def forward(self, L, kind, hints=None, prev=None):
        return self.forward_with_confidence(L, kind)[0]

    def forward_with_confidence(self, L, kind):
        """(output Bx3xHxW as :meth:`forward`, confidence Bx1xHxW in [0, 1]).

        The confidence is the geometric mean of the a and b distributions' largest class
        probability at temperature 1: near 1 where the network puts its mass on one bin,
        small where it spreads over many (the annealed mean then lands on a wash between
        hues)."""
        Lp, la, lb = self.logits(L, kind)
        a = self.annealed_mean(la, self.a_bins, self.temperature)
        b = self.annealed_mean(lb, self.b_bins, self.temperature)
        conf = torch.sqrt(F.softmax(la, 1).amax(1, keepdim=True) * F.softmax(lb, 1).amax(1, keepdim=True))
        return torch.cat([torch.tanh(Lp), a, b], 1), conf


def build_auto(**cfg):
    return AutoNet(**cfg)
