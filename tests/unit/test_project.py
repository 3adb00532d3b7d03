"""The Qt-free document: strokes, undo, events, save/load, path confinement, exports."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from colorpaint.core.imageio import ImageError, load_image, save_image
from colorpaint.project import FrameResult, Project, ProjectError, Stroke, load_project, open_path, save_project
from colorpaint.project.appdata import Preferences, Recovery
from colorpaint.project.export import read_ora, write_ora
from colorpaint.project.io import snapshot


def draw_lineart(h=96, w=128, shift=0) -> np.ndarray:
    """Two closed shapes, black lines on white: HxWx3 uint8 RGB."""
    img = np.full((h, w, 3), 255, np.uint8)
    cv2.circle(img, (40 + shift, 48), 25, (0, 0, 0), 2)
    cv2.rectangle(img, (80 + shift, 20), (115 + shift, 75), (0, 0, 0), 2)
    return img


@pytest.fixture
def image_file(tmp_path):
    p = tmp_path / "src" / "line.png"
    save_image(p, draw_lineart())
    return p


@pytest.fixture
def project(image_file):
    return Project.from_images([image_file])


def brush(x0, y0, x1, y1, color=(255, 0, 0), size=6):
    return Stroke("brush", ((x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)), color, size)


def fake_result(p, frame, color=(10, 200, 30)):
    img = p.image(frame)
    col = np.empty_like(img)
    col[:] = color
    return FrameResult(col, (col * (img / 255.0)).astype(np.uint8), "lineart", "auto", 0.1, "CPU", p.new_rev())


def test_stroke_lands_in_hint_map_and_undo_redo(project):
    f = project.current_frame
    seen = []
    project.events.hints.connect(lambda frame, rect: seen.append(rect))
    project.hints(f)  # shown on the canvas: cached
    project.add_stroke(brush(30, 48, 50, 48))
    h = project.hints(f)
    assert h[48, 40, 3] == 255 and tuple(h[48, 40, :3]) == (255, 0, 0)
    assert h[10, 10, 3] == 0
    assert seen[-1] is not None  # incremental: only the stroke's rectangle changed
    project.add_stroke(Stroke("erase", ((40, 48),), size=6))
    assert project.hints(f)[48, 40, 3] == 0 and project.hints(f)[48, 32, 3] == 255
    assert project.history.texts() == ["Brush stroke", "Eraser stroke"]
    assert project.undo() and project.hints(f)[48, 40, 3] == 255
    assert project.undo() and not project.hints(f)[..., 3].any()
    assert not project.undo()
    assert project.redo() and project.redo() and project.hints(f)[48, 40, 3] == 0
    assert project.palette.recent[0] == (255, 0, 0)


def test_fill_covers_one_closed_region(project):
    f = project.current_frame
    assert project.add_stroke(Stroke("fill", ((40, 48),), (0, 0, 255)))
    m = project.hints(f)[..., 3] > 0
    assert m[48, 40] and m[30, 40] and not m[48, 97] and not m[5, 5]
    n = len(project.history.commands)
    assert not project.add_stroke(Stroke("fill", ((40, 23),), (0, 0, 255)))  # on a line: nothing to fill
    assert len(project.history.commands) == n
    project.clear_hints()
    assert not project.hints(f)[..., 3].any()
    project.undo()
    assert project.hints(f)[48, 40, 3] > 0


def test_result_undo_and_dirty_events(project):
    f = project.current_frame
    states = []
    project.events.dirty.connect(lambda dirty: states.append(dirty))
    assert not project.dirty
    r = fake_result(project, f)
    project.apply_result(r)
    assert f.result is r and project.dirty and states == [True]
    project.undo()
    assert f.result is None and not project.dirty and states == [True, False]
    project.redo()
    assert f.result is r


def test_save_load_round_trip(project, tmp_path, image_file):
    f = project.current_frame
    project.add_stroke(brush(30, 48, 50, 48))
    project.add_stroke(Stroke("fill", ((97, 48),), (0, 0, 255)))
    project.apply_result(fake_result(project, f))
    project.set_flags(f, key=True, corrected=True, drift=1.5)
    project.palette.save_color((1, 2, 3), "ink")
    project.set_model("temporal")
    project.set_setting("input_kind", "gray")
    folder = save_project(project, tmp_path / "demo.cpaint")
    assert not project.dirty
    doc = json.loads((folder / "project.json").read_text())
    src = doc["shots"][0]["frames"][0]["source"]
    assert not Path(src).is_absolute() and src.startswith("frames/")
    assert (folder / "corrected" / f"{f.id}_line.png").exists() and (folder / "corrected" / f"{f.id}_color.png").exists()
    assert load_image(image_file).tobytes() == load_image(folder / src).tobytes()  # source copied, untouched

    q = load_project(folder)
    g = q.current_frame
    assert g.strokes == f.strokes and g.key and g.corrected and g.drift == 1.5
    assert np.array_equal(q.hints(g), project.hints(f))
    assert np.array_equal(g.result.composite, f.result.composite) and np.array_equal(g.result.color, f.result.color)
    assert q.model == "temporal" and q.settings["input_kind"] == "gray" and ("ink", (1, 2, 3)) in q.palette.saved
    assert not q.dirty

    # a second save after a new result drops the old result files, keeps one pair
    q.apply_result(fake_result(q, g, (200, 10, 10)))
    save_project(q)
    assert len(list((folder / "results").glob("*.png"))) == 2
    assert np.array_equal(load_project(folder).current_frame.result.color[0, 0], [200, 10, 10])
    q.undo()  # the earlier result is still in memory for undo, even though its files are gone
    assert np.array_equal(q.current_frame.result.color[0, 0], [10, 200, 30])


def test_training_scan_reads_corrected(project, tmp_path):
    from colorpaint.training.datasets import scan

    f = project.current_frame
    project.apply_result(fake_result(project, f))
    project.set_flags(f, corrected=True)
    folder = save_project(project, tmp_path / "t.cpaint")
    tr, va, _, _ = scan([folder], scale=64, log=lambda *a: None)
    stills = tr + va
    assert len(stills) == 1 and stills[0].line is not None


@pytest.mark.parametrize("bad", ["/etc/passwd", "../outside.png", "frames/../../x.png", "C:\\x.png", "\\\\server\\x.png", "", 5])
def test_paths_are_confined(project, tmp_path, bad):
    folder = save_project(project, tmp_path / "c.cpaint")
    doc = json.loads((folder / "project.json").read_text())
    doc["shots"][0]["frames"][0]["source"] = bad
    (folder / "project.json").write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match="project.json"):
        load_project(folder)


def test_symlink_escape_refused(project, tmp_path, image_file):
    folder = save_project(project, tmp_path / "s.cpaint")
    (folder / "frames" / "link").symlink_to(image_file.parent)
    doc = json.loads((folder / "project.json").read_text())
    doc["shots"][0]["frames"][0]["source"] = "frames/link/line.png"
    (folder / "project.json").write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match="outside the project folder"):
        load_project(folder)


@pytest.mark.parametrize("text, msg", [("{not json", "broken project file"), ("[]", "not a ColorPaint project"),
                                       ('{"format": "colorpaint-project", "version": 1, "shots": 3}', "'shots' must be a list"),
                                       ('{"format": "colorpaint-project", "version": 99, "shots": []}', "newer")])
def test_broken_project_json(tmp_path, text, msg):
    folder = tmp_path / "b.cpaint"
    folder.mkdir()
    (folder / "project.json").write_text(text)
    with pytest.raises(ProjectError, match=msg):
        load_project(folder)


def test_save_is_atomic_when_writing_fails(project, tmp_path, monkeypatch):
    folder = save_project(project, tmp_path / "a.cpaint")
    before = (folder / "project.json").read_bytes()
    project.add_stroke(brush(30, 48, 50, 48))
    import colorpaint.core.atomic as atomic

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(ProjectError, match="No space left"):
        save_project(project)
    monkeypatch.undo()
    assert (folder / "project.json").read_bytes() == before
    assert not [p for p in folder.rglob("*.tmp")]
    assert project.dirty


def test_open_path_kinds(tmp_path, image_file):
    shot = tmp_path / "shot"
    for i in range(3):
        save_image(shot / f"frame{i + 1}.png", draw_lineart(shift=i * 3))
    p = open_path(shot)
    assert p.frame_count == 3 and [f.name for f in p.shots[0].frames] == ["frame1", "frame2", "frame3"]
    p.step(1)
    assert p.current == (0, 1)
    assert open_path(image_file).frame_count == 1
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    with pytest.raises(ImageError, match="bad.png"):
        open_path(bad)
    vid = tmp_path / "v.mp4"
    from colorpaint.core.frames import write_video

    write_video(vid, [draw_lineart(shift=i) for i in range(4)])
    pv = open_path(vid)
    assert pv.frame_count == 4 and pv.image(pv.current_frame).shape == (96, 128, 3)
    folder = save_project(pv, tmp_path / "v.cpaint")
    assert len(list((folder / "frames").glob("*.png"))) == 4
    assert load_project(folder).current_frame.video_index is None


def test_ora_layers(project, tmp_path):
    f = project.current_frame
    project.add_stroke(brush(30, 48, 50, 48))
    r = fake_result(project, f)
    out = write_ora(tmp_path / "x.ora", project.image(f), "lineart", r.color, r.composite, project.hints(f))
    with zipfile.ZipFile(out) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"image/openraster"
    layers, pngs = read_ora(out)
    assert [l["name"] for l in layers] == ["Hints", "Line art", "Color", "Paper"]
    for l in layers:
        assert pngs[l["src"]].shape[:2] == (96, 128)
    assert "mergedimage.png" in pngs and "Thumbnails/thumbnail.png" in pngs
    # the line layer composited over the color layer gives the merged image
    ink = pngs["data/lineart.png"][..., 3:4] / 255.0
    merged = pngs["data/color.png"][..., :3] * (1 - ink)
    assert np.abs(merged - pngs["mergedimage.png"].astype(float)).max() <= 2


def test_preferences_and_recovery(tmp_path, monkeypatch, project):
    monkeypatch.setenv("COLORPAINT_HOME", str(tmp_path / "home"))
    prefs = Preferences.load()
    prefs.work_size = 320
    prefs.add_recent(tmp_path / "a.png")
    prefs.save()
    assert Preferences.load().work_size == 320 and Preferences.load().recent_files[0].endswith("a.png")
    Preferences.path().write_text("{broken")
    assert Preferences.load().work_size == 256

    project.add_stroke(brush(30, 48, 50, 48))
    crashed = Recovery()
    crashed.write(snapshot(project), project.name, None)
    later = Recovery()
    (cand,) = later.candidates()
    q = later.recover(cand)
    assert q.dirty and q.current_frame.strokes == project.current_frame.strokes and q.path is None
    assert not later.candidates()
    folder = save_project(q, tmp_path / "r.cpaint")
    later.discard()
    assert load_project(folder).current_frame.strokes == project.current_frame.strokes


def test_document_layers_are_qt_free():
    code = ("import sys, colorpaint.project, colorpaint.project.io, colorpaint.project.export, colorpaint.project.appdata, "
            "colorpaint.engine.pipeline, colorpaint.core.regions, colorpaint.cli; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qimage2ndarray'))]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_rename_and_delete_a_shot_are_undo_steps(tmp_path):
    srcs = []
    for i in range(5):
        p = tmp_path / f"l{i}.png"
        save_image(p, draw_lineart(shift=i))
        srcs.append(p)
    proj = Project.from_images(srcs[:2])
    proj.add_shot("b", [(p, None) for p in srcs[2:]])
    assert [s.name for s in proj.shots][1] == "b"
    proj.set_current(1, 2)
    assert proj.rename_shot(1, "  cut  12 ") and proj.shots[1].name == "cut 12"
    assert not proj.rename_shot(1, "   ")  # nothing to name it
    assert proj.rename_shot(1, proj.shots[0].name) and proj.shots[1].name != proj.shots[0].name
    f = proj.shots[1].frames[0]
    proj.apply_result(fake_result(proj, f), f)
    assert proj.delete_shot(1) and len(proj.shots) == 1 and proj.current == (0, 0)
    assert not proj.delete_shot(0)  # a project keeps at least one shot
    assert proj.history.texts()[-1].startswith("Delete shot")
    proj.undo()  # the shot comes back with its frames and colors
    assert len(proj.shots) == 2 and proj.shots[1].frames[0].result is not None and proj.current == (1, 0)
    for _ in range(3):  # the colors, then both renames
        proj.undo()
    assert proj.shots[1].name == "b"
    folder = save_project(proj, tmp_path / "s.cpaint")
    assert [s.name for s in load_project(folder).shots][1] == "b"
