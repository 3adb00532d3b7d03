"""Pre- and post-processing shared by every network family.

Any size and aspect in, the same size out: the image is reduced to a working resolution
(long side ``work_size``, padded to the network's multiple), the network predicts Lab
there, and the chroma is brought back to full resolution by a guided filter steered by
the full-resolution input, so edges follow the artist's lines at any size. Grayscale
input keeps its own lightness; line art keeps its lines on top of the color.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
import torch

from ..core.arrays import masked_copy
from ..core.color import L_to_net, lab_to_rgb, luma_to_L, draw_lines, net_to_lab, rgb_to_lab, rgb_to_luma
from ..core.hints import hint_inputs, hints_to_net
from ..core.lineart import detect_kind
from ..core.memo import Recent, pixels_key
from ..models import registry
from .jobs import CancelToken, Progress
from .options import DEFAULT_GAP, ColorizeOptions, ink_level

DEFAULT_WORK_SIZE = 256
PREVIEW_WORK_SIZE = 192


@dataclass(frozen=True)
class ColorizeRequest:
    """One colorization. Arrays: ``image`` HxWx3 uint8 RGB (line art or grayscale; a color
    image is reduced to its luminance), ``hints`` HxWx4 uint8 RGBA (alpha > 0 = hint, any
    size: scaled to the image), ``prev`` HxWx3 uint8 RGB previous colored frame and
    ``prev_image`` that frame's own input (for flow warping); ``prev_conf`` HxW float32 in
    [0, 1], how far each pixel of ``prev`` can be trusted (colors carried along flow: its
    forward-backward consistency), for a network that takes it (``prev_confidence``)."""

    image: np.ndarray
    model: str = "auto"
    hints: np.ndarray | None = None
    prev: np.ndarray | None = None
    prev_image: np.ndarray | None = None
    input_kind: str = "auto"  # auto | lineart | gray
    palette: tuple = ()  # ((r, g, b), ...)
    work_size: int = DEFAULT_WORK_SIZE
    weights: str | None = None
    options: dict = field(default_factory=dict)
    references: tuple | None = None  # engine.reference.Reference images whose colors the drawing takes
    prev_conf: np.ndarray | None = None


@dataclass
class ColorizeResult:
    """``composite``: HxWx3 uint8 RGB (lines on top for line art); ``color``: the color layer
    alone (HxWx3 uint8 RGB, no lines); ``kind``: the input kind used."""

    composite: np.ndarray
    color: np.ndarray
    kind: str
    model: str
    seconds: float
    device: str
    references: object | None = None  # engine.reference.ReferenceReport when the request had references
    note: str | None = None  # one line the artist should read (e.g. why a gray frame stayed gray)


def resolve_kind(image: np.ndarray, requested: str = "auto") -> str:
    if requested in ("lineart", "gray"):
        return requested
    if requested != "auto":
        raise ValueError(f"unknown input kind {requested!r}; use auto, lineart or gray")
    return detect_kind(rgb_to_luma(image))


def working_shape(h: int, w: int, work_size: int, multiple: int = 32) -> tuple[int, int, int, int]:
    """(work_h, work_w, padded_h, padded_w) for an HxW image."""
    s = min(1.0, work_size / max(h, w))
    wh, ww = max(1, round(h * s)), max(1, round(w * s))
    ph, pw = -(-wh // multiple) * multiple, -(-ww // multiple) * multiple
    return wh, ww, ph, pw


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float, subsample: int = 1) -> np.ndarray:
    """He et al.'s guided filter: ``guide`` HxW float32, ``src`` HxWxC float32 -> HxWxC.

    ``subsample`` > 1 is the fast guided filter (He & Sun 2015): the linear coefficients are
    computed on a grid ``subsample`` times coarser (radius scaled alike), upsampled
    bilinearly and applied to the full-size guide, so edges stay those of the full guide.
    """
    h, w = guide.shape
    g_full = guide
    if subsample > 1:
        sw, sh = max(1, round(w / subsample)), max(1, round(h / subsample))
        guide = cv2.resize(guide, (sw, sh), interpolation=cv2.INTER_AREA)
        src = cv2.resize(src, (sw, sh), interpolation=cv2.INTER_AREA).reshape(sh, sw, -1)
        radius = max(1, int(round(radius / subsample)))
    k = (2 * radius + 1, 2 * radius + 1)
    box = lambda x: cv2.boxFilter(x, -1, k, borderType=cv2.BORDER_REFLECT)
    mean_i = box(guide)
    var_i = box(guide * guide) - mean_i * mean_i
    out = np.empty(g_full.shape + (src.shape[2],), np.float32)
    for c in range(src.shape[2]):
        p = src[..., c]
        mean_p = box(p)
        a = (box(guide * p) - mean_i * mean_p) / (var_i + eps)
        b = mean_p - a * mean_i
        ma, mb = box(a), box(b)
        if subsample > 1:
            ma, mb = cv2.resize(ma, (w, h), interpolation=cv2.INTER_LINEAR), cv2.resize(mb, (w, h), interpolation=cv2.INTER_LINEAR)
        out[..., c] = ma * g_full + mb
    return out


def flow_maps(prev_L: np.ndarray, cur_L: np.ndarray):
    """DIS optical flow from the current frame back to the previous one, as ``cv2.remap``
    maps ``(x, y)``; None when DIS refuses the frames (very small or thin ones).
    ``prev_L``/``cur_L``: HxW uint8 luminance of the two inputs."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    try:
        flow = dis.calc(cur_L, prev_L, None)
    except cv2.error:
        return None
    h, w = cur_L.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return gx + flow[..., 0], gy + flow[..., 1]


