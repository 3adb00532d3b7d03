"""Region correspondence between a drawing and a colored reference of the same character.

The reference (a model sheet, an earlier frame) is not aligned with the target: another
pose, scale, crop or size, possibly mirrored. Both images are split into closed regions
(:func:`~colorpaint.core.regions.segment`); each region gets a descriptor (position in a
frame aligned to the other image, size, elongation, whether it is page, and for grayscale
targets its lightness) and the regions are paired by a *global* one-to-one assignment
(:func:`linear_assignment`), then refined:

1. the first pairing compares positions inside each figure's bounding box, once as drawn
   and once mirrored; both are refined (steps 2-3) and the orientation with the lower
   total cost is kept;
2. from the paired centroids a robust affine map (RANSAC) from reference to target is
   fitted, and positions and sizes are compared again in that aligned frame (this is
   what lets a cropped or partial reference still line up);
3. neighbour structure: a pair ``(i, j)`` costs less when the neighbours of target region
   ``i`` are paired with neighbours of reference region ``j`` (graph context, two rounds);
4. the one-to-one pairing fixes the orientation, the alignment and the context; the
   final pick is each target region's lowest-cost reference region, which two target
   regions may share (on 60 train stills 70-72 % of line-art regions right against
   64-66 % when the pick stays one-to-one).

A pair whose final cost is above :data:`ACCEPT` is not trusted: the region falls back to
the model. Conventions as in :mod:`colorpaint.core.regions` (labels ``HxW int32``, 0 on
lines; Lab with L in [0, 100]).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .color import rgb_to_lab
from .regions import fill_lines, region_median, segment

# cost scales (tuned on train stills, see benchmarks/reference_matching.py)
SIGMA_POS = 0.08  # share of the target figure's diagonal
SIGMA_SIZE = 0.7  # log area ratio
SIGMA_ELONG = 0.6  # log axis ratio
SIGMA_L = 6.0  # Lab L units (grayscale targets)
PAGE_COST = 4.0  # page region paired with a figure region, or the reverse
CONTEXT = 2.0  # weight of the neighbour term
ACCEPT = 5.0  # a pair costing more falls back to the model (train stills: 69 % of line-art regions accepted right, 19 % wrong; gray 88 % and 2 %)
SHARE = 1.5  # an unpaired target region may share a reference region below this cost
DARK_L = 35.0  # reference pixels darker than this are ink
EDGE_LAB = 12.0  # Lab distance across two pixels that makes a color edge


# --------------------------------------------------------------------------- assignment
def linear_assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost one-to-one assignment of a dense ``n x m`` cost matrix (finite floats).

    Returns ``(rows, cols)`` int64 arrays of length ``min(n, m)``, sorted by row: row
    ``rows[k]`` goes with column ``cols[k]``, and the total cost is minimal over all such
    matchings. Shortest augmenting paths with potentials (the Hungarian method in the
    Jonker-Volgenant form, O(n² m)); each step is a numpy vector operation over columns.
    """
    c = np.asarray(cost, np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost must be 2-D, got shape {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError("cost must be finite")
    n, m = c.shape
    if n == 0 or m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if n > m:
        cols, rows = linear_assignment(c.T)
        order = np.argsort(rows)
        return rows[order], cols[order]
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, np.int64)  # p[j]: row (1-based) holding column j, 0 = free
    way = np.zeros(m + 1, np.int64)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            free = ~used
            free[0] = False
            cur = c[i0 - 1] - u[i0] - v[1:]
            better = free[1:] & (cur < minv[1:])
            minv[1:][better] = cur[better]
            way[1:][better] = j0
            cand = np.where(free, minv, np.inf)
            j1 = int(np.argmin(cand))
            delta = cand[j1]
            u[p[used]] += delta
            v[used] -= delta
            minv[free] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    cols = np.flatnonzero(p[1:])
    rows = p[1:][cols] - 1
    order = np.argsort(rows)
    return rows[order].astype(np.int64), cols[order].astype(np.int64)


# --------------------------------------------------------------------------- regions
def color_lines(rgb: np.ndarray) -> np.ndarray:
    """``HxW bool`` lines of a colored (or gray) image: dark ink, and edges between colors.

    ``rgb``: ``HxWx3 uint8 RGB``. A pixel is a line when its Lab L is below
    :data:`DARK_L` or the Lab distance between its two neighbours (left/right or up/down)
    exceeds :data:`EDGE_LAB`: an anti-aliased boundary between two flat fills is caught
    across its one-pixel ramp, a smooth gradient inside a fill is not.
    """
    lab = rgb_to_lab(rgb)
    mask = lab[..., 0] < DARK_L
    t2 = EDGE_LAB * EDGE_LAB
    gx = np.zeros(mask.shape, np.float32)
    gy = np.zeros(mask.shape, np.float32)
    gx[:, 1:-1] = ((lab[:, 2:] - lab[:, :-2]) ** 2).sum(-1)
    gy[1:-1] = ((lab[2:] - lab[:-2]) ** 2).sum(-1)
    return mask | (gx > t2) | (gy > t2)


def color_regions(rgb: np.ndarray, gap_close: int = 2) -> tuple[np.ndarray, int]:
    """Closed regions of a colored reference or a grayscale frame (no line art given):
    :func:`color_lines`, then :func:`~colorpaint.core.regions.segment` with the same
    small-pocket rule as flat mode. Returns ``(labels HxW int32, n)``."""
    return segment(color_lines(rgb), gap_close=gap_close, min_area=None)


@dataclass
class RegionTable:
    """Per-region descriptors of one image; every array is indexed by label (row 0 unused).

    ``centroid`` (n+1)x2 pixels (x, y); ``area`` (n+1) pixels; ``elong`` log of the axis
    ratio of the region's second moments; ``page`` True for regions touching the image
    border (the paper around the figure); ``box`` the figure's bounding box (x, y, w, h);
    ``adj`` (n+1)x(n+1) float32 shared boundary length between regions (across lines);
    ``color`` (n+1)x3 median Lab of the image's colors (references) or None; ``L``
    (n+1) median input lightness (grayscale targets) or None.
    """

    labels: np.ndarray
    n: int
    centroid: np.ndarray
    area: np.ndarray
    elong: np.ndarray
    page: np.ndarray
    box: tuple[float, float, float, float]
    adj: np.ndarray
    color: np.ndarray | None = None
    L: np.ndarray | None = None


def describe(labels: np.ndarray, n: int, lab: np.ndarray | None = None, with_color: bool = False) -> RegionTable:
    """:class:`RegionTable` of a label image. ``lab``: ``HxWx3 float32 Lab`` of the image,
    for its per-region median color (``with_color``) or lightness (``L``, always when given).
    Moments and areas are one ``np.bincount`` each over all pixels, not a loop over regions."""
    h, w = labels.shape
    lab_flat = labels.ravel()
    area = np.bincount(lab_flat, minlength=n + 1).astype(np.float64)
    safe = np.maximum(area, 1.0)
    ys, xs = np.divmod(np.arange(labels.size, dtype=np.int64), w)
    xs, ys = xs.astype(np.float64), ys.astype(np.float64)
    cx = np.bincount(lab_flat, xs, n + 1) / safe
    cy = np.bincount(lab_flat, ys, n + 1) / safe
    sxx = np.bincount(lab_flat, xs * xs, n + 1) / safe - cx * cx
    syy = np.bincount(lab_flat, ys * ys, n + 1) / safe - cy * cy
    sxy = np.bincount(lab_flat, xs * ys, n + 1) / safe - cx * cy
    tr, det = sxx + syy, sxx * syy - sxy * sxy
    disc = np.sqrt(np.maximum(tr * tr / 4 - det, 0))
    l1, l2 = tr / 2 + disc, np.maximum(tr / 2 - disc, 1e-3)
    elong = 0.5 * np.log(np.maximum(l1, 1e-3) / l2)
    # the page: regions with a large share of the image border (a figure that runs off the
    # edge touches it too, but along a short stretch)
    border = np.bincount(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]), minlength=n + 1)
    border[0] = 0
    page = border >= max(1, 0.2 * border.max())
    fig = ~np.take(page, labels)
    if fig.sum() < 0.002 * labels.size or fig.all():
        box = (0.0, 0.0, float(w), float(h))
    else:
        box = tuple(float(v) for v in cv2.boundingRect(fig.view(np.uint8)))
    table = RegionTable(labels, n, np.stack([cx, cy], 1), area, elong, page, box, adjacency(labels, n))
    if lab is not None:
        med, _ = region_median(labels, lab if with_color else lab[..., :1], n)
        med = np.nan_to_num(med, nan=100.0)
        if with_color:
            table.color = med
        table.L = med[:, 0]
    return table


