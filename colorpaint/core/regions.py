"""Cel-animation regions: line masks, closed-region segmentation, flat fills, palette snapping
and region matching between frames.

Conventions:

* line art is ``HxW uint8`` gray or ``HxWx3 uint8 RGB`` (dark lines on a light background);
* a label image is ``HxW int32``: 0 on line pixels, 1..n for the closed regions between lines;
* a *region table* is an ``(n+1)x3 float32`` Lab array indexed by label (row 0 is unused);
* Lab is CIELAB with L in [0, 100] (see :mod:`colorpaint.core.color`).
"""
from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

from .color import rgb_to_lab
from .memo import Recent, pixels_key
from .metrics import delta_e2000

_OTSU_CLAMP = (64, 200)  # keeps Otsu sane on near-blank or grey-shaded line art
_K3 = np.ones((3, 3), np.uint8)


# --------------------------------------------------------------------------- line mask
def line_mask(img: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """``HxW bool`` mask, True on line pixels.

    ``img``: ``HxW uint8`` gray, ``HxWx3 uint8 RGB`` or an ``HxW bool`` mask (returned as is).

    For RGB the test value is ``min(R, G, B)``: a pixel is a line if *any* channel is dark.
    That catches dark lines (all channels low) and saturated coloured lines (pure red, green,
    blue, yellow... all have a channel near 0), while light/pastel colours and white do not
    count. For gray input it is the gray value itself, so a gray RGB image gives the same mask.

    ``threshold``: pixels with value <= threshold are lines. Default: Otsu on the test value,
    clamped to [64, 200] so anti-aliased edges are split roughly at half coverage and a page
    with no real lines does not get a nonsense threshold; an image with almost no contrast
    uses 128.
    """
    if img.dtype == bool:
        return img
    if img.dtype != np.uint8:
        raise ValueError(f"line art must be uint8 or bool, got {img.dtype}")
    if img.ndim == 3:
        r, g, b = cv2.split(np.ascontiguousarray(img[..., :3]))
        v = cv2.min(cv2.min(r, g), b)
    else:
        v = img
    if threshold is None:
        lo, hi, _, _ = cv2.minMaxLoc(v)
        if hi - lo < 64:
            threshold = 128
        else:
            t, _ = cv2.threshold(v, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            threshold = min(max(t, _OTSU_CLAMP[0]), _OTSU_CLAMP[1])
    # cv2.threshold writes 0/1 bytes, which view as bool without a copy (faster than v <= t).
    return cv2.threshold(v, threshold, 1, cv2.THRESH_BINARY_INV)[1].view(bool)


# --------------------------------------------------------------------------- segmentation
def segment(lineart: np.ndarray, gap_close: int = 2, min_area: int | None = 0,
            ink: float | None = None) -> tuple[np.ndarray, int]:
    """Closed regions between lines -> ``(labels HxW int32, n)``; 0 on line pixels, 1..n regions.

    ``lineart``: anything :func:`line_mask` accepts (gray, RGB or a ready bool mask).

    Gap closing: the line mask is dilated by a disk of radius ``r = ceil(gap_close / 2)``, so
    a break of up to ``gap_close`` pixels is sealed, then the background is split into
    4-connected components (4-connectivity so a diagonal 1-px line still separates). The
    pixels the dilation took from the regions (the *ring*) are given back by geodesic growth
    (``r+1`` steps of 3x3 dilation of the labels, restricted to the ring), so every region
    again reaches its lines; a break is filled from both sides and regions never merge.
    Ring pixels still unlabelled after that are slivers between nearly touching lines (wedges
    where lines meet at a shallow angle) or pockets swallowed whole by the dilation: each
    such component joins the region it touches most, or becomes its own region if it touches
    none (e.g. a tiny highlight). Growing slivers step by step would cost far more.
    ``gap_close=0`` disables closing.

    ``min_area``: regions smaller than this many pixels count as ink (label 0): pockets
    inside thick or hatched strokes that no colorist fills by hand. ``None`` picks
    ``max(8, H*W // 10000)`` (26 px at 512², 0.01 % of the frame); 0 keeps every region.

    ``ink``: the gray level (0..255) at or below which a pixel is line (the fill tolerance,
    :func:`~colorpaint.engine.options.ink_level`); None picks it from the drawing
    (:func:`line_mask`'s Otsu).
    """
    labels, n = _segment(lineart, gap_close, ink)
    if min_area is None:
        min_area = max(8, labels.size // 10000)
    if min_area > 1 and n:
        area = np.bincount(labels.ravel(), minlength=n + 1)
        keep = area >= min_area
        keep[0] = False
        lut = np.zeros(n + 1, np.int32)
        lut[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
        for a in range(0, labels.shape[0], 256):  # in place, a band at a time: no second page of labels
            labels[a:a + 256] = np.take(lut, labels[a:a + 256])
        n = int(keep.sum())
    return labels, n


def _segment(lineart: np.ndarray, gap_close: int, ink: float | None = None) -> tuple[np.ndarray, int]:
    m8 = np.ascontiguousarray(line_mask(lineart, ink)).view(np.uint8)
    r = math.ceil(gap_close / 2) if gap_close > 0 else 0
    wall = cv2.dilate(m8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) if r else m8
    n, labels = cv2.connectedComponents(1 - wall, connectivity=4, ltype=cv2.CV_32S)
    n -= 1
    if not r:
        return labels, n

    todo = cv2.subtract(wall, m8)  # the ring (0/1): taken by the dilation, not real line
    del wall, m8
    # float32 labels are exact below 2**24 regions; cv2.dilate has no int32 path.
    labf = labels.astype(np.float32)
    del labels
    for _ in range(r + 1):  # r+1 steps fill a break of 2r px from both sides
        grown = cv2.dilate(labf, _K3)
        take = cv2.bitwise_and(todo, (grown > 0).view(np.uint8))
        np.copyto(labf, grown, where=take.view(bool))
        todo = cv2.subtract(todo, take)
        if not cv2.countNonZero(todo) or not cv2.countNonZero(take):
            break
    todo = todo.view(bool)
    if todo.any():
        n = _merge_leftovers(labf, todo, n)
    return _as_int32(labf), n


def _as_int32(labf: np.ndarray) -> np.ndarray:
    """float32 labels turned int32 in their own memory, a band of rows at a time."""
    out = labf.view(np.int32)
    for a in range(0, labf.shape[0], 256):
        out[a:a + 256] = labf[a:a + 256]
    return out


def _merge_leftovers(labf: np.ndarray, todo: np.ndarray, n: int) -> int:
    """Give each 4-connected component of ``todo`` the region it touches most, in place.

    Components touching no region get new labels ``n+1, ...``; returns the new region count.
    """
    k, comp = cv2.connectedComponents(todo.view(np.uint8), connectivity=4, ltype=cv2.CV_32S)
    # Seen from the component side (a labelled pixel between two components would only
    # report one of them): each leftover pixel names the largest region label next to it.
    near = cv2.dilate(labf, _K3)[todo]
    cid = comp[todo]
    touch = near > 0
    pairs, cnt = np.unique(cid[touch].astype(np.int64) * (n + 1) + near[touch].astype(np.int64),
                           return_counts=True)
    target = np.zeros(k, np.int64)
    if len(pairs):
        order = np.lexsort((-cnt, pairs // (n + 1)))  # by component, most contacts first
        pc = pairs[order] // (n + 1)
        first = order[np.r_[True, pc[1:] != pc[:-1]]]
        target[pairs[first] // (n + 1)] = pairs[first] % (n + 1)
    alone = np.flatnonzero(target == 0)[1:]  # skip component 0 (not todo)
    target[alone] = n + 1 + np.arange(len(alone))
    labf[todo] = target[comp[todo]]
    return n + len(alone)


# --------------------------------------------------------------------------- per-region statistics
def region_median(labels: np.ndarray, values: np.ndarray,
                  n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-label, per-channel median of ``values`` (exact, computed in float32).

    ``labels``: nonnegative int array of any shape; ``values``: same shape plus a channel
    axis (``...xC``). Returns ``(medians (n+1)xC float32, counts (n+1) int64)``; rows of labels
    with no pixels are NaN. ``n`` defaults to ``labels.max()``.

    Vectorized: per channel, one ``np.sort`` of a 64-bit key ``label << 32 | order(value)``
    (``order`` maps float32 bits to an order-preserving uint32) groups the values by label in
    sorted order; the middle element(s) of each group sit at ``start + (count-1)//2`` and
    ``start + count//2``. About 25x faster than ``np.lexsort`` on 4 Mpixels.
    """
    lab = labels.reshape(-1)
    vals = np.asarray(values, np.float32).reshape(lab.size, -1)
    if n is None:
        n = int(lab.max()) if lab.size else 0
    counts = np.bincount(lab, minlength=n + 1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    lo = (starts + (counts - 1) // 2)[has]
    hi = (starts + counts // 2)[has]
    high = lab.astype(np.uint64)
    high <<= np.uint64(32)
    out = np.full((n + 1, vals.shape[1]), np.nan, np.float32)
    for c in range(vals.shape[1]):
        srt = _f32_to_ordered(np.ascontiguousarray(vals[:, c]))
        srt |= high  # in place, and sorted in place: 16 bytes a value at the peak instead of 44
        srt.sort()
        med_lo = _ordered_to_f32((srt[lo] & np.uint64(0xFFFFFFFF)).astype(np.uint32))
        med_hi = _ordered_to_f32((srt[hi] & np.uint64(0xFFFFFFFF)).astype(np.uint32))
        out[has, c] = 0.5 * (med_lo.astype(np.float64) + med_hi)
    return out, counts


_SEGMENTS = Recent(4, max_bytes=512 * 1024 * 1024)


def segment_cached(gray: np.ndarray, gap_close: int = 2, min_area: int | None = 0, copy: bool = True,
                   ink: float | None = None) -> tuple[np.ndarray, int]:
    """:func:`segment` of an HxW uint8 image, remembered for the last few images.

    Painting hints recolors the same line art again and again, and a shot's frame is
    segmented again as the next frame's previous one: the lines did not change, so neither
    do the regions (66 ms at 2048²). Keyed by a hash of the pixels; returns a copy, or with
    ``copy=False`` a read-only view of the remembered labels (for callers that only read).
    """
    labels, n = _SEGMENTS.get((pixels_key(gray), gap_close, min_area, ink),
                              lambda: segment(gray, gap_close=gap_close, min_area=min_area, ink=ink))
    if copy:
        return labels.copy(), n
    view = labels.view()
    view.flags.writeable = False
    return view, n


def nearest_in_region(labels: np.ndarray, mask: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spread marked pixels over their own regions, each pixel taking its nearest mark.

    ``labels``: HxW region labels (0 = lines, never filled); ``mask``: HxW bool, the marked
    pixels (hints); ``values``: HxWxC float values at the marks. Every pixel of a region
    that holds marks gets the value of the nearest mark *in the same region* (Euclidean
    distance), so two strokes in one open shape split it between them, as a colorize mask
    does, instead of mixing into one color. Returns ``(HxWxC float32, HxW bool covered)``.
    """
    ys, xs = np.nonzero(mask & (labels > 0))
    spread = RegionSpread(labels, ys, xs, values[ys, xs], values.shape[-1])
    return spread.rows(0, labels.shape[0])


class RegionSpread:
    """:func:`nearest_in_region` for marks given as points, read a band of rows at a time
    (a large page is finished in strips, :mod:`colorpaint.engine.pipeline`).

    ``ys``, ``xs``: the marks' pixel coordinates in raster order, on regions (labels > 0);
    ``vals``: their values (K x C). Most regions hold one color (one stroke, or strokes of
    one color): a lookup table fills them all at once; only regions holding several
    colors are split pixel by pixel, each by one distance transform over its bounding box,
    worked out on first use and kept (4 bytes per pixel of that box)."""

    def __init__(self, labels: np.ndarray, ys: np.ndarray, xs: np.ndarray, vals: np.ndarray, channels: int | None = None):
        self.labels = labels
        self.c = int(channels if channels is not None else vals.shape[-1])
        self.ys, self.xs = ys, xs
        self.vals = np.asarray(vals, np.float32).reshape(-1, self.c)
        ids = labels[ys, xs]
        self.any = len(ids) > 0
        n = int(labels.max()) + 1 if self.any else 1
        self.first = np.zeros((n, self.c), np.float32)
        self.first[ids] = self.vals  # several marks in one region: the last in raster order, as numpy assigns
        self.has = np.zeros(n, bool)
        self.has[ids] = True
        mixed = np.zeros(n, bool)
        mixed[ids[(self.vals != self.first[ids]).any(1)]] = True
        self.mixed = np.flatnonzero(mixed)
        self._ids = ids
        self._split: dict[int, tuple] = {}

    def _region(self, r: int):
        """(y0, y1, x0, x1, region mask in the box, each box pixel's mark values) of mixed region ``r``."""
        got = self._split.get(r)
        if got is None:
            ys, xs = np.nonzero(self.labels == r)
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            reg_c = self.labels[y0:y1, x0:x1] == r
            own = self._ids == r
            hm_c = np.zeros(reg_c.shape, bool)
            hm_c[self.ys[own] - y0, self.xs[own] - x0] = True
            vals_r = self.vals[own]  # raster order, as hm_c[hm_c] reads them
            _, idx = cv2.distanceTransformWithLabels((~hm_c).astype(np.uint8), cv2.DIST_L2, 5,
                                                     labelType=cv2.DIST_LABEL_PIXEL)
            lut = np.zeros(int(idx.max()) + 1, np.int32)
            lut[idx[hm_c]] = np.arange(len(vals_r))
            got = (y0, y1, x0, x1, reg_c, vals_r, np.take(lut, idx))
            self._split[r] = got
        return got

    def rows(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """``(values (b-a)xWxC float32, covered (b-a)xW bool)`` for rows ``a:b``."""
        band = self.labels[a:b]
        if not self.any:
            return np.zeros(band.shape + (self.c,), np.float32), np.zeros(band.shape, bool)
        out = np.take(self.first, band, axis=0)  # np.take: 4x faster than first[labels] at 2048²
        covered = np.take(self.has, band)
        for r in self.mixed:
            y0, y1, x0, x1, reg_c, vals_r, near = self._region(int(r))
            t0, t1 = max(a, y0), min(b, y1)
            if t0 >= t1:
                continue
            sl = slice(t0 - y0, t1 - y0)
            np.copyto(out[t0 - a:t1 - a, x0:x1], np.take(vals_r, near[sl], axis=0), where=reg_c[sl][..., None])
        return out, covered


def geodesic_nearest(labels: np.ndarray, mask: np.ndarray, values: np.ndarray, gap_cost: float = 100.0,
                     gap_scale: float = 3.0, max_sweeps: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`nearest_in_region`, but "nearest" is measured along paths that go around lines.

    A path may not cross a line pixel (label 0), and each step costs more the closer it runs
    to a line: ``1 + gap_cost * exp(-d / gap_scale)``, ``d`` the distance to the nearest line
    pixel. So in an open shape (an outline with a gap, a tiger's body that opens onto the
    page) a stroke inside the shape reaches the whole shape before it squeezes through the
    gap, and strokes on the page stay on the page; straight-line distance would cut across
    the outline. Regions without marks stay uncovered. Computed by repeated raster sweeps
    (8-neighbour chamfer) until nothing changes; ~75 ms at 256². Returns
    ``(HxWxC float32, HxW bool covered)``.
    """
    h, w = labels.shape
    out = np.zeros((h, w, values.shape[-1]), np.float32)
    hm = mask & (labels > 0)
    if not hm.any():
        return out, np.zeros((h, w), bool)
    free = labels > 0
    d = cv2.distanceTransform(free.view(np.uint8), cv2.DIST_L2, 3)
    cost = (1.0 + gap_cost * np.exp(-d / gap_scale)).astype(np.float32)
    cost[~free] = np.inf
    dist = np.where(hm, 0.0, np.inf).astype(np.float32)
    src = np.where(hm, np.arange(h * w, dtype=np.int64).reshape(h, w), -1)
    for _ in range(max_sweeps):
        before = dist.copy()
        _sweep(dist, src, cost)
        dt, st = dist.T.copy(), src.T.copy()
        _sweep(dt, st, np.ascontiguousarray(cost.T))
        dist[:], src[:] = dt.T, st.T
        if np.array_equal(before, dist):
            break
    covered = src >= 0
    out[covered] = values.reshape(h * w, -1)[src[covered]]
    return out, covered


def _sweep(dist: np.ndarray, src: np.ndarray, cost: np.ndarray) -> None:
    """One downward and one upward pass of row-by-row relaxation from the three neighbours above/below."""
    h = dist.shape[0]
    diag = np.float32(np.sqrt(2.0))
    inf = np.array([np.inf], np.float32)
    none = np.array([-1], np.int64)
    for rows in (range(1, h), range(h - 2, -1, -1)):
        step = 1 if rows.step > 0 else -1
        for y in rows:
            pd, ps, c = dist[y - step], src[y - step], cost[y]
            best, bsrc = pd + c, ps
            for sd, ss in ((np.concatenate([inf, pd[:-1]]), np.concatenate([none, ps[:-1]])),
                           (np.concatenate([pd[1:], inf]), np.concatenate([ps[1:], none]))):
                cand = sd + c * diag
                m = cand < best
                best, bsrc = np.where(m, cand, best), np.where(m, ss, bsrc)
            m = best < dist[y]
            dist[y] = np.where(m, best, dist[y])
            src[y] = np.where(m, bsrc, src[y])


def _f32_to_ordered(v: np.ndarray) -> np.ndarray:
    """float32 -> uint32 whose unsigned order is the float order (flip negatives, set sign on rest)."""
    b = v.view(np.uint32)
    mask = b >> np.uint32(31)  # 1 on negatives
    np.negative(mask, out=mask)  # 0xFFFFFFFF on negatives (unsigned wrap), 0 elsewhere
    mask |= np.uint32(0x80000000)
    mask ^= b
    return mask.astype(np.uint64)


def _ordered_to_f32(m: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_f32_to_ordered` (on uint32)."""
    return np.where(m >> 31 == 1, m & np.uint32(0x7FFFFFFF), ~m).astype(np.uint32).view(np.float32)


def _numbered_in_raster_order(near: np.ndarray, ink: np.ndarray, rows: int = 256) -> bool:
    """Whether OpenCV numbered the non-ink pixels 1, 2, ... in raster order (checked a band
    of rows at a time, so no page-sized index array is made)."""
    done = 0
    for a in range(0, near.shape[0], rows):
        got = near[a:a + rows][ink[a:a + rows] == 0]
        if not np.array_equal(got, np.arange(done + 1, done + len(got) + 1, dtype=got.dtype)):
            return False
        done += len(got)
    return True


def fill_lines(labels: np.ndarray) -> np.ndarray:
    """``HxW int32`` labels with every line pixel (0) given the label of the nearest region pixel.

    One distance transform (OpenCV numbers the region pixels 1.. in raster order and reports
    the nearest one for every pixel); a label image without regions is returned as is. Flats
    painted with these labels have no holes under the ink or in pockets too small to be regions.
    """
    if not labels.any() or labels.all():
        return labels
    ink = (labels == 0).view(np.uint8)
    near = cv2.distanceTransformWithLabels(ink, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)[1]
    if _numbered_in_raster_order(near, ink):
        # each region pixel's label, in OpenCV's numbering (a page of 8000x8000 was 38 bytes a
        # pixel at its peak when indices were gathered for every pixel; this reads the ink only)
        by_number = labels[ink == 0]
        inkb = ink.view(bool)
        out = labels.copy()
        out[inkb] = by_number[near[inkb] - 1]
        return out
    del near
    labf = labels.astype(np.float32)  # another numbering: grow the regions step by step instead
    hole = ink.copy()
    while cv2.countNonZero(hole):
        grown = cv2.dilate(labf, _K3)
        take = cv2.bitwise_and(hole, (grown > 0).view(np.uint8))
        if not cv2.countNonZero(take):
            break
        np.copyto(labf, grown, where=take.view(bool))
        hole = cv2.subtract(hole, take)
    return labf.astype(np.int32)


def paint_regions(labels: np.ndarray, region_lab: np.ndarray, base_lab: np.ndarray) -> np.ndarray:
    """``HxWx3 float32``: ``region_lab[label]`` on region pixels, ``base_lab`` on line pixels."""
    out = np.asarray(region_lab, np.float32)[labels]  # one gather; 2048²: 0.75 s -> 0.09 s against masking first
    line = labels == 0
    out[line] = np.asarray(base_lab, np.float32)[line]
    return out


def _dabs(m: np.ndarray, labels: np.ndarray):
    """The hint pixels of ``m`` (HxW bool) as dabs, inside the box that holds them (strokes
    usually cover a small part of a 2048² page): ``(ys, xs, dab id, label)`` per hint pixel,
    and the number of dab ids; None without hints."""
    m = np.ascontiguousarray(m, bool)
    x, y, w, h = cv2.boundingRect(m.view(np.uint8))
    if w == 0:
        return None
    mc = np.ascontiguousarray(m[y:y + h, x:x + w])
    nb, blob = cv2.connectedComponents(mc.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    ys, xs = np.nonzero(mc)
    return ys + y, xs + x, blob[ys, xs], labels[ys + y, xs + x], nb


def ignore_slips(hints: np.ndarray, labels: np.ndarray, dab_share: float = 0.25, region_share: float = 0.05,
                 line_share: float = 0.5) -> np.ndarray:
    """The hint map without the slips: ``hints`` HxWx4 uint8 RGBA, ``labels`` HxW regions.

    A dab (8-connected hint pixels) that runs a little across an outline should not color
    the shape next door: its part inside a region is dropped when that part is under
    ``dab_share`` of the dab's pixels off the lines *and* under ``region_share`` of the
    region's area. A stroke laid along a border (half on each side) and a stroke that
    covers a small shape keep their parts, unless the stroke lies mostly on the line itself
    (``line_share`` of its pixels or more): then it colors only the shape that holds most of
    its pixels off the line, the figure before the page (regions touching the frame's border),
    so a short stroke traced along an outline does not flood the page.
    Returns ``hints`` itself when nothing slipped.
    """
    d = _dabs(hints[..., 3] > 0, labels)
    if d is None:
        return hints
    ys, xs, bl, ll, nb = d
    n = int(ll.max()) + 1
    _, inv, part = np.unique(bl.astype(np.int64) * n + ll, return_inverse=True, return_counts=True)
    part = part[inv.ravel()]
    off = ll > 0
    dab = np.bincount(bl[off], minlength=nb)[bl]
    slip = off & (part < dab_share * dab)
    # a dab lying mostly on a line colors only the shape holding most of its pixels off the
    # line (of two equal parts, the smaller shape: the figure rather than the page)
    on_line = np.bincount(bl, weights=(~off).astype(np.float64), minlength=nb) >= line_share * np.bincount(bl, minlength=nb)
    if on_line.any() and off.any():
        area_all = np.bincount(labels.ravel())
        page = np.zeros(len(area_all), bool)  # regions touching the frame's border: the page, not the figure
        page[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = True
        page[0] = False
        score = part.astype(np.float64) - area_all[ll] / (area_all.max() + 1.0)  # ties go to the smaller shape
        score = np.where(page[ll], score - float(len(bl) + 1), score)  # a stroke traced on an outline is for the figure
        best = np.full(nb, -np.inf)
        np.maximum.at(best, bl[off], score[off])
        slip |= off & on_line[bl] & (score < best[bl])
    if not slip.any():  # no dab crosses a line: the whole page need not be counted
        return hints
    area = np.bincount(labels.ravel(), minlength=n)[ll]
    slip &= (part < region_share * area) | on_line[bl]
    if not slip.any():
        return hints
    out = hints.copy()
    out[ys[slip], xs[slip]] = 0
    return out


def deciding_hints(m: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The hint pixels that decide their region's color: ``m`` (HxW bool hint pixels) off
    the lines, where a region that holds a clean dab listens to its clean dabs only.

    A dab (8-connected hint pixels) is clean when it lies wholly inside one region. One
    that crosses a line or touches ink is a spill, or carries a color averaged across the
    line; it still counts in regions where nothing cleaner lies. On 50 val stills with 20
    simulated hints (``histogram``) this took 14.73 to 15.00 dB, and ``color-apply`` 14.40
    to 15.03: the spilled dabs had been making flat regions look two-colored. ``labels``:
    HxW int32 regions (0 = lines) of the same size; returns HxW bool.
    """
    out = np.zeros(m.shape, bool)
    d = _dabs(m, labels)
    if d is None:
        return out
    ys, xs, bl, ll, nb = d
    n = int(ll.max()) + 1
    lo = np.full(nb, n, np.int32)
    hi = np.full(nb, -1, np.int32)
    np.minimum.at(lo, bl, ll)
    np.maximum.at(hi, bl, ll)
    clean = ((lo == hi) & (lo > 0))[bl]
    has_clean = np.zeros(n, bool)
    has_clean[ll[clean]] = True
    has_clean[0] = False
    keep = (clean | ~has_clean[ll]) & (ll > 0)
    out[ys[keep], xs[keep]] = True
    return out


def flat_fill(labels: np.ndarray, lab_pred: np.ndarray, hints_rgba: np.ndarray | None = None) -> np.ndarray:
    """One flat colour per region -> ``HxWx3 float32 Lab``.

    ``labels``: ``HxW int32`` from :func:`segment`; ``lab_pred``: ``HxWx3 float32 Lab``
    prediction. Each region takes the per-channel median of the prediction inside it (robust
    to stray pixels and soft edges bleeding across lines). If user hints
    (``hints_rgba``: ``HxWx4 uint8 RGBA``, hint where alpha > 0) fall inside a region, the
    region takes the median of their Lab colours instead: the user is always right. Hints on
    line pixels are ignored, and a region holding a clean dab listens to its clean dabs
    only (:func:`deciding_hints`). Line pixels (label 0) keep ``lab_pred``.
    """
    n = int(labels.max())
    region, _ = region_median(labels, lab_pred, n)
    if hints_rgba is not None:
        hinted_regions_take_hints(region, labels, hints_rgba, n)
    return paint_regions(labels, region, lab_pred)


def hinted_regions_take_hints(region: np.ndarray, labels: np.ndarray, hints_rgba: np.ndarray, n: int) -> np.ndarray:
    """``region`` ((n+1)x3 Lab per label) with every region holding deciding hints
    (:func:`deciding_hints`) set, in place, to the median Lab of those hints; returned."""
    hm = deciding_hints(hints_rgba[..., 3] > 0, labels)
    if hm.any():
        hint_lab = rgb_to_lab(np.ascontiguousarray(hints_rgba[..., :3][hm])[None])[0]
        hmed, hcount = region_median(labels[hm], hint_lab, n)
        region[hcount > 0] = hmed[hcount > 0]
    return region


# --------------------------------------------------------------------------- palettes
def snap_to_palette(lab_colors: np.ndarray, palette_lab: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour (CIEDE2000) for each colour -> ``N int64``.

    ``lab_colors``: ``Nx3`` Lab; ``palette_lab``: ``Kx3`` Lab (K >= 1).
    """
    lab_colors = np.asarray(lab_colors, np.float32).reshape(-1, 3)
    palette_lab = np.asarray(palette_lab, np.float32).reshape(-1, 3)
    if len(palette_lab) == 0:
        raise ValueError("empty palette")
    return np.argmin(delta_e2000(lab_colors[:, None, :], palette_lab[None, :, :]), axis=1)


def palette_to_lab(palette_rgb: Sequence[Sequence[int]]) -> np.ndarray:
    """List of ``(r, g, b)`` 0..255 -> ``Kx3 float32 Lab``."""
    arr = np.asarray(palette_rgb, np.uint8).reshape(1, -1, 3)
    return rgb_to_lab(arr)[0]


def snap_regions(labels: np.ndarray, region_lab: np.ndarray,
                 palette_rgb: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Snap every region's colour to its nearest palette colour (CIEDE2000).

    ``labels``: ``HxW int32``; ``region_lab``: region table ``(n+1)x3`` Lab (row = label);
    ``palette_rgb``: list of ``(r, g, b)``. Returns ``(snapped (n+1)x3 float32 Lab, index
    (n+1) int32)``; only labels present in ``labels`` (and > 0) are snapped, other rows keep
    their colour and get index -1. Paint with :func:`paint_regions`.
    """
    pal = palette_to_lab(palette_rgb)
    region_lab = np.asarray(region_lab, np.float32)
    present = np.bincount(labels.ravel(), minlength=len(region_lab))[: len(region_lab)] > 0
    present[0] = False
    idx = np.full(len(region_lab), -1, np.int32)
    idx[present] = snap_to_palette(region_lab[present], pal)
    snapped = region_lab.copy()
    snapped[present] = pal[idx[present]]
    return snapped, idx


# --------------------------------------------------------------------------- frame-to-frame matching
def estimate_shift(lines_prev: np.ndarray, lines_cur: np.ndarray) -> tuple[int, int]:
    """Global integer translation ``(dx, dy)`` such that ``prev[y, x]`` appears at ``cur[y+dy, x+dx]``.

    Inputs are ``HxW bool`` line masks (same size). Phase correlation (Hann-windowed) gives a
    candidate; it is kept only if it aligns more line pixels than no shift at all, so a failed
    correlation on a static shot cannot make things worse.
    """
    a = lines_prev.astype(np.float32)
    b = lines_cur.astype(np.float32)
    win = cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F)
    (sx, sy), _ = cv2.phaseCorrelate(a, b, win)
    cand = (int(round(sx)), int(round(sy)))
    if cand == (0, 0):
        return cand
    agree0 = np.count_nonzero(lines_prev & lines_cur)
    agree1 = np.count_nonzero(shift_image(lines_prev, *cand, fill=False) & lines_cur)
    return cand if agree1 > agree0 else (0, 0)


def shift_image(img: np.ndarray, dx: int, dy: int, fill=0) -> np.ndarray:
    """Integer translation: ``out[y+dy, x+dx] = img[y, x]``; uncovered pixels get ``fill``."""
    h, w = img.shape[:2]
    out = np.full_like(img, fill)
    if abs(dx) >= w or abs(dy) >= h:
        return out
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        img[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def match_region_ids(labels_prev: np.ndarray, labels_cur: np.ndarray, min_iou: float = 0.4,
                     min_cover: float = 0.75, min_area_ratio: float = 0.25,
                     shift: tuple[int, int] | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """For each current region, the previous region it continues -> ``(prev_id (n_cur+1) int32, shift)``.

    ``labels_prev``/``labels_cur``: ``HxW int32`` label images of consecutive frames.
    ``prev_id[c]`` is -1 when region ``c`` has no convincing match (and for row 0).

    1. The global translation is estimated from the line masks (:func:`estimate_shift`)
       unless ``shift`` is given, and the previous labels are moved by it.
    2. Every overlapping (current, previous) pair gets IoU, cover (overlap / current area),
       area ratio (small / large) and centroid distance.
    3. Each current region picks the previous region with the highest IoU; exact ties are
       broken by the smaller centroid distance.
    4. The pick is accepted if IoU >= ``min_iou``, or — for a region split off a larger one,
       where IoU is low but the colour is still inherited — if cover >= ``min_cover``, area
       ratio >= ``min_area_ratio`` and the centroids lie within half the larger region's size.
    """
    if labels_prev.shape != labels_cur.shape:
        raise ValueError(f"label images differ in size: {labels_prev.shape} vs {labels_cur.shape}")
    if shift is None:
        shift = estimate_shift(labels_prev == 0, labels_cur == 0)
    prv = shift_image(labels_prev, *shift, fill=0).ravel()
    cur = labels_cur.ravel()
    n_cur, n_prev = int(cur.max()), int(labels_prev.max())
    prev_id = np.full(n_cur + 1, -1, np.int32)

    both = (cur > 0) & (prv > 0)
    if not both.any():
        return prev_id, shift
    key = cur[both].astype(np.int64) * (n_prev + 1) + prv[both]
    if (n_cur + 1) * (n_prev + 1) <= 1 << 24:  # dense count is much faster than unique
        inter = np.bincount(key, minlength=(n_cur + 1) * (n_prev + 1))
        pairs = np.flatnonzero(inter)
        inter = inter[pairs]
    else:
        pairs, inter = np.unique(key, return_counts=True)
    pc, pp = pairs // (n_prev + 1), pairs % (n_prev + 1)

    ys, xs = np.divmod(np.arange(cur.size, dtype=np.int64), labels_cur.shape[1])
    ac, cxc, cyc = _area_centroid(cur, xs, ys, n_cur)
    ap, cxp, cyp = _area_centroid(prv, xs, ys, n_prev)
    a_c, a_p = ac[pc], ap[pp]
    iou = inter / (a_c + a_p - inter)
    dist = np.hypot(cxc[pc] - cxp[pp], cyc[pc] - cyp[pp])

    order = np.lexsort((dist, -np.round(iou, 9), pc))
    first = order[np.r_[True, pc[order][1:] != pc[order][:-1]]]
    c, p = pc[first], pp[first]
    i, d = iou[first], dist[first]
    cover = inter[first] / a_c[first]
    ratio = np.minimum(a_c[first], a_p[first]) / np.maximum(a_c[first], a_p[first])
    ok = (i >= min_iou) | ((cover >= min_cover) & (ratio >= min_area_ratio)
                           & (d <= 0.5 * np.sqrt(np.maximum(a_c[first], a_p[first]))))
    prev_id[c[ok]] = p[ok]
    return prev_id, shift


def flow_warp_labels(labels_prev: np.ndarray, lines_prev: np.ndarray, lines_cur: np.ndarray) -> np.ndarray:
    """Move ``labels_prev`` onto the current frame by dense optical flow (DIS) between the line art.

    ``lines_prev``/``lines_cur``: ``HxW uint8`` line art (dark lines on light paper). Handles
    rotation, scaling and parts moving on their own, which a global shift cannot. The line
    images are blurred first: thin lines alone give the flow too little texture.
    """
    blur = lambda g: cv2.GaussianBlur(g, (0, 0), 2.0)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(blur(lines_cur), blur(lines_prev), None)  # for each current pixel: where it was
    h, w = labels_prev.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(labels_prev.astype(np.float32), gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_NEAREST,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(np.int32)


def match_regions(labels_prev: np.ndarray, colors_prev: np.ndarray, labels_cur: np.ndarray,
                  lines_prev: np.ndarray | None = None, lines_cur: np.ndarray | None = None,
                  **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Carry region colours from the previous frame.

    Returns ``(colors_cur (n_cur+1)x3 float32 Lab, matched (n_cur+1) bool)``.

    ``colors_prev``: region table of the previous frame (``(n_prev+1)x3`` Lab, row = label).
    Matched regions take their previous region's colour; unmatched rows (and row 0) are NaN
    and ``matched`` is False there, so the caller (e.g. the model's prediction + flat fill)
    decides them. Keyword arguments go to :func:`match_region_ids`.

    With both line images given (``HxW uint8``), the previous labels are first carried onto
    the current frame by optical flow (:func:`flow_warp_labels`) instead of a global shift.
    """
    if lines_prev is not None and lines_cur is not None:
        labels_prev = flow_warp_labels(labels_prev, lines_prev, lines_cur)
        kwargs.setdefault("shift", (0, 0))
        # aligned by flow, overlap is a sure sign: looser thresholds keep more true matches
        # (on synthetic val shots 83.2 % of regions right instead of 81.9 %)
        kwargs.setdefault("min_iou", 0.25)
        kwargs.setdefault("min_cover", 0.6)
    prev_id, _ = match_region_ids(labels_prev, labels_cur, **kwargs)
    matched = prev_id >= 0
    colors = np.full((len(prev_id), 3), np.nan, np.float32)
    colors[matched] = np.asarray(colors_prev, np.float32)[prev_id[matched]]
    return colors, matched


def _area_centroid(lab: np.ndarray, xs: np.ndarray, ys: np.ndarray, n: int):
    area = np.bincount(lab, minlength=n + 1).astype(np.float64)
    safe = np.maximum(area, 1.0)
    return (area, np.bincount(lab, xs, minlength=n + 1) / safe,
            np.bincount(lab, ys, minlength=n + 1) / safe)
