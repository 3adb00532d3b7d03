"""Hint strokes as vectors, and their rasterization into an ``HxWx4 uint8 RGBA`` hint map.

A :class:`Stroke` is what the artist did with one press-drag-release (or one bucket
click): a brush stroke, an eraser stroke or a fill of one closed line-art region. The
document keeps only strokes; the raster is derived, cached and updated incrementally
(only the new stroke's bounding box is painted when one is added).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..core.hints import erase_context, rasterize_strokes, sweep_erase_leftovers
from ..engine.options import AUTO_TOLERANCE, DEFAULT_GAP, MAX_GAP, MAX_TOLERANCE

KINDS = ("brush", "erase", "fill")
RGB = tuple[int, int, int]
Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), image pixels
MIN_SIZE, MAX_SIZE = 1.0, 500.0  # brush diameters the canvas paints with
COORD_LIMIT = 10_000_000  # |x|, |y| of a point, px: far beyond any image, well inside OpenCV's int32 (x16)


@dataclass(frozen=True)
class Stroke:
    """One undo step of hint painting.

    ``points``: ((x, y), ...) in image pixels (a fill has one point, its seed);
    ``color``: (r, g, b) 0..255; ``size``: brush diameter in px; ``opacity``: 0..1;
    ``gap``: for fills, line gaps up to this many px do not leak; ``tolerance``: for fills,
    pixels up to this light (percent of white) are line, 0 = Auto
    (:func:`~colorpaint.engine.options.ink_level`).
    ``pressure``: a pen's pressure at each point (0..1), or () for a mouse stroke (full
    pressure); it scales the diameter when ``pressure_size`` and the opacity when
    ``pressure_opacity`` (:func:`~colorpaint.core.hints.rasterize_strokes`).
    """

    kind: str
    points: tuple[tuple[float, float], ...]
    color: RGB = (0, 0, 0)
    size: float = 8.0
    opacity: float = 1.0
    gap: int = DEFAULT_GAP
    tolerance: int = AUTO_TOLERANCE
    pressure: tuple[float, ...] = ()
    pressure_size: bool = True
    pressure_opacity: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown stroke kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if not self.points:
            raise ValueError("a stroke needs at least one point")
        # 1/100 px is what project.json keeps: round now so a saved stroke equals the live one
        object.__setattr__(self, "points", tuple((round(float(x), 2), round(float(y), 2)) for x, y in self.points))
        object.__setattr__(self, "color", tuple(int(c) for c in self.color))
        pr = tuple(round(min(1.0, max(0.0, float(v))), 3) for v in self.pressure)
        if pr and len(pr) != len(self.points):
            raise ValueError(f"a stroke's pressure needs one value a point ({len(self.points)}), got {len(pr)}")
        object.__setattr__(self, "pressure", () if self.kind == "fill" or all(v == 1.0 for v in pr) else pr)

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "points": [list(p) for p in self.points],
             "color": list(self.color), "opacity": round(self.opacity, 4)}
        if self.kind == "fill":
            d["gap"] = self.gap
            if self.tolerance != AUTO_TOLERANCE:  # left out at Auto: files read by older versions stay the same
                d["tolerance"] = self.tolerance
        else:
            d["size"] = round(self.size, 2)
            if self.pressure:  # left out for mouse strokes: files read by older versions stay the same
                d["pressure"] = list(self.pressure)
                d["pressure_to"] = [k for k, on in (("size", self.pressure_size), ("opacity", self.pressure_opacity)) if on]
        return d

    @classmethod
    def from_dict(cls, d: dict, warn: Callable[[str], None] | None = None) -> "Stroke":
        """Build from :meth:`to_dict` output (a project file: checked, as it may be edited).

        Raises ValueError/TypeError/KeyError for a stroke that cannot be drawn: an unknown
        kind, no points, a point that is not a finite number within :data:`COORD_LIMIT`, a
        bad color. A size, opacity, gap or tolerance out of range is brought into range, and a missing
        number (NaN) gets its default; each such repair is told to ``warn``.
        """
        if not isinstance(d, dict):
            raise TypeError(f"a stroke must be an object, not {type(d).__name__}")
        kind = d["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown stroke kind {kind!r}")
        raw = d["points"]
        if not isinstance(raw, (list, tuple)) or not raw:
            raise ValueError("a stroke needs a list of points")
        pts = []
        for p in raw:
            if not (isinstance(p, (list, tuple)) and len(p) == 2 and all(_real(v) and abs(v) <= COORD_LIMIT for v in p)):
                raise ValueError(f"bad stroke point {_short(p)} (points are [x, y] within ±{COORD_LIMIT:,} px)")
            pts.append((float(p[0]), float(p[1])))
        color = d.get("color", [0, 0, 0])
        if not (isinstance(color, (list, tuple)) and len(color) == 3 and all(_real(c) and 0 <= c <= 255 for c in color)):
            raise ValueError(f"bad stroke color {_short(color)}")
        tell = warn or (lambda msg: None)
        size = _ranged(d.get("size", 8.0), 8.0, MIN_SIZE, MAX_SIZE, "size", tell)
        opacity = _ranged(d.get("opacity", 1.0), 1.0, 0.0, 1.0, "opacity", tell)
        gap = int(round(_ranged(d.get("gap", DEFAULT_GAP), DEFAULT_GAP, 0, MAX_GAP, "gap", tell)))
        tolerance = int(round(_ranged(d.get("tolerance", AUTO_TOLERANCE), AUTO_TOLERANCE, 0, MAX_TOLERANCE,
                                      "tolerance", tell)))
        pressure, to = _pressure(d, len(pts), tell), d.get("pressure_to", ["size"])
        if not (isinstance(to, (list, tuple)) and all(isinstance(k, str) for k in to)):
            tell(f"stroke pressure_to {_short(to)} is not a list of names: size used")
            to = ["size"]
        return cls(kind, tuple(pts), tuple(int(c) for c in color), size, opacity, gap, tolerance,
                   pressure, "size" in to, "opacity" in to)


def _pressure(d: dict, n: int, tell: Callable[[str], None]) -> tuple[float, ...]:
    """A file stroke's ``pressure``: one value a point in 0..1 (NaN or not a number: 1, out of
    range: clamped), or () when missing or of the wrong length (full pressure)."""
    raw = d.get("pressure")
    if raw is None:
        return ()
    if not isinstance(raw, (list, tuple)) or len(raw) != n:
        tell(f"stroke pressure {_short(raw)} is not one value a point: full pressure used")
        return ()
    out, bad = [], 0
    for v in raw:
        ok = _real(v) and 0.0 <= v <= 1.0
        bad += not ok
        out.append(min(1.0, max(0.0, float(v))) if _real(v) else 1.0)
    if bad:
        tell(f"stroke pressure: {bad} value(s) not in 0..1 brought into range")
    return tuple(out)


def _real(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _short(v) -> str:
    """``v`` for a message: short, whatever it is."""
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, (list, tuple)) and (len(v) > 4 or not all(isinstance(x, (int, float, bool, type(None))) for x in v)):
        return f"a list of {len(v)}"
    r = repr(v[:40] if isinstance(v, str) else v)
    return r if len(r) <= 40 else r[:37] + "..."


def clamped(v, default: float, lo: float, hi: float, what: str, warn: Callable[[str], None], shown=None) -> float:
    """``v`` (read from a file) clamped to [lo, hi], or ``default`` when it is no number or
    NaN; a change is told to ``warn`` as "``what`` VALUE ..." (``shown`` formats VALUE)."""
    show = shown or _short
    if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v):
        c = min(hi, max(lo, float(v)))
        if c != v:
            warn(f"{what} {show(v)} out of range: {c:g} used")
        return c
    warn(f"{what} {show(v)} is not a number: {default:g} used")
    return float(default)


def _ranged(v, default: float, lo: float, hi: float, what: str, warn: Callable[[str], None]) -> float:
    return clamped(v, default, lo, hi, f"stroke {what}", warn)


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
    m = _local_raster(stroke, rect)[..., 3] > 0
    return (rect, m) if m.any() else None


def _local_raster(stroke: Stroke, rect: Rect, with_opacity: bool = False) -> np.ndarray:
    """A brush or eraser stroke rasterized inside ``rect``: ``HrxWrx4 uint8 RGBA``; alpha is
    the stroke's (pen pressure included) with ``with_opacity``, else full wherever it paints."""
    x0, y0, x1, y1 = rect
    local = {"points": np.asarray(stroke.points, np.float64) - (x0, y0), "color": (255, 255, 255), "size": stroke.size,
             "opacity": stroke.opacity if with_opacity else 1.0, "pressure": stroke.pressure or None,
             "pressure_size": stroke.pressure_size, "pressure_opacity": with_opacity and stroke.pressure_opacity}
    return rasterize_strokes([local], y1 - y0, x1 - x0)


