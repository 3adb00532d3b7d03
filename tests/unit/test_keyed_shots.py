"""Line-art shots with a key frame: the key's colors are carried, not re-invented."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorpaint.core.color import rgb_to_lab
from colorpaint.core.metrics import delta_e2000
from colorpaint.engine import jobs
from colorpaint.engine.sequence import colorize_sequence, sequence_request
from colorpaint.engine.session import Session

SIZE = 160
SHAPES = [  # (kind, params, fill RGB)
    ("rect", ((20, 24), (70, 80)), (220, 40, 50)),
    ("circle", ((112, 52), 28), (40, 90, 210)),
    ("rect", ((30, 100), (130, 140)), (250, 200, 60)),
]


def _draw(dx: int = 0, gaps: bool = False):
    """(line art HxWx3, colors HxWx3, per-shape interior masks) of the test drawing moved by ``dx``."""
    line = np.full((SIZE, SIZE), 255, np.uint8)
    color = np.full((SIZE, SIZE, 3), 255, np.uint8)
    masks = []
    for kind, prm, fill in SHAPES:
        m = np.zeros((SIZE, SIZE), np.uint8)
        if kind == "rect":
            (x0, y0), (x1, y1) = prm
            cv2.rectangle(m, (x0 + dx, y0), (x1 + dx, y1), 1, -1)
        else:
            (cx, cy), r = prm
            cv2.circle(m, (cx + dx, cy), r, 1, -1)
        color[m > 0] = fill
        masks.append(m > 0)
    for kind, prm, _ in SHAPES:
        if kind == "rect":
            (x0, y0), (x1, y1) = prm
            cv2.rectangle(line, (x0 + dx, y0), (x1 + dx, y1), 0, 2)
        else:
            (cx, cy), r = prm
            cv2.circle(line, (cx + dx, cy), r, 0, 2)
    if gaps:  # breaks of 1, 2 and 3 px in the outlines, as tracing leaves them
        line[40:41, 18 + dx:23 + dx] = 255  # left edge of the red square: 1 px
        line[52:54, 138 + dx:142 + dx] = 255  # right of the blue circle: 2 px
        line[115:118, 128 + dx:133 + dx] = 255  # right edge of the yellow bar: 3 px
        line[138:141, 80 + dx:81 + dx] = 255
    ink = line < 128
    key = color.copy()
    key[ink] = 0
    interiors = [cv2.erode(m.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) for m in masks]
    return np.repeat(line[..., None], 3, 2), key, interiors


def _shot(frames, key, **opts):
    base = sequence_request(frames[0], "temporal", input_kind="lineart", **opts)
    results, _ = jobs.run(colorize_sequence(Session("cpu"), frames, base, keys={0: key}))
    return results


def test_a_shot_that_does_not_move_repeats_its_key_on_every_frame():
    line, key, _ = _draw()
    results = _shot([line] * 5, key)
    for i, r in enumerate(results[1:], 1):
        diff = np.abs(r.astype(int) - key.astype(int))
        assert diff.max() <= 1, f"frame {i}: {np.count_nonzero(diff.max(2) > 1)} pixels differ from the key (max {diff.max()})"


def test_a_translating_shot_keeps_the_keys_colors_away_from_the_disoccluded_band():
    step, n = 3, 6
    shots = [_draw(dx=step * t) for t in range(n)]
    frames = [s[0] for s in shots]
    results = _shot(frames, shots[0][1])
    for t in range(1, n):
        _, truth, interiors = shots[t]
        for (_, _, fill), inner in zip(SHAPES, interiors):
            got = rgb_to_lab(results[t])[inner]
            de = delta_e2000(got, np.broadcast_to(rgb_to_lab(np.array([[fill]], np.uint8))[0, 0], got.shape))
            assert np.median(de) < 2 and np.mean(de) < 2, f"frame {t}, shape {fill}: ΔE00 median {np.median(de):.1f}, mean {np.mean(de):.1f}"
        away = np.zeros((SIZE, SIZE), bool)
        away[:, step * t + 4:] = True  # the band uncovered at the left edge is new paper
        ink = cv2.dilate((frames[t][..., 0] < 128).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        m = away & ~ink
        de = delta_e2000(rgb_to_lab(results[t])[m], rgb_to_lab(truth)[m])
        assert de.mean() < 2, f"frame {t}: mean ΔE00 {de.mean():.2f} off the lines"


@pytest.mark.parametrize("move", [0, 2])
def test_flat_shot_on_lines_with_gaps_gives_one_color_per_shape(move):
    n = 4
    shots = [_draw(dx=move * t, gaps=True) for t in range(n)]
    frames = [s[0] for s in shots]
    results = _shot(frames, shots[0][1], flat=True)
    for t in range(1, n):
        _, _, interiors = shots[t]
        for (_, _, fill), inner in zip(SHAPES, interiors):
            px = results[t][inner].reshape(-1, 3)
            colors = np.unique(px, axis=0)
            assert len(colors) == 1, f"frame {t}, shape {fill}: {len(colors)} colors inside one shape"
            de = delta_e2000(rgb_to_lab(colors[None])[0], rgb_to_lab(np.array([[fill]], np.uint8))[0])
            assert de.max() < 2, f"frame {t}, shape {fill}: got {colors[0]}"
        page = ~np.any([cv2.dilate(i.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool) for i in interiors], 0)
        page &= frames[t][..., 0] > 128
        page[:, :move * t + 4] = False
        assert (results[t][page] >= 250).all(), f"frame {t}: a shape's color leaked onto the page"
