"""Image-quality metrics for colorization: PSNR, SSIM (luma and RGB), CIEDE2000, the
webtoon paper's ab L2, Varga's quality indices and temporal flicker.

All image inputs are ``HxWx3 uint8 RGB`` unless stated otherwise; Lab is ``...x3`` CIELAB
with L in [0, 100] as produced by :func:`colorpaint.core.color.rgb_to_lab`.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .color import rgb_to_lab, rgb_to_luma

PSNR_CAP = 100.0  # dB reported for identical images (MSE = 0)


def psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between two ``HxWx3 uint8 RGB`` images (peak 255).

    Identical images give :data:`PSNR_CAP` (100 dB) instead of infinity so averages stay finite.
    """
    _check_same(pred, target)
    mse = np.mean((pred.astype(np.float64) - target.astype(np.float64)) ** 2)
    if mse == 0.0:
        return PSNR_CAP
    return float(min(PSNR_CAP, 10.0 * np.log10(255.0 ** 2 / mse)))


def ssim(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004) on ITU-R 601 luma, data range 255.

    Inputs are ``HxWx3 uint8 RGB`` (converted with :func:`rgb_to_luma`) or ``HxW uint8`` gray.
    Local statistics use an 11x11 gaussian window (sigma 1.5) via ``cv2.GaussianBlur`` with
    its default reflected border, so the mean is over every pixel (no 'valid' crop); values
    differ from the cropped reference implementation only near the border.
    """
    _check_same(pred, target)
    x = (rgb_to_luma(pred) if pred.ndim == 3 else pred).astype(np.float64)
    y = (rgb_to_luma(target) if target.ndim == 3 else target).astype(np.float64)
    c1, c2 = (0.01 * 255.0) ** 2, (0.03 * 255.0) ** 2

    def blur(a: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(a, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cxy = blur(x * y) - mx * my
    num = (2.0 * mx * my + c1) * (2.0 * cxy + c2)
    den = (mx * mx + my * my + c1) * (vx + vy + c2)
    return float(np.mean(num / den))


def ssim_rgb(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean SSIM over the R, G and B channels (each as :func:`ssim` computes it on luma):
    on grayscale input the luma is the input's own, so only this SSIM sees the colors."""
    _check_same(pred, target)
    if pred.ndim != 3:
        return ssim(pred, target)
    return float(np.mean([ssim(np.ascontiguousarray(pred[..., c]), np.ascontiguousarray(target[..., c])) for c in range(pred.shape[2])]))


def ab_l2(pred: np.ndarray, target: np.ndarray) -> float:
    """The webtoon paper's chroma error: the mean over pixels of the squared distance between
    the two images' CIELAB (a, b), in Lab units² (``HxWx3 uint8 RGB`` inputs)."""
    _check_same(pred, target)
    d = rgb_to_lab(pred)[..., 1:].astype(np.float64) - rgb_to_lab(target)[..., 1:]
    return float(np.mean(np.sum(d * d, axis=-1)))


