"""Fill tolerance beyond the window: colorpaint-cli colorize and sequence take --tolerance."""
import subprocess
import sys

import cv2
import numpy as np


def _drawing(folder):
    img = np.full((120, 160, 3), 255, np.uint8)
    cv2.rectangle(img, (10, 10), (150, 110), (0, 0, 0), 2)
    img[10:110, 80:82] = 200  # a light gray line splits the box
    hint = np.zeros((120, 160, 4), np.uint8)
    hint[50:60, 30:40] = (0, 0, 255, 255)  # red (BGR), left half only
    cv2.imwrite(str(folder / "a.png"), img)
    cv2.imwrite(str(folder / "h.png"), hint)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "colorpaint.cli", *map(str, args)], capture_output=True, text=True, timeout=300)


def test_colorize_flat_stops_at_a_light_line_only_with_a_high_tolerance(tmp_path):
    _drawing(tmp_path)
    right = {}
    for t in (50, 90):
        r = _cli("colorize", tmp_path / "a.png", "-o", tmp_path / f"o{t}", "--flat", "--hints", tmp_path / "h.png",
                 "--tolerance", t, "--input-kind", "lineart")
        assert r.returncode == 0, r.stderr
        out = cv2.imread(str(tmp_path / f"o{t}" / "a.png"))
        assert tuple(out[55, 35]) == (0, 0, 255)
        right[t] = tuple(out[55, 120])
    assert right[50] == (0, 0, 255)  # the light line is paper at 50 %: the fill runs through
    assert right[90] != (0, 0, 255)  # at 90 % it is a line: the right half keeps its own color


def test_a_bad_tolerance_is_refused_in_one_line(tmp_path):
    _drawing(tmp_path)
    r = _cli("colorize", tmp_path / "a.png", "-o", tmp_path / "o", "--tolerance", "150")
    assert r.returncode == 2 and "tolerance must be between 0 and 100" in r.stderr and "Traceback" not in r.stderr


def test_shot_options_carry_the_projects_tolerance():
    from colorpaint.app.requests import colorize_options
    from colorpaint.engine.options import ColorizeOptions

    assert ColorizeOptions.of(colorize_options(tolerance=90).request_dict()).tolerance == 90
