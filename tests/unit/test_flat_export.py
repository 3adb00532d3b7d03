"""Flat results for the window (engine.flat.flat_job) and the flats OpenRaster export."""
import zipfile

import cv2
import numpy as np
import pytest

from colorpaint.engine import jobs
from colorpaint.engine.flat import flat_colors, flat_job, flat_layers, flatten
from colorpaint.engine.pipeline import ColorizeRequest, ColorizeResult
from colorpaint.project.export import flat_layers as ora_flat_layers
from colorpaint.project.export import read_ora, write_flats_ora


def two_shapes(h=80, w=120):
    """Line art (RGB) with a circle and a square, and a noisy 'prediction' inside them."""
    line = np.full((h, w, 3), 255, np.uint8)
    cv2.circle(line, (35, 40), 25, (0, 0, 0), 2)
    cv2.rectangle(line, (70, 15), (110, 65), (0, 0, 0), 2)
    rng = np.random.default_rng(0)
    pred = np.full((h, w, 3), (230, 230, 235), np.uint8)
    cv2.circle(pred, (35, 40), 24, (220, 120, 80), -1)
    cv2.rectangle(pred, (71, 16), (109, 64), (90, 150, 210), -1)
    pred = np.clip(pred.astype(int) + rng.integers(-12, 13, pred.shape), 0, 255).astype(np.uint8)
    return line, pred


def fake_job(result):
    yield jobs.Progress(0.5, "network")
    return result


def test_flat_job_passes_through_or_flattens_like_the_cli():
    line, pred = two_shapes()
    res = ColorizeResult(pred, pred, "lineart", "fake", 0.1, "cpu")
    plain = ColorizeRequest(line)
    assert jobs.run(flat_job(fake_job(res), plain)) is res
    hints = np.zeros(line.shape[:2] + (4,), np.uint8)
    hints[40, 30:40] = (0, 200, 0, 255)
    req = ColorizeRequest(line, hints=hints, palette=((0, 190, 10), (200, 100, 90), (80, 160, 220), (255, 255, 255)),
                          options={"flat": True, "gap": 2})
    out = jobs.run(flat_job(fake_job(res), req))
    assert np.array_equal(out.composite, flatten(line, res, hints, req.palette, 2))  # what colorize --flat writes
    color, labels, _ = flat_colors(line, pred, hints, req.palette, 2)
    assert np.array_equal(out.color, color)
    assert out.model == "fake" and out.kind == "lineart"
    # the hinted circle took the hint snapped to the palette, exactly
    assert tuple(out.color[40, 35]) == (0, 190, 10)


def test_palette_lock_gives_exact_palette_colors():
    line, pred = two_shapes()
    palette = ((201, 99, 88), (77, 161, 222), (251, 250, 247))  # colors whose Lab round trip is not exact
    color, labels, idx = flat_colors(line, pred, None, palette, 2)
    got = {tuple(c) for c in color[labels > 0]}
    assert got <= set(palette) and len(got) == 3


