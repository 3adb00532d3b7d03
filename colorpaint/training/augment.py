"""Training-input augmentations that make the inputs look like studio material.

Only the network's *input* changes; the target color never does.

Line art (``kind`` 0):

* ``trace_lines``: colored trace lines. Where the target has a lightness edge between two
  areas of one hue (a shadow or a highlight on its base color) and the line art has no line,
  the edge is drawn in blue (shadow boundary) or red (highlight boundary), as studio line
  art marks them. The engine reads line art as luminance (ITU-R 601) and draws colored
  lines back in their own colors (:func:`colorpaint.core.color.draw_lines`); the network
  therefore sees these as mid-gray lines, exactly as it will at inference.
* ``width``: line widths varied along the strokes (thicker by up to 2 px, thinner, or the
  drawing resampled at a lower resolution).
* ``pencil``: graphite lines: gray instead of black, grainy, broken here and there, on a
  slightly gray paper with its own grain.
* ``xdog``: the line art replaced by XDoG lines of the color image
  (:func:`colorpaint.core.lineart.xdog_lines`), as a drawing cleaned up by a filter.

Grayscale (``kind`` 1):

* ``cel``: two-tone cel shading. Inside each closed region of the line art, the luminance
  is split at its mean into a base tone and a shadow tone (a gradient becomes two flat
  tones, as in anime frames; a flat region stays as it is).
* ``screentone``: some mid-gray regions printed as a halftone dot screen whose local mean
  is the original gray (manga pages).

Every augmentation takes a :class:`numpy.random.Generator` and uses nothing else, so a
sample is the same for the same seed. All work is whole-array numpy / OpenCV.
"""
from __future__ import annotations

import json

import cv2
import numpy as np

from ..core.color import rgb_to_lab, rgb_to_luma
from ..core.lineart import canny_lines, xdog_lines

LINE_AUGMENTS = ("trace_lines", "width", "pencil", "xdog")
GRAY_AUGMENTS = ("cel", "screentone")
AUGMENTS = LINE_AUGMENTS + GRAY_AUGMENTS
# the share of samples each augmentation is applied to under ``"augment": "studio"``
STUDIO = {"trace_lines": 0.3, "width": 0.3, "pencil": 0.2, "xdog": 0.2, "cel": 0.3, "screentone": 0.1}
OFF = {k: 0.0 for k in AUGMENTS}

# sampling weight of a still by the ``kind`` column of its folder's manifest.csv
KIND_WEIGHTS = {"character": 3.0, "scene": 2.0, "object": 1.0, "icon": 0.5}


