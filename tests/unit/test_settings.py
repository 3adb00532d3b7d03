"""Typed project settings and request options: each default declared once, the project file
read and clamped by the same declarations, and the window and colorpaint-cli building their
request options in the same place."""
from __future__ import annotations

from dataclasses import fields

import pytest

from colorpaint.app.requests import colorize_options, frame_options, frame_request, shot_options
from colorpaint.engine.options import ANCHOR, DEFAULT_GAP, MAX_GAP, STEADY, ColorizeOptions, check_gap
from colorpaint.project import Project
from colorpaint.project.settings import DEFAULT_SETTINGS, SETTING_RULES, ProjectSettings, clean_settings


def _project(tmp_path):
    from colorpaint.core.imageio import save_image

    from .helpers import drawing

    save_image(tmp_path / "a.png", drawing()[0])
    return Project.from_images([tmp_path / "a.png"])


def test_every_setting_is_declared_once_with_its_rule_and_default():
    s = ProjectSettings()
    assert set(SETTING_RULES) == {f.name for f in fields(ProjectSettings)}
    assert s.gap == DEFAULT_GAP == ColorizeOptions().gap and SETTING_RULES["gap"] == ("int", 0, MAX_GAP)
    assert s.steady == STEADY and s.anchor == ANCHOR and s.flat is False and s.input_kind == "auto"
    assert DEFAULT_SETTINGS == {"input_kind": "auto", "use_palette": False}


def test_typed_settings_read_the_project_dict(tmp_path):
    p = _project(tmp_path)
    assert p.typed_settings == ProjectSettings()
    p.set_setting("gap", 5)
    p.set_setting("flat", True)
    p.settings["brush_color"] = [1, 2, 3]
    t = p.typed_settings
    assert (t.gap, t.flat, t.brush_color, t.steady) == (5, True, (1, 2, 3), STEADY)


def test_a_file_s_settings_are_clamped_by_the_declarations():
    warned = []
    out = clean_settings({"gap": 99, "steady": -1, "flat": "yes", "input_kind": "x", "later": {"kept": 1}}, warned.append)
    assert out["gap"] == MAX_GAP and out["steady"] == 0.0 and "flat" not in out and out["input_kind"] == "auto"
    assert out["later"] == {"kept": 1} and len(warned) == 4
    assert ProjectSettings.of(out).gap == MAX_GAP and ProjectSettings.of(out).flat is False


def test_options_read_and_written_as_the_request_carries_them():
    assert ColorizeOptions.of({"gap": 4, "cel": False, "unknown": 1}) == ColorizeOptions(gap=4, cel=False)
    assert ColorizeOptions.of(None) == ColorizeOptions()
    assert ColorizeOptions(gap=4, cel=False).request_dict() == {"gap": 4, "cel": False}
    assert ColorizeOptions().request_dict("flat", "gap") == {"flat": False, "gap": DEFAULT_GAP}
    assert check_gap("3") == 3
    with pytest.raises(ValueError, match="between 0 and"):
        check_gap(MAX_GAP + 1)


def test_the_window_and_the_cli_build_options_in_one_place(tmp_path):
    from colorpaint import cli

    p = _project(tmp_path)
    p.set_setting("gap", 6)
    assert frame_options(p) == {"flat": False, "gap": 6}
    assert frame_request(p, p.current_frame, work_size=128, weights=None).options == {"flat": False, "gap": 6}
    assert colorize_options(p.typed_settings, cel=False) == ColorizeOptions(gap=6, cel=False)
    args = cli.build_parser().parse_args(["colorize", "x.png", "-o", "out", "--gap", "6", "--no-cel"])
    assert cli._options(args, flat=args.flat, gap=args.gap) == ColorizeOptions(gap=6, cel=False)

    class Prefs:
        work_size = 192

    o = shot_options(p, Prefs(), {})
    assert (o["model"], o["gap"], o["steady"], o["anchor"], o["work_size"]) == ("temporal", 6, STEADY, ANCHOR, 192)


def test_a_shot_request_carries_its_options():
    import numpy as np

    from colorpaint.engine.sequence import sequence_request

    img = np.full((32, 32, 3), 255, np.uint8)
    assert sequence_request(img).options == {"flat": False, "gap": DEFAULT_GAP, "steady": STEADY, "carry": True}
    req = sequence_request(img, options=ColorizeOptions(gap=5, calibrate=False))
    assert req.options == {"flat": False, "gap": 5, "steady": STEADY, "carry": True, "calibrate": False}
    with pytest.raises(ValueError):
        sequence_request(img, gap=MAX_GAP + 1)
