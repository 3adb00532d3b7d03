"""Region correspondence between a drawing and a colored reference of the same character.

The reference (a model sheet, an earlier frame) is not aligned with the target: another
pose, scale, crop or size, possibly mirrored. Both images are split into closed regions
(:func:`~colorpaint.core.regions.segment`); each region gets a descriptor (position in a
frame aligned to the other image, size, elongation, whether it is page, and for grayscale
targets its lightness) and the regions are paired by a *global* one-to-one assignment
(:func:`linear_assignment`), then refined:

1. each orientation (as drawn, mirrored) starts from a map that lays the reference's
   figure over the target's: the two silhouettes aligned by ECC
   (:func:`align_silhouettes`; the engine's default), or the figure boxes; both
   orientations are refined (steps 2-3) and the one with the lower total cost is kept.
   On line art, a sheet whose figure runs off its edges may be a close-up (a head for a
   full-body drawing): its lines and silhouette are also searched over the target's figure at
   several scales and turns (:func:`place_close_up`); when such a placement fits clearly
   better than the whole-figure map, it is the start, the regions it does not cover are
   left to the model, and step 2 keeps the placement;
2. from the paired centroids a robust affine map (RANSAC) from reference to target is
   fitted, and positions and sizes are compared again in that aligned frame (this is
   what lets a cropped or partial reference still line up);
3. neighbour structure: a pair ``(i, j)`` costs less when the neighbours of target region
   ``i`` are paired with neighbours of reference region ``j`` (graph context, two rounds);
4. the one-to-one pairing fixes the orientation, the alignment and the context; the
   final pick is each target region's lowest-cost reference region, which two target
   regions may share (on 60 train stills 70-72 % of line-art regions right against
   64-66 % when the pick stays one-to-one);
5. given the reference's pixels, each target region also reads the colors under it
   through the fitted map, with optical flow between the two drawings' lines following
   what the affine map cannot (:func:`sample_colors`); a region whose samples agree
   takes that color instead of its paired region's. The two segmentations rarely agree
   region for region (small parts vanish in the reference's color edges), and this step
   does not need them to.

A pair whose final cost is above :data:`ACCEPT` is not trusted: the region falls back to
the model. Conventions as in :mod:`colorpaint.core.regions` (labels ``HxW int32``, 0 on
lines; Lab with L in [0, 100]).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

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
PAPER_LAB = 10.0  # Lab distance from the paper's color within which a border region of a colored sheet is paper
EDGE_LAB = 12.0  # Lab distance across two pixels that makes a color edge
# silhouette alignment (the starting map of each orientation)
ALIGN_SIDE = 128  # px: both figures' silhouettes are aligned at this size
ALIGN_TURNS = (-20.0, 0.0, 20.0)  # degrees: starting rotations tried for each orientation
# close-ups (see place_close_up): a sheet whose figure runs off its edges may show a part
PART_CUT = 0.05  # share of the sheet's border on its figure that makes it a possible close-up
PART_SIDE = 160  # px: the target's figure is searched at this size
PART_SCALES = tuple(np.geomspace(0.2, 0.9, 9))  # the sheet's diagonal over the target figure's
PART_TURNS = (-20.0, 0.0, 20.0)  # degrees
PART_REFINE = 3  # placements refined by ECC
SHEET_SIDE = 512  # px: the sheet's maps for the search are made once at most this size
PART_MARGIN = 0.15  # a close-up placement must fit this much better than the whole-figure map (train stills)
PART_AGREE = 0.0  # and the sheet's colors must follow the drawing's regions better than under that map (agreement)
OUTSIDE = 10.0  # extra cost of a pair when the target region's centroid lies off the sheet
# color sampling through the fitted map (see sample_colors)
FLOW_SIDE = 512  # px: the lines are flow-aligned at this size
SAMPLE_PIXELS = 1 << 20  # at most this many target pixels are looked up in the reference
SAMPLE_AGREE = 6.0  # Lab distance to a region's sampled median that counts as agreeing
SAMPLE_SHARE = 0.5  # a region takes its sampled color when more of its samples than this agree
SAMPLE_MIN = 3  # samples a region needs for that
SAMPLE_COVER = 0.5  # and this share of it must lie on the reference's figure before the flow
SAMPLE_L = 6.0  # grayscale targets: and the sampled lightness must be this close to the region's


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
    border (the paper around the figure; on a sheet on white paper only those of the
    paper's color, :data:`PAPER_LAB`); ``paper`` (colored sheets) the border regions of
    the paper's color whatever it is; ``box`` the figure's bounding box (x, y, w, h);
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
    paper: np.ndarray | None = None


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
            # a colored sheet's paper has the paper's color: a part of the figure cut by the
            # image's edge (a close-up) is not paper however much border it holds. ``paper``
            # says so for any sheet; ``page`` follows it on white paper (line-art targets;
            # on a frame with a colored background it cost 3 points on XDoG shots), gray
            # targets use ``paper`` always (+5 points on gray shots)
            paper = int(np.argmax(border))
            table.paper = page & (np.sqrt(((med - med[paper]) ** 2).sum(1)) <= PAPER_LAB)
            white = med[paper, 0] > 85 and np.hypot(med[paper, 1], med[paper, 2]) < 10
            if white and (table.paper != page).any():  # a sheet on white paper
                table = _with_page(table, table.paper)
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
    ``affine`` 2x3 map from reference pixels to target pixels (mirror included).

    ``sampled`` (n_t+1) bool, when the reference's pixels were given: regions whose color
    is read straight from the reference's pixels under them (:func:`sample_colors`) rather
    than from the paired region; ``sampled_rgb`` (n_t+1)x3 uint8 those colors."""

    ref_id: np.ndarray
    cost: np.ndarray
    mirrored: bool
    affine: np.ndarray
    sampled: np.ndarray | None = None
    sampled_rgb: np.ndarray | None = None

    def accepted(self, accept: float = ACCEPT) -> np.ndarray:
        ok = (self.ref_id >= 0) & (self.cost <= accept)
        if self.sampled is not None:
            ok = ok | self.sampled
        return ok

    def colors(self, region_colors: np.ndarray, space: str = "rgb") -> np.ndarray:
        """(n_t+1)x3: each target region's color, from ``region_colors`` (the reference's
        per-region colors, indexed by reference label) or, for sampled regions, from the
        reference's pixels. ``space``: "rgb" (``region_colors`` uint8 RGB) or "lab"
        (float Lab, as :attr:`RegionTable.color`)."""
        out = np.asarray(region_colors)[np.maximum(self.ref_id, 0)].copy()
        if self.sampled is not None and self.sampled.any():
            src = self.sampled_rgb if space == "rgb" else rgb_to_lab(self.sampled_rgb[None])[0]
            out[self.sampled] = src[self.sampled]
        return out