def paint_stroke(hints: np.ndarray, stroke: Stroke, labels: np.ndarray | None = None) -> Rect | None:
    """Paint ``stroke`` into ``hints`` (HxWx4 uint8 RGBA, in place); returns the changed rect."""
    h, w = hints.shape[:2]
    got = stroke_mask(stroke, h, w, labels)
    if got is None:
        return None
    (x0, y0, x1, y1), m = got
    sub = hints[y0:y1, x0:x1]
    if stroke.kind == "erase":
        before = erase_context(hints, (x0, y0, x1, y1), stroke.size)
        sub[m] = 0
        return sweep_erase_leftovers(hints, (x0, y0, x1, y1), m, stroke.size, before)
    sub[m, :3] = stroke.color
    if stroke.pressure and stroke.pressure_opacity and stroke.kind == "brush":  # each point's own opacity
        sub[m, 3] = np.maximum(1, _local_raster(stroke, (x0, y0, x1, y1), with_opacity=True)[..., 3][m])
    else:
        sub[m, 3] = max(1, int(round(255 * stroke.opacity)))
    return x0, y0, x1, y1


def rasterize(strokes, h: int, w: int, labels: np.ndarray | None = None) -> np.ndarray:
    """All ``strokes`` in order -> ``HxWx4 uint8 RGBA`` hint map (alpha > 0 = hint)."""
    out = np.zeros((h, w, 4), np.uint8)
    for s in strokes:
        paint_stroke(out, s, labels)
    return out
