"""The Gap setting reaches the hint rules: a break in a line narrower than the gap closes a
shape for a stroke's color, a wider one lets the color through to the shape next door."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize
from colorpaint.engine.session import Session

BLUE = (30, 60, 220)


@pytest.mark.parametrize("model", ["histogram", "color-apply"])
def test_the_gap_decides_whether_a_stroke_fills_the_shape_past_a_break(model):
    """With the bundled weights: two boxes sharing a wall with a 5 px break in it, a blue
    stroke in the left box. At gap 2 the break leaks: both boxes are one shape and both turn
    blue. At gap 8 the break is closed: the right box keeps its no-hint colors."""
    line = np.full((96, 160), 255, np.uint8)
    cv2.rectangle(line, (4, 4), (80, 90), 0, 2)
    cv2.rectangle(line, (80, 4), (156, 90), 0, 2)
    line[60:65, 76:85] = 255  # the break in the wall (x = 79..81)
    img = np.repeat(line[..., None], 3, 2)
    hints = np.zeros((96, 160, 4), np.uint8)
    hints[20:32, 20:50] = (*BLUE, 255)
    s = Session("cpu")
    run = lambda **kw: jobs.run(colorize(s, ColorizeRequest(img, model=model, input_kind="lineart", **kw))).color
    right = (slice(15, 50), slice(100, 145))  # inside the right box, away from the break
    leaked = run(hints=hints, options={"gap": 2})
    assert np.abs(leaked[right].astype(int) - BLUE).max() <= 3
    closed, plain = run(hints=hints, options={"gap": 8}), run(options={"gap": 8})
    assert np.abs(closed[26, 35].astype(int) - BLUE).max() <= 3
    assert np.array_equal(closed[right], plain[right])