def _box_affine(tb, rb, mirror: bool) -> np.ndarray:
    """2x3 map of the reference figure box onto the target's (x flipped when ``mirror``)."""
    tx, ty, tw, th = tb
    rx, ry, rw, rh = rb
    sx, sy = tw / max(rw, 1.0), th / max(rh, 1.0)
    if mirror:
        return np.array([[-sx, 0, tx + (rx + rw) * sx], [0, sy, ty - ry * sy]])
    return np.array([[sx, 0, tx - rx * sx], [0, sy, ty - ry * sy]])


def _figure(table: RegionTable) -> np.ndarray:
    """HxW float32 silhouette: 1 on the figure (every region that is not page, and the lines)."""
    keep = ~table.page
    keep[0] = True
    return np.take(keep, table.labels).astype(np.float32)


def _small(img: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """``img`` shrunk so its longer side is ``side`` px (never enlarged), and the scale used."""
    h, w = img.shape[:2]
    k = min(1.0, side / max(h, w))
    if k == 1.0:
        return img, 1.0
    return cv2.resize(img, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA), k


def _turn(affine: np.ndarray, deg: float, center) -> np.ndarray:
    """``affine`` followed by a rotation of ``deg`` degrees about ``center`` (target pixels)."""
    c, s = np.cos(np.deg2rad(deg)), np.sin(np.deg2rad(deg))
    cx, cy = center
    rot = np.array([[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy], [0, 0, 1]])
    return (rot @ np.vstack([affine, [0, 0, 1]]))[:2]


def align_silhouettes(t: RegionTable, r: RegionTable, mirror: bool) -> tuple[np.ndarray, float]:
    """Affine map reference -> target that best lays the reference's figure over the
    target's, for one orientation: the silhouettes (:func:`_figure`) are blurred at
    :data:`ALIGN_SIDE` px and aligned by OpenCV's ECC maximization (``findTransformECC``,
    a full affine), started from the figure boxes turned by each of :data:`ALIGN_TURNS`.
    Returns ``(affine 2x3, correlation)``; the box map and -1 when no start converges.
    Unlike region centroids, a silhouette does not depend on how either image splits into
    regions, so a drawing with many small regions lines up as well as a simple one."""
    box = _box_affine(t.box, r.box, mirror)
    ts, kt = _small(_figure(t), ALIGN_SIDE)
    rs, kr = _small(_figure(r), ALIGN_SIDE)
    if min(ts.shape) < 8 or min(rs.shape) < 8:
        return box, -1.0
    ts = cv2.GaussianBlur(ts, (0, 0), 2.0)
    rs = cv2.GaussianBlur(rs, (0, 0), 2.0)
    st, sr = np.diag([kt, kt, 1.0]), np.diag([kr, kr, 1.0])
    center = (t.box[0] + t.box[2] / 2, t.box[1] + t.box[3] / 2)
    best = (box, -1.0)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-4)
    for deg in ALIGN_TURNS:
        start = np.vstack([_turn(box, deg, center), [0, 0, 1]])
        # ECC's warp maps the template (target, small) into the input (reference, small)
        warp = (sr @ np.linalg.inv(start) @ np.linalg.inv(st))[:2].astype(np.float32)
        try:
            cc, warp = cv2.findTransformECC(ts, rs, warp, cv2.MOTION_AFFINE, crit, None, 1)
        except cv2.error:  # did not converge from this start
            continue
        full = np.linalg.inv(np.linalg.inv(sr) @ np.vstack([warp.astype(np.float64), [0, 0, 1]]) @ st)[:2]
        if np.linalg.det(full[:, :2]) * np.linalg.det(box[:, :2]) <= 0:
            continue  # ECC flipped the orientation
        sv = np.linalg.svd(full[:, :2], compute_uv=False)
        if sv[1] <= 0 or sv[0] / sv[1] > 3:
            continue  # squashed: noise
        if cc > best[1]:
            best = (full, float(cc))
    return best


