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
from .options import DEFAULT_GAP, ColorizeOptions

DEFAULT_WORK_SIZE = 256
PREVIEW_WORK_SIZE = 192


@dataclass(frozen=True)
class ColorizeRequest:
    """One colorization. Arrays: ``image`` HxWx3 uint8 RGB (line art or grayscale; a color
    image is reduced to its luminance), ``hints`` HxWx4 uint8 RGBA (alpha > 0 = hint, any
    size: scaled to the image), ``prev`` HxWx3 uint8 RGB previous colored frame and
    ``prev_image`` that frame's own input (for flow warping)."""

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


def prepare(req: ColorizeRequest, multiple: int, kind: str, takes_hints: bool = True):
    """Network inputs at the working resolution, as numpy arrays (channels first).
    ``takes_hints=False``: the network ignores hints (``auto``), so they are not spread for it."""
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
        if req.prev_image is not None and req.options.get("warp_prev", True):
            pi = req.prev_image if req.prev_image.shape[:2] == (h, w) else cv2.resize(req.prev_image, (w, h), interpolation=cv2.INTER_AREA)
            p = warp_previous(p, _resize(rgb_to_luma(pi), ww, wh), small)
        from ..core.color import lab_to_net

        prev[:3] = np.pad(lab_to_net(rgb_to_lab(p)).transpose(2, 0, 1), ((0, 0),) + pad, mode="edge")
        prev[3] = 1.0
    kind_v = np.array([[[[0.0 if kind == "lineart" else 1.0]]]], np.float32)
    return L, kind_v, hints, prev, (wh, ww)