def adjacency(labels: np.ndarray, n: int) -> np.ndarray:
    """``(n+1)x(n+1) float32``: boundary length between regions that face each other across
    a line (each line pixel is given to its nearest region, then 4-neighbours that differ
    are counted)."""
    full = fill_lines(labels) if n else labels
    a = np.concatenate([full[:, :-1].ravel(), full[:-1, :].ravel()])
    b = np.concatenate([full[:, 1:].ravel(), full[1:, :].ravel()])
    d = a != b
    a, b = a[d].astype(np.int64), b[d].astype(np.int64)
    key = np.minimum(a, b) * (n + 1) + np.maximum(a, b)
    pairs, cnt = np.unique(key, return_counts=True)
    adj = np.zeros((n + 1, n + 1), np.float32)
    i, j = pairs // (n + 1), pairs % (n + 1)
    adj[i, j] = cnt
    adj[j, i] = cnt
    adj[0, :] = 0
    adj[:, 0] = 0
    return adj


# --------------------------------------------------------------------------- matching
@dataclass
class Match:
    """Target region -> reference region. ``ref_id`` (n_t+1) int (-1 = none), ``cost``
    (n_t+1) float (inf where none), ``mirrored`` whether the reference was flipped,
    ``affine`` 2x3 map from reference pixels to target pixels (mirror included)."""

    ref_id: np.ndarray
    cost: np.ndarray
    mirrored: bool
    affine: np.ndarray

    def accepted(self, accept: float = ACCEPT) -> np.ndarray:
        return (self.ref_id >= 0) & (self.cost <= accept)


