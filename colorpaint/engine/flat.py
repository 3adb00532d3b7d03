"""Flat cel colors: one color per closed line-art region, optionally locked to a palette.

The network decides the colors, the regions make them clean: each region takes a robust
(median, in Lab) average of the prediction inside it, a region holding artist hints takes
the hints' color, and with a palette every region snaps to its nearest palette color by
CIEDE2000. The lines are multiplied back on top.
"""
from __future__ import annotations

import numpy as np

from ..core.color import lab_to_rgb, rgb_to_lab, rgb_to_luma
from ..core.regions import flat_fill, paint_regions, region_median, segment, snap_regions


def flat_colors(lineart_rgb: np.ndarray, color_rgb: np.ndarray, hints: np.ndarray | None = None, palette=(), gap: int = 2):
    """-> (flat color layer HxWx3 uint8 RGB, labels HxW int32, per-region palette index or None)."""
    gray = rgb_to_luma(lineart_rgb)
    labels, n = segment(gray, gap_close=gap)
    lab = rgb_to_lab(color_rgb)
    if hints is not None:
        from ..core.hints import resize_hints

        hints = resize_hints(hints, *gray.shape)
    flat = flat_fill(labels, lab, hints)
    idx = None
    if palette:
        region, _ = region_median(labels, flat, n)  # hinted regions hold their hint color: it snaps too
        snapped, idx = snap_regions(labels, region, palette)
        flat = paint_regions(labels, snapped, flat)
    return lab_to_rgb(flat), labels, idx


def flatten(image: np.ndarray, result, hints=None, palette=(), gap: int = 2) -> np.ndarray:
    """Flat composite for a :class:`~colorpaint.engine.pipeline.ColorizeResult` of ``image``."""
    color, _, _ = flat_colors(image, result.color, hints, palette, gap)
    if result.kind == "lineart":
        ink = rgb_to_luma(image).astype(np.float32)[..., None] / 255.0
        return (color.astype(np.float32) * ink + 0.5).astype(np.uint8)
    # grayscale: keep the input's own lightness under the flat chroma
    lab = rgb_to_lab(color)
    lab[..., 0] = rgb_to_lab(image)[..., 0]
    return lab_to_rgb(lab)
