"""Hostile JSON in the files ColorPaint reads: project.json, preferences, recovery notes.

Whatever a file holds, the artist gets one clean message naming the file, or a project that
opens, keeps its other strokes and frames, shows every frame and saves again. Deep nesting
used to raise RecursionError (so a bad preferences file or recovery note kept the window
from starting), ``1e999`` OverflowError, and NaN points, a huge or negative brush size, an
opacity of NaN or 2 or a fill gap of 1e9 loaded, then failed on first display and on every
save.
"""
from __future__ import annotations

import json
import os
import re

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colorpaint.core.imageio import ImageError, save_image
from colorpaint.project import FrameResult, Project, ProjectError, Stroke, load_project, save_project
from colorpaint.project.appdata import Preferences, Recovery
from colorpaint.project.io import snapshot
from colorpaint.project.strokes import rasterize

FUZZ = settings(max_examples=min(150, int(os.environ.get("COLORPAINT_FUZZ_EXAMPLES", "150"))), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])

DEEP = "[" * 100_000 + "]" * 100_000
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def _lineart(shift=0) -> np.ndarray:
    img = np.full((96, 128, 3), 255, np.uint8)
    cv2.circle(img, (40 + shift, 48), 25, (0, 0, 0), 2)
    cv2.rectangle(img, (80, 20), (115, 75), (0, 0, 0), 2)
    return img


@pytest.fixture
def saved(tmp_path):
    """A saved two-frame project: frame 0 has a red stroke, a green dab and a blue fill,
    frame 1 a red stroke and a colorize result. Returns its folder."""
    srcs = []
    for i in range(2):
        save_image(tmp_path / "src" / f"line{i}.png", _lineart(i))
        srcs.append(tmp_path / "src" / f"line{i}.png")
    p = Project.from_images(srcs)
    f0, f1 = p.shots[0].frames
    p.add_stroke(Stroke("brush", ((30, 48), (40, 48), (50, 48)), RED, 6), f0)
    p.add_stroke(Stroke("brush", ((12, 12),), GREEN, 6), f0)
    assert p.add_stroke(Stroke("fill", ((97, 60),), BLUE), f0)
    p.add_stroke(Stroke("brush", ((35, 40), (45, 40)), RED, 4), f1)
    col = np.full((96, 128, 3), 90, np.uint8)
    p.apply_result(FrameResult(col, col, "lineart", "auto", 0.1, "CPU", p.new_rev()), f1)
    return save_project(p, tmp_path / "a.cpaint")


def _doc(folder) -> dict:
    return json.loads((folder / "project.json").read_text(encoding="utf-8"))


def _write(folder, doc, replace: dict | None = None) -> None:
    text = json.dumps(doc, indent=1)  # NaN and Infinity as Python writes them
    for a, b in (replace or {}).items():
        assert a in text
        text = text.replace(a, b)
    (folder / "project.json").write_text(text, encoding="utf-8")


def _stroke(doc, frame: int, i: int) -> dict:
    return doc["shots"][0]["frames"][frame]["strokes"][i]


def _shown(q: Project) -> dict:
    """Show every frame as the window does, rasterize its strokes, save the project to a new
    folder and open that again: what the artist would do next. Returns frame id -> hint map."""
    maps = {}
    for f in q.frames():
        maps[f.id] = q.hints(f)
        h, w = q.image(f).shape[:2]
        (gap,) = {s.gap for s in f.strokes if s.kind == "fill"} or {q.settings.get("gap", 2)}
        assert np.array_equal(rasterize(f.strokes, h, w, q.labels(f, gap)), maps[f.id])
    again = save_project(q, q.path.parent / f"again{len(list(q.path.parent.glob('again*')))}.cpaint")
    r = load_project(again)
    assert [f.strokes for f in r.frames()] == [f.strokes for f in q.frames()]
    assert r.settings == q.settings and [s.fps for s in r.shots] == [s.fps for s in q.shots]
    assert not r.load_warnings  # what was repaired stays repaired
    for f in r.frames():
        assert np.array_equal(r.hints(f), maps[f.id])
    return maps


def _one_line_naming(err, path) -> None:
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg and len(msg) < 300