def augment_settings(value) -> dict[str, float]:
    """The objective's ``augment`` value -> ``{augmentation: share of samples}``.

    ``None``, ``False``, ``"off"`` or ``{}``: all off (the default). ``True`` or
    ``"studio"``: :data:`STUDIO`. A dict names shares in [0, 1]; unnamed ones are off, and a
    dict may start from the preset with ``{"preset": "studio", "pencil": 0}``. A JSON text of
    any of these is accepted too. Anything else is refused with a one-line ValueError."""
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise ValueError(f"augment: not valid JSON ({e.msg})") from None
    if value is None or value is False or value == "off":
        return dict(OFF)
    if value is True or value == "studio":
        return dict(STUDIO)
    if not isinstance(value, dict):
        raise ValueError(f"augment: expected off, studio or a JSON object of shares, got {value!r}")
    value = dict(value)
    preset = value.pop("preset", "off")
    if preset not in ("off", "studio"):
        raise ValueError(f"augment: unknown preset {preset!r}; known: off, studio")
    out = dict(STUDIO if preset == "studio" else OFF)
    for k, v in value.items():
        if k not in out:
            raise ValueError(f"augment: unknown augmentation {k!r}; known: {', '.join(AUGMENTS)}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise ValueError(f"augment: {k} must be a share between 0 and 1, got {v!r}")
        out[k] = float(v)
    return out


def kind_weights(value="default") -> dict[str, float] | None:
    """The objective's ``kind_weights`` value -> ``{kind: weight}``, or None for uniform.

    ``"default"`` (or absent): :data:`KIND_WEIGHTS`. ``None``, ``False``, ``"uniform"`` or
    ``"off"``: uniform. A dict overrides the defaults kind by kind (weights >= 0; a kind not
    named anywhere weighs 1). A JSON text of any of these is accepted too."""
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise ValueError(f"kind_weights: not valid JSON ({e.msg})") from None
    if value == "default":
        return dict(KIND_WEIGHTS)
    if value is None or value is False or value in ("uniform", "off"):
        return None
    if not isinstance(value, dict):
        raise ValueError(f"kind_weights: expected default, uniform or a JSON object of weights, got {value!r}")
    out = dict(KIND_WEIGHTS)
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
            raise ValueError(f"kind_weights: the weight of {k!r} must be a number of at least 0, got {v!r}")
        out[str(k).strip().lower()] = float(v)
    return out


def any_on(rates: dict[str, float], names=AUGMENTS) -> bool:
    return any(rates.get(k, 0.0) > 0 for k in names)


# ------------------------------------------------------------------ helpers


def _smooth_field(h: int, w: int, cell: float, rng: np.random.Generator) -> np.ndarray:
    """``HxW float32`` noise in [0, 1] that changes over about ``cell`` pixels."""
    gh, gw = max(2, int(np.ceil(h / cell)) + 1), max(2, int(np.ceil(w / cell)) + 1)
    g = rng.random((gh, gw), dtype=np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _gray_to_rgb(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB) if img.ndim == 2 else img


# ------------------------------------------------------------------ line art


def _flat_areas(color: np.ndarray) -> np.ndarray:
    """``HxW int64``: the area of the flat fill each pixel belongs to (pixels of one color,
    4-connected, up to 8 levels per channel), 0 on the pixels where the color changes."""
    q = (color >> 3).astype(np.int32)
    key = (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]
    change = np.zeros(key.shape, bool)
    change[:, :-1] |= key[:, :-1] != key[:, 1:]
    change[:-1, :] |= key[:-1, :] != key[1:, :]
    n, labels, stats, _ = cv2.connectedComponentsWithStats((~change).astype(np.uint8), connectivity=4)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    area[0] = 0
    return np.where(change, 0, area[labels])


def shading_edges(color: np.ndarray, line: np.ndarray | None = None, min_dl: float = 6.0, max_dl: float = 50.0,
                  max_hue_deg: float = 25.0, _lab: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Where ``color`` (HxWx3 uint8 RGB) steps from one flat tone to another of the same hue,
    away from the lines: a shadow or a highlight painted on its base color.

    Returns ``(edge HxW bool, shadow HxW bool)``. ``edge`` marks the pixels on both sides of
    each such step (central differences across rows and columns) where both sides are flat
    (within 4 L from 2 to 5 px away: a banded gradient or a thin dark outline in the color
    is not a shading boundary). ``shadow`` marks the edge pixels whose darker side is the
    smaller fill (a shadow on its base color); the others are highlights (a lighter fill
    smaller than its base). Edges within 2 px of any ink of ``line`` (HxW uint8, < 235) are
    left out: there the line art already has its line. Dark ink (L < 25) and smooth
    gradients (less than ``min_dl`` per 2 px) give no edges."""
    lab = rgb_to_lab(color) if _lab is None else _lab
    h, w = color.shape[:2]
    P = 5
    p = cv2.copyMakeBorder(lab, P, P, P, P, cv2.BORDER_REPLICATE)
    pl = np.ascontiguousarray(p[..., 0])
    cos_max = np.cos(np.deg2rad(max_hue_deg))
    far = None if line is None else cv2.dilate((line < 235).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    edge = np.zeros((h, w), bool)
    shadow = np.zeros((h, w), bool)
    fa = None
    for dy, dx in ((0, 1), (1, 0)):
        la, lb = pl[P - dy:P - dy + h, P - dx:P - dx + w], pl[P + dy:P + dy + h, P + dx:P + dx + w]
        dl = cv2.absdiff(lb, la)
        cand = (dl >= min_dl) & (dl <= max_dl) & (cv2.min(la, lb) > 25)  # cheap tests on every pixel ...
        if far is not None:
            cand &= far
        ys, xs = np.nonzero(cand)
        if not len(ys):
            continue
        ys, xs = ys + P, xs + P  # ... the rest on the few candidates only
        a, b = p[ys - dy, xs - dx], p[ys + dy, xs + dx]
        ca, cb = np.hypot(a[:, 1], a[:, 2]), np.hypot(b[:, 1], b[:, 2])
        dot = a[:, 1] * b[:, 1] + a[:, 2] * b[:, 2]
        chromatic = (ca > 8) & (cb > 8) & (dot > cos_max * ca * cb) & (np.minimum(ca, cb) > 0.35 * np.maximum(ca, cb))
        neutral = (ca < 5) & (cb < 5)
        flat = ((np.abs(pl[ys - 2 * dy, xs - 2 * dx] - pl[ys - 5 * dy, xs - 5 * dx]) < 4)
                & (np.abs(pl[ys + 2 * dy, xs + 2 * dx] - pl[ys + 5 * dy, xs + 5 * dx]) < 4))
        ok = (chromatic | neutral) & flat
        ys, xs, a, b = ys[ok], xs[ok], a[ok], b[ok]
        if not len(ys):
            continue
        if fa is None:
            fa = np.pad(_flat_areas(color), P, mode="edge")
        area_a, area_b = fa[ys - 2 * dy, xs - 2 * dx], fa[ys + 2 * dy, xs + 2 * dx]
        dark_a = a[:, 0] < b[:, 0]
        area_dark, area_light = np.where(dark_a, area_a, area_b), np.where(dark_a, area_b, area_a)
        sh = (area_dark <= area_light) | (area_dark == 0) | (area_light == 0)  # unknown: a shadow, the common case
        yy, xx = ys - P, xs - P
        new = ~edge[yy, xx]
        shadow[yy[new & sh], xx[new & sh]] = True
        edge[yy, xx] = True
    return edge, shadow


def trace_lines(line: np.ndarray, color: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Line art (HxW uint8) with colored trace lines added: ``HxWx3 uint8 RGB``.

    Shadow boundaries of the target (:func:`shading_edges`) are drawn in a blue, highlight
    boundaries in a red, each edge piece kept with a random share in [0.6, 1] (the longest
    always) so some are left undrawn as an artist would. The lines are 2 px, or 1 px (the
    darker side only)."""
    lab = rgb_to_lab(color)
    edge, shadow = shading_edges(color, line, _lab=lab)
    out = _gray_to_rgb(line).copy()
    if not edge.any():
        return out
    if rng.random() < 0.5:  # 1 px: only the pixel on the darker side of each step
        L = np.ascontiguousarray(lab[..., 0])
        edge &= L <= cv2.blur(L, (3, 3))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(edge.astype(np.uint8), connectivity=8)
    area = stats[:, cv2.CC_STAT_AREA]
    keep = (rng.random(n) < rng.uniform(0.6, 1.0)) & (area >= 4)
    keep[0] = False
    if n > 1:
        keep[1 + int(np.argmax(area[1:]))] = True  # the longest always: a drawn augmentation shows
    # one color per edge piece, by majority: a boundary is a shadow's or a highlight's
    is_shadow = np.bincount(labels[shadow & edge], minlength=n) * 2 > area
    blue = np.array([rng.integers(20, 70), rng.integers(40, 110), rng.integers(170, 236)], np.uint8)
    red = np.array([rng.integers(200, 241), rng.integers(20, 70), rng.integers(30, 80)], np.uint8)
    ys, xs = np.nonzero(edge)
    lab_e = labels[ys, xs]
    on = keep[lab_e] & (line[ys, xs] > 200)
    ys, xs, lab_e = ys[on], xs[on], lab_e[on]
    out[ys, xs] = np.where(is_shadow[lab_e][:, None], blue, red)
    return out


def vary_width(line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Line art (HxW or HxWx3 uint8, dark lines on light paper) with other line widths:
    thicker by 1-2 px, or thinner, varying smoothly along the strokes, or the drawing
    resampled at 40-80 % of its resolution (softer, blockier lines)."""
    h, w = line.shape[:2]
    r = rng.random()
    if r < 0.75:
        if r < 0.45:
            k = int(rng.integers(2, 4))
            other = cv2.erode(line, np.ones((k, k), np.uint8))  # dark lines grow
            amount = rng.uniform(0.6, 1.0)
        else:
            other = cv2.dilate(line, np.ones((2, 2), np.uint8))  # dark lines shrink (1 px lines fade, never vanish)
            amount = rng.uniform(0.4, 0.7)
        a = _smooth_field(h, w, rng.uniform(12, 48), rng) * amount
        if line.ndim == 3:
            a = a[..., None]
        return (line * (1 - a) + other * a + 0.5).astype(np.uint8)
    s = rng.uniform(0.4, 0.8)
    small = cv2.resize(line, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    back = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    gain = rng.uniform(1.0, 1.6)  # a scanner's levels: the softened lines darker again
    return np.clip(255 - (255 - back) * gain + 0.5, 0, 255).astype(np.uint8)


def pencil(line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Line art (HxW or HxWx3 uint8) as a pencil drawing on paper: the lines lighter and
    grainy, strokes (not ink fills 5 px or wider) broken in places, on a paper tone of
    230-252 with its own fine grain."""
    h, w = line.shape[:2]
    ink = (255 - line.astype(np.float32)) / 255  # coverage, per channel for colored lines
    grain = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), 0.8)
    grain = (grain - grain.mean()) / (grain.std() + 1e-6)
    strength = rng.uniform(0.55, 0.95) * np.clip(1 + rng.uniform(0.06, 0.15) * grain, 0.5, 1.2)
    gaps = _smooth_field(h, w, rng.uniform(5, 12), rng)
    t = rng.uniform(0.02, 0.12)
    broken = np.clip((gaps - t) / 0.08, 0.15, 1.0)  # broken strokes where the field is low ...
    dark = (line if line.ndim == 2 else line.min(axis=2)) < 128
    solid = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)) > 0
    strength *= np.where(solid, np.float32(1), broken)  # ... but not inside ink fills (no holes in a shaded area)
    strength = np.minimum(strength, 0.97)  # graphite never quite black
    if line.ndim == 3:
        strength = strength[..., None]
    paper_tone = rng.uniform(230, 252)
    paper = paper_tone + cv2.GaussianBlur(rng.standard_normal((h, w), dtype=np.float32), (0, 0), 0.8) * rng.uniform(1.0, 3.0)
    if line.ndim == 3:
        paper = paper[..., None]
    out = paper * (1 - ink * strength)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def xdog(color: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """XDoG line art of the color image (HxW uint8), with a random σ, sharpness and threshold.

    XDoG thresholds flat areas by their own lightness, which would turn every dark fill
    black; so the luma is first mapped to keep ink (every channel below 60) black and to lift
    every other fill into [130-150, 255]: fills give paper, their edges lines, ink fills stay
    ink (a saturated blue, luma 29, is a fill, not ink)."""
    g = rgb_to_luma(color).astype(np.float32)
    lift = rng.uniform(130, 150)
    ink = color.max(axis=2) < 60
    g = np.where(ink, g * (lift / 255), lift + g * ((255 - lift) / 255))
    g = cv2.cvtColor(np.clip(g + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2RGB)
    return xdog_lines(g, sigma=float(rng.uniform(0.6, 1.0)), p=float(rng.uniform(30, 70)), eps=float(rng.uniform(0.35, 0.45)),
                      phi=float(rng.uniform(8, 15)))


def augment_lineart(line: np.ndarray, color: np.ndarray, rng: np.random.Generator, rates: dict[str, float]) -> np.ndarray:
    """The line-art input as a studio's line art might look: ``HxW uint8``, or ``HxWx3 uint8
    RGB`` where colored trace lines were drawn (the network input is its luma). ``line`` and
    ``color`` are the same size; ``color`` only guides (it is never changed)."""
    p = lambda k: rates.get(k, 0.0) > 0 and rng.random() < rates[k]
    if p("xdog"):
        line = xdog(color, rng)
    if p("width"):
        line = vary_width(line, rng)
    if p("trace_lines"):
        line = trace_lines(line, color, rng)
    if p("pencil"):
        line = pencil(line, rng)
    return line


# ------------------------------------------------------------------ grayscale


def regions(line: np.ndarray | None, color: np.ndarray) -> tuple[np.ndarray, int]:
    """Closed regions for the grayscale augmentations: ``(labels HxW int32, n)``, 0 on the
    lines and the pixel around them (their anti-aliased fringe keeps its gray). ``line`` is
    the line art of ``color`` (HxW uint8); None: Canny lines of ``color``."""
    if line is None:
        line = canny_lines(color, sigma=1.0)
    paper = cv2.erode((line >= 200).astype(np.uint8), np.ones((3, 3), np.uint8))
    n, labels = cv2.connectedComponents(paper, connectivity=4)
    return labels, n - 1


def cel_shade(gray: np.ndarray, labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Each region's luminance split into a base and a shadow tone: ``HxW uint8``.

    A region's pixels above its mean (moved by up to ±0.4 of its spread, so shadows vary in
    size) take the mean of those pixels, the others the mean of theirs. A flat region stays
    as it is, and so does label 0."""
    if n == 0:
        return gray
    lab = labels.ravel()
    g = gray.ravel().astype(np.float64)
    cnt = np.bincount(lab, minlength=n + 1)
    s1 = np.bincount(lab, weights=g, minlength=n + 1)
    s2 = np.bincount(lab, weights=g * g, minlength=n + 1)
    c = np.maximum(cnt, 1)
    mean = s1 / c
    std = np.sqrt(np.maximum(s2 / c - mean * mean, 0))
    thr = mean + rng.uniform(-0.4, 0.4, n + 1) * std
    hi = g > thr[lab]
    n_hi = np.bincount(lab[hi], minlength=n + 1)
    s_hi = np.bincount(lab[hi], weights=g[hi], minlength=n + 1)
    n_lo, s_lo = cnt - n_hi, s1 - s_hi
    t_hi, t_lo = s_hi / np.maximum(n_hi, 1), s_lo / np.maximum(n_lo, 1)
    out = np.where(hi, t_hi[lab], t_lo[lab])
    out = np.where(lab == 0, g, out)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8).reshape(gray.shape)


_SPOT_RANK: np.ndarray | None = None
_SPOT_BINS = 1024


def _spot_rank() -> np.ndarray:
    """Lookup (``_SPOT_BINS`` bins over [-1, 1]) from the round-dot spot function
    (cos u + cos v) / 2 to its rank among a screen cell's pixels: 0 at a dot's center, 1
    midway between dots, uniform over a cell."""
    global _SPOT_RANK
    if _SPOT_RANK is None:
        t = (np.arange(512) + 0.5) * 2 * np.pi / 512
        f = np.sort(((np.cos(t)[:, None] + np.cos(t)[None, :]) / 2).ravel())
        centers = (np.arange(_SPOT_BINS) + 0.5) / _SPOT_BINS * 2 - 1
        _SPOT_RANK = (1 - np.searchsorted(f, centers) / len(f)).astype(np.float32)
    return _SPOT_RANK


def halftone(gray: np.ndarray, period: float, angle_deg: float, ink: float = 0.0, paper: float = 255.0,
             mask: np.ndarray | None = None) -> np.ndarray:
    """A round-dot screen of ``gray`` (HxW uint8): ``HxW uint8`` of ``ink`` and ``paper`` only
    (where ``mask``, HxW bool, holds; ``gray`` elsewhere), with a share of ink per screen cell
    such that the local mean is ``gray``."""
    ys, xs = np.nonzero(mask) if mask is not None else np.indices(gray.shape).reshape(2, -1)
    th = np.deg2rad(angle_deg)
    k = 2 * np.pi / period
    x, y = xs.astype(np.float32), ys.astype(np.float32)
    u = (x * np.float32(np.cos(th) * k) + y * np.float32(np.sin(th) * k))
    v = (y * np.float32(np.cos(th) * k) - x * np.float32(np.sin(th) * k))
    f = (np.cos(u) + np.cos(v)) * 0.5
    rank = _spot_rank()[np.clip(((f + 1) * (_SPOT_BINS / 2)).astype(np.int32), 0, _SPOT_BINS - 1)]
    cover = (paper - gray[ys, xs].astype(np.float32)) / (paper - ink)
    out = gray.copy()
    out[ys, xs] = np.where(rank < cover, np.uint8(round(ink)), np.uint8(round(paper)))
    return out


def screentone(gray: np.ndarray, labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Some mid-gray regions replaced by a dot screen of their own gray (period 3.5-7 px,
    one angle for the page): ``HxW uint8``. A region qualifies with a mean of 70-225, room
    for a few screen cells (and at least 0.4 % of the image), and no texture (spread under 30 levels: flat or two-tone, as a
    manga page's toned areas; a photo-like texture is never toned)."""
    if n == 0:
        return gray
    period = rng.uniform(3.5, 7.0)
    angle = float(rng.choice([45.0, 15.0, 75.0, 0.0]))
    share = rng.uniform(0.3, 0.8)
    pick = rng.random(n + 1) < share
    lab, g = labels.ravel(), gray.ravel().astype(np.float64)
    cnt = np.bincount(lab, minlength=n + 1)
    c = np.maximum(cnt, 1)
    mean = np.bincount(lab, weights=g, minlength=n + 1) / c
    std = np.sqrt(np.maximum(np.bincount(lab, weights=g * g, minlength=n + 1) / c - mean * mean, 0))
    fits = (cnt >= max(30, 3 * period * period, 0.004 * gray.size)) & (mean >= 70) & (mean <= 225) & (std < 30)
    fits[0] = False
    if not fits.any():
        return gray
    ok = pick & fits
    if not ok.any():  # at least one region when any qualifies
        cand = np.flatnonzero(fits)
        ok[cand[rng.integers(len(cand))]] = True
    return halftone(gray, period, angle, ink=float(rng.uniform(0, 30)), mask=ok[labels])


def augment_gray(gray: np.ndarray, color: np.ndarray, line: np.ndarray | None, rng: np.random.Generator,
                 rates: dict[str, float]) -> np.ndarray:
    """The grayscale input as an anime frame or a manga page might look: ``HxW uint8``.
    ``line``: the line art of ``color`` when there is one (regions), else None (Canny)."""
    p = lambda k: rates.get(k, 0.0) > 0 and rng.random() < rates[k]
    cel, tone = p("cel"), p("screentone")
    if not (cel or tone):
        return gray
    labels, n = regions(line, color)
    if cel:
        gray = cel_shade(gray, labels, n, rng)
    if tone:
        gray = screentone(gray, labels, n, rng)
    return gray


def to_input(img: np.ndarray) -> np.ndarray:
    """An augmented input as the engine reads it: HxW uint8 luma (colored lines included)."""
    return rgb_to_luma(img) if img.ndim == 3 else img