def varga_indices(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """The quality indices Varga et al. report (their Table 2, computed with a common image
    quality measures package): with ``O`` the ground truth and ``D`` the colorization,
    both as floats 0..255 over every pixel and channel,

    * MSE = mean((O - D)²), PSNR = 10 log10(255² / MSE) (capped as :func:`psnr`),
    * NCC (normalized cross-correlation) = Σ O·D / Σ O²  (1 at best),
    * AD (average difference) = mean(O - D),
    * SC (structural content) = Σ O² / Σ D²  (1 at best),
    * MD (maximum difference) = max |O - D|,
    * NAE (normalized absolute error) = Σ |O - D| / Σ |O|.
    """
    _check_same(pred, target)
    o = target.astype(np.float64)
    d = pred.astype(np.float64)
    diff = o - d
    mse = float(np.mean(diff * diff))
    oo, dd = float(np.sum(o * o)), float(np.sum(d * d))
    return {
        "mse": mse,
        "psnr": psnr(pred, target),
        "ncc": float(np.sum(o * d)) / oo if oo else (1.0 if dd == 0 else 0.0),
        "ad": float(np.mean(diff)),
        "sc": oo / dd if dd else (1.0 if oo == 0 else float("inf")),
        "md": float(np.max(np.abs(diff))) if diff.size else 0.0,
        "nae": float(np.sum(np.abs(diff))) / float(np.sum(np.abs(o))) if np.any(o) else float(np.any(diff)),
    }


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """Per-element CIEDE2000 colour difference (kL = kC = kH = 1), exact Sharma et al. 2005.

    ``lab1``, ``lab2``: ``...x3`` CIELAB arrays (any float dtype), broadcast against each other
    (e.g. ``Nx1x3`` against ``1xKx3`` gives an ``NxK`` distance matrix). Returns the broadcast
    shape without the last axis, ``float32`` (computed in float64).
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]

    c_bar = 0.5 * (np.hypot(a1, b1) + np.hypot(a2, b2))
    c7 = c_bar ** 7
    g = 0.5 * (1.0 - np.sqrt(c7 / (c7 + 25.0 ** 7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    # Hue angles in degrees, [0, 360); defined as 0 for achromatic colours.
    h1p = np.where(c1p == 0, 0.0, np.degrees(np.arctan2(b1, a1p)) % 360.0)
    h2p = np.where(c2p == 0, 0.0, np.degrees(np.arctan2(b2, a2p)) % 360.0)

    chroma0 = (c1p * c2p) == 0
    dLp = L2 - L1
    dCp = c2p - c1p
    dhp = h2p - h1p
    dhp = np.where(dhp > 180.0, dhp - 360.0, np.where(dhp < -180.0, dhp + 360.0, dhp))
    dhp = np.where(chroma0, 0.0, dhp)
    dHp = 2.0 * np.sqrt(c1p * c2p) * np.sin(np.radians(dhp) / 2.0)

    Lbp = 0.5 * (L1 + L2)
    Cbp = 0.5 * (c1p + c2p)
    hsum = h1p + h2p
    hbp = np.where(
        np.abs(h1p - h2p) <= 180.0,
        0.5 * hsum,
        np.where(hsum < 360.0, 0.5 * (hsum + 360.0), 0.5 * (hsum - 360.0)),
    )
    hbp = np.where(chroma0, hsum, hbp)

    t = (1.0 - 0.17 * np.cos(np.radians(hbp - 30.0)) + 0.24 * np.cos(np.radians(2.0 * hbp))
         + 0.32 * np.cos(np.radians(3.0 * hbp + 6.0)) - 0.20 * np.cos(np.radians(4.0 * hbp - 63.0)))
    d_theta = 30.0 * np.exp(-(((hbp - 275.0) / 25.0) ** 2))
    cb7 = Cbp ** 7
    rc = 2.0 * np.sqrt(cb7 / (cb7 + 25.0 ** 7))
    l50 = (Lbp - 50.0) ** 2
    sl = 1.0 + 0.015 * l50 / np.sqrt(20.0 + l50)
    sc = 1.0 + 0.045 * Cbp
    sh = 1.0 + 0.015 * Cbp * t
    rt = -np.sin(np.radians(2.0 * d_theta)) * rc

    tl, tc, th = dLp / sl, dCp / sc, dHp / sh
    return np.sqrt(tl * tl + tc * tc + th * th + rt * tc * th).astype(np.float32)


def mean_delta_e2000(rgb_pred: np.ndarray, rgb_target: np.ndarray) -> float:
    """Mean CIEDE2000 over all pixels of two ``HxWx3 uint8 RGB`` images."""
    _check_same(rgb_pred, rgb_target)
    return float(np.mean(delta_e2000(rgb_to_lab(rgb_pred), rgb_to_lab(rgb_target)), dtype=np.float64))


def mean_abs_frame_change(frames: Sequence[np.ndarray]) -> float:
    """Mean over t, pixels and channels of ``|f[t] - f[t-1]|`` (0..255 units).

    ``frames``: sequence of equally sized ``HxWx3 uint8`` images; fewer than two frames give 0.
    """
    if len(frames) < 2:
        return 0.0
    total = 0.0
    for prev, cur in zip(frames[:-1], frames[1:]):
        _check_same(prev, cur)
        total += float(np.mean(cv2.absdiff(cur, prev), dtype=np.float64))
    return total / (len(frames) - 1)


def flicker(frames_out: Sequence[np.ndarray], frames_gt: Sequence[np.ndarray]) -> float:
    """Temporal flicker: frame-to-frame change of the output minus that of the ground truth.

    Both are lists of ``HxWx3 uint8 RGB`` frames of equal length. Positive values mean the
    colorization changes more between frames than the true colours do (0 = as stable as GT).
    """
    if len(frames_out) != len(frames_gt):
        raise ValueError(f"frame counts differ: {len(frames_out)} output vs {len(frames_gt)} ground truth")
    return mean_abs_frame_change(frames_out) - mean_abs_frame_change(frames_gt)


def _check_same(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"image shapes differ: {a.shape} vs {b.shape}")