def _box_affine(tb, rb, mirror: bool) -> np.ndarray:
    """2x3 map of the reference figure box onto the target's (x flipped when ``mirror``)."""
    tx, ty, tw, th = tb
    rx, ry, rw, rh = rb
    sx, sy = tw / max(rw, 1.0), th / max(rh, 1.0)
    if mirror:
        return np.array([[-sx, 0, tx + (rx + rw) * sx], [0, sy, ty - ry * sy]])
    return np.array([[sx, 0, tx - rx * sx], [0, sy, ty - ry * sy]])


def _unary(t: RegionTable, r: RegionTable, affine: np.ndarray, use_L: bool, shape: bool = True) -> np.ndarray:
    """``n_t x n_r`` cost of pairing each target region (rows 1..n_t) with each reference
    region, the reference mapped into the target by ``affine``."""
    diag = float(np.hypot(t.box[2], t.box[3])) or 1.0
    rc = r.centroid[1:] @ affine[:, :2].T + affine[:, 2]
    tc = t.centroid[1:]
    d = np.sqrt(((tc[:, None, :] - rc[None, :, :]) ** 2).sum(-1)) / (SIGMA_POS * diag)
    tp, rp = t.page[1:], r.page[1:]
    both_page = tp[:, None] & rp[None, :]
    cost = np.where(both_page, 0.0, d)
    cost += PAGE_COST * (tp[:, None] != rp[None, :])
    scale = abs(float(np.linalg.det(affine[:, :2]))) or 1.0
    la = np.log(np.maximum(t.area[1:], 1.0))[:, None] - np.log(np.maximum(r.area[1:] * scale, 1.0))[None, :]
    if shape:
        cost += np.where(both_page, 0.0, np.abs(la) / SIGMA_SIZE)
        cost += np.abs(t.elong[1:, None] - r.elong[None, 1:]) / SIGMA_ELONG
    else:
        cost += np.where(both_page, 0.0, np.abs(la) / SIGMA_SIZE)
    if use_L and t.L is not None and r.L is not None:
        cost += np.abs(t.L[1:, None] - r.L[None, 1:]) / SIGMA_L
    return cost


def _refit(t: RegionTable, r: RegionTable, rows, cols, cost, affine: np.ndarray) -> np.ndarray:
    """Affine reference -> target from the paired figure centroids (RANSAC), or ``affine``
    when too few pairs agree. Only pairs whose cost is moderate vote."""
    keep = ~t.page[rows + 1] & ~r.page[cols + 1] & (cost[rows, cols] < 2 * ACCEPT)
    if keep.sum() < 4:
        return affine
    src = r.centroid[cols[keep] + 1].astype(np.float32)
    dst = t.centroid[rows[keep] + 1].astype(np.float32)
    diag = float(np.hypot(t.box[2], t.box[3])) or 1.0
    m, inl = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=0.06 * diag, maxIters=500,
                                  confidence=0.99, refineIters=10)
    if m is None or inl is None or inl.sum() < max(4, 0.3 * keep.sum()):
        return affine
    # a fit that flips orientation against the chosen one, or squashes the figure, is noise
    if np.linalg.det(m[:, :2]) * np.linalg.det(affine[:, :2]) <= 0:
        return affine
    sv = np.linalg.svd(m[:, :2], compute_uv=False)
    if sv[1] <= 0 or sv[0] / sv[1] > 3:
        return affine
    return m.astype(np.float64)


