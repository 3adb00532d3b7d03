"""Animated shots from a rigged Synfig character: the bones move smoothly from a start pose
to an end pose, and only the rig's own exported bone angles change."""
from __future__ import annotations

import random
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training" / "data"))
import morevna_shots as S  # noqa: E402

SIF = b"""<?xml version="1.0" encoding="UTF-8"?>
<canvas version="1.2" width="480" height="270">
 <defs>
  <angle id="(stk)-elbow1-t" value="10.000000"/>
  <angle id="(stk)-head-t" value="-5.000000"/>
  <angle id="other-angle" value="33.000000"/>
 </defs>
 <layer type="circle" active="true"><param name="radius"><real value="1.0"/></param></layer>
</canvas>"""


def test_bones_move_smoothly_from_a_start_to_an_end_pose():
    base = S.bone_angles(SIF)
    assert base == {"(stk)-elbow1-t": 10.0, "(stk)-head-t": -5.0}  # only the rig's bones
    frames = S.shot_angles(base, 40, random.Random(1), max_turn=25.0)
    elbow = np.array([f["(stk)-elbow1-t"] for f in frames])
    head = np.array([f["(stk)-head-t"] for f in frames])
    assert len(frames) == 40
    assert np.abs(elbow - 10).max() <= 25 and np.abs(head + 5).max() <= 10  # head turns 0.4 as far
    steps = np.abs(np.diff(elbow))
    assert steps.max() <= 2.5 * np.abs(elbow[-1] - elbow[0]) / 39 + 1e-9  # eased: no jumps
    assert steps[0] < steps[19] and steps[-1] < steps[19]  # slow in, slow out


def test_a_posed_frame_changes_only_the_bones():
    doc = S.posed(SIF, {"(stk)-elbow1-t": 22.5})
    root = ET.fromstring(doc)
    vals = {el.get("id"): el.get("value") for el in root.find("defs")}
    assert float(vals["(stk)-elbow1-t"]) == 22.5 and float(vals["(stk)-head-t"]) == -5.0
    assert float(vals["other-angle"]) == 33.0 and root.find("layer").get("type") == "circle"


def test_one_crop_box_holds_every_frame():
    ims = []
    for x in (10, 60):
        a = np.zeros((100, 200, 4), np.uint8)
        a[20:50, x:x + 30] = 255
        ims.append(Image.fromarray(a, "RGBA"))
    x0, y0, x1, y1 = S.fit_box(ims)
    assert x0 <= 10 and x1 >= 90 and y0 <= 20 and y1 >= 50 and x1 - x0 == y1 - y0
    out = S.crop_to(ims[0], (x0, y0, x1, y1), 64, "RGB")
    assert out.size == (64, 64) and np.asarray(out)[0, 0].tolist() == [255, 255, 255]  # white page outside