def warp_previous(prev_rgb: np.ndarray, prev_L: np.ndarray, cur_L: np.ndarray, maps=None) -> np.ndarray:
    """Carry the previous frame's colors onto the current one by DIS optical flow.

    ``prev_L``/``cur_L``: HxW uint8 luminance of the two inputs; returns HxWx3 uint8 RGB.
    ``maps``: :func:`flow_maps` of the same pair, when the caller warps several images.
    """
    maps = flow_maps(prev_L, cur_L) if maps is None else maps
    if maps is None:  # no flow: carry colors without motion
        return prev_rgb.copy()
    return cv2.remap(prev_rgb, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    if a.shape[1] == w and a.shape[0] == h:
        return a
    shrink = w < a.shape[1]
    return cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def prepare(req: ColorizeRequest, multiple: int, kind: str, takes_hints: bool = True, prev_confidence: bool = False):
    """Network inputs at the working resolution, as numpy arrays (channels first).
    ``takes_hints=False``: the network ignores hints (``auto``), so they are not spread for it.
    ``prev_confidence``: the network reads the previous frame's fourth channel as
    ``req.prev_conf`` (1 where none is given); else it is 1 wherever there is a previous frame."""
    img = req.image
    h, w = img.shape[:2]
    wh, ww, ph, pw = working_shape(h, w, req.work_size, multiple)
    gray = rgb_to_luma(img)
    small = _resize(gray, ww, wh)
    pad = ((0, ph - wh), (0, pw - ww))
    L = np.pad(L_to_net(luma_to_L(small)), pad, mode="edge")[None]
    hints_net = hints_to_net(req.hints, wh, ww)
    hints = hint_inputs(small if kind == "lineart" else None, hints_net) if takes_hints else np.concatenate([hints_net, np.zeros_like(hints_net)], 0)
    hints = np.pad(hints, ((0, 0),) + pad)
    prev = np.zeros((4, ph, pw), np.float32)
    if req.prev is not None:
        p = req.prev
        if p.shape[:2] != (h, w):
            p = cv2.resize(p, (w, h), interpolation=cv2.INTER_AREA)
        p = _resize(p, ww, wh)
        if req.prev_image is not None and ColorizeOptions.of(req.options).warp_prev:
            pi = req.prev_image if req.prev_image.shape[:2] == (h, w) else cv2.resize(req.prev_image, (w, h), interpolation=cv2.INTER_AREA)
            p = warp_previous(p, _resize(rgb_to_luma(pi), ww, wh), small)
        from ..core.color import lab_to_net

        prev[:3] = np.pad(lab_to_net(rgb_to_lab(p)).transpose(2, 0, 1), ((0, 0),) + pad, mode="edge")
        if prev_confidence and req.prev_conf is not None:
            c = req.prev_conf.astype(np.float32)
            c = cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA) if c.shape[:2] != (h, w) else c
            prev[3] = np.pad(np.clip(_resize(c, ww, wh), 0, 1), pad, mode="edge")
        else:
            prev[3] = 1.0
    kind_v = np.array([[[[0.0 if kind == "lineart" else 1.0]]]], np.float32)
    return L, kind_v, hints, prev, (wh, ww)


