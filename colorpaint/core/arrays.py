"""Array helpers the hot paths share."""
from __future__ import annotations

import cv2
import numpy as np

_CV_DTYPES = (np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64)


def masked_copy(dst: np.ndarray, src: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``dst[mask] = src[mask]`` in place; returns ``dst``.

    ``dst``/``src``: HxW or HxWxC (C <= 4) arrays of one shape and dtype; ``mask``: HxW
    bool. OpenCV's masked copy does it in one SIMD pass: at 2048² RGB it took ~1 ms where
    ``np.copyto(..., where=mask[..., None])`` took ~40-80 ms. Other layouts (views that are
    not contiguous, more channels) fall back to ``np.copyto``.
    """
    fast = (dst.flags.c_contiguous and dst.shape == src.shape and dst.dtype == src.dtype
            and dst.dtype.type in _CV_DTYPES and mask.shape == dst.shape[:2]
            and (dst.ndim == 2 or (dst.ndim == 3 and dst.shape[2] <= 4)))
    if fast:
        out = cv2.copyTo(np.ascontiguousarray(src), np.ascontiguousarray(mask).view(np.uint8), dst)
        if out is dst:
            return dst
        np.copyto(dst, out)  # the binding gave a new array: keep the in-place contract
        return dst
    np.copyto(dst, src, where=mask if dst.ndim == mask.ndim else mask[..., None])
    return dst
