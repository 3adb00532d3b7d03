"""Hint strokes as vectors, and their rasterization into an ``HxWx4 uint8 RGBA`` hint map.

A :class:`Stroke` is what the artist did with one press-drag-release (or one bucket
click): a brush stroke, an eraser stroke or a fill of one closed line-art region. The
document keeps only strokes; the raster is derived, cached and updated incrementally
(only the new stroke's bounding box is painted when one is added).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.hints import rasterize_strokes

KINDS = ("brush", "erase", "fill")
RGB = tuple[int, int, int]
Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), image pixels


@dataclass(frozen=True)
class Stroke:
    """One undo step of hint painting.

    ``points``: ((x, y), ...) in image pixels (a fill has one point, its seed);
    ``color``: (r, g, b) 0..255; ``size``: brush diameter in px; ``opacity``: 0..1;
    ``gap``: for fills, line gaps up to this many px do not leak.
    """

    kind: str
    points: tuple[tuple[float, float], ...]
    color: RGB = (0, 0, 0)
    size: float = 8.0
    opacity: float = 1.0
    gap: int = 2

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown stroke kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if not self.points:
            raise ValueError("a stroke needs at least one point")
        # 1/100 px is what project.json keeps: round now so a saved stroke equals the live one
        object.__setattr__(self, "points", tuple((round(float(x), 2), round(float(y), 2)) for x, y in self.points))
        object.__setattr__(self, "color", tuple(int(c) for c in self.color))

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "points": [list(p) for p in self.points],
             "color": list(self.color), "opacity": round(self.opacity, 4)}
        if self.kind == "fill":
            d["gap"] = self.gap
        else:
            d["size"] = round(self.size, 2)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Stroke":
        """Build from :meth:`to_dict` output; raises ValueError/TypeError/KeyError on bad data."""
        pts = tuple((float(p[0]), float(p[1])) for p in d["points"])
        color = tuple(int(c) for c in d.get("color", (0, 0, 0)))
        if len(color) != 3 or not all(0 <= c <= 255 for c in color):
            raise ValueError(f"bad stroke color {d.get('color')!r}")
        return cls(str(d["kind"]), pts, color, float(d.get("size", 8.0)), float(d.get("opacity", 1.0)), int(d.get("gap", 2)))


def _clip_rect(x0, y0, x1, y1, h, w) -> Rect | None:
    x0, y0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    x1, y1 = min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def stroke_mask(stroke: Stroke, h: int, w: int, labels: np.ndarray | None = None) -> tuple[Rect, np.ndarray] | None:
    """The pixels ``stroke`` covers as (rect, HrxWr bool mask inside rect), or None if none.

    Fills need ``labels`` (HxW int32 closed regions, 0 on lines; see core.regions.segment).
    """
    if stroke.kind == "fill":
        if labels is None:
            raise ValueError("a fill stroke needs the frame's region labels")
        x, y = (int(round(v)) for v in stroke.points[0])
        if not (0 <= x < w and 0 <= y < h) or labels[y, x] == 0:
            return None
        m = labels == labels[y, x]
        ys, xs = np.nonzero(m.any(1))[0], np.nonzero(m.any(0))[0]
        rect = (int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)
        return rect, m[rect[1]:rect[3], rect[0]:rect[2]]
    pts = np.asarray(stroke.points, np.float64)
    r = stroke.size / 2 + 2
    rect = _clip_rect(pts[:, 0].min() - r, pts[:, 1].min() - r, pts[:, 0].max() + r + 1, pts[:, 1].max() + r + 1, h, w)
    if rect is None:
        return None
    x0, y0, x1, y1 = rect
    local = {"points": pts - (x0, y0), "color": (255, 255, 255), "size": stroke.size, "opacity": 1.0}
    m = rasterize_strokes([local], y1 - y0, x1 - x0)[..., 3] > 0
    return (rect, m) if m.any() else None


def paint_stroke(hints: np.ndarray, stroke: Stroke, labels: np.ndarray | None = None) -> Rect | None:
    """Paint ``stroke`` into ``hints`` (HxWx4 uint8 RGBA, in place); returns the changed rect."""
    h, w = hints.shape[:2]
    got = stroke_mask(stroke, h, w, labels)
    if got is None:
        return None
    (x0, y0, x1, y1), m = got
    sub = hints[y0:y1, x0:x1]
    if stroke.kind == "erase":
        sub[m] = 0
    else:
        sub[m, :3] = stroke.color
        sub[m, 3] = max(1, int(round(255 * stroke.opacity)))
    return x0, y0, x1, y1


def rasterize(strokes, h: int, w: int, labels: np.ndarray | None = None) -> np.ndarray:
    """All ``strokes`` in order -> ``HxWx4 uint8 RGBA`` hint map (alpha > 0 = hint)."""
    out = np.zeros((h, w, 4), np.uint8)
    for s in strokes:
        paint_stroke(out, s, labels)
    return out
