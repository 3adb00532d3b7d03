"""numpy <-> QImage: the one place qimage2ndarray is used.

Display images are built in the formats Qt's raster engine draws fastest (RGB32,
ARGB32_Premultiplied), so a 4K canvas repaints without per-frame conversions.
"""
from __future__ import annotations

import numpy as np
import qimage2ndarray
from PySide6.QtGui import QImage


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """``HxWx3 uint8 RGB`` -> QImage (Format_RGB32, a copy)."""
    return qimage2ndarray.array2qimage(np.ascontiguousarray(rgb[..., :3]))


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    """``HxWx4 uint8 RGBA`` (straight alpha) -> QImage (Format_ARGB32_Premultiplied, a copy)."""
    return qimage2ndarray.array2qimage(np.ascontiguousarray(rgba)).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def qimage_to_rgb(img: QImage) -> np.ndarray:
    """QImage -> ``HxWx3 uint8 RGB`` (a copy)."""
    if img.format() not in (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32):
        img = img.convertToFormat(QImage.Format.Format_RGB32)
    return qimage2ndarray.rgb_view(img).copy()


def qimage_to_rgba(img: QImage) -> np.ndarray:
    """QImage -> ``HxWx4 uint8 RGBA`` with straight alpha (a copy)."""
    img = img.convertToFormat(QImage.Format.Format_ARGB32)
    return np.dstack([qimage2ndarray.rgb_view(img), qimage2ndarray.alpha_view(img)]).copy()


def blit_rgba(target: QImage, rgba: np.ndarray, x: int, y: int) -> None:
    """Replace a rectangle of an ARGB32_Premultiplied ``target`` with ``rgba`` (hxwx4 uint8
    RGBA, straight alpha) at (x, y), in place."""
    h, w = rgba.shape[:2]
    a = rgba[..., 3:4].astype(np.uint16)
    pm = (rgba[..., :3].astype(np.uint16) * a + 127) // 255
    view = qimage2ndarray.byte_view(target)  # BGRA bytes on little-endian
    view[y:y + h, x:x + w, 0] = pm[..., 2]
    view[y:y + h, x:x + w, 1] = pm[..., 1]
    view[y:y + h, x:x + w, 2] = pm[..., 0]
    view[y:y + h, x:x + w, 3] = rgba[..., 3]
