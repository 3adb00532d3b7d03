"""Line art: input-kind detection and line synthesis from color (Canny, XDoG)."""
from __future__ import annotations

import cv2
import numpy as np


def detect_kind(gray: np.ndarray) -> str:
    """``HxW uint8`` luminance -> 'lineart' or 'gray'.

    Line art is mostly paper white with a small share of dark (or anti-aliased) ink; a
    grayscale frame has large mid-tone areas. We count mid-tone pixels away from lines.
    """
    g = gray if gray.size <= 512 * 512 else cv2.resize(gray, (512, int(512 * gray.shape[0] / gray.shape[1]) or 1), interpolation=cv2.INTER_AREA)
    white = g >= 235
    dark = cv2.dilate((g < 235).astype(np.uint8), np.ones((3, 3), np.uint8))
    # mid tones that are not just the anti-aliased fringe of a thin line
    eroded_mid = cv2.erode(((g > 40) & (g < 225)).astype(np.uint8), np.ones((5, 5), np.uint8))
    mid_share = eroded_mid.mean()
    if white.mean() > 0.5 and mid_share < 0.03:
        return "lineart"
    if mid_share < 0.01 and dark.mean() < 0.6:
        return "lineart"
    return "gray"


def canny_lines(rgb: np.ndarray, sigma: float = 2.0, rng: np.random.Generator | None = None) -> np.ndarray:
    """Line art from a color image by Canny edges after a Gaussian blur of ``sigma``.

    Returns ``HxW uint8`` black lines on white (what the papers train on).
    """
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    g = cv2.GaussianBlur(g, (0, 0), sigma)
    med = float(np.median(g))
    edges = cv2.Canny(g, max(5, int(0.4 * med * 0.5)), max(20, int(0.4 * med)))
    return 255 - edges


def xdog_lines(rgb: np.ndarray, sigma: float = 0.8, k: float = 1.6, p: float = 20.0, eps: float = 0.35, phi: float = 10.0) -> np.ndarray:
    """Extended difference of Gaussians (Winnemöller 2012): ``HxW uint8`` ink-like lines on white."""
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    g1 = cv2.GaussianBlur(g, (0, 0), sigma)
    g2 = cv2.GaussianBlur(g, (0, 0), sigma * k)
    d = (1 + p) * g1 - p * g2
    out = np.where(d >= eps, 1.0, 1.0 + np.tanh(phi * (d - eps)))
    return np.clip(out * 255.0, 0, 255).astype(np.uint8)


def synthesize_lines(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Line art for a color image that has none: XDoG or Canny with σ in [1, 2.5], at random."""
    if rng.random() < 0.5:
        return xdog_lines(rgb, sigma=float(rng.uniform(0.6, 1.2)))
    return canny_lines(rgb, sigma=float(rng.uniform(1.0, 2.5)))