# ----------------------------------------------------------------------------- nesting
def test_deeply_nested_project_file_is_refused_cleanly(saved):
    text = (saved / "project.json").read_text(encoding="utf-8")
    (saved / "project.json").write_text(text.replace('"shots":', f'"extra": {DEEP}, "shots":', 1), encoding="utf-8")
    with pytest.raises(ProjectError) as e:
        load_project(saved)
    _one_line_naming(e, saved / "project.json")
    assert "nest" in str(e.value)


def test_deeply_nested_preferences_give_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORPAINT_HOME", str(tmp_path / "home"))
    Preferences.path().parent.mkdir(parents=True)
    Preferences.path().write_text('{"work_size": 512, "recent_files": ' + DEEP + "}", encoding="utf-8")
    p = Preferences.load()  # the window starts, with the defaults
    assert p == Preferences()


def test_bad_preferences_values_keep_their_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORPAINT_HOME", str(tmp_path / "home"))
    Preferences.path().parent.mkdir(parents=True)
    Preferences.path().write_text('{"work_size": 512, "brush_size": NaN, "autosave_minutes": 1e999, "recent_files": ["/a.png", 5, [1]],'
                                  ' "weights": {"auto": 7, "temporal": "/w.safetensors"}}', encoding="utf-8")
    p = Preferences.load()
    assert p.work_size == 512 and p.brush_size == Preferences().brush_size and p.autosave_minutes == Preferences().autosave_minutes
    assert p.recent_files == ["/a.png"] and p.weights == {"temporal": "/w.safetensors"}


def test_deeply_nested_recovery_note_skips_that_slot(tmp_path):
    src = tmp_path / "line.png"
    save_image(src, _lineart())
    p = Project.from_images([src])
    p.add_stroke(Stroke("brush", ((30, 48), (50, 48)), RED, 6))
    root = tmp_path / "recovery"
    good = Recovery(root)
    good.write(snapshot(p), "good", None)
    bad = Recovery(root)
    bad.write(snapshot(p), "bad", None)
    (bad.slot / "recovery.json").write_text('{"saved_at": 1, "name": "bad", "x": ' + DEEP + "}", encoding="utf-8")
    odd = Recovery(root)
    odd.write(snapshot(p), "odd", None)
    (odd.slot / "recovery.json").write_text('{"saved_at": 1e999, "name": "odd"}', encoding="utf-8")
    found = Recovery(root).candidates()  # the window starts and offers the good slot
    assert [c.name for c in found] == ["good"]
    q = Recovery(root).recover(found[0])
    assert q.current_frame.strokes == p.current_frame.strokes


# ----------------------------------------------------------------------------- numbers
def test_numbers_beyond_float_range(saved):
    doc = _doc(saved)
    doc["next_id"], doc["next_rev"] = 123456, 654321
    doc["shots"][0]["fps"] = 12.5
    _stroke(doc, 1, 0)["size"] = 7.5
    _write(saved, doc, {'"next_id": 123456': '"next_id": 1e999', '"next_rev": 654321': '"next_rev": -1e999',
                        '"fps": 12.5': '"fps": 1e999', '"size": 7.5': '"size": 1e999'})
    q = load_project(saved)
    assert q.next_id == 3 and q.next_rev >= 2  # counted again from what the project holds
    assert q.shots[0].fps == 1000.0 and q.shots[0].frames[1].strokes[0].size == 500.0
    assert len(q.load_warnings) == 4
    _shown(q)
    q.add_shot("more", [(q.shots[0].frames[0].source, None)])  # new frames still get fresh ids
    assert len({f.id for f in q.frames()}) == 3


def test_nan_points_drop_only_that_stroke(saved):
    doc = _doc(saved)
    _stroke(doc, 0, 0)["points"][1] = [float("nan"), 48.0]
    _stroke(doc, 1, 0)["points"][0] = [float("inf"), 40.0]
    _write(saved, doc)
    q = load_project(saved)
    maps = _shown(q)
    f0, f1 = q.shots[0].frames
    assert tuple(maps[f0.id][12, 12]) == (*GREEN, 255) and maps[f0.id][48, 40, 3] == 0
    assert [s.color for s in f0.strokes] == [GREEN, BLUE] and f1.strokes == () and f1.result is not None
    assert len(q.load_warnings) == 2 and all("stroke 0" in w and "left out" in w for w in q.load_warnings)