def _with_page(r: RegionTable, page: np.ndarray) -> RegionTable:
    """``r`` with another page (and the figure box that follows from it)."""
    fig = ~np.take(page, r.labels)
    box = r.box if fig.sum() < 0.002 * r.labels.size or fig.all() else tuple(
        float(v) for v in cv2.boundingRect(fig.view(np.uint8)))
    return replace(r, page=page, box=box)


def cut_share(r: RegionTable) -> float:
    """Share of the image border lying on the figure (its regions or lines): 0 for a sheet
    with paper all around, large for a close-up framed tightly."""
    lab = r.labels
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    return float((~np.take(r.page, border) | (border == 0)).mean())


def _shrink(m: np.ndarray, k: float) -> np.ndarray:
    """float32 map ``m`` shrunk by ``k`` (area-averaged; never enlarged)."""
    if k >= 1.0:
        return m
    h, w = m.shape
    return cv2.resize(m, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)


@dataclass
class _Sheet:
    """A sheet's line and figure maps for the close-up search, made once at most
    :data:`SHEET_SIDE` px (``s``: the scale from the sheet's pixels; ``w``: its width)."""

    lines: np.ndarray
    fig: np.ndarray
    s: float
    w: int

    @classmethod
    def of(cls, r: RegionTable) -> "_Sheet":
        h, w = r.labels.shape
        s = min(1.0, SHEET_SIDE / max(h, w))
        return cls(_shrink((r.labels == 0).astype(np.float32), s), _shrink(_figure(r), s), s, w)

    def at(self, m: np.ndarray, silhouette: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(map shrunk to the scale of m, 3x3 from its pixels)``: ``m`` is a 3x3 map from
        the sheet's pixels; the map is blurred like the target's."""
        m = m @ np.diag([1 / self.s, 1 / self.s, 1.0])
        k = min(1.0, float(np.sqrt(abs(np.linalg.det(m[:2, :2])))))
        out = cv2.GaussianBlur(_shrink(self.fig if silhouette else self.lines, k), (0, 0), 1.5)
        return out, m @ np.diag([1 / k, 1 / k, 1.0])


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else 0.0


def _target_frame(t: RegionTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The target's figure (with a 10 % margin) at :data:`PART_SIDE` px: ``(line map,
    3x3 map from target pixels into it, silhouette map)``."""
    x, y, w, h = t.box
    k = min(1.0, PART_SIDE / max(w, h, 1.0))
    x0, y0 = max(0, int(x - 0.1 * w)), max(0, int(y - 0.1 * h))
    x1, y1 = min(t.labels.shape[1], int(x + 1.1 * w) + 1), min(t.labels.shape[0], int(y + 1.1 * h) + 1)
    labels = t.labels[y0:y1, x0:x1]
    fig = np.take(~t.page | (np.arange(t.n + 1) == 0), labels).astype(np.float32)
    to_small = np.array([[k, 0, -k * x0], [0, k, -k * y0], [0, 0, 1.0]])
    blur = lambda m: cv2.GaussianBlur(_shrink(m, k), (0, 0), 1.5)  # noqa: E731
    return blur((labels == 0).astype(np.float32)), to_small, blur(fig)


def line_fit(t: RegionTable, r: RegionTable, affine: np.ndarray, frame=None, sheet: _Sheet | None = None) -> float:
    """How well the reference, laid over the target by ``affine`` (reference -> target),
    fits the target: the mean of the correlations of their lines and of their silhouettes
    over the part of the target's figure frame the reference covers (-1 .. 1; -1 when it
    covers under 5 % of it). ``frame``: :func:`_target_frame`'s result, ``sheet``:
    :class:`_Sheet`'s, when reused."""
    tl, to_small, ts = frame if frame is not None else _target_frame(t)
    sheet = sheet or _Sheet.of(r)
    rl, m = sheet.at(to_small @ np.vstack([affine, [0, 0, 1]]))
    size = (tl.shape[1], tl.shape[0])
    foot = cv2.warpAffine(np.ones(rl.shape, np.uint8), m[:2], size, flags=cv2.INTER_NEAREST) > 0
    if foot.sum() < 0.05 * foot.size:
        return -1.0
    lines = _corr(tl[foot], cv2.warpAffine(rl, m[:2], size, flags=cv2.INTER_LINEAR)[foot])
    rs = cv2.warpAffine(sheet.at(to_small @ np.vstack([affine, [0, 0, 1]]), silhouette=True)[0], m[:2], size,
                        flags=cv2.INTER_LINEAR)
    return 0.5 * (lines + _corr(ts[foot], rs[foot]))


def place_close_up(t: RegionTable, r: RegionTable, mirror: bool, frame=None, sheet: _Sheet | None = None) -> tuple[np.ndarray, float]:
    """Where a close-up sheet (a head for a full-body drawing) lies on the target: the
    sheet's lines searched over the target's figure at the scales of :data:`PART_SCALES`
    and the turns of :data:`PART_TURNS` (normalized cross-correlation, OpenCV
    ``matchTemplate``), the best placements refined by ECC on the line maps. Returns
    ``(affine reference -> target 2x3, line fit)`` (:func:`line_fit`)."""
    tl, to_small, ts = frame = frame if frame is not None else _target_frame(t)
    sheet = sheet or _Sheet.of(r)
    rh, rw = r.labels.shape
    tx, ty, tw, th = t.box
    diag_t = float(np.hypot(tw, th)) * to_small[0, 0]
    diag_r = float(np.hypot(rw, rh))
    found = []
    for s in PART_SCALES:
        k = s * diag_t / diag_r / sheet.s  # from the sheet's small maps
        rl = _shrink(sheet.lines, k)
        if k > 1.0:
            rl = cv2.resize(rl, None, fx=k, fy=k, interpolation=cv2.INTER_LINEAR)
        rl = cv2.GaussianBlur(rl, (0, 0), 1.5)
        kk = rl.shape[1] / rw  # the scale actually applied to the sheet's pixels
        pre = np.diag([kk, kk, 1.0])
        if mirror:
            rl = rl[:, ::-1].copy()
            pre = np.array([[-1, 0, rl.shape[1] - 1], [0, 1, 0], [0, 0, 1.0]]) @ pre
        for deg in PART_TURNS:
            h, w = rl.shape
            rot = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
            c, sn = abs(rot[0, 0]), abs(rot[0, 1])
            nw, nh = int(h * sn + w * c) + 1, int(h * c + w * sn) + 1
            rot[:, 2] += (nw / 2 - w / 2, nh / 2 - h / 2)
            tpl = cv2.warpAffine(rl, rot, (nw, nh))
            py, px = nh // 4, nw // 4
            img = cv2.copyMakeBorder(tl, py, py, px, px, cv2.BORDER_CONSTANT, value=0)
            if tpl.shape[0] > img.shape[0] or tpl.shape[1] > img.shape[1] or tpl.std() < 1e-6:
                continue
            res = cv2.matchTemplate(img, tpl, cv2.TM_CCOEFF_NORMED)
            res[~(np.abs(res) <= 1.0)] = -1.0  # windows of flat paper divide by ~0
            _, _, _, (bx, by) = cv2.minMaxLoc(res)
            place = np.array([[1, 0, bx - px], [0, 1, by - py], [0, 0, 1.0]]) @ np.vstack([rot, [0, 0, 1]]) @ pre
            affine = (np.linalg.inv(to_small) @ place)[:2]
            found.append((line_fit(t, r, affine, frame, sheet), affine))
    if not found:
        return _box_affine(t.box, r.box, mirror), -1.0
    found.sort(key=lambda c: -c[0])
    best = found[0][::-1]
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)
    for fit, affine in found[:PART_REFINE]:  # the likeliest placements refined by ECC on the lines
        rl, m = sheet.at(to_small @ np.vstack([affine, [0, 0, 1]]))  # m: from rl's pixels into the frame
        warp = np.linalg.inv(m)[:2].astype(np.float32)  # ECC maps the template (target) into the input
        try:
            _, warp = cv2.findTransformECC(tl, rl, warp, cv2.MOTION_AFFINE, crit, np.ones(rl.shape, np.uint8), 1)
        except cv2.error:
            continue
        # back to the sheet's pixels: rl's pixels are the sheet's scaled by m's own factor
        m2 = np.linalg.inv(np.vstack([warp.astype(np.float64), [0, 0, 1]])) @ np.linalg.inv(m) @ to_small @ np.vstack([affine, [0, 0, 1]])
        refined = (np.linalg.inv(to_small) @ m2)[:2]
        if np.linalg.det(refined[:, :2]) * np.linalg.det(affine[:, :2]) <= 0:
            continue
        sv = np.linalg.svd(refined[:, :2], compute_uv=False)
        if sv[1] <= 0 or sv[0] / sv[1] > 3:
            continue
        grow = np.sqrt(abs(np.linalg.det(refined[:, :2]) / np.linalg.det(affine[:, :2])))
        if not 0.67 < grow < 1.5:
            continue  # ECC ran off to another scale: noise
        f = line_fit(t, r, refined, frame, sheet)
        if f > best[1]:
            best = (refined, f)
    return best


