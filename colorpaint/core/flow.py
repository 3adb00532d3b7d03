"""Dense optical flow between consecutive frames, with a per-pixel confidence.

Carrying colors from one frame to the next is only as good as the flow: where it is
forward-backward consistent and the frame's own content agrees after warping, a pixel's
colors can be copied; elsewhere (disocclusions, new content, failed flow) they must be
decided anew. Everything here is numpy/OpenCV.

Conventions: ``maps`` is a pair ``(map_x, map_y)`` of ``HxW float32`` arrays for
``cv2.remap`` that say, for each pixel of the current frame, where it was in the previous
one; a confidence is ``HxW float32`` in [0, 1].
"""
from __future__ import annotations

import cv2
import numpy as np


def _guide(gray: np.ndarray, blur: float) -> np.ndarray:
    # thin lines on flat paper give DIS too little texture to hold on to; a blur spreads them
    return cv2.GaussianBlur(gray, (0, 0), blur) if blur > 0 else gray


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))


def flow_with_confidence(prev_gray: np.ndarray, cur_gray: np.ndarray, blur: float = 1.0,
                         tolerance: float | tuple = 0.5):
    """DIS flow from the current frame back to the previous one, and how far to trust it.

    ``prev_gray``/``cur_gray``: HxW uint8 luminance (line art or grayscale). Returns
    ``(maps, confidence)``; ``maps`` is None (and the confidence all zero) when DIS refuses
    the frames (very small or thin ones).

    Confidence is the forward-backward check of Sundaram et al. (2010): following the flow
    back to the previous frame and forward again must land within
    ``tolerance + 5 %`` of the motion; pixels carried from outside the previous frame get 0.
    It falls off smoothly (a Gaussian of the round-trip error), so a composite by it has no
    hard seams. A tuple of tolerances gives one confidence per tolerance:
    ``(maps, (confidence, ...))``.
    """
    h, w = cur_gray.shape
    several = isinstance(tolerance, tuple)
    tols = tolerance if several else (tolerance,)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    a, b = _guide(prev_gray, blur), _guide(cur_gray, blur)
    try:
        back = dis.calc(b, a, None)  # for each current pixel: its displacement to the previous frame
        fwd = dis.calc(a, b, None)
    except cv2.error:
        zeros = tuple(np.zeros((h, w), np.float32) for _ in tols)
        return None, (zeros if several else zeros[0])
    gx, gy = _grid(h, w)
    mx, my = gx + back[..., 0], gy + back[..., 1]
    # forward flow read where each current pixel came from: a consistent pair cancels out
    fwd_at = cv2.remap(fwd, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    err2 = ((back + fwd_at) ** 2).sum(2)
    mag2 = (back ** 2).sum(2) + (fwd_at ** 2).sum(2)
    inside = (mx >= -0.5) & (mx <= w - 0.5) & (my >= -0.5) & (my <= h - 0.5)
    confs = []
    for tol in tols:
        conf = np.exp(-0.5 * err2 / (tol ** 2 + 0.0025 * mag2)).astype(np.float32)
        conf[~inside] = 0.0
        confs.append(conf)
    return (mx, my), (tuple(confs) if several else confs[0])


def warp(img: np.ndarray, maps, nearest: bool = False) -> np.ndarray:
    """``img`` (HxW or HxWxC, any dtype OpenCV remaps) carried onto the current frame by ``maps``;
    ``maps`` None carries it unchanged."""
    if maps is None:
        return img.copy()
    return cv2.remap(img, maps[0], maps[1], cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def chain_maps(earlier, maps):
    """Maps from the current frame straight to an earlier one: ``earlier`` maps the previous
    frame to that earlier frame, ``maps`` the current frame to the previous one.

    Sampling the earlier frame once through the chained coordinates keeps its colors sharp;
    warping frame by frame would blur them a little more at every step."""
    if maps is None:
        return earlier
    if earlier is None:
        return maps
    stacked = np.dstack(earlier)
    out = cv2.remap(stacked, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(out[..., 0]), np.ascontiguousarray(out[..., 1])


def identity_maps(h: int, w: int):
    return _grid(h, w)


def agreement(warped: np.ndarray, current: np.ndarray, scale: float = 24.0) -> np.ndarray:
    """``HxW float32`` in [0, 1]: 1 where a warped HxW uint8 image matches the current one,
    falling linearly to 0 as they differ by ``scale`` gray levels or more."""
    d = cv2.absdiff(warped, current)
    return np.clip(1.0 - d.astype(np.float32) / scale, 0.0, 1.0)


def without_lines(rgb: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """The fill colors of a colored frame: every pixel of ``lines`` (HxW bool) takes the
    color of the nearest pixel off the lines. ``rgb``: HxWx3 uint8 RGB; returns a copy.

    Carried onto a moved frame, these fills take the new frame's own lines on top, so the
    old lines leave no ghost where they moved. One distance transform (OpenCV reports the
    nearest zero pixel), not a per-pixel search."""
    if not lines.any() or lines.all():
        return rgb.copy()
    ink = lines.astype(np.uint8)
    _, near = cv2.distanceTransformWithLabels(ink, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    src = np.flatnonzero(ink.ravel() == 0)  # OpenCV numbers the zero pixels 1.. in raster order
    flat = rgb.reshape(-1, 3)
    return flat[src[near.ravel() - 1]].reshape(rgb.shape)
