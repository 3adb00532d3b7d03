"""Flat cel colors: one color per closed line-art region, optionally locked to a palette.

The network decides the colors, the regions make them clean: each region takes a robust
(median, in Lab) average of the prediction inside it, a region holding artist hints takes
the hints' color, and with a palette every region snaps to its nearest palette color by
CIEDE2000. The lines are multiplied back on top.
"""
from __future__ import annotations

import numpy as np

from ..core.color import draw_lines, lab_to_rgb, multiply_lines, rgb_to_lab, rgb_to_luma
from ..core.regions import fill_lines, ignore_slips, paint_regions, region_median, segment_cached, snap_regions
from .options import DEFAULT_GAP, MAX_GAP, ColorizeOptions, check_gap, ink_level  # noqa: F401  (MAX_GAP, check_gap: callers import them from here too)


def flat_colors(lineart_rgb: np.ndarray, color_rgb: np.ndarray, hints: np.ndarray | None = None, palette=(), gap: int = DEFAULT_GAP,
                ink: int | None = None):
    """-> (flat color layer HxWx3 uint8 RGB, labels HxW int32, per-region palette index or None).

    Every pixel of the color layer takes a region's color: line pixels and pockets too small
    to be regions take a neighbouring region's, so nothing of the raw prediction is left
    where anti-aliased ink or paper shows through the lines on top. ``ink``: the gray level
    at or below which a pixel is line (:func:`~.options.ink_level`; None: from the drawing)."""
    gap = check_gap(gap)
    gray = rgb_to_luma(lineart_rgb)
    labels, n = segment_cached(gray, gap_close=gap, min_area=None, ink=ink)
    if n == 0:  # no closed region: the prediction as it is
        return lab_to_rgb(rgb_to_lab(color_rgb)), labels, None
    if hints is not None:
        from ..core.hints import resize_hints

        hints = ignore_slips(resize_hints(hints, *gray.shape), labels)
    region = region_colors(labels, color_rgb, n, hints)
    idx = None
    if palette:
        region, idx = snap_regions(labels, region, palette)  # hinted regions hold their hint color: it snaps too
    full = fill_lines(labels)  # under the ink and in ink-sized pockets: the neighbouring flat color
    # one color per region: converted once per region, then painted (a page-sized Lab image
    # is never made; an 8000x8000 page needed 4.5 GB that way)
    rgb = np.take(lab_to_rgb(np.nan_to_num(region, nan=100.0)[None])[0], full, axis=0)
    if idx is not None:
        _exact_palette(rgb, full, idx, palette)
    return rgb, labels, idx


