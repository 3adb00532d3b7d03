"""Where a shot's colors came from, shape by shape: carried from the key or the previous
frame along reliable motion, or the network's own colors.

The shot job (:func:`~colorpaint.engine.sequence.colorize_sequence`) reports for each frame
a per-pixel confidence (1 = the color was carried, 0 = the network chose it). The window's
"Carried" toggle tints each closed shape of the drawing by the mean of that confidence
over the shape: green where the colors were carried, amber where only part was, orange
where the network colored it on its own: the shapes to look at first. Qt-free; the maps
are kept small (at most :data:`SIDE` px) and only for the frames of the last shot runs.
"""
from __future__ import annotations

import cv2
import numpy as np

SIDE = 512  # px: the longer side a frame's map is kept at
SURE, UNSURE = 0.7, 0.3  # mean confidence of a shape: carried above SURE, the network's own below UNSURE
CARRIED = (60, 200, 90)
PARTLY = (240, 200, 60)
OWN = (245, 120, 40)
ALPHA = 110


class CarriedMaps:
    """Frame id -> its confidence map (``hxw uint8``, 0..255, at most :data:`SIDE` px) and
    the revision of the result it belongs to (a later colorize of the frame makes it stale)."""

    def __init__(self, limit: int = 400) -> None:
        self._maps: dict[str, tuple[np.ndarray, object]] = {}
        self.limit = limit  # frames kept (400 frames at 512² are 100 MB)

    def take(self, frame_id: str, confidence: np.ndarray | None, rev=None) -> None:
        """Keep ``confidence`` (HxW float in [0, 1]) for the frame's result ``rev``; None
        (nothing was carried, e.g. a key) forgets the frame's map."""
        self._maps.pop(frame_id, None)
        if confidence is None:
            return
        c = np.asarray(confidence, np.float32)
        h, w = c.shape[:2]
        k = min(1.0, SIDE / max(h, w))
        if k < 1.0:
            c = cv2.resize(c, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
        self._maps[frame_id] = (np.clip(np.rint(c * 255), 0, 255).astype(np.uint8), rev)
        while len(self._maps) > self.limit:
            self._maps.pop(next(iter(self._maps)))

    def get(self, frame_id: str, rev=None) -> np.ndarray | None:
        """The frame's map, or None when there is none or it belongs to another result than ``rev``."""
        got = self._maps.get(frame_id)
        return got[0] if got is not None and got[1] == rev else None

    def forget(self, frame_id: str) -> None:
        self._maps.pop(frame_id, None)


def shape_confidence(conf: np.ndarray, lineart: np.ndarray, gap: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Per closed shape of ``lineart`` (HxW or HxWx3 uint8, the frame's drawing), the mean of
    ``conf`` (hxw uint8 0..255, any size) over it. Returns ``(labels HxW int32 at conf's
    size, mean (n+1) float32 in [0, 1])``; label 0 is the lines."""
    from ..core.regions import segment

    gray = lineart if lineart.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(lineart), cv2.COLOR_RGB2GRAY)
    h, w = conf.shape[:2]
    if gray.shape[:2] != (h, w):
        gray = cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA)
    labels, n = segment(gray, gap_close=gap, min_area=None)
    cnt = np.bincount(labels.ravel(), minlength=n + 1).astype(np.float64)
    tot = np.bincount(labels.ravel(), conf.ravel().astype(np.float64), minlength=n + 1)
    return labels, (tot / np.maximum(cnt, 1) / 255.0).astype(np.float32)


def carried_overlay(conf: np.ndarray, lineart: np.ndarray, gap: int = 2) -> np.ndarray:
    """``HxWx4 uint8 RGBA`` at ``lineart``'s size: each shape tinted by how much of its color
    was carried (:data:`CARRIED`, :data:`PARTLY`, :data:`OWN`); the lines stay clear. The
    page (regions along the frame's border, which on drawings with open lines runs into the
    figure) is not one shape: it is tinted pixel by pixel, and only where the colors were not
    carried, so what shows there is what to look at."""
    labels, mean = shape_confidence(conf, lineart, gap)
    lut = np.zeros((len(mean), 4), np.uint8)
    lut[mean >= SURE] = (*CARRIED, ALPHA)
    lut[(mean >= UNSURE) & (mean < SURE)] = (*PARTLY, ALPHA)
    lut[mean < UNSURE] = (*OWN, ALPHA)
    border = np.bincount(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]), minlength=len(mean))
    border[0] = 0
    page = border >= max(1, 0.2 * border.max())
    lut[page] = 0
    lut[0] = 0
    small = np.take(lut, labels, axis=0)
    on_page = np.take(page, labels)
    small[on_page & (conf < SURE * 255)] = (*PARTLY, ALPHA)
    small[on_page & (conf < UNSURE * 255)] = (*OWN, ALPHA)
    H, W = lineart.shape[:2]
    if small.shape[:2] != (H, W):
        small = cv2.resize(small, (W, H), interpolation=cv2.INTER_NEAREST)
    return small


def overlay_for(project, frame, maps: CarriedMaps) -> np.ndarray | None:
    """The "Carried" tint of ``frame`` (a project frame) for the window, or None when the
    shot run left no map for its current result (never shot-colorized, a key, colorized
    again since, or its picture cannot be read)."""
    from ..core.imageio import ImageError

    if frame is None or frame.result is None:
        return None
    conf = maps.get(frame.id, frame.result.rev)
    if conf is None:
        return None
    try:
        return carried_overlay(conf, project.image(frame), int(project.typed_settings.gap))
    except ImageError:
        return None
