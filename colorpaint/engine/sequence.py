"""Colorizing a shot: frames conditioned on the previous result and anchored to keys.

Frames after a key are colored forward from it, each conditioned on the previous result
(flow-warped onto the frame); frames before the first key are colored backward from it.
Drift control: when the previous result's colors disagree with what the nearest key
predicts (carried by flow), the network is conditioned on a blend that leans on the key.

Line art (``carry``, on by default): colors are carried, not re-synthesized, wherever
optical flow between consecutive line frames is reliable (forward-backward consistent,
inside the frame). The key's colors are sampled once through the chained flow, so they
stay sharp and saturated over a long shot; the network, conditioned on the carried colors,
fills only what flow cannot reach (disocclusions, new content). Where the frame's lines
also agree with the carried ones, the carried pixels are used as they are, lines
included, so a shot that does not move repeats its key exactly. Each frame reports a
per-pixel confidence (1 = carried, 0 = the network's own colors).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import cv2
import numpy as np

from ..core import flow as cflow
from ..core.color import draw_lines, lab_to_rgb, multiply_lines, rgb_to_lab, rgb_to_luma
from ..core.regions import line_mask
from .jobs import CancelToken, Progress
from .options import ANCHOR, DEFAULT_GAP, STEADY, ColorizeOptions, ink_level
from .pipeline import DEFAULT_WORK_SIZE, ColorizeRequest, colorize, flow_maps, resolve_kind, warp_previous


def drift_score(prev_in: np.ndarray, cur_in: np.ndarray, prev_out: np.ndarray, cur_out: np.ndarray, maps=None) -> float:
    """Mean chroma change (Lab ab distance) in areas whose input did not change.

    Inputs HxWx3 uint8 RGB; ``prev_out`` is carried onto the current frame by flow first,
    so motion alone does not count as drift. ``maps``: :func:`flow_maps` of the pair, if known.
    """
    pl, cl = rgb_to_luma(prev_in), rgb_to_luma(cur_in)
    maps = flow_maps(pl, cl) if maps is None else maps
    warped = warp_previous(prev_out, pl, cl, maps)
    warped_in = warp_previous(prev_in, pl, cl, maps)
    still = np.abs(rgb_to_luma(warped_in).astype(np.int16) - cl.astype(np.int16)) < 8
    if still.sum() < 16:
        return 0.0
    d = np.linalg.norm(rgb_to_lab(warped)[..., 1:] - rgb_to_lab(cur_out)[..., 1:], axis=2)
    return float(d[still].mean())


def steady_colors(prev_in: np.ndarray, cur_in: np.ndarray, prev_out: np.ndarray, weight: float, *outs: np.ndarray, maps=None) -> list[np.ndarray]:
    """Hold still areas' colors: where the input did not change (after optical flow), the
    chroma of each of ``outs`` leans by ``weight`` toward ``prev_out`` carried by flow.

    Lightness stays each output's own, so lines and shading are untouched; areas that
    moved or changed keep the network's new colors. All HxWx3 uint8 RGB. ``maps``:
    :func:`flow_maps` of the pair, if known (one flow serves every warp).
    """
    pl, cl = rgb_to_luma(prev_in), rgb_to_luma(cur_in)
    maps = flow_maps(pl, cl) if maps is None else maps
    still = np.abs(rgb_to_luma(warp_previous(prev_in, pl, cl, maps)).astype(np.int16) - cl.astype(np.int16)) < 8
    if not still.any():
        return list(outs)
    ab_c = rgb_to_lab(warp_previous(prev_out, pl, cl, maps))[..., 1:][still]
    adjusted = []
    for out in outs:
        lab = rgb_to_lab(out)
        lab[..., 1:][still] += weight * (ab_c - lab[..., 1:][still])
        adjusted.append(lab_to_rgb(lab))
    return adjusted


def order_frames(n: int, keys: dict[int, np.ndarray]) -> list[tuple[int, int | None]]:
    """Colorization order as (frame, previous frame or None)."""
    if not keys:
        return [(i, i - 1 if i > 0 else None) for i in range(n)]
    ks = sorted(keys)
    order = []
    for i in range(ks[0] - 1, -1, -1):  # backward from the first key
        order.append((i, i + 1))
    for i in range(ks[0], n):
        if i in keys:
            continue
        order.append((i, i - 1))
    return order


# forward-backward tolerance of carried colors, px (plus 5 % of the motion): above it a pixel
# is left to the network. On 4 synthetic vector shots and the 9 val sequences with XDoG
# lines (8 frames), 0.5 / 5 / 20 px gave 18.9 / 20.7 / 22.2 dB and 18.1 / 17.2 / 17.0 dB
# (with LINE_CHANGE 24). Vector shots want it loose, XDoG ones strict; with LINE_CHANGE 255,
# 20 px gave 23.4 and 18.0 dB, ahead of both stricter settings on both sets.
FB_TOLERANCE = 20.0
# gray levels of difference between the warped and the frame's own line art at which the
# frame's lines replace the carried ones: 24 / 64 / 255 gave 22.2 / 22.4 / 23.4 dB (vector)
# and 17.0 / 17.3 / 18.0 dB (XDoG); with 255 only a line that is wholly new or gone counts.
LINE_CHANGE = 255.0


@dataclass
class Carried:
    """What a finished line-art frame hands to the next one: its composite and fill colors
    (HxWx3 uint8 RGB, lines on top / lines removed), and the chained flow back to the key it
    was carried from with how sure that chain is (None / HxW float32 in [0, 1])."""

    composite: np.ndarray
    fill: np.ndarray
    to_key: tuple | None = None
    key_conf: np.ndarray | None = None
    key: int | None = None


def carried_from_key(key_rgb: np.ndarray, key_in: np.ndarray, index: int) -> Carried:
    """The carry state of a key: ``key_rgb`` its colors, ``key_in`` its line art (both HxWx3 uint8 RGB)."""
    h, w = key_rgb.shape[:2]
    lines = line_mask(rgb_to_luma(key_in))
    return Carried(key_rgb, cflow.without_lines(key_rgb, lines), cflow.identity_maps(h, w), np.ones((h, w), np.float32), index)


def carry_colors(prev_in: np.ndarray, cur_in: np.ndarray, prev: Carried, keys: dict):
    """Colors of the previous frame carried onto the current one along optical flow.

    ``prev_in``/``cur_in``: HxWx3 uint8 RGB line art of the two frames; ``keys``: index ->
    HxW x3 uint8 key colors with their :class:`Carried` states (``keys[k]`` a Carried).
    Returns ``(composite, fill, cover, exact, to_key, key_conf)``: the carried composite
    and fill colors (HxWx3 uint8 RGB), ``cover`` (HxW float32: how far the flow can be
    trusted), ``exact`` (``cover`` where the warped lines also agree with the frame's
    own: there the carried pixels are used as they are) and the chained flow to the key.
    """
    gp, gc = rgb_to_luma(prev_in), rgb_to_luma(cur_in)
    maps, cover = cflow.flow_with_confidence(gp, gc, tolerance=FB_TOLERANCE)
    composite = cflow.warp(prev.composite, maps)
    fill = cflow.warp(prev.fill, maps)
    to_key = key_conf = None
    if prev.to_key is not None and prev.key in keys and maps is not None:
        # the key sampled once through the chained flow: no blur piling up frame after frame
        to_key = cflow.chain_maps(prev.to_key, maps)
        key_conf = cflow.warp(prev.key_conf, maps) * cover
        k = keys[prev.key]
        t = key_conf[..., None]
        composite = (t * cflow.warp(k.composite, to_key) + (1 - t) * composite + 0.5).astype(np.uint8)
        fill = (t * cflow.warp(k.fill, to_key) + (1 - t) * fill + 0.5).astype(np.uint8)
    exact = cover * cflow.agreement(cflow.warp(gp, maps), gc, LINE_CHANGE)
    return composite, fill, cover, exact, to_key, key_conf


def _hinted_regions(cur_in: np.ndarray, hints: np.ndarray | None, gap: int = DEFAULT_GAP, ink: int | None = None) -> np.ndarray | None:
    """HxW bool: the closed regions (gaps up to ``gap`` px closed) of ``cur_in`` that hold a hint."""
    if hints is None:
        return None
    from ..core.hints import resize_hints
    from ..core.regions import segment_cached

    gray = rgb_to_luma(cur_in)
    hm = resize_hints(hints, *gray.shape)[..., 3] > 0
    if not hm.any():
        return None
    labels, n = segment_cached(gray, gap_close=gap, min_area=None, copy=False, ink=ink)
    hit = np.zeros(n + 1, bool)
    hit[np.unique(labels[hm])] = True
    hit[0] = False
    return hit[labels] | cv2.dilate(hm.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def sequence_request(first: np.ndarray, model: str = "temporal", *, weights: str | None = None, input_kind: str = "auto",
                     work_size: int = DEFAULT_WORK_SIZE, palette=(), flat: bool = False, gap: int = DEFAULT_GAP,
                     steady: float = STEADY, carry: bool = True, options: ColorizeOptions | None = None) -> ColorizeRequest:
    """The base request of a shot job (``first``: HxWx3 uint8 RGB, the shot's first frame).

    ``colorpaint-cli sequence`` and the window both build theirs here, so the same options
    give the same frames. A ``gap`` outside 0..MAX_GAP is a ValueError, before any frame is done.
    ``carry``: on line art, colors are carried along reliable optical flow (module docstring).
    ``options``: every option at once (:class:`~colorpaint.engine.options.ColorizeOptions`,
    as the window and the CLI build them), instead of ``flat``, ``gap``, ``steady`` and ``carry``."""
    from .options import check_gap

    if options is None:
        options = ColorizeOptions(flat=bool(flat), gap=gap, steady=float(steady), carry=bool(carry))
    options = replace(options, gap=check_gap(options.gap))
    return ColorizeRequest(first, model=model, input_kind=input_kind, work_size=int(work_size), weights=weights,
                           palette=tuple(tuple(int(v) for v in c) for c in palette),
                           options=options.request_dict("flat", "gap", "steady", "carry"))


def _run(job):
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


def colorize_sequence(session, frames: Sequence[np.ndarray], base: ColorizeRequest, keys: dict[int, np.ndarray | None] | None = None,
                      hints: dict[int, np.ndarray] | None = None, cancel: CancelToken | None = None, anchor: float = ANCHOR,
                      keep_results: bool = True):
    """Job over a shot.

    ``frames``: HxWx3 uint8 RGB inputs, any sequence with ``len`` and indexing (a lazy
    loader keeps a long shot out of memory); ``keys``: frame -> HxWx3 uint8 RGB colors the
    artist set, or None for a key to colorize first from its own ``hints`` (no previous
    frame); ``hints``: frame -> HxWx4 uint8 RGBA hints for that frame (else ``base.hints``).
    ``base.options``: ``flat`` (one color per region, carried from the previous frame's
    matching regions), ``gap``, ``warp_prev``, ``steady`` (0..1, default :data:`STEADY`: how
    far still areas keep the previous frame's colors, :func:`steady_colors`; 0 leaves every
    frame as the network colored it; grayscale frames), ``carry`` (default True: line-art
    frames carry colors along reliable flow, :func:`carry_colors`; closed regions that hold a
    hint are left to the network and the hint).

    Yields Progress per finished frame with ``index``, ``result`` (its composite),
    ``frame`` (a ColorizeResult whose composite is that same result), ``drift`` and
    ``confidence`` (HxW float32 in [0, 1]: how much of each pixel's color was carried
    from the previous frame or key; None where nothing was carried).
    Returns ``(results, drift)``: lists indexed by frame (given keys are returned as given,
    drift 0). With ``keep_results=False`` a frame's result is dropped once no later frame
    needs it (the caller keeps what the Progress items carried): only keys and the last
    frame stay in ``results``.
    """
    cancel = cancel or CancelToken()
    keys = dict(keys or {})
    hints = hints or {}
    n = len(frames)
    results: list[np.ndarray | None] = [None] * n
    drift = [0.0] * n
    to_color = sorted(k for k, v in keys.items() if v is None)
    for k, v in keys.items():
        results[k] = v
    order = [(k, None) for k in to_color] + order_frames(n, keys)
    key_list = sorted(keys)
    opts = ColorizeOptions.of(base.options)
    steady, carry, flat, gap = float(opts.steady), bool(opts.carry), bool(opts.flat), int(opts.gap)
    ink = ink_level(opts.tolerance)  # the fill tolerance's line level (None: from the drawing)
    states: dict[int, Carried] = {}  # line-art frames whose colors a later frame carries
    key_states: dict[int, Carried] = {}
    for done, (i, p) in enumerate(order):
        cancel.check()
        prev = results[p] if p is not None else None
        prev_in = frames[p] if p is not None else None
        cur_in = frames[i]
        h = hints.get(i, base.hints)
        lineart = carry and prev is not None and resolve_kind(cur_in, base.input_kind) == "lineart"
        if lineart:
            if p not in states:
                states[p] = carried_from_key(prev, prev_in, p) if p in keys else Carried(prev, cflow.without_lines(prev, line_mask(rgb_to_luma(prev_in))))
                if p in keys:
                    key_states[p] = states[p]
            c_comp, c_fill, cover, exact, to_key, key_conf = carry_colors(prev_in, cur_in, states[p], key_states)
            held = _hinted_regions(cur_in, h, gap, ink)
            if held is not None:  # a hint decides its own region: nothing is carried over it
                cover = np.where(held, 0.0, cover).astype(np.float32)
                exact = np.where(held, 0.0, exact).astype(np.float32)
            # the network sees the carried colors, already on this frame (no second warp)
            cond = multiply_lines(c_fill, rgb_to_luma(cur_in))
            # with how far each carried pixel is trusted, for a network that takes it
            req = replace(base, image=cur_in, hints=h, prev=cond, prev_image=None, prev_conf=cover)
            res = _run(colorize(session, req, cancel))
            if flat:  # one color per region, voted by the carried pixels
                from .flat import flat_carried

                comp, fill, confidence = flat_carried(cur_in, c_fill, cover, res.color, h, base.palette, gap, ink)
            else:
                t = cover[..., None]
                fill = (t * c_fill + (1 - t) * res.color + 0.5).astype(np.uint8)
                e = exact[..., None]
                comp = (e * c_comp + (1 - e) * draw_lines(fill, cur_in) + 0.5).astype(np.uint8)
                confidence = cover
            res = replace(res, composite=comp, color=fill)
            pair_maps = None
            states[i] = Carried(comp, fill, to_key, key_conf, states[p].key if to_key is not None else None)
            if p not in keys:
                states.pop(p, None)  # each non-key frame is carried to exactly one later frame
        else:
            confidence = None
            # one full-size flow from the previous frame serves anchoring, steady colors and drift
            pair_maps = flow_maps(rgb_to_luma(prev_in), rgb_to_luma(cur_in)) if prev is not None else None
            if prev is not None and key_list and anchor > 0:
                k = min(key_list, key=lambda k: abs(k - i))
                if k != p:
                    # anchor to the nearest key: blend its flow-carried colors into the condition
                    kc = warp_previous(keys[k], rgb_to_luma(frames[k]), rgb_to_luma(cur_in))
                    pc = warp_previous(prev, rgb_to_luma(prev_in), rgb_to_luma(cur_in), pair_maps)
                    disagree = np.linalg.norm(rgb_to_lab(kc)[..., 1:] - rgb_to_lab(pc)[..., 1:], axis=2, keepdims=True)
                    wgt = anchor * np.clip(disagree / 20.0, 0, 1)
                    prev = (pc * (1 - wgt) + kc * wgt + 0.5).astype(np.uint8)
                    prev_in = cur_in  # already on the current frame
            req = replace(base, image=cur_in, hints=h, prev=prev, prev_image=prev_in)
            res = _run(colorize(session, req, cancel))
            if steady > 0 and p is not None and results[p] is not None and not flat:
                comp, color = steady_colors(frames[p], cur_in, results[p], steady, res.composite, res.color, maps=pair_maps)
                res = replace(res, composite=comp, color=comp if res.color is res.composite else color)
        results[i] = res.composite
        if flat and not lineart:
            from .flat import flat_from_previous, flatten

            if p is not None and results[p] is not None:
                results[i], _ = flat_from_previous(frames[p], results[p], cur_in, res.color, h, base.palette, gap, ink)
            else:
                results[i] = flatten(cur_in, res, h, base.palette, gap, ink)
        if p is not None and results[p] is not None:
            drift[i] = drift_score(frames[p], cur_in, results[p], res.composite, pair_maps)
        if i in keys:  # a key colored from its hints now anchors the frames around it
            keys[i] = results[i]
        # flat: the flat composite is the color layer too (lines included), so a viewer never shows the unflattened colors
        out = replace(res, composite=results[i], color=results[i]) if results[i] is not res.composite else res
        yield Progress((done + 1) / max(len(order), 1), f"frame {i + 1}/{n}", index=i, result=results[i], frame=out, drift=drift[i],
                       confidence=confidence)
        if not keep_results and p is not None and p not in keys:
            results[p] = None  # each non-key frame conditions exactly one later frame: this one
    return results, drift