def test_huge_brush_size_is_clamped(saved):
    doc = _doc(saved)
    _stroke(doc, 0, 0)["size"] = 1e300
    _write(saved, doc)
    q = load_project(saved)
    maps = _shown(q)
    f0 = q.shots[0].frames[0]
    assert maps[f0.id][0, 0, 3] > 0  # drawn with the largest brush, 500 px: it covers the whole frame
    assert f0.strokes[0].size == 500.0 and len(f0.strokes) == 3 and q.load_warnings


def test_negative_brush_size_still_shows_the_dab(saved):
    doc = _doc(saved)
    _stroke(doc, 0, 1)["size"] = -10
    _write(saved, doc)
    q = load_project(saved)
    f0 = q.shots[0].frames[0]
    assert tuple(q.hints(f0)[12, 12]) == (*GREEN, 255)  # the green dab shows where it was painted
    assert f0.strokes[1].size >= 1
    _shown(q)


@pytest.mark.parametrize("opacity", [float("nan"), 2])
def test_bad_opacity_is_brought_into_range(saved, opacity):
    doc = _doc(saved)
    _stroke(doc, 0, 0)["opacity"] = opacity
    _stroke(doc, 0, 2)["opacity"] = -3
    _write(saved, doc)
    q = load_project(saved)
    maps = _shown(q)
    assert tuple(maps[q.shots[0].frames[0].id][48, 40]) == (*RED, 255)
    s0, _, s2 = q.shots[0].frames[0].strokes
    assert 0 <= s0.opacity <= 1 and 0 <= s2.opacity <= 1 and len(q.load_warnings) == 2


def test_huge_fill_gap_is_clamped(saved):
    doc = _doc(saved)
    doc["settings"]["gap"] = 1e9
    _stroke(doc, 0, 2)["gap"] = 1e9
    _write(saved, doc)
    q = load_project(saved)
    # checked before showing: closing 1e9 px gaps would ask OpenCV for a 1e9 x 1e9 kernel
    assert 0 <= q.settings["gap"] <= 16 and 0 <= q.shots[0].frames[0].strokes[2].gap <= 16
    maps = _shown(q)
    assert tuple(maps[q.shots[0].frames[0].id][60, 97]) == (*BLUE, 255)  # the fill still fills its box


def test_hostile_fps_ids_and_current_frame(saved):
    doc = _doc(saved)
    doc["shots"][0]["fps"] = float("nan")
    doc["next_id"], doc["next_rev"] = "many", -7
    doc["current"] = {"shot": -1, "frame": 1e300}
    doc["settings"].update(input_kind=["gray"], use_palette="yes", steady=float("-inf"), drift_threshold=1e999,
                           model_versions={"auto": 3, "temporal": "/w.safetensors"})
    doc["shots"][0]["frames"][1]["drift"] = float("nan")
    doc["shots"][0]["frames"][1]["result"]["rev"] = 1e999
    doc["shots"][0]["frames"][1]["result"]["seconds"] = float("-inf")
    _write(saved, doc)
    q = load_project(saved)
    assert q.shots[0].fps == 24.0 and q.current == (0, 0) and q.next_id == 3
    assert q.settings["input_kind"] == "auto" and q.settings["use_palette"] is False and q.settings["steady"] == 0.0
    assert q.settings["drift_threshold"] == 100.0 and q.settings["model_versions"] == {"temporal": "/w.safetensors"}
    f1 = q.shots[0].frames[1]
    assert f1.drift is None and f1.result.seconds == 0.0 and f1.result.rev >= 1 and q.next_rev > f1.result.rev
    assert len(q.load_warnings) >= 10
    _shown(q)
    assert np.array_equal(load_project(q.path).shots[0].frames[1].result.color, np.full((96, 128, 3), 90, np.uint8))