# Above this many pixels a page is finished in bands of rows (strips) instead of at once, so
# the full-size float work (upsampled Lab, guided filter, color conversion) never exists
# for the whole page: peak memory per pixel drops from about 58 to about 20 bytes
# (benchmarks/bench_memory.py, ``tiles``). Below it, one strip is the whole image.
TILE_PIXELS = 4_500_000
STRIP_PIXELS = 4_000_000  # rows per strip: about this many pixels


def finish(req: ColorizeRequest, lab_net_small: np.ndarray, kind: str, size: tuple[int, int],
           conf: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Network output (3xHxW, network scaling, padded) -> (composite, color layer) at full size.

    ``conf``: the network's per-pixel confidence (HxW float32 in [0, 1], padded like the
    output, :mod:`.calibrate`); with it the color moves toward untouched (no chroma on
    grayscale, paper white on line art) where the network is unsure (request option
    ``calibrate``, default True). On line art without hints and without a previous frame,
    request option ``cel`` (default True) paints every closed region one color and the page
    (regions touching the frame's border) paper white (:meth:`_Finish._cel_plan`).

    Pages over :data:`TILE_PIXELS` are finished in strips of rows (:class:`_Finish`); the
    result matches the whole-page one within a level or two of 255 near strip seams."""
    job = _Finish(req, lab_net_small, kind, size, conf)
    h, w = req.image.shape[:2]
    strips = job.strips()
    if len(strips) == 1:
        return job.rows(0, h)
    composite = np.empty((h, w, 3), np.uint8)
    color = np.empty((h, w, 3), np.uint8) if kind == "lineart" else composite
    for a, b in strips:
        c, col = job.rows(a, b)
        composite[a:b] = c
        if color is not composite:
            color[a:b] = col
    return composite, color


class _Finish:
    """The steps after the network, prepared once for a page and run on bands of its rows.

    Set up at the working resolution (small): the network's Lab, calibrated, with the ink
    filled from around it. Set up for the whole page, in compact form: the closed regions
    (int32 labels, line art only), the cel colors per region and the hints as points.
    :meth:`rows` then makes a band's upsampled, guided-filtered Lab, its region colors and
    its RGB composite, reading only that band plus a margin."""

    def __init__(self, req: ColorizeRequest, lab_net_small: np.ndarray, kind: str, size, conf):
        self.req, self.kind = req, kind
        img = req.image
        self.h, self.w = h, w = img.shape[:2]
        self.wh, self.ww = wh, ww = size
        lab_small = net_to_lab(lab_net_small[:, :wh, :ww].transpose(1, 2, 0))
        self.gray = rgb_to_luma(img)
        if conf is not None:
            lab_small = _calibrated(lab_small, conf[:wh, :ww], req.model, kind, _resize(self.gray, ww, wh))
        if kind == "lineart":
            lab_small = _fill_under_ink(lab_small, _resize(self.gray, ww, wh))
        self.lab_small = np.ascontiguousarray(lab_small, dtype=np.float32)
        self.scaled = (wh, ww) != (h, w)
        if self.scaled:
            scale = max(h / wh, w / ww)
            self.radius = max(2, int(round(scale * 2)))
            self.sub = max(1, int(scale // 2))
            self.close = kind == "lineart" and scale > 1.5
            r_coarse = max(1, int(round(self.radius / self.sub)))
            # rows a strip's guided filter reads beyond its band: two box filters on the
            # coarse grid, the resizes to and from it, the 3x3 closing of the guide
            self.margin = (2 * r_coarse + 3) * self.sub + 4
        else:
            self.margin = 0
        self.cel = kind == "lineart" and ColorizeOptions.of(req.options).cel and req.prev is None
        rule = ColorizeOptions.of(req.options).hint_regions
        self.hint_rule = kind == "lineart" and req.hints is not None and bool(rule)
        self.labels = self.filled = self.table = self.keep = self.spread = None
        self._whole = None  # the single strip's Lab, kept between the cel table and the rows
        if self.cel or self.hint_rule:
            from ..core.regions import segment_cached

            self.labels, self.n = segment_cached(self.gray, gap_close=_gap(req), min_area=None, copy=False, ink=_ink(req))
        if self.cel and self.n > 0:
            self._cel_plan()
        if self.hint_rule:
            self.spread = _hint_spread(self.gray, self.labels, req.hints, only_agreeing=rule == "agreeing")

    def strips(self) -> list[tuple[int, int]]:
        h, w = self.h, self.w
        if h * w <= TILE_PIXELS:
            return [(0, h)]
        step = max(8, STRIP_PIXELS // w // 8 * 8)
        return [(a, min(h, a + step)) for a in range(0, h, step)]

    def _lab(self, a: int, b: int) -> np.ndarray:
        """Full-resolution Lab of rows ``a:b`` before the region rules (HxWx3 float32)."""
        h, w = self.h, self.w
        if not self.scaled:
            lab = self.lab_small[a:b].copy()
            if self.kind == "gray":
                lab[..., 0] = luma_to_L(self.gray[a:b])
            return lab
        if (a, b) == (0, h):
            up, top, guide_gray = cv2.resize(self.lab_small, (w, h), interpolation=cv2.INTER_LINEAR), 0, self.gray
            lo, hi = 0, h
        else:
            lo, hi = max(0, a - self.margin), min(h, b + self.margin)
            up, top, guide_gray = _upsample_rows(self.lab_small, h, w, lo, hi), a - lo, self.gray[lo:hi]
        guide = luma_to_L(guide_gray) / 100.0
        if self.close:
            # fills, not lines, steer the color: the guide is the line art with lines thinned
            guide = cv2.morphologyEx(guide, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        # coefficients on a grid up to half the upscale coarser: same result within 0.1 Lab, 4-9x less work at 2048²
        lab = guided_filter(guide.astype(np.float32), up.astype(np.float32), self.radius, 1e-3, subsample=self.sub)
        lab = lab[top:top + (b - a)]
        if self.kind == "gray":
            lab[..., 0] = luma_to_L(self.gray[a:b])
        return lab

    def _cel_plan(self):
        """Clean cel color on line art: each closed region (lines with gaps up to the
        request's gap closed) takes one color, the per-channel median of the prediction inside it (every
        pixel on a one-strip page; on a larger page every other pixel of every other row,
        a region no sample falls in taking its mean), and the regions touching the frame's
        border (the page around the figure) take paper white. Under the lines each pixel
        takes its nearest region's color, so no prediction is left to show as a halo past
        a line. Regions holding a hint keep the prediction (the hint rules decide them)."""
        from ..core.hints import resize_hints
        from ..core.regions import fill_lines, region_median

        labels, n = self.labels, self.n
        strips = self.strips()
        if len(strips) == 1:
            self._whole = self._lab(0, self.h)
            table, _ = region_median(labels, self._whole, n)
        else:
            ids, vals = [], []
            sums, counts = np.zeros((n + 1, 3)), np.zeros(n + 1)
            for a, b in strips:
                lab = self._lab(a, b)
                band = labels[a:b]
                counts += np.bincount(band.ravel(), minlength=n + 1)
                for c in range(3):
                    sums[:, c] += np.bincount(band.ravel(), weights=lab[..., c].ravel(), minlength=n + 1)
                s0 = a % 2  # every other row and column of the page, whatever the strip
                ids.append(band[s0::2, ::2].ravel())
                vals.append(lab[s0::2, ::2].reshape(-1, 3))
            ids, vals = np.concatenate(ids), np.concatenate(vals)
            table, got = region_median(ids, vals, n)
            del ids, vals
            none = got == 0
            table[none] = (sums[none] / np.maximum(counts[none], 1)[:, None]).astype(np.float32)
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        table[border[border > 0]] = _WHITE
        keep = np.zeros(n + 1, bool)  # regions whose prediction stays: hinted ones
        if self.req.hints is not None:
            hm = resize_hints(self.req.hints, *labels.shape)[..., 3] > 0
            keep[np.unique(labels[hm])] = True
            keep[0] = False
        self.table, self.keep = table, keep
        self.filled = fill_lines(labels)

    def rows(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """(composite, color layer) of rows ``a:b``, HxWx3 uint8 each."""
        lab = self._whole if self._whole is not None and (a, b) == (0, self.h) else self._lab(a, b)
        if self.table is not None:
            full = self.filled[a:b]
            out = np.take(self.table, full, axis=0)
            if self.keep.any():
                masked_copy(out, lab, np.take(self.keep, full))
            lab = out
        if self.spread is not None:
            vals, covered = self.spread.rows(a, b)
            masked_copy(lab, vals, covered)
        color = lab_to_rgb(lab)
        if self.kind != "lineart":
            return color, color
        img = self.req.image[a:b]
        # lines on top, in their colors
        return draw_lines(color, img if img.shape[:2] == color.shape[:2] else self.gray[a:b]), color


def _upsample_rows(small: np.ndarray, h: int, w: int, a: int, b: int) -> np.ndarray:
    """Rows ``a:b`` of ``cv2.resize(small, (w, h), INTER_LINEAR)`` (an upscale), computed
    without the whole: the width is resized whole (few rows), the rows interpolated here."""
    sh = small.shape[0]
    wide = cv2.resize(small, (w, sh), interpolation=cv2.INTER_LINEAR)
    y = (np.arange(a, b, dtype=np.float64) + 0.5) * (sh / h) - 0.5
    y = np.clip(y, 0, sh - 1)
    i0 = np.floor(y).astype(np.int64)
    i1 = np.minimum(i0 + 1, sh - 1)
    f = (y - i0).astype(np.float32)[:, None, None]
    return wide[i0] * (1 - f) + wide[i1] * f


def _calibrated(lab: np.ndarray, conf: np.ndarray, model: str, kind: str, gray: np.ndarray) -> np.ndarray:
    """``lab`` (HxWx3 Lab) with its chroma (gray) or its offset from paper white (line art)
    scaled by the calibration's scale for ``conf`` and the input ``gray`` (HxW uint8, the
    same size; :func:`.calibrate.calibrated_chroma`)."""
    from .calibrate import calibrated_chroma

    s = calibrated_chroma(conf, gray, model, kind)
    if s is None:
        return lab
    out = lab.copy()
    if kind == "gray":
        out[..., 1:] *= s[..., None]
    else:
        out -= _WHITE
        out *= s[..., None]
        out += _WHITE
    return out


_WHITE = np.array([100.0, 0.0, 0.0], np.float32)


def _hint_spread(gray: np.ndarray, labels: np.ndarray, hints: np.ndarray, only_agreeing: bool = True):
    """The hints of :func:`_hints_own_their_regions` as a
    :class:`~colorpaint.core.regions.RegionSpread` (read strip by strip), or None when no
    hint decides a region."""
    from ..core.hints import resize_hints
    from ..core.regions import RegionSpread, deciding_hints

    hints = resize_hints(hints, *gray.shape)
    m = hints[..., 3] > 0
    if not m.any():
        return None
    if only_agreeing:  # regions whose hints disagree are left out before spreading
        m = deciding_hints(m, labels)
        if not m.any():  # every hint sits on a line
            return None
    m &= labels > 0
    ys, xs = np.nonzero(m)
    vals = rgb_to_lab(np.ascontiguousarray(hints[ys, xs, :3])[None])[0]  # only the hint pixels are read
    if only_agreeing:
        lab_ids = labels[ys, xs]
        n = int(lab_ids.max()) + 1
        hi = np.full((n, 3), -np.inf, np.float32)
        lo = np.full((n, 3), np.inf, np.float32)
        np.maximum.at(hi, lab_ids, vals)
        np.minimum.at(lo, lab_ids, vals)
        ok = ~((hi - lo) > 6.0).any(1)[lab_ids]
        ys, xs, vals = ys[ok], xs[ok], vals[ok]
    if len(ys) == 0:
        return None
    return RegionSpread(labels, ys, xs, vals, 3)


def _hints_own_their_regions(lab: np.ndarray, gray: np.ndarray, hints: np.ndarray, only_agreeing: bool = True,
                             gap: int = DEFAULT_GAP) -> np.ndarray:
    """On line art, a closed region whose hints agree takes their color, exactly and flat.

    What an artist expects of a stroke inside a closed shape, and what the networks only
    approximate. A region that holds a clean dab (one lying wholly inside it) listens to
    its clean dabs only (:func:`~colorpaint.core.regions.deciding_hints`). Where one
    region holds hints of clearly different colors (more than 6 Lab units apart in a
    channel: an open shape, or a color change with no line) the networks' own split is
    kept (they see the nearest-stroke spread as input and were measured better there);
    with ``only_agreeing=False`` each pixel of such a region takes its nearest hint
    instead. Lines with gaps of up to ``gap`` px still close a region.
    ``hints``: HxWx4 uint8 RGBA of any size. Request option ``hint_regions``:
    ``"agreeing"`` (default), ``"all"`` or False (networks only).
    """
    from ..core.regions import segment_cached

    labels, _ = segment_cached(gray, gap_close=gap, min_area=None, copy=False)
    spread = _hint_spread(gray, labels, hints, only_agreeing)
    if spread is None:
        return lab
    vals, covered = spread.rows(0, gray.shape[0])
    out = lab.copy()
    masked_copy(out, vals, covered)
    return out


def _fill_under_ink(lab: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """Replace the predicted color under the ink by the colors around it.

    The networks learn dark line colors too; upsampled, those would leave a dark halo
    beside every line. The lines are drawn on top anyway, so under them the fills' own
    colors are carried in by normalised convolution.
    """
    ink = cv2.dilate((gray < 170).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    if not ink.any() or ink.all():
        return lab
    w = (~ink).astype(np.float32)
    den = cv2.GaussianBlur(w, (0, 0), 2.5) + 1e-6
    out = lab.copy()
    for c in range(3):
        num = cv2.GaussianBlur(lab[..., c] * w, (0, 0), 2.5)
        out[..., c] = np.where(ink, num / den, lab[..., c])
    far = ink & (den < 0.02)  # inside very thick strokes: nothing nearby, keep the prediction
    out[far] = lab[far]
    return out


def run_network(net: torch.nn.Module, device: torch.device, L, kind, hints, prev, dtype=torch.float32) -> np.ndarray:
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))[None].to(device=device, dtype=dtype) if a.ndim == 3 else torch.from_numpy(a).to(device=device, dtype=dtype)
    with torch.inference_mode():
        Lt = t(L).contiguous(memory_format=torch.channels_last)
        out = net(Lt, t(kind), t(hints), t(prev))
    return out[0].float().cpu().numpy()


def calibrates(req: ColorizeRequest, kind: str) -> bool:
    """Whether ``req`` gets calibrated chroma (:mod:`.calibrate`): request option
    ``calibrate`` (default True), for grayscale input with no hints and no previous frame
    (where the artist or the shot says what the colors are, the network's output is used
    as it is; line art is made clean by the region rules instead, :meth:`_Finish._cel_plan`)."""
    return (kind == "gray" and bool(ColorizeOptions.of(req.options).calibrate) and (req.prev is None or _is_gray(req.prev))
            and (req.hints is None or not (req.hints[..., 3] > 0).any()))


def _is_gray(rgb: np.ndarray) -> bool:
    """Whether an RGB image holds no color (within 2 levels, every other pixel): a previous
    frame that calibration left gray says nothing about color, so the next frame of a shot
    is calibrated as a first frame is."""
    a = rgb[::2, ::2].astype(np.int16)
    return bool(np.abs(a[..., 0] - a[..., 1]).max() <= 2 and np.abs(a[..., 1] - a[..., 2]).max() <= 2)


def _run(loaded, req: ColorizeRequest, kind: str, L, kind_v, hints, prev):
    """(network output, confidence or None) for ``req``; call with the session's lock held."""
    if calibrates(req, kind):
        from .calibrate import run_with_confidence, scale_table

        if scale_table(loaded.name, kind) is not None:  # a family with no fitted table runs once
            return run_with_confidence(loaded.net, loaded.device, L, kind_v, hints, prev, loaded.dtype)
    return run_network(loaded.net, loaded.device, L, kind_v, hints, prev, loaded.dtype), None


