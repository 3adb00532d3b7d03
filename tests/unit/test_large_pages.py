"""Large pages are finished in strips of rows: the same picture, in bounded memory."""
from __future__ import annotations

import tracemalloc

import cv2
import numpy as np
import pytest

import colorpaint.engine.pipeline as pl
from colorpaint.core.regions import fill_lines, nearest_in_region, segment
from colorpaint.engine.jobs import run
from colorpaint.engine.session import Session


def drawing(h: int, w: int) -> np.ndarray:
    """Line art: a figure of closed shapes, one open shape, on white."""
    img = np.full((h, w, 3), 255, np.uint8)
    s = min(h, w) / 600
    t = max(2, int(3 * s))
    cv2.ellipse(img, (w // 2, h // 3), (int(120 * s), int(150 * s)), 0, 0, 360, (0, 0, 0), t)
    cv2.circle(img, (w // 2 - int(45 * s), h // 3 - int(20 * s)), int(22 * s), (0, 0, 0), t)
    cv2.circle(img, (w // 2 + int(45 * s), h // 3 - int(20 * s)), int(22 * s), (0, 0, 0), t)
    cv2.rectangle(img, (w // 2 - int(160 * s), h // 2), (w // 2 + int(160 * s), h - int(40 * s)), (0, 0, 0), t)
    cv2.line(img, (int(30 * s), h - int(30 * s)), (w // 2 - int(200 * s), h // 2), (0, 0, 0), t)
    return img


def hints_for(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    hints = np.zeros((h, w, 4), np.uint8)
    hints[h // 3 - 8:h // 3 + 8, w // 2 - 8:w // 2 + 8] = (230, 190, 160, 255)  # face
    # the body (a box spanning many strips) holds two different colors: split by nearest stroke
    hints[h // 2 + 30:h // 2 + 40, w // 2 - 100:w // 2 - 90] = (40, 60, 200, 255)
    hints[h - 80:h - 70, w // 2 + 90:w // 2 + 100] = (200, 40, 40, 255)
    return hints


def colorize(img, strips: int | None, **kw):
    """The pipeline's result, whole (``strips=None``) or forced into strips of that many pixels."""
    old = pl.TILE_PIXELS, pl.STRIP_PIXELS
    try:
        if strips is not None:
            pl.TILE_PIXELS, pl.STRIP_PIXELS = 1, strips
        else:
            pl.TILE_PIXELS = 10 ** 12
        return run(pl.colorize(Session(), pl.ColorizeRequest(image=img, **kw)))
    finally:
        pl.TILE_PIXELS, pl.STRIP_PIXELS = old


@pytest.mark.parametrize("case", ["lineart", "lineart-hints-all", "lineart-hints", "gray"])
def test_a_page_finished_in_strips_looks_the_same(case):
    img = drawing(900, 700)
    kw = {"model": "histogram"}
    if case == "gray":
        ramp = np.linspace(60, 220, 700, dtype=np.float32)[None, :, None]
        img = np.clip(img.astype(np.float32) * 0.5 + ramp * 0.5, 0, 255).astype(np.uint8)
        kw["input_kind"] = "gray"
    if "hints" in case:
        kw["hints"] = hints_for(img)
    if case == "lineart-hints-all":
        kw["options"] = {"hint_regions": "all"}
    whole = colorize(img, None, **kw)
    tiled = colorize(img, 40_000, **kw)  # 57 rows a strip: 16 strips, seams across every shape
    d = np.abs(whole.composite.astype(int) - tiled.composite.astype(int)).max(2)
    assert (d > 3).mean() < 0.001, f"{(d > 3).mean():.2%} of pixels differ by more than 3 levels"
    assert d.mean() < 0.1
    if "hints" in case:  # the strokes' colors are where they were painted
        h, w = img.shape[:2]
        assert np.abs(tiled.color[h // 3, w // 2].astype(int) - (230, 190, 160)).max() <= 2
    if case == "lineart-hints-all":  # the body split between its two strokes, across strips
        assert np.abs(tiled.color[h // 2 + 35, w // 2 - 95].astype(int) - (40, 60, 200)).max() <= 2
        assert np.abs(tiled.color[h - 75, w // 2 + 95].astype(int) - (200, 40, 40)).max() <= 2


def test_a_large_page_is_finished_in_bounded_memory():
    """Measured on the numpy arrays the finishing step makes (tracemalloc): the whole-page
    path peaked at about 58 bytes per pixel, strips at under half that."""
    img = drawing(2400, 2000)
    px = img.shape[0] * img.shape[1]
    Session().get("auto")  # weights loaded outside the measurement
    tracemalloc.start()
    try:
        res = colorize(img, 1_000_000, model="auto")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.composite.shape == img.shape
    assert peak / px < 32, f"{peak / px:.1f} bytes per pixel"


def test_region_helpers_keep_their_results_in_less_memory():
    img = drawing(600, 500)
    labels, n = segment(img, gap_close=2, min_area=None)
    assert labels.dtype == np.int32 and n >= 5
    filled = fill_lines(labels)
    assert filled.min() > 0  # every line pixel took a region
    assert np.array_equal(filled[labels > 0], labels[labels > 0])
    mask = np.zeros(labels.shape, bool)
    mask[200, 250] = mask[450, 250] = True
    vals = np.zeros(labels.shape + (3,), np.float32)
    vals[200, 250], vals[450, 250] = (1, 2, 3), (4, 5, 6)
    out, covered = nearest_in_region(labels, mask, vals)
    assert covered[labels == labels[200, 250]].all()
    assert (out[200, 250] == (1, 2, 3)).all() and (out[450, 250] == (4, 5, 6)).all()
