"""Fill tolerance: how light a pixel may be and still count as line. A box divided by a light
gray (pencil-like) line: at a low tolerance the gray line is paper and a fill runs through
it into both halves; at a high tolerance it is line and the fill stops at it."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from colorpaint.core.imageio import save_image
from colorpaint.core.regions import segment
from colorpaint.engine.options import MAX_TOLERANCE, ColorizeOptions, ink_level
from colorpaint.project import Project, Stroke, load_project, save_project
from colorpaint.project.settings import ProjectSettings, clean_settings

GRAY = 200  # a light pencil line


def drawing() -> np.ndarray:
    """A black box split into left and right halves by a light gray line: HxWx3 uint8 RGB."""
    img = np.full((96, 128, 3), 255, np.uint8)
    cv2.rectangle(img, (8, 8), (120, 88), (0, 0, 0), 2)
    cv2.line(img, (64, 8), (64, 88), (GRAY,) * 3, 2)
    return img


@pytest.fixture
def project(tmp_path):
    p = tmp_path / "src" / "pencil.png"
    save_image(p, drawing())
    return Project.from_images([p])


def fill(tolerance: int) -> Stroke:
    return Stroke("fill", ((30, 48),), (0, 0, 255), tolerance=tolerance)


def test_ink_level_maps_percent_of_white_and_auto():
    assert ink_level(0) is None  # Auto: from the drawing, as before the setting existed
    assert ink_level(50) == 128 and ink_level(90) == 230
    assert ink_level(MAX_TOLERANCE) == 254  # paper white never counts as line
    assert ColorizeOptions().tolerance == 0 and ProjectSettings().tolerance == 0


def test_low_tolerance_fills_through_a_light_line_high_tolerance_stops_at_it(project):
    f = project.current_frame
    right = (slice(30, 60), slice(80, 110))
    assert project.add_stroke(fill(50))  # the gray line (200) is lighter than 50 % of white: paper
    assert (project.hints(f)[right][..., 3] > 0).all()
    project.undo()
    assert not (project.hints(f)[..., 3] > 0).any()
    assert project.add_stroke(fill(90))  # up to 230 is line: the gray line closes the left half
    h = project.hints(f)
    assert (h[30:60, 20:50, 3] > 0).all() and not (h[right][..., 3] > 0).any()
    # Auto (Otsu on this drawing) keeps the old behaviour: the faint line is paper
    labels, _ = segment(drawing()[..., 0], gap_close=2)
    assert labels[48, 30] == labels[48, 100]


def test_each_fill_keeps_its_own_tolerance_through_save_and_load(project, tmp_path):
    f = project.current_frame
    project.add_stroke(fill(90))
    project.add_stroke(Stroke("fill", ((100, 48),), (255, 0, 0)))  # Auto: runs through to the left half
    project.set_setting("tolerance", 90)
    folder = save_project(project, tmp_path / "t.cpaint")
    doc = json.loads((folder / "project.json").read_text())
    strokes = doc["shots"][0]["frames"][0]["strokes"]
    assert strokes[0]["tolerance"] == 90 and "tolerance" not in strokes[1]  # Auto is left out: old files unchanged
    q = load_project(folder)
    assert q.current_frame.strokes == f.strokes and q.typed_settings.tolerance == 90
    assert np.array_equal(q.hints(q.current_frame), project.hints(f))


def test_a_files_tolerance_is_clamped():
    warn = []
    assert clean_settings({"tolerance": 250}, warn.append)["tolerance"] == MAX_TOLERANCE
    assert "tolerance" not in clean_settings({"tolerance": float("nan")}, warn.append)
    assert ProjectSettings.of(clean_settings({"tolerance": -5})).tolerance == 0
    assert len(warn) == 2
    s = Stroke.from_dict({"kind": "fill", "points": [[3, 4]], "tolerance": float("nan")}, warn.append)
    assert s.tolerance == 0
    assert Stroke.from_dict({"kind": "fill", "points": [[3, 4]], "tolerance": 1e9}, warn.append).tolerance == MAX_TOLERANCE
    assert Stroke.from_dict({"kind": "fill", "points": [[3, 4]]}).tolerance == 0  # an older file


def test_the_tolerance_reaches_the_window_requests(project):
    from colorpaint.app.requests import frame_options

    assert "tolerance" not in frame_options(project)  # Auto: the engine's default
    project.set_setting("tolerance", 90)
    assert frame_options(project)["tolerance"] == 90


def test_flat_colors_split_regions_at_the_light_line_only_with_a_high_tolerance():
    from colorpaint.engine.flat import flat_colors

    img = drawing()
    color = img.copy()
    color[:, :64] = (250, 40, 40)  # the prediction: red left, blue right
    color[:, 64:] = (40, 40, 250)
    _, auto, _ = flat_colors(img, color)
    _, split, _ = flat_colors(img, color, ink=ink_level(90))
    assert auto[48, 30] == auto[48, 100] and split[48, 30] != split[48, 100]
