"""Palettes: 512-bin colour histograms, GIMP ``.gpl`` files, dominant colours, CLI palette strings.

Colours are ``(r, g, b)`` tuples of ints in 0..255 (sRGB); images are ``HxWx3 uint8 RGB``.
"""
from __future__ import annotations

import os
from typing import Iterable, Sequence

import cv2
import numpy as np

from .color import lab_to_rgb, parse_hex_color, rgb_to_lab

RGB = tuple[int, int, int]
N_BINS = 512  # 8 levels per channel


# --------------------------------------------------------------------------- 512-bin histograms
def bin_of(rgb: np.ndarray) -> np.ndarray:
    """The 512-bin histogram bin (``(r>>5)*64 + (g>>5)*8 + (b>>5)``) of each RGB triple of an
    ``...x3`` integer array: the one place the bin formula is written."""
    q = (np.asarray(rgb) >> 5).astype(np.intp)
    return q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2]


def _bins(rgb: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Bin index (:func:`bin_of`) and the matching ``Nx3`` pixels."""
    px = rgb.reshape(-1, 3)
    if mask is not None:
        px = px[mask.reshape(-1).astype(bool)]
    return bin_of(px), px


def rgb_histogram_512(rgb: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """``512 float64`` pixel counts of an ``HxWx3 uint8 RGB`` image (optionally only where ``mask``)."""
    b, _ = _bins(rgb, mask)
    return np.bincount(b, minlength=N_BINS).astype(np.float64)


def accumulate(rgb: np.ndarray, counts: np.ndarray, sums: np.ndarray, mask: np.ndarray | None = None) -> None:
    """Add an image to running per-bin statistics, in place (for gathering over a data set).

    ``counts``: ``512 float64``; ``sums``: ``512x3 float64`` per-bin sums of R, G, B.
    """
    b, px = _bins(rgb, mask)
    counts += np.bincount(b, minlength=N_BINS)
    for c in range(3):
        sums[:, c] += np.bincount(b, weights=px[:, c], minlength=N_BINS)


def bin_colors(counts: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """``512x3 uint8`` mean colour per bin; empty bins get their bin centre (``level*32 + 16``)."""
    idx = np.arange(N_BINS)
    centre = np.stack([(idx >> 6) & 7, (idx >> 3) & 7, idx & 7], axis=1) * 32 + 16
    mean = sums / np.maximum(counts, 1)[:, None]
    out = np.where((counts > 0)[:, None], mean, centre)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- GIMP palettes
def read_gpl(path: str | os.PathLike) -> list[tuple[str, RGB]]:
    """Read a GIMP ``.gpl`` palette -> ``[(name, (r, g, b)), ...]`` in file order.

    Format: first line ``GIMP Palette``; optional ``Name:`` / ``Columns:`` lines; ``#``
    comments and blank lines are skipped; entries are ``R G B [name]`` (name may contain
    spaces; a missing name becomes the hex code). Raises ``ValueError`` naming the file and
    line number on anything else.
    """
    with open(path, encoding="utf-8-sig") as f:
        lines = f.read().splitlines()
    if not lines or lines[0].strip() != "GIMP Palette":
        raise ValueError(f"{path}:1: not a GIMP palette (first line must be 'GIMP Palette')")
    entries: list[tuple[str, RGB]] = []
    for no, line in enumerate(lines[1:], start=2):
        s = line.strip()
        if not s or s.startswith("#") or s.lower().startswith(("name:", "columns:")):
            continue
        parts = s.split(None, 3)
        try:
            rgb = tuple(int(p) for p in parts[:3])
        except ValueError:
            rgb = ()
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise ValueError(f"{path}:{no}: expected 'R G B [name]' with values 0..255, got {line!r}")
        name = parts[3].strip() if len(parts) > 3 else "#%02x%02x%02x" % rgb
        entries.append((name, rgb))  # type: ignore[arg-type]
    return entries


def write_gpl(path: str | os.PathLike, entries: Iterable[tuple[str, Sequence[int]]],
              name: str = "ColorPaint") -> None:
    """Write ``[(name, (r, g, b)), ...]`` as a GIMP ``.gpl`` palette readable by :func:`read_gpl` and GIMP."""
    out = ["GIMP Palette", f"Name: {name}", "Columns: 8", "#"]
    for label, rgb in entries:
        r, g, b = (int(v) for v in rgb)
        if not all(0 <= v <= 255 for v in (r, g, b)):
            raise ValueError(f"colour out of range for {label!r}: {rgb}")
        out.append(f"{r:3d} {g:3d} {b:3d}\t{' '.join(str(label).split())}")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out) + "\n")


# --------------------------------------------------------------------------- dominant colours
def palette_from_image(rgb: np.ndarray, k: int = 16, mask: np.ndarray | None = None,
                       max_samples: int = 100_000, seed: int = 0) -> list[RGB]:
    """Up to ``k`` dominant colours of an ``HxWx3 uint8 RGB`` image, most frequent first.

    Clustering is k-means (``cv2.kmeans``, k-means++ init, seeded) in Lab, so clusters are
    perceptually even, on at most ``max_samples`` random pixels (optionally only where
    ``mask``). An image with at most ``k`` distinct colours returns exactly those.

    White handling: near-white pixels (L > 95, chroma < 5) that are connected to the image
    border are page background; when they cover at least 20 % of the image they are left out,
    so clusters are not wasted on the paper. White *inside* the drawing (eyes, shirts,
    highlights) is genuinely used and stays in, and so does a background that does not dominate.
    """
    lab = rgb_to_lab(rgb)
    keep = np.ones(rgb.shape[:2], bool) if mask is None else mask.astype(bool)
    white = ((lab[..., 0] > 95) & (np.hypot(lab[..., 1], lab[..., 2]) < 5)).astype(np.uint8)
    _, cc = cv2.connectedComponents(white, connectivity=8)
    border = np.unique(np.concatenate([cc[0], cc[-1], cc[:, 0], cc[:, -1]]))
    background = np.isin(cc, border[border > 0])
    if background.mean() >= 0.2 and np.any(keep & ~background):
        keep &= ~background

    px, lpx = rgb[keep], lab[keep]
    if len(px) == 0:
        return []
    rng = np.random.default_rng(seed)
    if len(px) > max_samples:
        pick = rng.choice(len(px), max_samples, replace=False)
        px, lpx = px[pick], lpx[pick]

    colors, counts = np.unique(px, axis=0, return_counts=True)
    if len(colors) <= k:
        order = np.argsort(-counts, kind="stable")
        return [tuple(int(v) for v in colors[i]) for i in order]

    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.1)
    _, assign, centers = cv2.kmeans(np.ascontiguousarray(lpx, np.float32), k, None, criteria, 3,
                                    cv2.KMEANS_PP_CENTERS)
    sizes = np.bincount(assign.ravel(), minlength=k)
    centers_rgb = lab_to_rgb(centers.reshape(1, -1, 3).astype(np.float32))[0]
    out: list[RGB] = []
    for i in np.argsort(-sizes, kind="stable"):
        c = tuple(int(v) for v in centers_rgb[i])
        if sizes[i] > 0 and c not in out:
            out.append(c)
    return out


# --------------------------------------------------------------------------- CLI strings
def parse_palette_arg(text: str) -> list[RGB]:
    """``"#ff0000,00ff00, f80"`` -> ``[(255, 0, 0), (0, 255, 0), (255, 136, 0)]``.

    Comma-separated hex colours (see :func:`colorpaint.core.color.parse_hex_color`); empty
    items are skipped. Raises ``ValueError`` on a bad colour or an empty list.
    """
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise ValueError(f"no colours in palette argument {text!r} (expected e.g. '#ff0000,00ff00')")
    return [parse_hex_color(t) for t in items]
