"""Colors on screen sooner: a large page is first colorized small, shown, then at full size.

At 2048² most of a colorize is full-size work (upsampling, region rules); the network
itself runs at the working size either way. So :func:`colorize_progressive` first runs the
same request on the page scaled to ``preview_side`` (long side), yields that small color
layer as a :class:`~colorpaint.engine.jobs.Progress` preview (a view scales it up to the
page: copying it to 2048² first cost more than the pass itself), and then returns
the full-size result, which replaces it. Pages no larger than 1.5x ``preview_side`` get
their quick pass at half their size, and pages under ``2 * MIN_PREVIEW_SIDE`` go straight
to the full-size pass. Qt-free.
"""
from __future__ import annotations

from dataclasses import replace

import cv2

from .jobs import CancelToken, Progress, run
from .pipeline import ColorizeRequest, colorize

PREVIEW_SIDE = 512
MIN_PREVIEW_SIDE = 192  # px: a page under twice this has no quick pass (its one pass is quick)
PREVIEW_WORK = 96  # px: the network's working size for the quick pass (the full pass keeps the request's)


def preview_request(req: ColorizeRequest, side: int = PREVIEW_SIDE) -> ColorizeRequest | None:
    """``req`` on the page scaled to ``side`` (long side), with the network at
    :data:`PREVIEW_WORK` px (a seventh of the default's pixels: the network and the hints'
    spreading are most of the quick pass; benchmarks/RESULTS_live.md), or None when the page is small."""
    h, w = req.image.shape[:2]
    if max(h, w) <= side * 1.5:
        # a mid-size page (a 512² frame) gets a quick pass at half its size: its one full
        # pass takes about 200 ms, its half-size pass with the small network a fifth of that
        side = max(h, w) // 2
        if side < MIN_PREVIEW_SIDE:
            return None
    s = side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    from ..core.hints import resize_hints

    hints = resize_hints(req.hints, size[1], size[0]) if req.hints is not None else None
    return replace(req, image=cv2.resize(req.image, size, interpolation=cv2.INTER_AREA), hints=hints,
                   work_size=min(req.work_size, PREVIEW_WORK),
                   prev=None if req.prev is None else cv2.resize(req.prev, size, interpolation=cv2.INTER_AREA),
                   prev_image=None if req.prev_image is None else cv2.resize(req.prev_image, size, interpolation=cv2.INTER_AREA))


def colorize_progressive(session, req: ColorizeRequest, cancel: CancelToken | None = None, side: int = PREVIEW_SIDE):
    """Job: a small pass shown as a preview (``Progress.preview``: hxwx3 uint8 RGB color
    layer of the page scaled to ``side``, same aspect), then the full-size result."""
    cancel = cancel or CancelToken()
    small = preview_request(req, side)
    if small is not None:
        res = run(colorize(session, small, cancel), cancel)
        cancel.check()
        yield Progress(0.3, "preview", preview=res.color, frame=res)
    return (yield from colorize(session, req, cancel))
