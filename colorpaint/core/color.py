"""Color-space conversions: the one home of ColorPaint's scaling constants.

Conventions used everywhere in ColorPaint:

* images cross module boundaries as ``HxWx3 uint8 RGB`` (sRGB, D65);
* CIELAB is ``HxWx3 float32`` with L in [0, 100] and a, b roughly in [-128, 127];
* networks see Lab normalised by :func:`lab_to_net`: L/50 - 1 and a/110, b/110, so every
  channel lies in about [-1, 1].
"""
from __future__ import annotations

import cv2
import numpy as np

L_SCALE = 50.0  # network L = L / 50 - 1
AB_SCALE = 110.0  # network ab = ab / 110


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """``HxWx3 uint8 RGB`` (or float in [0, 1]) -> ``HxWx3 float32 Lab``."""
    if rgb.dtype == np.uint8:
        f = np.divide(rgb, np.float32(255.0), dtype=np.float32)  # one pass, same values as astype then divide
    else:
        f = np.clip(rgb.astype(np.float32), 0.0, 1.0)
    return cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2Lab)


def lab_to_rgb_float(lab: np.ndarray) -> np.ndarray:
    """``HxWx3 float32 Lab`` -> ``HxWx3 float32 RGB`` in [0, 1] (clipped to gamut)."""
    rgb = _lab_to_rgb_unclipped(lab)
    np.maximum(rgb, 0.0, out=rgb)  # in place: np.clip took 3-4x longer at 2048²
    return np.minimum(rgb, 1.0, out=rgb)


def _lab_to_rgb_unclipped(lab: np.ndarray) -> np.ndarray:
    lab = np.array(lab, np.float32, order="C")  # a copy: L is clipped in place
    L = lab[..., 0]
    np.minimum(np.maximum(L, 0.0, out=L), 100.0, out=L)
    return cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """``HxWx3 float32 Lab`` -> ``HxWx3 uint8 RGB``."""
    rgb = _lab_to_rgb_unclipped(lab)
    # scale, round and saturate to 0..255 in one OpenCV pass (as one channel: a scalar
    # would scale only the first channel of a 3-channel array)
    return cv2.multiply(rgb.reshape(rgb.shape[0], -1), 255.0, dtype=cv2.CV_8U).reshape(rgb.shape)


def draw_lines(color: np.ndarray, line: np.ndarray) -> np.ndarray:
    """The line art drawn over the color, lines in their own colors: ``HxWx3 uint8 RGB``.

    ``line`` is the line art, ``HxWx3 uint8 RGB`` (or ``HxW`` gray). Each line pixel is
    read as ink over white paper: its darkest channel ``m`` gives the ink's coverage
    ``1 - m/255`` and the ink's color is what reproduces the pixel over white (color to
    alpha). Over the fill that gives ``color * m/255 + (line - m)``: black and gray lines are
    exactly :func:`multiply_lines` (the lines multiplied on top), and a colored trace line
    (a blue shadow line, a red highlight line) keeps its color instead of turning near-black."""
    if line.ndim == 2:
        return multiply_lines(color, line)
    line = np.ascontiguousarray(line)
    m = line.min(axis=2)
    out = multiply_lines(color, m)
    if (line != m[..., None]).any():  # some colored ink: add what lies above its darkest channel
        out = cv2.add(out, cv2.subtract(line, cv2.cvtColor(m, cv2.COLOR_GRAY2RGB)))
    return out


def multiply_lines(color: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """Lines on top of the color (a multiply blend): ``HxWx3 uint8 RGB`` times ``HxW uint8``
    gray / 255, rounded -> ``HxWx3 uint8``. One OpenCV pass; equal to the float formula
    ``color * (gray / 255) + 0.5`` truncated, for every pair of values."""
    return cv2.multiply(np.ascontiguousarray(color), cv2.cvtColor(np.ascontiguousarray(gray), cv2.COLOR_GRAY2RGB), scale=1 / 255.0)


def rgb_to_luma(rgb: np.ndarray) -> np.ndarray:
    """``HxWx3 uint8 RGB`` -> ``HxW uint8`` ITU-R 601 luma (what ``Image.convert('L')`` gives)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def luma_to_L(gray: np.ndarray) -> np.ndarray:
    """``HxW uint8`` gray -> ``HxW float32`` L in [0, 100] (gray treated as an sRGB neutral).

    A lookup in the 256 values the full conversion gives (the same numbers, without
    converting three channels of every pixel)."""
    return np.take(_gray_L(), gray)


_GRAY_L: np.ndarray | None = None


def _gray_L() -> np.ndarray:
    global _GRAY_L
    if _GRAY_L is None:
        levels = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
        _GRAY_L = np.ascontiguousarray(rgb_to_lab(levels)[0, :, 0])
    return _GRAY_L


def lab_to_net(lab: np.ndarray) -> np.ndarray:
    """``...x3 float32 Lab`` -> normalised network values (channels last)."""
    out = np.empty_like(lab, dtype=np.float32)
    out[..., 0] = lab[..., 0] / L_SCALE - 1.0
    out[..., 1:] = lab[..., 1:] / AB_SCALE
    return out


def net_to_lab(net: np.ndarray) -> np.ndarray:
    """Inverse of :func:`lab_to_net` (channels last)."""
    out = np.empty_like(net, dtype=np.float32)
    out[..., 0] = (net[..., 0] + 1.0) * L_SCALE
    out[..., 1:] = net[..., 1:] * AB_SCALE
    return out


def L_to_net(L: np.ndarray) -> np.ndarray:
    return (L.astype(np.float32) / L_SCALE - 1.0).astype(np.float32)


def parse_hex_color(text: str) -> tuple[int, int, int]:
    """'#ff8800', 'ff8800' or 'f80' -> (r, g, b). Raises ValueError with the bad text."""
    t = text.strip().lstrip("#")
    if len(t) == 3:
        t = "".join(c * 2 for c in t)
    if len(t) != 6 or any(c not in "0123456789abcdefABCDEF" for c in t):
        raise ValueError(f"not a hex color: {text!r} (expected e.g. #ff8800)")
    return int(t[0:2], 16), int(t[2:4], 16), int(t[4:6], 16)