def region_colors(labels: np.ndarray, color_rgb: np.ndarray, n: int, hints: np.ndarray | None = None) -> np.ndarray:
    """Each region's flat color, ``(n+1)x3`` Lab: the per-channel median of ``color_rgb``
    (the prediction) inside it, or of the hints inside it (:func:`~colorpaint.core.regions.flat_fill`'s
    rule: the artist is always right). The prediction's Lab is made one channel at a time,
    in bands of rows, so only one float channel of the page exists at once."""
    from ..core.regions import hinted_regions_take_hints

    h = labels.shape[0]
    region = np.empty((n + 1, 3), np.float32)
    channel = np.empty(labels.shape, np.float32)
    step = max(1, (1 << 20) // max(1, labels.shape[1]))
    for c in range(3):
        for a in range(0, h, step):
            channel[a:a + step] = rgb_to_lab(color_rgb[a:a + step])[..., c]
        region[:, c] = region_median(labels, channel[..., None], n)[0][:, 0]
    del channel
    if hints is not None:
        hinted_regions_take_hints(region, labels, hints, n)
    return region


def _exact_palette(rgb: np.ndarray, labels: np.ndarray, idx: np.ndarray, palette) -> None:
    """Write the palette's own RGB into snapped regions, in place: the Lab round trip is off
    by one level for a few colors, and flats must be the model sheet's exact colors."""
    m = labels > 0
    rgb[m] = np.asarray(palette, np.uint8).reshape(-1, 3)[idx[labels[m]]]


def flatten(image: np.ndarray, result, hints=None, palette=(), gap: int = DEFAULT_GAP, ink: int | None = None) -> np.ndarray:
    """Flat composite for a :class:`~colorpaint.engine.pipeline.ColorizeResult` of ``image``."""
    return flat_layers(image, result, hints, palette, gap, ink)[0]


def flat_layers(image: np.ndarray, result, hints=None, palette=(), gap: int = DEFAULT_GAP,
                ink: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(flat composite, flat color layer), both ``HxWx3 uint8 RGB``, for ``result`` of ``image``.

    Line art: the color layer has one color per region and the composite multiplies the
    lines on top. Grayscale: both are the flat chroma under the input's own lightness."""
    color, _, _ = flat_colors(image, result.color, hints, palette, gap, ink)
    if result.kind == "lineart":
        return draw_lines(color, image), color
    # grayscale: keep the input's own lightness under the flat chroma (a band of rows at a time)
    out = np.empty_like(color)
    step = max(1, (1 << 20) // max(1, color.shape[1]))
    for a in range(0, color.shape[0], step):
        lab = rgb_to_lab(color[a:a + step])
        lab[..., 0] = rgb_to_lab(image[a:a + step])[..., 0]
        out[a:a + step] = lab_to_rgb(lab)
    return out, out


def flat_job(job, request):
    """Wrap a colorize job (a generator returning a ``ColorizeResult`` for ``request``):
    with ``request.options["flat"]`` its result is made flat (:func:`flat_layers`, with the
    request's hints, palette and ``options["gap"]``) on the same worker; otherwise it is
    passed through. Gives what ``colorpaint-cli colorize --flat`` gives for the same inputs."""
    from dataclasses import replace

    from .jobs import Progress

    res = yield from job
    opts = ColorizeOptions.of(request.options)
    if not opts.flat or res is None:
        return res
    yield Progress(0.95, "flat colors")
    composite, color = flat_layers(request.image, res, request.hints, request.palette, int(opts.gap), ink_level(opts.tolerance))
    return replace(res, composite=composite, color=color)


def flat_from_previous(prev_image: np.ndarray, prev_result: np.ndarray, image: np.ndarray, color: np.ndarray,
                       hints: np.ndarray | None = None, palette=(), gap: int = DEFAULT_GAP, ink: int | None = None) -> tuple[np.ndarray, float]:
    """Flat colors for a frame whose previous frame is done: regions keep their colors.

    Each region of ``image`` takes the color of its matching region in ``prev_image``
    (overlap after optical-flow alignment, shape and position; see
    :func:`colorpaint.core.regions.match_regions`), read from ``prev_result``; regions that
    match nothing take the model's ``color`` (median in the region); hints override; a
    palette snaps. All arrays HxWx3 uint8 RGB of one size. Returns (composite RGB with the
    lines on top, share of regions matched).
    """
    from ..core.regions import match_regions

    gap = check_gap(gap)
    g_prev, g_cur = rgb_to_luma(prev_image), rgb_to_luma(image)
    lp, n_p = segment_cached(g_prev, gap_close=gap, min_area=None, ink=ink)
    lc, n_c = segment_cached(g_cur, gap_close=gap, min_area=None, ink=ink)
    prev_colors, _ = region_median(lp, rgb_to_lab(prev_result), n_p)
    carried, matched = match_regions(lp, prev_colors, lc, g_prev, g_cur)
    own, _ = region_median(lc, rgb_to_lab(color), n_c)
    region = np.where(matched[:, None], carried, own)
    if hints is not None:
        from ..core.hints import resize_hints

        hints = resize_hints(hints, *g_cur.shape)
    flat, _, _ = _paint_flat(lc, n_c, region, color, hints, palette)
    share = float(matched[1:].mean()) if n_c else 1.0
    return multiply_lines(flat, g_cur), share


# gap closing in a keyed shot: carried colors decide each region, so splitting a region in
# two costs nothing (both halves carry the same colors) while a leak through a gap merges
# two shapes into one color; 4 px seals the 1-3 px breaks of hand-inked or traced lines
CARRY_GAP = 4


def flat_carried(image: np.ndarray, fill: np.ndarray, cover: np.ndarray, color: np.ndarray, hints: np.ndarray | None = None,
                 palette=(), gap: int = DEFAULT_GAP, ink: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat colors for a shot frame whose colors were carried along optical flow.

    ``image``: the frame's line art, ``fill``: the carried colors (lines removed),
    ``color``: the network's colors (all HxWx3 uint8 RGB); ``cover``: HxW float32 in [0, 1],
    how far each carried pixel can be trusted. Regions are closed with gaps of up to
    ``max(gap, CARRY_GAP)`` px sealed; a region takes the median of its trusted carried
    pixels (each pixel votes with its carried color, so fragments of one shape that the
    lines barely separate agree), else the network's median; hints override; a palette
    snaps. Returns ``(composite with the lines on top, flat color layer, confidence)``:
    the confidence (HxW float32) is per region, the share of its pixels carried with trust.
    """
    gap = max(check_gap(gap), CARRY_GAP)
    gray = rgb_to_luma(image)
    labels, n = segment_cached(gray, gap_close=gap, min_area=None, ink=ink)
    trusted = (cover > 0.5) & (labels > 0)
    carried, votes = region_median(labels[trusted], rgb_to_lab(fill)[trusted], n)
    own, area = region_median(labels, rgb_to_lab(color), n)
    share = votes / np.maximum(area, 1)
    region = np.where((share > 0.25)[:, None], carried, own)
    if hints is not None:
        from ..core.hints import resize_hints

        hints = ignore_slips(resize_hints(hints, *gray.shape), labels)
    flat, full, hinted = _paint_flat(labels, n, region, color, hints, palette)
    share[hinted] = 1.0
    share[0] = 0.0
    return multiply_lines(flat, gray), flat, share.astype(np.float32)[full]


def _paint_flat(labels: np.ndarray, n: int, region: np.ndarray, color: np.ndarray, hints: np.ndarray | None,
                palette) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The end of a flat frame whose regions already have colors: a region holding hints
    takes their median instead (``region``, ``(n+1)x3`` Lab, changed in place), a region
    with no color paper white, a palette snaps; then every pixel, lines and ink-sized pockets
    too, takes its region's color. ``hints``: HxWx4 RGBA at the labels' size, or None;
    ``color``: the network's colors, HxWx3 uint8 RGB. Returns (flat color layer HxWx3 uint8
    RGB, the labels with the lines filled, which regions hold hints: (n+1,) bool)."""
    hinted = np.zeros(n + 1, bool)
    if hints is not None:
        hm = (hints[..., 3] > 0) & (labels > 0)
        if hm.any():
            hint_lab = rgb_to_lab(np.ascontiguousarray(hints[..., :3][hm])[None])[0]
            hmed, hcount = region_median(labels[hm], hint_lab, n)
            hinted = hcount > 0
            region[hinted] = hmed[hinted]
    region = np.nan_to_num(region, nan=100.0)
    idx = None
    if palette:
        region, idx = snap_regions(labels, region, palette)
    full = fill_lines(labels)  # under the ink and in ink-sized pockets: the neighbouring flat color
    flat = lab_to_rgb(paint_regions(full, region, rgb_to_lab(color)))
    if idx is not None:
        _exact_palette(flat, full, idx, palette)
    return flat, full, hinted