def _line_edges(mask: np.ndarray) -> np.ndarray:
    """uint8 image that is bright on lines and falls off over ~20 px: what the line flow tracks."""
    d = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    return np.clip(255.0 - 12.0 * np.minimum(d, 64.0), 0, 255).astype(np.uint8)  # no lines at all: d is huge


def sample_colors(t: RegionTable, r: RegionTable, ref_rgb: np.ndarray, affine: np.ndarray,
                  flow: bool = True, pixels: int = SAMPLE_PIXELS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read each target region's color straight from the reference's pixels under it.

    The reference is laid over the target by ``affine`` (reference -> target); the rest of
    the deformation (a pose that bends, a sheet drawn a little differently) is followed by
    optical flow (OpenCV DIS) between the two drawings' lines, at :data:`FLOW_SIDE` px. Up
    to :data:`SAMPLE_PIXELS` target pixels (a regular grid) look up the reference pixel
    they land on; a sample counts when it lands inside the reference, not on ink, and, for
    a figure region, not on the reference's page. Returns ``(rgb (n+1)x3 uint8`` per-channel
    median of each region's samples, ``share (n+1)`` of its samples within
    :data:`SAMPLE_AGREE` of that median in Lab, ``count (n+1))``. Regions of the target's
    page are not sampled (count 0)."""
    h, w = t.labels.shape
    rh, rw = ref_rgb.shape[:2]
    n = t.n
    # line flow at a working size: target lines against the reference's lines laid over them
    k = min(1.0, FLOW_SIDE / max(h, w))
    wh, ww = max(8, round(h * k)), max(8, round(w * k))
    tl = cv2.resize((t.labels == 0).astype(np.uint8) * 255, (ww, wh), interpolation=cv2.INTER_AREA) > 64
    to_work = np.diag([k, k, 1.0]) @ np.vstack([affine, [0, 0, 1]])
    rl = cv2.warpAffine((r.labels == 0).astype(np.uint8) * 255, to_work[:2], (ww, wh), flags=cv2.INTER_LINEAR) > 64
    if flow:
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        flow = dis.calc(_line_edges(tl), _line_edges(rl), None)
    else:  # the map alone
        flow = np.zeros((wh, ww, 2), np.float32)
    # the sample grid
    step = max(1, int(np.ceil(np.sqrt(h * w / pixels))))
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    lab_t = t.labels[ys, xs]
    fx = np.clip((xs * k).astype(np.int64), 0, ww - 1)
    fy = np.clip((ys * k).astype(np.int64), 0, wh - 1)
    px = xs + flow[fy, fx, 0] / k
    py = ys + flow[fy, fx, 1] / k
    inv = cv2.invertAffineTransform(np.asarray(affine, np.float64))

    def to_ref(x, y):
        return (np.rint(inv[0, 0] * x + inv[0, 1] * y + inv[0, 2]).astype(np.int64),
                np.rint(inv[1, 0] * x + inv[1, 1] * y + inv[1, 2]).astype(np.int64))

    figure_t = (lab_t > 0) & ~np.take(t.page, lab_t)
    # coverage: where the map alone (no flow) puts each region on the reference's figure. A
    # part the sheet does not show lands on its page, and the flow must not drag it onto a
    # neighbour that is shown.
    ax, ay = to_ref(xs, ys)
    inside = (ax >= 0) & (ax < rw) & (ay >= 0) & (ay < rh)
    on_fig = np.zeros(lab_t.shape, bool)
    on_fig[inside] = ~np.take(r.page, r.labels[ay[inside], ax[inside]])
    grid = np.bincount(lab_t[figure_t], minlength=n + 1)
    cover = np.bincount(lab_t[figure_t & on_fig], minlength=n + 1) / np.maximum(grid, 1)
    sx, sy = to_ref(px, py)
    inside = (sx >= 0) & (sx < rw) & (sy >= 0) & (sy < rh) & figure_t
    sx, sy, lab_t = sx[inside], sy[inside], lab_t[inside]
    if not len(lab_t):
        return np.zeros((n + 1, 3), np.uint8), np.zeros(n + 1), np.zeros(n + 1, np.int64)
    rgb = ref_rgb[sy, sx]
    lab = rgb_to_lab(rgb[None])[0]
    ok = (lab[:, 0] >= DARK_L) & ~np.take(r.page, r.labels[sy, sx])
    rgb, lab, lab_t = rgb[ok], lab[ok], lab_t[ok]
    if not len(lab_t):
        return np.zeros((n + 1, 3), np.uint8), np.zeros(n + 1), np.zeros(n + 1, np.int64)
    med, count = region_median(lab_t, rgb.astype(np.float32), n)
    med_rgb = np.clip(np.rint(np.nan_to_num(med, nan=0.0)), 0, 255).astype(np.uint8)
    med_lab = rgb_to_lab(med_rgb[None])[0]
    near = np.sqrt(((lab - med_lab[lab_t]) ** 2).sum(-1)) < SAMPLE_AGREE
    share = np.bincount(lab_t, near, n + 1) / np.maximum(count, 1)
    share[cover < SAMPLE_COVER] = 0.0
    count[0] = 0
    return med_rgb, share, count


def agreement(t: RegionTable, r: RegionTable, ref_rgb: np.ndarray, affine: np.ndarray) -> float:
    """How well the sheet's colors follow the target's regions under ``affine`` alone (no
    flow): the area-weighted mean share of agreeing samples (:func:`sample_colors`) over
    the target's figure regions the map lays on the sheet's figure. A wrong map lays color
    boundaries across regions and scores low."""
    _, share, count = sample_colors(t, r, ref_rgb, affine, flow=False, pixels=1 << 16)
    on = (count >= SAMPLE_MIN) & (share > 0)
    if not on.any():
        return 0.0
    w = t.area * on
    return float((share * w).sum() / w.sum())


def _unary(t: RegionTable, r: RegionTable, affine: np.ndarray, use_L: bool, shape: bool = True,
           off_sheet: bool = False) -> np.ndarray:
    """``n_t x n_r`` cost of pairing each target region (rows 1..n_t) with each reference
    region, the reference mapped into the target by ``affine``. ``off_sheet``: a target
    region whose centroid lies off the reference image costs :data:`OUTSIDE` more with
    every reference region (a close-up does not show it)."""
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
    if off_sheet:
        inv = cv2.invertAffineTransform(np.asarray(affine, np.float64))
        p = tc @ inv[:, :2].T + inv[:, 2]
        rh, rw = r.labels.shape
        off = (p[:, 0] < -0.02 * rw) | (p[:, 0] > 1.02 * rw) | (p[:, 1] < -0.02 * rh) | (p[:, 1] > 1.02 * rh)
        cost[off] += OUTSIDE
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
                               refit: bool = True, share: bool = True, final: str = "nearest", align: bool = False,
                               ref_rgb: np.ndarray | None = None, close_ups: bool = True) -> Match:
    """Pair the regions of target ``t`` with those of reference ``r`` (see the module doc).

    ``use_L``: compare the lightness of the regions too (grayscale targets; ``t.L`` and
    ``r.L`` must be set). ``context``, ``refit``, ``share`` switch the refinement steps
    off (for measuring what each brings). ``final``: ``"nearest"`` (default) gives every
    target region the reference region of lowest final cost, so two target regions may
    share one (the two segmentations rarely agree region for region: a color edge with no
    line splits a reference region, an occluding line splits a target one); ``"assign"``
    keeps the one-to-one assignment and lets only leftover regions share (``share``).

    ``align``: start each orientation from the silhouette alignment
    (:func:`align_silhouettes`) instead of the figure boxes. ``ref_rgb``: the reference's
    pixels (HxWx3 uint8, the image ``r`` was described from); when given, regions whose
    samples agree (:func:`sample_colors`) take their color from them (``Match.sampled``)."""
    ref_id = np.full(t.n + 1, -1, np.int64)
    cost_out = np.full(t.n + 1, np.inf)
    if t.n == 0 or r.n == 0:
        return Match(ref_id, cost_out, False, _box_affine(t.box, r.box, False))
    if use_L and r.paper is not None and (r.paper != r.page).any():
        r = _with_page(r, r.paper)  # gray pages: a frame's background of another color is not paper either
    starts = {m: align_silhouettes(t, r, m)[0] if align else _box_affine(t.box, r.box, m) for m in (False, True)}
    part = False
    if align and close_ups and not use_L and cut_share(r) >= PART_CUT:
        # the sheet runs off its edges: it may show only a part of the figure. Line art
        # only: on gray pages the lightness already keeps a stretched sheet's colors off
        # most parts it does not show, and placing close-ups there gained on train stills
        # but lost on val (benchmarks/reference_matching.py --crops)
        frame, sheet = _target_frame(t), _Sheet.of(r)
        fits = {m: line_fit(t, r, a, frame, sheet) for m, a in starts.items()}
        placed = {m: place_close_up(t, r, m, frame, sheet) for m in (False, True)}
        mw, mp = max(fits, key=fits.get), max(placed, key=lambda m: placed[m][1])
        if placed[mp][1] > fits[mw] + PART_MARGIN:
            part = True
            if ref_rgb is not None:  # the colors must follow the drawing better too
                part = agreement(t, r, ref_rgb, placed[mp][0]) > agreement(t, r, ref_rgb, starts[mw]) + PART_AGREE
            if part:
                starts = {m: a for m, (a, _) in placed.items()}
    best = None
    for mirror in (False, True):  # each orientation refined in full; the cheaper one wins
        aff = starts[mirror]
        cost = _unary(t, r, aff, use_L, off_sheet=part)
        rows, cols = linear_assignment(cost)
        rounds = (1 if refit else 0) + (2 if context else 0)
        for k in range(rounds):
            if refit and k < 2 and not part:  # a close-up's placement is kept (train stills: +1 point)
                aff = _refit(t, r, rows, cols, cost, aff)
            cost = _unary(t, r, aff, use_L, off_sheet=part)
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
    out = Match(ref_id, cost_out, mirror, aff)
    if ref_rgb is not None:
        rgb, agree, count = sample_colors(t, r, ref_rgb, aff)
        out.sampled = (agree > SAMPLE_SHARE) & (count >= SAMPLE_MIN)
        if use_L and t.L is not None:  # a gray page's own lightness must agree with the sample's
            out.sampled &= np.abs(rgb_to_lab(rgb[None])[0][:, 0] - t.L) < SAMPLE_L
        out.sampled_rgb = rgb
    return out


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