def test_flat_layers_gray_keeps_lightness():
    line, pred = two_shapes()
    gray = cv2.cvtColor(cv2.cvtColor(pred, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    res = ColorizeResult(pred, pred, "gray", "fake", 0.1, "cpu")
    comp, color = flat_layers(gray, res)
    assert comp is color or np.array_equal(comp, color)
    assert comp.shape == gray.shape


def test_flats_split_into_named_layers_that_partition_the_frame():
    line, pred = two_shapes()
    res = ColorizeResult(pred, pred, "lineart", "fake", 0.1, "cpu")
    palette = (("skin", (220, 120, 80)), ("sky", (90, 150, 210)), ("paper", (230, 230, 235)))
    _, color = flat_layers(line, res, None, tuple(c for _, c in palette))
    layers, flats = ora_flat_layers(line, color, 2, palette)
    assert [n for n, _, _ in layers] == ["skin", "sky", "paper"]  # palette order
    masks = np.stack([m for _, _, m in layers])
    assert (masks.sum(0) == 1).all()  # every pixel, lines included, in exactly one layer
    for name, rgb, m in layers:
        assert (flats[m] == rgb).all()
    assert tuple(flats[40, 35]) == (220, 120, 80)
    assert tuple(flats[40, 10]) in {(220, 120, 80), (230, 230, 235)}  # on the circle's line: a region beside it
    # without a palette: hex names, largest first
    layers, _ = ora_flat_layers(line, color, 2)
    names = [n for n, _, _ in layers]
    assert names[0] == "#e6e6eb" and sorted(names) == sorted({"#dc7850", "#5a96d2", "#e6e6eb"})


def test_flats_of_a_non_flat_color_layer_are_flat():
    line, pred = two_shapes()
    layers, flats = ora_flat_layers(line, pred, 2)
    assert len(layers) == 3  # the noisy prediction: one median color per region


def test_write_flats_ora_opens(tmp_path):
    line, pred = two_shapes()
    res = ColorizeResult(pred, pred, "lineart", "fake", 0.1, "cpu")
    palette = (("skin", (220, 120, 80)), ("sky", (90, 150, 210)), ("paper", (230, 230, 235)))
    comp, color = flat_layers(line, res, None, tuple(c for _, c in palette))
    path = write_flats_ora(tmp_path / "flats.ora", line, color, 2, palette)
    with zipfile.ZipFile(path) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"image/openraster"
        assert {"stack.xml", "mergedimage.png", "Thumbnails/thumbnail.png"} <= set(z.namelist())
    layers, pngs = read_ora(path)
    assert [l["name"] for l in layers] == ["Line art", "skin", "sky", "paper", "Paper"]
    for l in layers:
        assert pngs[l["src"]].shape[:2] == line.shape[:2]
    for l, rgb in zip(layers[1:4], [c for _, c in palette]):
        a = pngs[l["src"]]
        assert (a[a[..., 3] > 0][:, :3] == rgb).all()
    assert np.array_equal(pngs["mergedimage.png"][..., :3], comp)  # the layers composite to the flat result


def test_write_flats_ora_blank_page(tmp_path):
    line = np.full((20, 30, 3), 255, np.uint8)
    layers, pngs = read_ora(write_flats_ora(tmp_path / "blank.ora", line, line))
    assert [l["name"] for l in layers] == ["Line art", "#ffffff", "Paper"]
    line[:] = 0  # all ink: no region at all
    layers, _ = read_ora(write_flats_ora(tmp_path / "ink.ora", line, line))
    assert [l["name"] for l in layers] == ["Line art", "#ffffff", "Paper"]


def test_fill_lines_gives_every_pixel_a_region():
    from colorpaint.core.regions import fill_lines

    labels = np.zeros((10, 12), np.int32)
    labels[:, :5] = 1
    labels[:, 8:] = 2  # a 3-px line between them at x = 5..7
    full = fill_lines(labels)
    assert (full[:, :6] == 1).all() and (full[:, 7:] == 2).all() and set(np.unique(full[:, 6])) <= {1, 2}
    assert (full[labels > 0] == labels[labels > 0]).all()
    empty = np.zeros((4, 4), np.int32)
    assert (fill_lines(empty) == 0).all()


def test_flat_color_layer_has_only_region_colors():
    line, pred = two_shapes()
    color, labels, _ = flat_colors(line, pred)
    region_colors = {tuple(c) for c in color[labels > 0]}
    assert {tuple(c) for c in color.reshape(-1, 3)} == region_colors  # lines and pockets too


def test_fill_lines_without_opencv_numbering(monkeypatch):
    """Should OpenCV ever number the pixels differently, the regions grow step by step instead."""
    from colorpaint.core import regions

    labels = np.zeros((10, 12), np.int32)
    labels[:, :5] = 1
    labels[:, 8:] = 2
    expected = regions.fill_lines(labels)
    monkeypatch.setattr(regions.cv2, "distanceTransformWithLabels", lambda src, *a, **k: (None, np.zeros(src.shape, np.int32)))
    got = regions.fill_lines(labels)
    assert (got > 0).all() and (got[:, :6] == 1).all() and (got[:, 7:] == 2).all()
    assert np.array_equal(got[:, [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11]], expected[:, [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11]])