def colorize(session, req: ColorizeRequest, cancel: CancelToken | None = None):
    """Job: colorize one image. Yields :class:`Progress`, returns :class:`ColorizeResult`."""
    t0 = time.perf_counter()
    cancel = cancel or CancelToken()
    yield Progress(0.05, "preparing")
    kind = resolve_kind(req.image, req.input_kind)
    if kind == "lineart" and req.hints is not None and ColorizeOptions.of(req.options).ignore_slips:
        req = replace(req, hints=_without_slips(req))
    refs = None
    if req.references:  # the artist's colored references become dense hints (engine/reference.py)
        from .reference import apply_references

        req, refs = apply_references(req, kind)
    loaded = session.get(req.model, req.weights)
    painted = refs.paint_all(req, kind) if refs is not None else None  # references decide every region: no network run
    if painted is not None:
        return ColorizeResult(*painted, kind, req.model, time.perf_counter() - t0, loaded.device_name, refs)
    cancel.check()
    takes_hints = registry.spec(loaded.name).takes_hints
    if req.prev is not None and not registry.spec(loaded.name).takes_previous_frame:
        req = replace(req, prev=None, prev_image=None)  # the network never sees it: nothing to warp
    L, kind_v, hints, prev, size = prepare(req, loaded.multiple, kind, takes_hints=takes_hints,
                                           prev_confidence=getattr(loaded.net, "prev_confidence", False))
    cancel.check()
    yield Progress(0.2, f"running {req.model} on {loaded.device_name}")
    with session.lock:
        loaded.set_palette(req.palette)
        out, conf = _run(loaded, req, kind, L, kind_v, hints, prev)
    cancel.check()
    yield Progress(0.85, "finishing")
    composite, color = finish(req, out, kind, size, conf)
    if (kind == "lineart" and takes_hints and req.hints is not None and (req.hints[..., 3] > 0).any()
            and ColorizeOptions.of(req.options).hint_reach == "regions" and req.prev is None):
        # strokes color their own shapes: closed regions without a hint keep the colors the
        # network gives them with no hints at all (else one stroke tints the whole picture)
        plain = _unhinted_result(session, loaded, req, kind)
        cancel.check()
        composite, color = _keep_unhinted_regions(req, composite, color, *plain)
    if refs is not None:  # grayscale pages take the references' chroma in their paired regions
        composite, color = refs.finish(kind, req.image, composite, color)
    note = _gate_note(req, kind, size, conf, refs) or _grays_note(req, kind, color)
    return ColorizeResult(composite, color, kind, req.model, time.perf_counter() - t0, loaded.device_name, refs, note)


