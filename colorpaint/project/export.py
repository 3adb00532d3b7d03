"""Exports: PNG composite, the color layer alone with transparency, layered OpenRaster.

OpenRaster (``.ora``, opened by Krita, GIMP, MyPaint) is a zip: ``mimetype`` first and
stored uncompressed, ``stack.xml`` (layers top to bottom), ``data/*.png`` layers,
``mergedimage.png`` and ``Thumbnails/thumbnail.png`` (at most 256 px).
Arrays: ``HxWx3 uint8 RGB`` images, ``HxWx4 uint8 RGBA`` hints/layers.
"""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import Image

from ..core.color import rgb_to_luma

ORA_MIME = "image/openraster"


def lineart_layer(line: np.ndarray) -> np.ndarray:
    """Line art as black ink with alpha = darkness: ``HxWx4 uint8 RGBA``. Composited
    normally over a color layer it gives exactly the engine's multiply composite."""
    out = np.zeros(line.shape[:2] + (4,), np.uint8)
    out[..., 3] = 255 - rgb_to_luma(line)
    return out


def color_layer_rgba(color: np.ndarray, line: np.ndarray, kind: str) -> np.ndarray:
    """The color layer alone, ``HxWx4 uint8 RGBA``: for line art the ink is cut out
    (alpha = lightness of the line art), so it slides under any line layer."""
    alpha = rgb_to_luma(line) if kind == "lineart" else np.full(color.shape[:2], 255, np.uint8)
    return np.dstack([color, alpha])


def _png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(a)).save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def write_ora(path, line: np.ndarray, kind: str, color: np.ndarray | None, composite: np.ndarray | None,
              hints: np.ndarray | None) -> Path:
    """Write a layered OpenRaster file atomically.

    Layers (top to bottom): Hints (hidden; RGBA hint map), Line art (black ink with alpha)
    for line art or Source (the gray page, shown only when there is no color yet),
    Color (the color layer, if any), Paper (white). ``mergedimage.png`` is ``composite``
    (or the source when there is no result).
    """
    path = Path(path)
    h, w = line.shape[:2]
    layers: list[tuple[str, str, np.ndarray, bool]] = []  # name, file, RGBA/RGB, visible
    if hints is not None:
        layers.append(("Hints", "data/hints.png", hints, False))
    if kind == "lineart":
        layers.append(("Line art", "data/lineart.png", lineart_layer(line), True))
    else:
        layers.append(("Source", "data/source.png", line, color is None))
    if color is not None:
        layers.append(("Color", "data/color.png", color, True))
    layers.append(("Paper", "data/paper.png", np.full((h, w, 3), 255, np.uint8), True))
    merged = composite if composite is not None else line
    stack = ["<?xml version='1.0' encoding='UTF-8'?>", f'<image version="0.0.3" w="{w}" h="{h}">', "  <stack>"]
    for name, src, _, visible in layers:
        stack.append(f'    <layer name={quoteattr(name)} src="{src}" x="0" y="0" opacity="1.0" '
                     f'visibility="{"visible" if visible else "hidden"}" composite-op="svg:src-over"/>')
    stack += ["  </stack>", "</image>", ""]
    thumb = Image.fromarray(np.ascontiguousarray(merged))
    thumb.thumbnail((256, 256), Image.LANCZOS)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w") as z:
                z.writestr(zipfile.ZipInfo("mimetype"), ORA_MIME, compress_type=zipfile.ZIP_STORED)
                z.writestr("stack.xml", "\n".join(stack), compress_type=zipfile.ZIP_DEFLATED)
                for _, src, arr, _ in layers:
                    z.writestr(src, _png(arr), compress_type=zipfile.ZIP_STORED)  # PNG is compressed already
                z.writestr("mergedimage.png", _png(merged), compress_type=zipfile.ZIP_STORED)
                z.writestr("Thumbnails/thumbnail.png", _png(np.asarray(thumb)), compress_type=zipfile.ZIP_STORED)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def read_ora(path) -> tuple[list[dict], dict[str, np.ndarray]]:
    """(layers from stack.xml as attribute dicts, top first; every PNG in the file as an
    array). For tests and for round-tripping."""
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("stack.xml"))
        layers = [dict(el.attrib) for el in root.iter("layer")]
        pngs = {n: np.asarray(Image.open(io.BytesIO(z.read(n)))) for n in z.namelist() if n.endswith(".png")}
    return layers, pngs
