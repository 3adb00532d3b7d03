"""Exports: PNG composite, the color layer alone with transparency, layered OpenRaster.

OpenRaster (``.ora``, opened by Krita, GIMP, MyPaint) is a zip: ``mimetype`` first and
stored uncompressed, ``stack.xml`` (layers top to bottom), ``data/*.png`` layers,
``mergedimage.png`` and ``Thumbnails/thumbnail.png`` (at most 256 px).
Arrays: ``HxWx3 uint8 RGB`` images, ``HxWx4 uint8 RGBA`` hints/layers.
Flats (:func:`write_flats_ora`): one layer per flat color, for cel work in Krita, Toonz, CSP.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import Image

from ..core.atomic import atomic_write
from ..core.color import draw_lines, rgb_to_luma

ORA_MIME = "image/openraster"


def lineart_layer(line: np.ndarray) -> np.ndarray:
    """Line art as ink with alpha: ``HxWx4 uint8 RGBA``. Each pixel's darkest channel gives
    the alpha, and the ink's color is what reproduces the pixel over white (color to alpha):
    black lines are black ink with alpha = darkness, colored trace lines keep their colors.
    Composited normally over a color layer it gives the engine's composite
    (:func:`~colorpaint.core.color.draw_lines`)."""
    line = line if line.ndim == 3 else np.repeat(line[..., None], 3, 2)
    m = line.min(axis=2)
    a = 255 - m.astype(np.int32)
    out = np.zeros(line.shape[:2] + (4,), np.uint8)
    out[..., 3] = a
    ink = (line.astype(np.int32) - m[..., None]) * 255 // np.maximum(a, 1)[..., None]
    out[..., :3] = np.clip(ink, 0, 255)
    return out


def color_layer_rgba(color: np.ndarray, line: np.ndarray, kind: str) -> np.ndarray:
    """The color layer alone, ``HxWx4 uint8 RGBA``: for line art the ink is cut out
    (alpha = lightness of the line art), so it slides under any line layer."""
    alpha = (line.min(axis=2) if line.ndim == 3 else line) if kind == "lineart" else np.full(color.shape[:2], 255, np.uint8)
    return np.dstack([color, alpha])


def hinted_flats_rgba(line: np.ndarray, color: np.ndarray, hints: np.ndarray | None, gap: int = 2) -> np.ndarray:
    """The color layer with only the regions the artist hinted: ``HxWx4 uint8 RGBA``, each
    closed region that holds a hint opaque in its colors, every other region and the lines
    transparent (flats to finish in another program)."""
    from ..core.regions import deciding_hints, segment

    labels, _ = segment(rgb_to_luma(line), gap_close=gap)
    out = np.zeros(color.shape[:2] + (4,), np.uint8)
    if hints is None or not (hints[..., 3] > 0).any():
        return out
    dec = deciding_hints(hints[..., 3] > 0, labels)
    keep = np.zeros(int(labels.max()) + 1, bool)
    keep[np.unique(labels[dec])] = True
    keep[0] = False
    m = keep[labels]
    out[m, :3] = color[m]
    out[m, 3] = 255
    return out


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
    return _write_ora_file(path, w, h, layers, merged)


def _write_ora_file(path: Path, w: int, h: int, layers: list[tuple[str, str, np.ndarray, bool]], merged: np.ndarray) -> Path:
    """The zip itself, written atomically; ``layers``: (name, file, RGB/RGBA array, visible), top first."""
    stack = ["<?xml version='1.0' encoding='UTF-8'?>", f'<image version="0.0.3" w="{w}" h="{h}">', "  <stack>"]
    for name, src, _, visible in layers:
        stack.append(f'    <layer name={quoteattr(name)} src="{src}" x="0" y="0" opacity="1.0" '
                     f'visibility="{"visible" if visible else "hidden"}" composite-op="svg:src-over"/>')
    stack += ["  </stack>", "</image>", ""]
    thumb = Image.fromarray(np.ascontiguousarray(merged))
    thumb.thumbnail((256, 256), Image.LANCZOS)

    def write(fh):
        with zipfile.ZipFile(fh, "w") as z:
            z.writestr(zipfile.ZipInfo("mimetype"), ORA_MIME, compress_type=zipfile.ZIP_STORED)
            z.writestr("stack.xml", "\n".join(stack), compress_type=zipfile.ZIP_DEFLATED)
            for _, src, arr, _ in layers:
                z.writestr(src, _png(arr), compress_type=zipfile.ZIP_STORED)  # PNG is compressed already
            z.writestr("mergedimage.png", _png(merged), compress_type=zipfile.ZIP_STORED)
            z.writestr("Thumbnails/thumbnail.png", _png(np.asarray(thumb)), compress_type=zipfile.ZIP_STORED)

    atomic_write(path, write)
    return path


def flat_layers(line: np.ndarray, color: np.ndarray, gap: int = 2, palette=()) -> tuple[list[tuple[str, tuple, np.ndarray]], np.ndarray]:
    """Split a color layer into flats: ``([(name, (r, g, b), HxW bool mask), ...], flats HxWx3 uint8 RGB)``.

    ``line``: the frame's ``HxWx3 uint8 RGB`` line art; ``color``: its ``HxWx3 uint8 RGB`` color
    layer (a flat-mode result is flat already; any other is made flat by the per-region
    median). Regions are those of flat mode (:func:`colorpaint.core.regions.segment` with
    ``gap`` and the default ``min_area``); line pixels take the color of the nearest region,
    so the flats cover the frame with no paper showing through anti-aliased line edges.
    Regions of one color share a layer. ``palette``: ``[(name, (r, g, b)), ...]``; a color
    equal to an entry (within one level per channel, the Lab round trip) takes the entry's
    name and exact color, any other is named by its hex. Order: palette colors in palette
    order, then the rest by area, largest first. The masks partition the frame.
    """
    from ..core.regions import fill_lines, region_median, segment

    labels, n = segment(rgb_to_luma(line), gap_close=gap, min_area=None)
    h, w = labels.shape
    if n == 0:
        flats = np.full((h, w, 3), 255, np.uint8)
        return [("#ffffff", (255, 255, 255), np.ones((h, w), bool))], flats
    med, _ = region_median(labels, color.astype(np.float32), n)
    region_rgb = np.clip(np.rint(np.nan_to_num(med[:, :3], nan=255.0)), 0, 255).astype(np.int64)
    pal = [(str(name), tuple(int(v) for v in c)) for name, c in palette]
    pal_rgb = np.asarray([c for _, c in pal], np.int64).reshape(-1, 3)
    entry = np.full(n + 1, -1, np.int64)
    if len(pal_rgb):
        diff = np.abs(region_rgb[:, None, :] - pal_rgb[None, :, :]).max(2)  # (n+1) x K
        near = diff.argmin(1)
        ok = diff[np.arange(n + 1), near] <= 1
        entry[ok] = near[ok]
        region_rgb[ok] = pal_rgb[near[ok]]
    full = fill_lines(labels)
    flats = region_rgb[full].astype(np.uint8)
    # one layer per distinct color: key = palette entry, or the color itself
    key = np.where(entry >= 0, entry, len(pal_rgb) + (region_rgb[:, 0] << 16 | region_rgb[:, 1] << 8 | region_rgb[:, 2]))
    keys, inverse = np.unique(key[1:], return_inverse=True)
    area = np.bincount(full.ravel(), minlength=n + 1)[1:]
    key_area = np.bincount(inverse, weights=area, minlength=len(keys))
    order = sorted(range(len(keys)), key=lambda i: (keys[i] >= len(pal_rgb), keys[i] if keys[i] < len(pal_rgb) else -key_area[i]))
    layer_of = np.zeros(n + 1, np.int64)
    layer_of[1:] = inverse
    layers, used = [], set()
    first = np.zeros(len(keys), np.int64)
    first[inverse[::-1]] = np.arange(n, 0, -1)  # a region of each layer, for its color
    for i in order:
        rgb = tuple(int(v) for v in region_rgb[first[i]])
        name = pal[int(keys[i])][0] if keys[i] < len(pal_rgb) else "#%02x%02x%02x" % rgb
        base, j = name, 2
        while name in used:  # two entries may share a name; layer names stay unique
            name, j = f"{base} {j}", j + 1
        used.add(name)
        layers.append((name, rgb, (layer_of == i)[full]))
    return layers, flats


def write_flats_ora(path, line: np.ndarray, color: np.ndarray, gap: int = 2, palette=()) -> Path:
    """Write the flats of a frame as a layered OpenRaster file, atomically.

    Layers (top to bottom): Line art (black ink with alpha), one layer per flat color named
    from ``palette`` or by hex (see :func:`flat_layers`), Paper (white). ``mergedimage.png``
    is the composite of those layers (the flat colors with the lines multiplied on top).
    """
    path = Path(path)
    h, w = line.shape[:2]
    flats, flat_rgb = flat_layers(line, color, gap, palette)
    layers: list[tuple[str, str, np.ndarray, bool]] = [("Line art", "data/lineart.png", lineart_layer(line), True)]
    for i, (name, rgb, mask) in enumerate(flats):
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[mask] = rgb + (255,)
        layers.append((name, f"data/flat_{i:03d}.png", rgba, True))
    layers.append(("Paper", "data/paper.png", np.full((h, w, 3), 255, np.uint8), True))
    merged = draw_lines(flat_rgb, line)
    return _write_ora_file(path, w, h, layers, merged)


def read_ora(path) -> tuple[list[dict], dict[str, np.ndarray]]:
    """(layers from stack.xml as attribute dicts, top first; every PNG in the file as an
    array). For tests and for round-tripping."""
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("stack.xml"))
        layers = [dict(el.attrib) for el in root.iter("layer")]
        pngs = {n: np.asarray(Image.open(io.BytesIO(z.read(n)))) for n in z.namelist() if n.endswith(".png")}
    return layers, pngs