def _gate_note(req: ColorizeRequest, kind: str, size, conf, refs) -> str | None:
    """The line that says a grayscale frame was left gray on purpose (the frame gate of
    :mod:`.calibrate`: the network is unsure on frames unlike the drawings it knows), and
    what colors it instead; None when it was not."""
    if kind != "gray" or conf is None or not ColorizeOptions.of(req.options).calibrate:
        return None
    if (req.hints is not None and (req.hints[..., 3] > 0).any()) or (refs is not None and refs.matched.any()):
        return None
    from .calibrate import frame_gate_of

    wh, ww = size
    gate = frame_gate_of(conf[:wh, :ww], _resize(rgb_to_luma(req.image), ww, wh), req.model, kind)
    if gate is None or gate > 0.0:
        return None
    return (f"left gray: {req.model} is unsure of this frame's colors (it knows flat drawings on a white page); "
            "hint strokes, a reference or a colored key frame color it")


GRAYS_CHROMA = 12.0  # C* (Lab) above which a pixel of the figure counts as colored
GRAYS_SHARE = 0.05  # a no-hint line-art result with less of its figure colored than this is "grays"


def _grays_note(req: ColorizeRequest, kind: str, color: np.ndarray) -> str | None:
    """The line that says a line-art drawing colorized with nothing to go on (no hint, no
    reference, no previous frame) came out in grays, and what colors it; None otherwise.

    Without hints the networks can rarely tell a region's color from its outline, and
    where they cannot, its color stays neutral (MODELS.md, "Line art input, no hints"). The
    figure is every pixel of the color layer darker than paper (L* under 97); read at 256 px
    at most, so it costs a few milliseconds on any page."""
    if kind != "lineart" or req.prev is not None:
        return None
    if req.hints is not None and (req.hints[..., 3] > 0).any():
        return None
    h, w = color.shape[:2]
    k = min(1.0, 256 / max(h, w))
    lab = rgb_to_lab(_resize(color, max(1, round(w * k)), max(1, round(h * k))))
    figure = lab[..., 0] < 97.0
    if not figure.any():
        return None
    colored = np.hypot(lab[..., 1], lab[..., 2])[figure] > GRAYS_CHROMA
    if colored.mean() >= GRAYS_SHARE:
        return None
    return (f"left in grays: {req.model} cannot tell this drawing's colors from its lines alone; "
            "hint strokes, a reference or a colored key frame color it")


