"""``color-apply``: a coloring network proposes sparse colors, an applier spreads them (webtoon, IV).

Follows the paper: the coloring network proposes colors from L; the applier takes L and
sparse colors to the full image; both are trained end to end with L2 losses — the applier
on ground-truth colors with dropout keep probability 0.01, the coloring network with its
own L2 ("color generator loss") plus the applier's L2 on its sparsified proposals ("color
loss"). As the paper suggests, the artist's strokes replace the proposals: proposals
within ``override_radius`` pixels of a stroke are dropped and the stroke pixels are used.

Deviations, and why:

* At inference the proposals are kept on a fixed regular grid of 1 % density (every
  ``stride``-th pixel), not a random 1 %, so the same input always gives the same output.
* Networks predict Lab rather than ab: line art has no lightness of its own.
* Both networks are the compact U-Net of ``blocks.py`` (pixel-unshuffled) for CPU speed.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import UNet, dilate_square


class ColorApplyNet(nn.Module):
    def __init__(self, coloring_widths=(24, 48, 96, 160), applier_widths=(32, 64, 128, 192), blocks=2, stride=10, override_radius=12):
        super().__init__()
        self.coloring = UNet(2, 3, widths=tuple(coloring_widths), blocks=blocks)
        self.applier = UNet(10, 3, widths=tuple(applier_widths), blocks=blocks)
        self.stride = stride
        self.override_radius = override_radius

    def propose(self, L, kind):
        return torch.tanh(self.coloring(torch.cat([L, kind.expand_as(L)], 1)))

    def apply(self, L, kind, sparse, spread=None):
        """``sparse``: Bx4 sparse colors + mask; ``spread``: Bx4 region-spread artist hints."""
        if spread is None:
            spread = torch.zeros_like(sparse)
        return torch.tanh(self.applier(torch.cat([L, kind.expand_as(L), sparse, spread], 1)))

    def grid_mask(self, L):
        m = torch.zeros_like(L)
        s = self.stride
        m[..., s // 2::s, s // 2::s] = 1
        return m

    def forward(self, L, kind, hints=None, prev=None):
        prop = self.propose(L, kind)
        m = self.grid_mask(L)
        if hints is not None:
            r = self.override_radius
            near = dilate_square(hints[:, 3:4], r)
            m = m * (near == 0).to(m.dtype)
        sparse = torch.cat([prop * m, m], 1)
        spread = None
        if hints is not None:
            hm = hints[:, 3:4]
            sparse = sparse * (1 - hm) + hints[:, :4] * hm
            spread = hints[:, 4:8]
        return self.apply(L, kind, sparse, spread)


def build_color_apply(**cfg):
    return ColorApplyNet(**cfg)