# ----------------------------------------------------------------------------- fuzz
_NUMBER = re.compile(rb'"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)')  # group 1: a number outside strings
VALUES = [b"1e999", b"-1e999", b"NaN", b"Infinity", b"-Infinity", b"1e300", b"-1e300", b"1e9", b"-5", b"0", b"2", b"0.5",
          b"9" * 60, b"1.5e308", b"true", b"null", b'"x"', b"[]", b"{}", b"[[1, 2]]", b'{"a": [1e999]}']
HOSTILE = VALUES + [b"[" * 70 + b"]" * 70, b"[" * 100_000 + b"]" * 100_000, b'",', b"]", b"\xff"]


def _seeds(folder) -> list[bytes]:
    """project.json as saved, one declaring numbers beyond any range, one with a NaN stroke, and
    ones nested 60 (allowed), 100 and 100,000 deep; the loadable ones weigh more."""
    good = json.loads((folder / "project.json").read_bytes())
    dump = lambda d: json.dumps(d, indent=1).encode()
    big = json.loads(dump(good))
    big["next_id"] = big["next_rev"] = float("inf")
    big["shots"][0]["fps"] = big["settings"]["gap"] = float("inf")
    big["shots"][0]["frames"][1]["result"]["rev"] = big["shots"][0]["frames"][1]["drift"] = float("inf")
    for f in big["shots"][0]["frames"]:
        for s in f["strokes"]:
            s["points"][0] = [1e308, -1e308]
            s["size"] = s["opacity"] = s["gap"] = float("inf")
    nan = json.loads(dump(good))
    nan["shots"][0]["frames"][0]["strokes"].append({"kind": "brush", "points": [[float("nan"), 1]], "color": [1, 2, 3]})
    deep = []
    for depth in (60, 100, 100_000):
        d = json.loads(dump(good))
        d["settings"]["nested"] = None
        deep.append(dump(d).replace(b'"nested": null', b'"nested": ' + b"[" * depth + b"]" * depth))
    return [dump(good), dump(big).replace(b"Infinity", b"1e999"), dump(nan), deep[0]] * 3 + deep[1:]


@st.composite
def mutated(draw, seeds):
    """A seed with 1-5 of its numbers replaced by hostile values (still JSON), then sometimes
    one blunt byte edit: a hostile token inserted anywhere, a bit flipped, a cut."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 5))):
        spans = [m.span(1) for m in _NUMBER.finditer(bytes(data)) if m.group(1)]
        if spans:
            a, b = draw(st.sampled_from(spans))
            data[a:b] = draw(st.sampled_from(VALUES))
    op = draw(st.sampled_from(["none"] * 3 + ["hostile", "flip", "truncate", "delete"]))
    pos = draw(st.integers(0, max(len(data) - 1, 0)))
    if op == "hostile":
        data[pos:pos] = draw(st.sampled_from(HOSTILE))
    elif op == "flip" and data:
        data[pos] ^= 1 << draw(st.integers(0, 7))
    elif op == "truncate":
        data = data[:pos]
    elif op == "delete":
        del data[pos:pos + draw(st.integers(1, 16))]
    return bytes(data)


def test_project_file_fuzz(saved):
    jp = saved / "project.json"
    seeds = _seeds(saved)
    out = saved.parent / "out"
    runs = iter(range(10**9))

    @FUZZ
    @given(data=mutated(seeds))
    def run(data):
        jp.write_bytes(data)
        try:
            q = load_project(saved)
        except ProjectError as e:
            assert str(jp) in str(e) and "\n" not in str(e)
            return
        missing = False
        for f in q.frames():
            try:
                h, w = q.image(f).shape[:2]
                q.hints(f)
                labels = q.labels(f, q.settings.get("gap", 2))
            except ImageError:  # a source path mutated to a file that is no image: said when shown
                h, w, labels, missing = 96, 128, np.ones((96, 128), np.int32), True
            rasterize(f.strokes, h, w, labels)
            missing |= f.result is not None and not all(p.is_file() for p in f.result.files)
        try:
            folder = save_project(q, out / f"{next(runs)}.cpaint")
        except ProjectError as e:
            assert missing and "\n" not in str(e)
            return
        r = load_project(folder)
        assert [f.strokes for f in r.frames()] == [f.strokes for f in q.frames()] and not r.load_warnings

    run()
