"""Hint maps: artist strokes and simulated point hints, as ``HxWx4 uint8 RGBA``.

Every pixel with alpha > 0 is a color hint; the engine turns the map into the networks'
4-channel form (Lab times mask, then mask).
"""
from __future__ import annotations

import cv2
import numpy as np

from .color import lab_to_net, rgb_to_lab


def empty_hints(h: int, w: int) -> np.ndarray:
    return np.zeros((h, w, 4), np.uint8)


def resize_hints(hints: np.ndarray, h: int, w: int) -> np.ndarray:
    """Scale a hint map to HxW keeping hints crisp (nearest) and never dropping a small one."""
    if hints.shape[:2] == (h, w):
        return hints
    out = cv2.resize(hints, (w, h), interpolation=cv2.INTER_NEAREST)
    if h < hints.shape[0] or w < hints.shape[1]:
        # shrinking can skip 1-pixel hints: keep any hint pixel by max-pooling the mask
        m = cv2.resize((hints[..., 3] > 0).astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0
        missing = m & (out[..., 3] == 0)
        if missing.any():
            ys, xs = np.nonzero(missing)
            sy, sx = hints.shape[0] / h, hints.shape[1] / w
            src = hints[..., 3] > 0
            for y, x in zip(ys, xs):
                y0, y1, x0, x1 = int(y * sy), max(int((y + 1) * sy), int(y * sy) + 1), int(x * sx), max(int((x + 1) * sx), int(x * sx) + 1)
                cy, cx = np.nonzero(src[y0:y1, x0:x1])
                if len(cy):
                    out[y, x] = hints[y0 + cy[0], x0 + cx[0]]
    return out


def hints_to_net(hints: np.ndarray | None, h: int, w: int) -> np.ndarray:
    """``HxWx4 uint8 RGBA`` (or None) -> ``4xhxw float32``: Lab (network scale) * mask, mask."""
    out = np.zeros((4, h, w), np.float32)
    if hints is None:
        return out
    hints = resize_hints(hints, h, w)
    m = hints[..., 3] > 0
    if not m.any():
        return out
    lab = lab_to_net(rgb_to_lab(np.ascontiguousarray(hints[..., :3])))
    for c in range(3):
        out[c] = lab[..., c] * m
    out[3] = m
    return out


def simulate_hints(color: np.ndarray, n: int, rng: np.random.Generator, sizes=(1, 9), mask: np.ndarray | None = None) -> np.ndarray:
    """Point hints taken from a ground-truth ``HxWx3 uint8 RGB`` image (Zhang et al. 2017).

    ``n`` random points (uniform, or inside ``mask``); each hint is a square patch of side
    1..9 px carrying the patch's mean color. Returns ``HxWx4 uint8 RGBA``.
    """
    h, w = color.shape[:2]
    out = np.zeros((h, w, 4), np.uint8)
    if n <= 0:
        return out
    if mask is not None and mask.any():
        ys, xs = np.nonzero(mask)
        pick = rng.integers(0, len(ys), n)
        pts = zip(ys[pick], xs[pick])
    else:
        pts = zip(rng.integers(0, h, n), rng.integers(0, w, n))
    for y, x in pts:
        s = int(rng.integers(sizes[0], sizes[1] + 1))
        y0, x0 = max(0, y - s // 2), max(0, x - s // 2)
        y1, x1 = min(h, y0 + s), min(w, x0 + s)
        out[y0:y1, x0:x1, :3] = color[y0:y1, x0:x1].reshape(-1, 3).mean(0).astype(np.uint8)
        out[y0:y1, x0:x1, 3] = 255
    return out


def rasterize_strokes(strokes, h: int, w: int) -> np.ndarray:
    """Vector strokes -> ``HxWx4 uint8 RGBA`` hint map.

    Each stroke is a mapping with ``points`` [(x, y), ...] in image pixels, ``color``
    (r, g, b), ``size`` (brush diameter, px), ``opacity`` (0..1) and optional
    ``erase`` (True removes hints). Later strokes paint over earlier ones.

    Optional pen pressure: ``pressure`` (one value in 0..1 a point) scales the brush's
    diameter at each point when ``pressure_size`` (default True) and its opacity when
    ``pressure_opacity`` (default False); between two points both change along the segment
    in steps. Without pressure (or all 1) a stroke is drawn as a mouse stroke.
    """
    out = np.zeros((h, w, 4), np.uint8)
    for s in strokes:
        pts = np.round(np.asarray(s["points"], np.float64) * 16).astype(np.int32)  # 4 fractional bits
        if len(pts) == 0:
            continue
        r = max(1, int(round(float(s.get("size", 8)) / 2)))
        pressure = s.get("pressure")
        if pressure is not None and len(pressure) == len(pts) and min(pressure) < 1.0 and (
                s.get("pressure_size", True) or s.get("pressure_opacity", False)):
            _pressure_stroke(out, s, pts, np.clip(np.asarray(pressure, np.float64), 0.0, 1.0))
            continue
        layer = np.zeros((h, w), np.uint8)
        if len(pts) == 1:
            cv2.circle(layer, tuple(int(v) for v in pts[0]), r * 16, 255, -1, cv2.LINE_8, 4)
        else:
            cv2.polylines(layer, [pts.reshape(-1, 1, 2)], False, 255, 2 * r, cv2.LINE_8, 4)
            for p in (pts[0], pts[-1]):
                cv2.circle(layer, tuple(int(v) for v in p), r * 16, 255, -1, cv2.LINE_8, 4)
        m = layer > 0
        if s.get("erase"):
            out[m] = 0
        else:
            a = int(round(255 * float(s.get("opacity", 1.0))))
            out[m, :3] = np.asarray(s["color"], np.uint8)
            out[m, 3] = max(1, a)
    return out


MIN_PRESSURE = 0.05  # the lightest touch still paints (a 5 % wide, 5 % opaque dab)


def _pressure_stroke(out: np.ndarray, s, pts: np.ndarray, pressure: np.ndarray) -> None:
    """Paint one stroke whose diameter and/or opacity follow ``pressure`` (one a point) into
    ``out`` (HxWx4 uint8 RGBA, in place); see :func:`rasterize_strokes`."""
    h, w = out.shape[:2]
    pr = np.maximum(pressure, MIN_PRESSURE)
    size = float(s.get("size", 8)) * (pr if s.get("pressure_size", True) else np.ones_like(pr))
    a = float(s.get("opacity", 1.0)) * (pr if s.get("pressure_opacity", False) else np.ones_like(pr))
    alpha = np.maximum(1, np.round(255 * a)).astype(int)
    # the pen's dabs between points: every ~quarter diameter, so a swelling or thinning line is smooth
    xs, ys, rs, al = [], [], [], []
    for i in range(len(pts)):
        j = min(i + 1, len(pts) - 1)
        d = float(np.hypot(*(pts[j] - pts[i]))) / 16
        n = 1 if j == i else max(1, int(np.ceil(d / max(1.0, min(size[i], size[j]) / 4))))
        for t in np.arange(n) / n:
            xs.append(pts[i][0] + t * (pts[j][0] - pts[i][0]))
            ys.append(pts[i][1] + t * (pts[j][1] - pts[i][1]))
            rs.append(max(1.0, (size[i] + t * (size[j] - size[i])) / 2))
            al.append(alpha[i] + t * (alpha[j] - alpha[i]))
    layer = np.zeros((h, w), np.uint8)
    for x, y, r, v in zip(xs, ys, rs, al):  # a later dab over an earlier one: the stronger stays
        x0, y0 = int(x / 16 - r - 1), int(y / 16 - r - 1)
        x1, y1 = int(x / 16 + r + 2), int(y / 16 + r + 2)
        X0, Y0, X1, Y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if X1 <= X0 or Y1 <= Y0:
            continue
        dab = np.zeros((Y1 - Y0, X1 - X0), np.uint8)
        cv2.circle(dab, (int(round(x - X0 * 16)), int(round(y - Y0 * 16))), int(round(r * 16)), int(round(v)), -1, cv2.LINE_8, 4)
        np.maximum(layer[Y0:Y1, X0:X1], dab, out=layer[Y0:Y1, X0:X1])
    m = layer > 0
    if s.get("erase"):
        out[m] = 0
    else:
        out[m, :3] = np.asarray(s["color"], np.uint8)
        out[m, 3] = layer[m]


def spread_hints(line: np.ndarray, hints_net: np.ndarray, gap_close: int = 1) -> np.ndarray:
    """Spread the hints over their line-art regions: ``4xHxW float32``.

    ``line``: HxW uint8 line art; ``hints_net``: 4xHxW from :func:`hints_to_net`. Every
    pixel of a region that holds hints takes the (network-scaled Lab) color of the nearest
    hint inside that region, and mask 1. "Nearest" is measured along paths that go around
    the lines and avoid squeezing through gaps (:func:`~.regions.geodesic_nearest`), so a
    stroke inside an open shape fills that shape and a stroke on the page stays on the page.
    The networks take it as an extra input and learn where to follow it and where lines
    are open or shading changes the color.
    """
    from .regions import geodesic_nearest, segment

    out = np.zeros_like(hints_net)
    m = hints_net[3] > 0
    if not m.any():
        return out
    labels, _ = segment(line, gap_close=gap_close)
    vals, covered = geodesic_nearest(labels, m, np.ascontiguousarray(np.moveaxis(hints_net[:3], 0, -1)))
    out[:3] = np.moveaxis(vals, -1, 0)
    out[3] = covered
    return out.astype(np.float32)


def hint_inputs(line: np.ndarray | None, hints_net: np.ndarray) -> np.ndarray:
    """The networks' 8-channel hint input: raw hints (4) + region-spread hints (4).

    ``line`` is the HxW uint8 line art at the same size, or None for grayscale input (no
    closed regions: the spread channels stay empty)."""
    spread = spread_hints(line, hints_net) if line is not None else np.zeros_like(hints_net)
    return np.concatenate([hints_net, spread], 0)


def sweep_erase_leftovers(hints: np.ndarray, rect, erased: np.ndarray, size: float, before: np.ndarray):
    """After an eraser pass, remove the crumbs it left of the strokes it touched.

    A hand never retraces a stroke exactly: an eraser as wide as the brush leaves thin
    crescents and dots along the stroke's edges, invisible at a glance yet each a full hint.
    Near the eraser's path (within half its width), pixels of a touched stroke that are
    thinner than 5 px, and whole pieces of it lying there, are erased too; strokes the
    eraser never touched (another piece, or another color crossing it) are left alone.
    ``hints``: HxWx4 uint8 RGBA, changed in place; ``rect`` (x0, y0, x1, y1) and ``erased``
    (bool mask inside rect) are the eraser's pixels; ``before``: the hints (HxWx4) inside the
    padded rect this returns, before erasing — call :func:`erase_context` first. Returns the
    rect that may have changed."""
    h, w = hints.shape[:2]
    pad = int(np.ceil(size / 2)) + 2
    x0, y0, x1, y1 = rect
    X0, Y0, X1, Y1 = max(0, x0 - 2 * pad), max(0, y0 - 2 * pad), min(w, x1 + 2 * pad), min(h, y1 + 2 * pad)
    now = hints[Y0:Y1, X0:X1, 3] > 0
    if not now.any():
        return X0, Y0, X1, Y1
    m = np.zeros_like(now)
    m[y0 - Y0:y1 - Y0, x0 - X0:x1 - X0] = erased
    had = before[..., 3] > 0
    # the strokes the eraser touched: pieces of the colors it erased, connected to what it erased
    rgb = before[..., :3].astype(np.int32)
    code = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    colors = np.unique(code[m & had])
    if not len(colors):
        return X0, Y0, X1, Y1
    same = had & np.isin(code, colors)
    n, lab = cv2.connectedComponents(same.astype(np.uint8), connectivity=8)
    touched_ids = np.unique(lab[m & same])
    touched = np.isin(lab, touched_ids[touched_ids > 0]) & now
    zone = cv2.dilate(m.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * (pad - 2) + 1,) * 2)) > 0
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    thin = touched & ~(cv2.morphologyEx(touched.astype(np.uint8), cv2.MORPH_OPEN, k) > 0)
    drop = thin & zone
    # whole pieces of a touched stroke left inside the zone (not reaching the padded border)
    n2, lab2, stats, _ = cv2.connectedComponentsWithStats((touched & ~drop).astype(np.uint8), connectivity=8)
    if n2 > 1:
        outside = np.bincount(lab2[~zone].ravel(), minlength=n2) > 0
        inside_only = ~outside
        inside_only[0] = False
        drop |= inside_only[lab2]
    if drop.any():
        hints[Y0:Y1, X0:X1][drop] = 0
    return X0, Y0, X1, Y1


def erase_context(hints: np.ndarray, rect, size: float) -> np.ndarray:
    """A copy of the hints (HxWx4) inside the padded rect :func:`sweep_erase_leftovers`
    works in, taken before an eraser pass changes ``hints``."""
    h, w = hints.shape[:2]
    pad = int(np.ceil(size / 2)) + 2
    x0, y0, x1, y1 = rect
    return hints[max(0, y0 - 2 * pad):min(h, y1 + 2 * pad), max(0, x0 - 2 * pad):min(w, x1 + 2 * pad)].copy()