def _context(t: RegionTable, r: RegionTable, rows, cols) -> np.ndarray:
    """``n_t x n_r``: for each pair (i, j), the share of target region i's boundary whose
    neighbour is paired with a neighbour of reference region j."""
    wt = t.adj[1:, 1:]
    wt = wt / np.maximum(wt.sum(1, keepdims=True), 1e-9)
    br = (r.adj[1:, 1:] > 0).astype(np.float32)
    pairing = np.zeros((t.n, r.n), np.float32)
    pairing[rows, cols] = 1.0
    return wt @ (pairing @ br)


def match_regions_to_reference(t: RegionTable, r: RegionTable, use_L: bool = False, context: bool = True,
                               refit: bool = True, share: bool = True, final: str = "nearest") -> Match:
    """Pair the regions of target ``t`` with those of reference ``r`` (see the module doc).

    ``use_L``: compare the lightness of the regions too (grayscale targets; ``t.L`` and
    ``r.L`` must be set). ``context``, ``refit``, ``share`` switch the refinement steps
    off (for measuring what each brings). ``final``: ``"nearest"`` (default) gives every
    target region the reference region of lowest final cost, so two target regions may
    share one (the two segmentations rarely agree region for region: a color edge with no
    line splits a reference region, an occluding line splits a target one); ``"assign"``
    keeps the one-to-one assignment and lets only leftover regions share (``share``)."""
    ref_id = np.full(t.n + 1, -1, np.int64)
    cost_out = np.full(t.n + 1, np.inf)
    if t.n == 0 or r.n == 0:
        return Match(ref_id, cost_out, False, _box_affine(t.box, r.box, False))
    best = None
    for mirror in (False, True):  # each orientation refined in full; the cheaper one wins
        aff = _box_affine(t.box, r.box, mirror)
        cost = _unary(t, r, aff, use_L)
        rows, cols = linear_assignment(cost)
        rounds = (1 if refit else 0) + (2 if context else 0)
        for k in range(rounds):
            if refit and k < 2:
                aff = _refit(t, r, rows, cols, cost, aff)
            cost = _unary(t, r, aff, use_L)
            if context and (k > 0 or not refit):
                cost = cost + CONTEXT * (1.0 - _context(t, r, rows, cols))
            rows, cols = linear_assignment(cost)
        total = float(cost[rows, cols].sum())
        if best is None or total < best[0]:
            best = (total, mirror, aff, cost, rows, cols)
    _, mirror, aff, cost, rows, cols = best
    ref_id[rows + 1] = cols + 1
    cost_out[rows + 1] = cost[rows, cols]
    if final == "nearest":
        j = np.argmin(cost, 1)
        ref_id[1:] = j + 1
        cost_out[1:] = cost[np.arange(t.n), j]
    elif share:
        free = np.ones(t.n, bool)
        free[rows] = False
        free_rows = np.flatnonzero(free)
        if len(free_rows):
            j = np.argmin(cost[free_rows], 1)
            c = cost[free_rows, j]
            ok = c <= SHARE
            ref_id[free_rows[ok] + 1] = j[ok] + 1
            cost_out[free_rows[ok] + 1] = c[ok]
    return Match(ref_id, cost_out, mirror, aff)


def nearest_position(t: RegionTable, r: RegionTable) -> Match:
    """Peer method: each target region takes the reference region whose centroid lies
    nearest inside the figure boxes (mirror chosen as in :func:`match_regions_to_reference`)."""
    ref_id = np.full(t.n + 1, -1, np.int64)
    cost_out = np.full(t.n + 1, np.inf)
    if t.n == 0 or r.n == 0:
        return Match(ref_id, cost_out, False, _box_affine(t.box, r.box, False))
    best = None
    for mirror in (False, True):
        aff = _box_affine(t.box, r.box, mirror)
        d = _unary(t, r, aff, False, shape=False)
        j = np.argmin(d, 1)
        total = float(d[np.arange(t.n), j].sum())
        if best is None or total < best[0]:
            best = (total, mirror, aff, j, d[np.arange(t.n), j])
    _, mirror, aff, j, c = best
    ref_id[1:] = j + 1
    cost_out[1:] = c
    return Match(ref_id, cost_out, mirror, aff)


def hungarian_shape_position(t: RegionTable, r: RegionTable, use_L: bool = False) -> Match:
    """Peer method: one global assignment on position (figure boxes) and shape only."""
    return match_regions_to_reference(t, r, use_L=use_L, context=False, refit=False, share=False, final="assign")