def _gap(req: ColorizeRequest) -> int:
    """The request's gap (option ``gap``): line breaks up to this many px still close a
    region, for the cel colors and the hint rules as for fills."""
    return int(ColorizeOptions.of(req.options).gap)


def _ink(req: ColorizeRequest) -> int | None:
    """The gray level at or below which a pixel is line for the request's regions (option
    ``tolerance``, :func:`~.options.ink_level`; None: picked from the drawing)."""
    return ink_level(ColorizeOptions.of(req.options).tolerance)


def _without_slips(req: ColorizeRequest) -> np.ndarray:
    """The request's hints at the image's size, minus strokes' small slips across outlines
    (:func:`~colorpaint.core.regions.ignore_slips`). Request option ``ignore_slips``
    (default True)."""
    from ..core.hints import resize_hints
    from ..core.regions import ignore_slips, segment_cached

    h, w = req.image.shape[:2]
    hints = resize_hints(req.hints, h, w)
    if not (hints[..., 3] > 0).any():
        return hints
    labels, _ = segment_cached(rgb_to_luma(req.image), gap_close=_gap(req), min_area=None, copy=False, ink=_ink(req))
    return ignore_slips(hints, labels)


_PLAIN = Recent(3, max_bytes=256 * 1024 * 1024)


def _unhinted_result(session, loaded, req: ColorizeRequest, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(composite, color) of ``req`` without hints; remembered for the last few images, so
    painting stroke after stroke on one drawing runs the network once per stroke."""
    key = (pixels_key(req.image), loaded.name, str(loaded.weights), req.work_size, tuple(req.palette),
           tuple(sorted((k, str(v)) for k, v in req.options.items())))

    def run():
        plain = replace(req, hints=None)
        L, kind_v, hints, prev, size = prepare(plain, loaded.multiple, kind)
        with session.lock:
            loaded.set_palette(plain.palette)
            out, conf = _run(loaded, plain, kind, L, kind_v, hints, prev)
        return finish(plain, out, kind, size, conf)

    return _PLAIN.get(key, run)


def _keep_unhinted_regions(req: ColorizeRequest, composite, color, plain_composite, plain_color):
    """Closed line-art regions (gaps up to the request's gap closed) that hold no hint take the no-hint colors."""
    from ..core.hints import resize_hints
    from ..core.regions import segment_cached

    labels, n = segment_cached(rgb_to_luma(req.image), gap_close=_gap(req), min_area=None, copy=False, ink=_ink(req))
    hm = resize_hints(req.hints, *labels.shape)[..., 3] > 0
    stay = np.zeros(n + 1, bool)  # lines and hinted regions keep the hinted result
    stay[0] = True
    stay[np.unique(labels[hm])] = True
    keep = ~np.take(stay, labels)  # np.take: 4x faster than fancy indexing at 2048²
    if not keep.any():
        return composite, color
    # the caller's arrays are this colorize's own (fresh from finish): painted in place
    masked_copy(composite, plain_composite, keep)
    if color is not composite:
        masked_copy(color, plain_color, keep)
    return composite, color
