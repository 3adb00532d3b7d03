"""Pen pressure in hint strokes: a stroke whose pressure falls renders thinner (or fainter) at
its end; mouse strokes and older files are unchanged; a file's pressure is checked."""
from __future__ import annotations

import math

import numpy as np

from colorpaint.project.strokes import Stroke, rasterize

PTS = tuple((10.0 + 4 * i, 40.0) for i in range(31))  # a horizontal stroke x = 10..130
FALLING = tuple(1.0 - 0.9 * i / 30 for i in range(31))


def widths(hints, xs=(25, 115)):
    return [int((hints[:, x, 3] > 0).sum()) for x in xs]


def test_falling_pressure_renders_thinner_at_the_end():
    h = rasterize([Stroke("brush", PTS, (200, 0, 0), 20, pressure=FALLING)], 80, 140)
    start, end = widths(h)
    assert start >= 16 and end <= 8, (start, end)
    mouse = rasterize([Stroke("brush", PTS, (200, 0, 0), 20)], 80, 140)
    assert widths(mouse)[0] == widths(mouse)[1] >= 19


def test_pressure_to_opacity_fades_the_end_and_keeps_the_width():
    h = rasterize([Stroke("brush", PTS, (200, 0, 0), 20, pressure=FALLING, pressure_size=False, pressure_opacity=True)], 80, 140)
    assert abs(widths(h)[0] - widths(h)[1]) <= 1
    assert h[40, 25, 3] > 200 and h[40, 115, 3] < 90


def test_full_pressure_is_a_mouse_stroke_and_round_trips():
    assert Stroke("brush", PTS, pressure=(1.0,) * 31) == Stroke("brush", PTS)
    s = Stroke("brush", PTS, (1, 2, 3), 9, pressure=FALLING, pressure_opacity=True)
    d = s.to_dict()
    assert len(d["pressure"]) == 31 and d["pressure_to"] == ["size", "opacity"]
    assert Stroke.from_dict(d) == s
    assert "pressure" not in Stroke("brush", PTS).to_dict()  # older versions read it unchanged


def test_a_files_pressure_is_clamped():
    warn = []
    d = {"kind": "brush", "points": [[1, 1], [5, 5], [9, 9]], "pressure": [math.nan, 7, -1]}
    s = Stroke.from_dict(d, warn.append)
    assert s.pressure == (1.0, 1.0, 0.0) and warn
    assert Stroke.from_dict({**d, "pressure": [0.5]}, warn.append).pressure == ()  # wrong length: full pressure
    assert Stroke.from_dict({**d, "pressure": "x"}, warn.append).pressure == ()
    assert Stroke.from_dict({**d, "pressure": [0.2, 0.5, 1], "pressure_to": 3}, warn.append).pressure_size
    assert Stroke.from_dict({"kind": "brush", "points": [[1, 1]]}).pressure == ()  # an older file
    np.testing.assert_array_equal(rasterize([Stroke.from_dict(d)], 20, 20)[..., 3] > 0,
                                  rasterize([s], 20, 20)[..., 3] > 0)
