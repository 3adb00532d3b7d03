"""Colored trace lines (blue shadow lines, red highlight lines) keep their colors on every
output: the composite, flat mode, the ORA line layer; black lines are drawn as before."""
import cv2
import numpy as np

from colorpaint.core.color import draw_lines, multiply_lines, rgb_to_luma
from colorpaint.project.export import lineart_layer

BLUE, RED = (40, 60, 200), (220, 40, 40)


def _lineart():
    img = np.full((120, 160, 3), 255, np.uint8)
    cv2.circle(img, (80, 60), 45, (0, 0, 0), 3)
    cv2.line(img, (45, 70), (115, 70), BLUE, 3)  # a shadow line across the face
    cv2.line(img, (50, 45), (110, 45), RED, 3)  # a highlight line
    return img


def test_black_lines_are_multiplied_as_before_and_colored_ones_keep_their_color():
    line = _lineart()
    fill = np.full_like(line, 255)
    fill[20:100, 40:120] = (250, 215, 185)  # skin inside the circle
    out = draw_lines(fill, line)
    gray_only = line.copy()
    colored = (line.max(axis=2) != line.min(axis=2))
    gray_only[colored] = 255
    assert np.array_equal(draw_lines(fill, gray_only), multiply_lines(fill, rgb_to_luma(gray_only)))
    old = multiply_lines(fill, rgb_to_luma(line))  # before: lines multiplied as gray, near-black on skin
    for y, want in ((70, BLUE), (45, RED)):
        assert np.abs(out[y, 80].astype(int) - want).max() <= 16  # the ink over skin: its own color
        assert np.abs(old[y, 80].astype(int) - want).max() > 60
    white = np.full_like(line, 255)
    assert tuple(draw_lines(white, line)[70, 80]) == BLUE  # over white paper: exactly as drawn
    assert tuple(out[60, 35]) == (0, 0, 0)  # the black outline


def test_the_ora_line_layer_over_white_gives_the_drawn_lines():
    line = _lineart()
    layer = lineart_layer(line).astype(np.float32)
    a = layer[..., 3:] / 255.0
    over_white = 255 * (1 - a) + layer[..., :3] * a
    assert np.abs(over_white - line).max() <= 2


def test_the_engine_keeps_colored_lines_in_its_composite(tmp_path):
    from colorpaint.engine import jobs
    from colorpaint.engine.pipeline import ColorizeRequest, colorize
    from colorpaint.engine.session import Session

    from .helpers import tiny_weights

    w = tiny_weights("auto", tmp_path / "auto.safetensors")
    res = jobs.run(colorize(Session("cpu"), ColorizeRequest(_lineart(), model="auto", weights=str(w), input_kind="lineart")))
    b, r = res.composite[70, 80].astype(int), res.composite[45, 80].astype(int)
    assert b[2] > b[0] + 100 and b[2] > b[1] + 100  # the shadow line is still blue (was near-black)
    assert r[0] > r[1] + 100 and r[0] > r[2] + 100  # the highlight line still red