def finish(req: ColorizeRequest, lab_net_small: np.ndarray, kind: str, size: tuple[int, int],
           conf: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Network output (3xHxW, network scaling, padded) -> (composite, color layer) at full size.

    ``conf``: the network's per-pixel confidence (HxW float32 in [0, 1], padded like the
    output, :mod:`.calibrate`); with it the color moves toward untouched (no chroma on
    grayscale, paper white on line art) where the network is unsure (request option
    ``calibrate``, default True). On line art without hints and without a previous frame,
    request option ``cel`` (default True) paints every closed region one color and the page
    (regions touching the frame's border) paper white (:func:`_cel`)."""
    img = req.image
    h, w = img.shape[:2]
    wh, ww = size
    lab_small = net_to_lab(lab_net_small[:, :wh, :ww].transpose(1, 2, 0))
    if conf is not None:
        lab_small = _calibrated(lab_small, conf[:wh, :ww], req.model, kind)
    if kind == "lineart":
        lab_small = _fill_under_ink(lab_small, _resize(rgb_to_luma(img), ww, wh))
    lab = cv2.resize(lab_small, (w, h), interpolation=cv2.INTER_LINEAR) if (wh, ww) != (h, w) else lab_small
    gray = rgb_to_luma(img)
    L_in = luma_to_L(gray)
    if (wh, ww) != (h, w):
        scale = max(h / wh, w / ww)
        r = max(2, int(round(scale * 2)))
        guide = L_in / 100.0
        if kind == "lineart":
            # fills, not lines, steer the color: the guide is the line art with lines thinned
            guide = cv2.morphologyEx(guide, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) if scale > 1.5 else guide
        # coefficients on a grid up to half the upscale coarser: same result within 0.1 Lab, 4-9x less work at 2048²
        lab = guided_filter(guide.astype(np.float32), lab.astype(np.float32), r, 1e-3, subsample=max(1, int(scale // 2)))
    if kind == "gray":
        lab[..., 0] = L_in
    elif req.options.get("cel", True) and req.prev is None:
        lab = _cel(lab, gray, req.hints, _gap(req))
    if kind == "lineart" and req.hints is not None and req.options.get("hint_regions", "agreeing"):
        lab = _hints_own_their_regions(lab, gray, req.hints, only_agreeing=req.options.get("hint_regions", "agreeing") == "agreeing",
                                       gap=_gap(req))
    color = lab_to_rgb(lab)
    if kind == "lineart":
        composite = draw_lines(color, req.image if req.image.shape[:2] == color.shape[:2] else gray)  # lines on top, in their colors
    else:
        composite = color
    return composite, color


def _calibrated(lab: np.ndarray, conf: np.ndarray, model: str, kind: str) -> np.ndarray:
    """``lab`` (HxWx3 Lab) with its chroma (gray) or its offset from paper white (line art)
    scaled by the calibration table's scale for ``conf`` (:mod:`.calibrate`)."""
    from .calibrate import chroma_scale

    s = chroma_scale(conf, model, kind)
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


def _gap(req: ColorizeRequest) -> int:
    """The request's gap (option ``gap``): line breaks up to this many px still close a
    region, for the cel colors and the hint rules as for fills."""
    return int(ColorizeOptions.of(req.options).gap)


def _cel(lab: np.ndarray, gray: np.ndarray, hints: np.ndarray | None, gap: int = DEFAULT_GAP) -> np.ndarray:
    """Clean cel color on line art: each closed region (lines with gaps up to ``gap`` px
    closed) takes one color, the per-channel median of the prediction inside it, and the regions
    touching the frame's border (the page around the figure) take paper white. Under the
    lines each pixel takes its nearest region's color, so no prediction is left to show as
    a halo past a line. Regions holding a hint are left as they are (the hint rules decide
    them). ``lab``: HxWx3 float32 Lab at full size; ``gray``: HxW uint8 line art."""
    from ..core.hints import resize_hints
    from ..core.regions import fill_lines, region_median, segment_cached

    labels, n = segment_cached(gray, gap_close=gap, min_area=None, copy=False)
    if n == 0:
        return lab
    lab = np.asarray(lab, np.float32)
    table, _ = region_median(labels, lab, n)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    table[border[border > 0]] = _WHITE
    keep = np.zeros(n + 1, bool)  # regions whose prediction stays: hinted ones
    if hints is not None:
        hm = resize_hints(hints, *labels.shape)[..., 3] > 0
        keep[np.unique(labels[hm])] = True
        keep[0] = False
    full = fill_lines(labels)
    out = np.take(table, full, axis=0)
    if keep.any():
        stay = np.take(keep, full)
        masked_copy(out, lab, stay)
    return out


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
    from ..core.hints import resize_hints
    from ..core.regions import deciding_hints, nearest_in_region, segment_cached

    hints = resize_hints(hints, *gray.shape)
    m = hints[..., 3] > 0
    if not m.any():
        return lab
    labels, _ = segment_cached(gray, gap_close=gap, min_area=None, copy=False)
    hint_lab = np.zeros(hints.shape[:2] + (3,), np.float32)
    hint_lab[m] = rgb_to_lab(np.ascontiguousarray(hints[..., :3][m])[None])[0]  # only the hint pixels are read
    if only_agreeing:  # regions whose hints disagree are left out before spreading
        hm = deciding_hints(m, labels)
        if not hm.any():  # every hint sits on a line
            return lab
        lab_ids, vals_m = labels[hm], hint_lab[hm]
        n = int(lab_ids.max()) + 1
        hi = np.full((n, 3), -np.inf, np.float32)
        lo = np.full((n, 3), np.inf, np.float32)
        np.maximum.at(hi, lab_ids, vals_m)
        np.minimum.at(lo, lab_ids, vals_m)
        mixed = ((hi - lo) > 6.0).any(1)
        m = hm.copy()
        m[hm] = ~mixed[lab_ids]
    vals, covered = nearest_in_region(labels, m, hint_lab)
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
    as it is; line art is made clean by the region rules instead, :func:`_cel`)."""
    return (kind == "gray" and bool(req.options.get("calibrate", True)) and req.prev is None
            and (req.hints is None or not (req.hints[..., 3] > 0).any()))


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
    if kind == "lineart" and req.hints is not None and req.options.get("ignore_slips", True):
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
    takes_hints = "hints" in registry.spec(loaded.name).inputs
    if req.prev is not None and "previous frame" not in registry.spec(loaded.name).inputs:
        req = replace(req, prev=None, prev_image=None)  # the network never sees it: nothing to warp
    L, kind_v, hints, prev, size = prepare(req, loaded.multiple, kind, takes_hints=takes_hints)
    cancel.check()
    yield Progress(0.2, f"running {req.model} on {loaded.device_name}")
    with session.lock:
        loaded.set_palette(req.palette)
        out, conf = _run(loaded, req, kind, L, kind_v, hints, prev)
    cancel.check()
    yield Progress(0.85, "finishing")
    composite, color = finish(req, out, kind, size, conf)
    if (kind == "lineart" and takes_hints and req.hints is not None and (req.hints[..., 3] > 0).any()
            and req.options.get("hint_reach", "regions") == "regions" and req.prev is None):
        # strokes color their own shapes: closed regions without a hint keep the colors the
        # network gives them with no hints at all (else one stroke tints the whole picture)
        plain = _unhinted_result(session, loaded, req, kind)
        cancel.check()
        composite, color = _keep_unhinted_regions(req, composite, color, *plain)
    if refs is not None:  # grayscale pages take the references' chroma in their paired regions
        composite, color = refs.finish(kind, req.image, composite, color)
    return ColorizeResult(composite, color, kind, req.model, time.perf_counter() - t0, loaded.device_name, refs)


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
    labels, _ = segment_cached(rgb_to_luma(req.image), gap_close=_gap(req), min_area=None, copy=False)
    return ignore_slips(hints, labels)


_PLAIN = Recent(3)


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

    labels, n = segment_cached(rgb_to_luma(req.image), gap_close=_gap(req), min_area=None, copy=False)
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
