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


def delta_e2000(lab1: torch.Tensor, lab2: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Per-pixel CIEDE2000 between two Bx3xHxW Lab images in network scaling -> BxHxW.

    The same formula as :func:`colorpaint.core.metrics.delta_e2000` (the metric ColorPaint
    is evaluated with), written so that gradients stay finite for achromatic colours and
    identical pixels: square roots get ``eps`` and hue angles of zero-chroma pixels are
    taken at a safe point and masked, as the metric defines them as 0.
    """
    L1, a1, b1 = (lab1[:, 0] + 1) * L_SCALE, lab1[:, 1] * AB_SCALE, lab1[:, 2] * AB_SCALE
    L2, a2, b2 = (lab2[:, 0] + 1) * L_SCALE, lab2[:, 1] * AB_SCALE, lab2[:, 2] * AB_SCALE
    hyp = lambda x, y: torch.sqrt(x * x + y * y + eps)
    c_bar = 0.5 * (hyp(a1, b1) + hyp(a2, b2))
    c7 = c_bar ** 7
    g = 0.5 * (1 - torch.sqrt(c7 / (c7 + 25.0 ** 7) + eps))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = hyp(a1p, b1), hyp(a2p, b2)

    def hue(ap, b, c):
        small = c < 1e-2
        h = torch.rad2deg(torch.atan2(torch.where(small, torch.zeros_like(b), b), torch.where(small, torch.ones_like(ap), ap)))
        return torch.where(small, torch.zeros_like(h), torch.remainder(h, 360.0)), small

    h1p, s1 = hue(a1p, b1, c1p)
    h2p, s2 = hue(a2p, b2, c2p)
    chroma0 = s1 | s2
    dLp, dCp = L2 - L1, c2p - c1p
    dhp = h2p - h1p
    dhp = torch.where(dhp > 180, dhp - 360, torch.where(dhp < -180, dhp + 360, dhp))
    dhp = torch.where(chroma0, torch.zeros_like(dhp), dhp)
    dHp = 2 * torch.sqrt(c1p * c2p + eps) * torch.sin(torch.deg2rad(dhp) / 2)
    Lbp, Cbp, hsum = 0.5 * (L1 + L2), 0.5 * (c1p + c2p), h1p + h2p
    hbp = torch.where((h1p - h2p).abs() <= 180, 0.5 * hsum, torch.where(hsum < 360, 0.5 * (hsum + 360), 0.5 * (hsum - 360)))
    hbp = torch.where(chroma0, hsum, hbp)
    rad = torch.deg2rad
    t = (1 - 0.17 * torch.cos(rad(hbp - 30)) + 0.24 * torch.cos(rad(2 * hbp)) + 0.32 * torch.cos(rad(3 * hbp + 6))
         - 0.20 * torch.cos(rad(4 * hbp - 63)))
    d_theta = 30 * torch.exp(-(((hbp - 275) / 25) ** 2))
    cb7 = Cbp ** 7
    rc = 2 * torch.sqrt(cb7 / (cb7 + 25.0 ** 7) + eps)
    l50 = (Lbp - 50) ** 2
    sl = 1 + 0.015 * l50 / torch.sqrt(20 + l50)
    sc, sh = 1 + 0.045 * Cbp, 1 + 0.015 * Cbp * t
    rt = -torch.sin(rad(2 * d_theta)) * rc
    tl, tc, th = dLp / sl, dCp / sc, dHp / sh
    return torch.sqrt((tl * tl + tc * tc + th * th + rt * tc * th).clamp(min=0) + eps)
