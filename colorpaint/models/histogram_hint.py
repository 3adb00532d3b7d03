"""``histogram``: histogram-driven hint generator + color predictor GAN (fu-wang-liu, III.A–F).

Follows the paper: a 512-bin RGB histogram (8 levels per channel) gathered over the
training data gives the hint colors (each bin's mean color); a hint generator proposes a
sparse hint map in those colors from the line art; a color predictor colors the line art
from line art + hint map, trained as a GAN with L1 + adversarial loss and Gaussian noise
on the discriminator's input (WGAN-GP is a training option; see training/losses.py).

At inference the artist's hint strokes are merged into the generated hints and override
them (generated hints closer than ``override_radius`` pixels to a stroke are dropped), and
an optional palette restricts the generated hints to the bins of the palette's colors.

Deviations, and why:

* The hint generator is trained as a classifier over the 512 bins with cross entropy
  weighted by the histogram prior (hints must be histogram colors; a per-cell
  distribution lets the palette restriction work by masking bins). It predicts at 1/8 of
  the working resolution — hints are sparse anyway — and the ``hint_count`` most
  confident non-background cells become hint patches.
* The color predictor is the compact U-Net of ``blocks.py`` by default, the paper's CNN
  baseline (``generator: cnn``: conv + ReLU layers, deconvolutions, two residual
  connections; trained with L2 by ``colorpaint-train --predictor cnn``) or camizan's
  ResNet34 U-Net (``generator: resnet34``); it predicts Lab rather than RGB so the
  engine can keep a grayscale input's own lightness. The predictor's training (CNN with
  L2, GAN, WGAN with weight clipping, WGAN-GP) is chosen in ``training/losses.py``.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.color import AB_SCALE, L_SCALE
from .blocks import UNet, conv, dilate_square, make_generator

NBINS = 512
CELL = 8  # hint generator cell size, in working-resolution pixels


def _rgb_to_lab_torch(rgb):
    """Nx3 float RGB in [0, 1] -> Nx3 Lab (D65), for the bin colors only."""
    c = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]], dtype=rgb.dtype)
    xyz = c @ m.T / torch.tensor([0.950456, 1.0, 1.088754], dtype=rgb.dtype)
    f = torch.where(xyz > 0.008856, xyz ** (1 / 3), 7.787 * xyz + 16 / 116)
    L = torch.where(xyz[:, 1] > 0.008856, 116 * f[:, 1] - 16, 903.3 * xyz[:, 1])
    return torch.stack([L, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


class HintGenerator(nn.Module):
    def __init__(self, widths=(16, 32, 64, 96)):
        super().__init__()
        self.body = UNet(2, 1, widths=tuple(widths), blocks=1)
        w = widths[0]
        self.cell_head = nn.Sequential(conv(w, 2 * w, stride=2), conv(2 * w, 2 * w, stride=2), nn.Conv2d(2 * w, NBINS, 1))

    def forward(self, x):
        f = self.body.features(x)  # 1/2 resolution
        return self.cell_head(f)  # 1/8 resolution: B x 512 x H/8 x W/8


class HistogramHintNet(nn.Module):
    def __init__(self, generator="unet", widths=(32, 64, 128, 192), blocks=2, width=0.5,
                 hint_widths=(16, 32, 64, 96), hint_count=48, override_radius=24):
        super().__init__()
        self.hint_gen = HintGenerator(hint_widths)
        self.predictor = make_generator(generator, 10, 3, widths=widths, blocks=blocks, width=width)
        self.hint_count = hint_count
        self.override_radius = override_radius
        # the data set's histogram: counts and the mean RGB of each bin (0..1)
        self.register_buffer("bin_counts", torch.ones(NBINS))
        # made on the CPU even when building on the meta device (weights.py checks files that
        # way): torch.arange on "meta" first imports torch's reference ops, 1-2 s
        centers = torch.stack(torch.meshgrid(*[torch.arange(8.0, device="cpu")] * 3, indexing="ij"), -1).reshape(-1, 3)
        self.register_buffer("bin_rgb", (centers * 32 + 16) / 255.0)
        self.allowed_bins: torch.Tensor | None = None  # palette restriction (bool 512)

    def bin_lab_net(self):
        lab = _rgb_to_lab_torch(self.bin_rgb.float())
        return torch.stack([lab[:, 0] / L_SCALE - 1, lab[:, 1] / AB_SCALE, lab[:, 2] / AB_SCALE], 1)

    def generate_hints(self, L, kind, user_hints=None):
        """Sparse generated hint map (Bx4xHxW), merged with and overridden by ``user_hints``
        (Bx8xHxW as in the registry; returns the merged 4 raw channels + the 4 spread ones)."""
        x = torch.cat([L, kind.expand_as(L)], 1)
        logits = self.hint_gen(x)
        if self.allowed_bins is not None:
            logits = logits.masked_fill(~self.allowed_bins.view(1, -1, 1, 1).to(logits.device), -1e4)
        prob = F.softmax(logits, 1)
        conf, idx = prob.max(1)  # B x h x w
        B, h, w = conf.shape
        # white background cells make poor hints: prefer confident colored cells
        lab_bins = self.bin_lab_net().to(L.dtype)
        chroma = lab_bins[:, 1:].norm(dim=1)
        score = conf * (0.25 + chroma[idx].clamp(max=0.5))
        if user_hints is not None:
            near = dilate_square(user_hints[:, 3:4], self.override_radius)
            near = F.adaptive_max_pool2d(near, (h, w))[:, 0]
            score = score.masked_fill(near > 0, -1.0)
        k = min(self.hint_count, h * w)
        top = score.flatten(1).topk(k, dim=1)
        keep = torch.zeros_like(score.flatten(1)).scatter_(1, top.indices, (top.values > 0).to(score.dtype)).view(B, 1, h, w)
        colors = lab_bins[idx].permute(0, 3, 1, 2) * keep  # B x 3 x h x w
        # a 3x3-pixel patch at the center of each chosen cell
        patch = torch.zeros(1, 1, CELL, CELL, dtype=L.dtype, device=L.device)
        patch[..., CELL // 2 - 1:CELL // 2 + 2, CELL // 2 - 1:CELL // 2 + 2] = 1
        up = lambda t: F.interpolate(t, scale_factor=CELL, mode="nearest") * patch.repeat(1, 1, h, w)
        gen = torch.cat([up(colors), up(keep)], 1)
        gen = F.pad(gen, (0, L.shape[-1] - gen.shape[-1], 0, L.shape[-2] - gen.shape[-2]))
        if user_hints is None:
            return torch.cat([gen, torch.zeros_like(gen)], 1)
        m = user_hints[:, 3:4]
        return torch.cat([gen * (1 - m) + user_hints[:, :4] * m, user_hints[:, 4:]], 1)

    def color(self, L, kind, hints):
        return torch.tanh(self.predictor(torch.cat([L, kind.expand_as(L), hints], 1)))

    def forward(self, L, kind, hints=None, prev=None):
        return self.color(L, kind, self.generate_hints(L, kind, hints))


def build_histogram(**cfg):
    return HistogramHintNet(**cfg)
