"""Differentiable Lab (network scaling) -> RGB for losses that need RGB (VGG features)."""
from __future__ import annotations

import torch

from ..core.color import AB_SCALE, L_SCALE


def lab_net_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Bx3xHxW Lab (network scaling) -> Bx3xHxW sRGB in [0, 1] (D65)."""
    L = (lab[:, 0] + 1) * L_SCALE
    a, b = lab[:, 1] * AB_SCALE, lab[:, 2] * AB_SCALE
    fy = (L + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200
    inv = lambda t: torch.where(t > 0.2069, t ** 3, (t - 16 / 116) / 7.787)
    x, y, z = inv(fx) * 0.950456, inv(fy), inv(fz) * 1.088754
    r = 3.240479 * x - 1.537150 * y - 0.498535 * z
    g = -0.969256 * x + 1.875992 * y + 0.041556 * z
    bb = 0.055648 * x - 0.204043 * y + 1.057311 * z
    rgb = torch.stack([r, g, bb], 1).clamp(0, 1)
    return torch.where(rgb > 0.0031308, 1.055 * rgb.clamp(min=1e-8) ** (1 / 2.4) - 0.055, 12.92 * rgb)
