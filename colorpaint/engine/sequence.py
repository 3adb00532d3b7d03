"""Colorizing a shot: frames conditioned on the previous result and anchored to keys.

Frames after a key are colored forward from it, each conditioned on the previous result
(flow-warped onto the frame); frames before the first key are colored backward from it.
Drift control: when the previous result's colors disagree with what the nearest key
predicts (carried by flow), the network is conditioned on a blend that leans on the key.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from ..core.color import lab_to_rgb, rgb_to_lab, rgb_to_luma
from .jobs import CancelToken, Progress
from .pipeline import DEFAULT_WORK_SIZE, ColorizeRequest, colorize, flow_maps, warp_previous


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


# how far still areas keep the previous frame's colors in a shot (0..1). On the 9 val
# shots with a key, 0 -> 0.5 -> 0.8 -> 0.95 raised PSNR 25.3 -> 26.5 -> 27.7 -> 28.3 dB and
# lowered |flicker| 1.09 -> 0.97 -> 0.83 -> 0.74 (benchmarks/temporal_consistency.py).
STEADY = 0.95


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


def sequence_request(first: np.ndarray, model: str = "temporal", *, weights: str | None = None, input_kind: str = "auto",
                     work_size: int = DEFAULT_WORK_SIZE, palette=(), flat: bool = False, gap: int = 2,
                     steady: float = STEADY) -> ColorizeRequest:
    """The base request of a shot job (``first``: HxWx3 uint8 RGB, the shot's first frame).

    ``colorpaint-cli sequence`` and the window both build theirs here, so the same options
    give the same frames. A ``gap`` outside 0..MAX_GAP is a ValueError, before any frame is done."""
    from .flat import check_gap

    return ColorizeRequest(first, model=model, input_kind=input_kind, work_size=int(work_size), weights=weights,
                           palette=tuple(tuple(int(v) for v in c) for c in palette), options={"flat": bool(flat), "gap": check_gap(gap), "steady": float(steady)})


def colorize_sequence(session, frames: Sequence[np.ndarray], base: ColorizeRequest, keys: dict[int, np.ndarray | None] | None = None,
                      hints: dict[int, np.ndarray] | None = None, cancel: CancelToken | None = None, anchor: float = 0.5,
                      keep_results: bool = True):
    """Job over a shot.

    ``frames``: HxWx3 uint8 RGB inputs, any sequence with ``len`` and indexing (a lazy
    loader keeps a long shot out of memory); ``keys``: frame -> HxWx3 uint8 RGB colors the
    artist set, or None for a key to colorize first from its own ``hints`` (no previous
    frame); ``hints``: frame -> HxWx4 uint8 RGBA hints for that frame (else ``base.hints``).
    ``base.options``: ``flat`` (one color per region, carried from the previous frame's
    matching regions), ``gap``, ``warp_prev``, ``steady`` (0..1, default :data:`STEADY`: how
    far still areas keep the previous frame's colors, :func:`steady_colors`; 0 leaves every
    frame as the network colored it).

    Yields Progress per finished frame with ``index``, ``result`` (its composite),
    ``frame`` (a ColorizeResult whose composite is that same result) and ``drift``.
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
    steady = float(base.options.get("steady", STEADY))
    for done, (i, p) in enumerate(order):
        cancel.check()
        prev = results[p] if p is not None else None
        prev_in = frames[p] if p is not None else None
        cur_in = frames[i]
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
        h = hints.get(i, base.hints)
        req = replace(base, image=cur_in, hints=h, prev=prev, prev_image=prev_in)
        res = None
        job = colorize(session, req, cancel)
        while True:
            try:
                next(job)
            except StopIteration as stop:
                res = stop.value
                break
        if steady > 0 and p is not None and results[p] is not None and not base.options.get("flat"):
            comp, color = steady_colors(frames[p], cur_in, results[p], steady, res.composite, res.color, maps=pair_maps)
            res = replace(res, composite=comp, color=comp if res.color is res.composite else color)
        results[i] = res.composite
        if base.options.get("flat"):
            from .flat import flat_from_previous, flatten

            if p is not None and results[p] is not None:
                results[i], _ = flat_from_previous(frames[p], results[p], cur_in, res.color, h, base.palette, base.options.get("gap", 2))
            else:
                results[i] = flatten(cur_in, res, h, base.palette, base.options.get("gap", 2))
        if p is not None and results[p] is not None:
            drift[i] = drift_score(frames[p], cur_in, results[p], res.composite, pair_maps)
        if i in keys:  # a key colored from its hints now anchors the frames around it
            keys[i] = results[i]
        # flat: the flat composite is the color layer too (lines included), so a viewer never shows the unflattened colors
        out = replace(res, composite=results[i], color=results[i]) if results[i] is not res.composite else res
        yield Progress((done + 1) / max(len(order), 1), f"frame {i + 1}/{n}", index=i, result=results[i], frame=out, drift=drift[i])
        if not keep_results and p is not None and p not in keys:
            results[p] = None  # each non-key frame conditions exactly one later frame: this one
    return results, drift
