"""The painting window, driven like an artist would: mouse strokes, buttons, keys."""
import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QPushButton, QToolButton

from colorpaint.engine.jobs import CancelToken, Progress
from colorpaint.gui.canvas import HintCanvas
from colorpaint.project import load_project
from colorpaint.project.export import read_ora

OBJECT_NAMES = ["canvas", "colorizeButton", "modelPicker", "brushTool", "eraserTool", "eyedropperTool", "fillTool", "palette",
                "liveToggle", "undoButton", "redoButton"]


def view_pos(canvas: HintCanvas, x: float, y: float):
    return canvas.mapFromScene(QPointF(x, y))


def drag(canvas: HintCanvas, points, qtbot=None):
    """Press, move through ``points`` (image pixels), release: one stroke."""
    vp = canvas.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_pos(canvas, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(vp, view_pos(canvas, *p))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_pos(canvas, *points[-1]))


def click_image(canvas: HintCanvas, x, y):
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_pos(canvas, x, y))


@pytest.fixture
def opened(window, sample_frames):
    assert window.open_path(sample_frames / "frame1.png")
    return window


def test_automation_names(window):
    for name in OBJECT_NAMES:
        assert window.findChild(object, name) is not None, name
    assert window.findChild(QPushButton, "colorizeButton").text() == "Colorize"


def test_paint_stroke_lands_in_hint_layer(opened, qtbot):
    canvas = opened.findChild(HintCanvas, "canvas")
    frame = opened.project.current_frame
    opened.set_color((0, 0, 255))
    drag(canvas, [(30, 60), (45, 62), (60, 60), (75, 58)])
    assert opened.project.history.texts() == ["Brush stroke"]
    (stroke,) = frame.strokes
    assert stroke.kind == "brush" and stroke.color == (0, 0, 255) and len(stroke.points) >= 3
    layer = canvas.hint_layer()
    hints = opened.project.hints(frame)
    assert hints[60, 50, 3] > 0 and tuple(hints[60, 50, :3]) == (0, 0, 255)
    assert layer[60, 50, 3] > 0 and tuple(layer[60, 50, :3]) == (0, 0, 255)  # on screen too
    assert layer[10, 10, 3] == 0
    assert opened.findChild(QToolButton, "undoButton").isEnabled()
    assert opened.project.palette.recent[0] == (0, 0, 255)


def test_eraser_fill_and_tools(opened, qtbot):
    canvas = opened.canvas
    frame = opened.project.current_frame
    drag(canvas, [(30, 60), (80, 60)])
    qtbot.mouseClick(opened.findChild(QToolButton, "eraserTool"), Qt.MouseButton.LeftButton)
    assert canvas.tool == "erase"
    drag(canvas, [(50, 50), (50, 70)])
    assert opened.project.hints(frame)[60, 50, 3] == 0 and opened.project.hints(frame)[60, 35, 3] > 0
    qtbot.mouseClick(opened.findChild(QToolButton, "fillTool"), Qt.MouseButton.LeftButton)
    opened.set_color((0, 200, 0))
    click_image(canvas, 125, 60)  # inside the rectangle
    h = opened.project.hints(frame)
    assert tuple(h[40, 110, :3]) == (0, 200, 0) and h[40, 110, 3] > 0 and h[10, 10, 3] == 0
    assert opened.project.history.texts() == ["Brush stroke", "Eraser stroke", "Fill"]
    qtbot.mouseClick(opened.findChild(QToolButton, "eyedropperTool"), Qt.MouseButton.LeftButton)
    click_image(canvas, 3, 3)  # white paper
    assert opened.canvas.brush_color == (255, 255, 255)
    # palette swatches choose the brush color
    palette = opened.findChild(object, "palette")
    first = palette.buttons[0]
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton)
    assert opened.canvas.brush_color == opened.project.palette.recent[0]
    # [ and ] change the brush size
    size = canvas.brush_size
    QTest.keyClick(opened, Qt.Key.Key_BracketRight)
    assert canvas.brush_size > size and opened.size_spin.value() == round(canvas.brush_size)


def test_colorize_with_tiny_model(opened, qtbot):
    frame = opened.project.current_frame
    drag(opened.canvas, [(30, 60), (60, 60)])
    qtbot.mouseClick(opened.findChild(QPushButton, "colorizeButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: frame.result is not None, timeout=60000)
    r = frame.result
    assert r.model == "auto" and r.color.shape == (120, 160, 3) and r.composite.shape == (120, 160, 3)
    assert opened.project.history.texts()[-1] == "Colorize (auto)"
    assert "CPU" in opened.device_label.text() and opened.time_label.text().endswith(" s")
    assert opened.canvas.item.color.image is not None
    qtbot.waitUntil(lambda: not opened.progress.isVisible())


def test_model_picker_sets_project_model(opened, qtbot):
    picker = opened.findChild(object, "modelPicker")
    picker.setCurrentIndex(picker.findData("temporal"))
    assert opened.project.model == "temporal"
    frame = opened.project.current_frame
    opened.colorize()
    qtbot.waitUntil(lambda: frame.result is not None, timeout=60000)
    assert frame.result.model == "temporal"


def slow_engine(calls=None, steps=300, delay=0.02):
    def engine(request, cancel: CancelToken):
        if calls is not None:
            calls.append(request)
        for i in range(steps):
            time.sleep(delay)
            cancel.check()
            yield Progress(i / steps, f"step {i}")
        raise AssertionError("the slow job should have been cancelled")

    return engine


def test_cancel_running_colorize(opened, qtbot):
    frame = opened.project.current_frame
    opened.engine = slow_engine()
    opened.colorize()
    qtbot.waitUntil(lambda: opened.progress.value() > 0, timeout=10000)
    assert opened.progress.isVisible() and opened.cancel_button.isVisible()
    drag(opened.canvas, [(30, 60), (60, 60)])  # the canvas keeps working meanwhile
    assert len(frame.strokes) == 1
    QTest.keyClick(opened, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not opened.runner.busy, timeout=5000)
    qtbot.waitUntil(lambda: not opened.progress.isVisible())
    assert frame.result is None and "cancelled" in opened.statusBar().currentMessage().lower()


def test_live_mode_latest_request_wins(opened, qtbot):
    calls, applied = [], []

    def engine(request, cancel):
        calls.append(request)
        for _ in range(10):
            time.sleep(0.01)
            cancel.check()
            yield Progress(0.5)
        n = int((request.hints[..., 3] > 0).sum()) if request.hints is not None else 0
        applied.append(n)
        img = np.full(request.image.shape, min(255, n // 10), np.uint8)
        from colorpaint.engine.pipeline import ColorizeResult

        return ColorizeResult(img, img, "lineart", request.model, 0.1, "fake")

    opened.engine = engine
    qtbot.mouseClick(opened.findChild(QToolButton, "liveToggle"), Qt.MouseButton.LeftButton)
    assert opened.live_on
    frame = opened.project.current_frame
    qtbot.waitUntil(lambda: frame.result is not None, timeout=5000)  # turning Live on colorizes once
    for y in (20, 40, 60, 80, 100):  # a quick burst of strokes
        drag(opened.canvas, [(20, y), (140, y)])
    qtbot.waitUntil(lambda: not opened.colorizing, timeout=10000)
    final = int((opened.project.hints(frame)[..., 3] > 0).sum())
    assert applied[-1] == final  # the last request is the one that landed
    assert len(calls) < 1 + 5  # superseded requests were dropped or cancelled
    assert opened.project.history.texts() == ["Brush stroke"] * 5  # live results are not undo steps
    assert frame.result.composite[0, 0, 0] == min(255, final // 10)


def test_undo_redo(opened, qtbot):
    frame = opened.project.current_frame
    drag(opened.canvas, [(30, 60), (60, 60)])
    drag(opened.canvas, [(30, 90), (60, 90)])
    hints = lambda: opened.project.hints(frame)
    assert hints()[60, 45, 3] and hints()[90, 45, 3]
    QTest.keyClick(opened, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert hints()[60, 45, 3] and not hints()[90, 45, 3]
    assert not opened.canvas.hint_layer()[90, 45, 3]
    qtbot.mouseClick(opened.findChild(QToolButton, "undoButton"), Qt.MouseButton.LeftButton)
    assert not hints()[..., 3].any() and not opened.findChild(QToolButton, "undoButton").isEnabled()
    QTest.keyClick(opened, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert hints()[60, 45, 3] and not hints()[90, 45, 3]
    qtbot.mouseClick(opened.findChild(QToolButton, "redoButton"), Qt.MouseButton.LeftButton)
    assert hints()[90, 45, 3] and opened.canvas.hint_layer()[90, 45, 3]
    # the history list jumps back and forth too
    hist = opened.history_panel
    assert hist.count() == 3 and hist.currentRow() == 2
    hist.setCurrentRow(0)
    assert not frame.strokes
    hist.setCurrentRow(2)
    assert len(frame.strokes) == 2


def test_undo_colorize_result(opened, qtbot):
    frame = opened.project.current_frame
    opened.colorize()
    qtbot.waitUntil(lambda: frame.result is not None, timeout=60000)
    opened.undo()
    assert frame.result is None and opened.canvas.item.color.image is None
    opened.redo()
    assert frame.result is not None and opened.canvas.item.color.image is not None


def test_save_reopen_compare(opened, qtbot, tmp_path, window):
    frame = opened.project.current_frame
    drag(opened.canvas, [(30, 60), (60, 60)])
    opened.set_tool("fill")
    click_image(opened.canvas, 125, 60)
    opened.colorize()
    qtbot.waitUntil(lambda: frame.result is not None, timeout=60000)
    opened.project.palette.save_color((1, 2, 3), "ink")
    assert opened.project.dirty and opened.windowTitle().startswith(opened.project.name + "*")
    assert opened.save(tmp_path / "demo")
    qtbot.waitUntil(lambda: not opened.project.dirty, timeout=10000)
    folder = tmp_path / "demo.cpaint"
    assert (folder / "project.json").exists() and opened.project.path == folder
    assert "*" not in opened.windowTitle()

    hints_before = opened.project.hints(frame).copy()
    color_before = np.array(frame.result.color)
    opened.project.clear_hints()  # then reopen what was saved
    assert opened.open_path(folder)
    g = opened.project.current_frame
    assert len(g.strokes) == 2 and np.array_equal(opened.project.hints(g), hints_before)
    assert np.array_equal(g.result.color, color_before)
    assert ("ink", (1, 2, 3)) in opened.project.palette.saved
    assert np.array_equal(opened.canvas.hint_layer(), hints_before)
    assert load_project(folder).current_frame.strokes == g.strokes


def test_export_ora_png_and_color_layer(opened, qtbot, tmp_path):
    frame = opened.project.current_frame
    drag(opened.canvas, [(30, 60), (60, 60)])
    opened.colorize()
    qtbot.waitUntil(lambda: frame.result is not None, timeout=60000)
    paths = {k: tmp_path / f"out_{k}.{'ora' if k == 'ora' else 'png'}" for k in ("ora", "png", "color")}
    for k, p in paths.items():
        opened.export(k, p)
    qtbot.waitUntil(lambda: all(p.exists() for p in paths.values()) and not opened.io.busy, timeout=10000)
    layers, pngs = read_ora(paths["ora"])
    assert [l["name"] for l in layers] == ["Hints", "Line art", "Color", "Paper"]
    for l in layers:
        assert pngs[l["src"]].shape[:2] == (120, 160)
    assert np.array_equal(pngs["data/hints.png"], opened.project.hints(frame))
    assert np.array_equal(pngs["data/color.png"][..., :3], frame.result.color)
    assert np.array_equal(pngs["mergedimage.png"][..., :3], frame.result.composite)
    from colorpaint.core.imageio import load_image

    assert np.array_equal(load_image(paths["png"]), frame.result.composite)
    from PIL import Image

    with Image.open(paths["color"]) as im:
        assert im.mode == "RGBA" and im.getextrema()[3][0] < 128  # the lines are cut out


def test_bad_image_shows_error_and_keeps_work(opened, qtbot, tmp_path):
    drag(opened.canvas, [(30, 60), (60, 60)])
    project = opened.project
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert not opened.open_path(bad)
    box = opened.findChild(QMessageBox, "errorDialog")
    assert box is not None and box.isVisible()
    assert "broken.png" in box.text() and "corrupt" in box.text() or "not an image" in box.text()
    assert opened.project is project and len(project.current_frame.strokes) == 1
    box.accept()
    qtbot.waitUntil(lambda: opened.findChild(QMessageBox, "errorDialog") is None or not box.isVisible())
    drag(opened.canvas, [(30, 90), (60, 90)])  # still usable
    assert len(project.current_frame.strokes) == 2


def test_missing_weights_message_not_crash(opened, qtbot, tmp_path, monkeypatch):
    from colorpaint.models import registry

    monkeypatch.setattr(registry, "RESOURCES", tmp_path / "no-models")  # as on a checkout without weights
    opened.model_weights.pop("auto")
    opened.colorize()
    qtbot.waitUntil(lambda: opened.prompts.last_error is not None, timeout=30000)
    assert "no bundled weights" in opened.prompts.last_error
    assert opened.project.current_frame.result is None
    opened.findChild(QMessageBox, "errorDialog").accept()


def test_folder_opens_as_shot_and_frames_navigate(window, qtbot, sample_frames):
    assert window.open_path(sample_frames)
    assert window.project.frame_count == 3 and "1/3" in window.frame_label.text()
    drag(window.canvas, [(30, 60), (60, 60)])
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    assert window.project.current == (0, 1) and "2/3" in window.frame_label.text()
    assert not window.canvas.hint_layer()[..., 3].any()  # frame 2 has its own hints
    QTest.keyClick(window, Qt.Key.Key_PageUp)
    assert window.canvas.hint_layer()[60, 45, 3] > 0


def test_layers_and_compare(opened, qtbot):
    opened.layers_panel.checks["hints"].setChecked(False)
    assert not opened.canvas.item.visible["hints"] and not opened.act_hints.isChecked()
    opened.layers_panel.sliders["color"].setValue(40)
    assert opened.canvas.item.opacity_of["color"] == pytest.approx(0.4)
    opened.layers_panel.compare.setChecked(True)
    assert opened.canvas.item.split == pytest.approx(0.5)
    opened.canvas.grab()  # paints every layer path without error


def test_zoom_and_pan(opened, qtbot):
    c = opened.canvas
    c.fit()
    z = c.zoom
    anchor = QPointF(40, 60)
    vp = view_pos(c, anchor.x(), anchor.y())
    c.zoom_at(2.0, vp)
    assert c.zoom == pytest.approx(2 * z)
    back = c.mapToScene(vp)
    assert abs(back.x() - anchor.x()) < 1.5 and abs(back.y() - anchor.y()) < 1.5  # zoom kept the point under the cursor
    before = c.mapToScene(c.viewport().rect().center())
    QTest.mousePress(c.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, vp)
    QTest.mouseMove(c.viewport(), vp + type(vp)(30, 0))
    QTest.mouseRelease(c.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, vp + type(vp)(30, 0))
    after = c.mapToScene(c.viewport().rect().center())
    assert after.x() < before.x()  # dragged the image right
    assert not opened.project.current_frame.strokes  # panning did not paint
    opened.act_100.trigger()
    assert c.zoom == 1.0


def test_close_with_unsaved_changes_asks(window, qtbot, sample_frames):
    window.open_path(sample_frames / "frame1.png")
    asked = []
    window.prompts.save_changes = lambda name: asked.append(name) or "cancel"
    drag(window.canvas, [(30, 60), (60, 60)])
    window.close()
    assert asked and window.isVisible()
    window.prompts.save_changes = lambda name: "discard"
    window.close()
    assert not window.isVisible()


def test_autosave_then_recover_after_crash(window, qtbot, sample_frames, tiny_weights):
    from colorpaint.gui.main_window import MainWindow
    from colorpaint.project.appdata import Preferences

    window.open_path(sample_frames / "frame1.png")
    drag(window.canvas, [(30, 60), (60, 60)])
    window.autosave()
    qtbot.waitUntil(lambda: not window.io.busy and window._autosaved_version == window.project.version, timeout=10000)
    strokes = window.project.current_frame.strokes

    other = MainWindow(prefs=Preferences(autosave_minutes=0), weights=tiny_weights)  # the next start, after a crash
    qtbot.addWidget(other)
    other.prompts.save_changes = lambda name: "discard"
    offered = []
    other.prompts.recover = lambda info: offered.append(info) or "recover"
    assert other.offer_recovery()
    assert offered and other.project.current_frame.strokes == strokes and other.project.dirty
    other.shutdown()


def test_main_opens_path(qtbot, monkeypatch, sample_frames):
    from PySide6.QtWidgets import QApplication

    import colorpaint.__main__ as entry
    from colorpaint.gui.main_window import MainWindow

    seen = {}
    before = set(map(id, QApplication.topLevelWidgets()))
    new_window = lambda: next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and id(w) not in before), None)

    def fake_exec():
        qtbot.waitUntil(lambda: new_window() is not None and new_window().project is not None)
        win = new_window()
        seen["frames"] = win.project.frame_count
        win.close()
        win.deleteLater()
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    assert entry.main([str(sample_frames), "--device", "cpu"]) == 0
    assert seen["frames"] == 3


def test_save_as_over_another_project_asks_first(window, qtbot, sample_frames, tmp_path):
    """The window adds .cpaint itself, so the file dialog cannot warn: the window asks
    before replacing another project, and a folder of other files is never written into."""
    assert window.open_path(sample_frames / "frame1.png")
    assert window.save(tmp_path / "demo", wait=True)
    folder = tmp_path / "demo.cpaint"
    first = (folder / "project.json").read_bytes()
    assert window.open_path(sample_frames / "frame2.png")  # another drawing, a new project
    asked = []
    window.prompts.replace_project = lambda name: asked.append(name) or False
    assert not window.save(tmp_path / "demo", wait=True)
    assert asked == ["demo.cpaint"] and (folder / "project.json").read_bytes() == first
    window.prompts.replace_project = lambda name: True
    assert window.save(tmp_path / "demo", wait=True)
    src = load_project(folder).current_frame.source
    assert np.array_equal(load_project(folder).image(load_project(folder).current_frame), window.project.image(window.project.current_frame))
    assert src.parent == folder / "frames"
    other = tmp_path / "notes.cpaint"
    other.mkdir()
    (other / "todo.txt").write_text("mine")
    assert not window.save(other, wait=True)
    assert "not a ColorPaint project" in window.prompts.last_error and [p.name for p in other.iterdir()] == ["todo.txt"]


def test_model_switch_with_live_never_replaces_colors_silently(opened, qtbot):
    """A new model (picked, or a finished fine-tune) with Live on: colors already on a
    frame are replaced only as an undo step, and a key or corrected frame keeps its own."""
    frame = opened.project.current_frame
    opened.colorize()
    qtbot.waitUntil(lambda: frame.result is not None and not opened.colorizing, timeout=60000)
    first = frame.result
    opened.set_live(False)
    opened.live_on = True  # Live on, without the preview turning it on starts
    picker = opened.findChild(object, "modelPicker")
    picker.setCurrentIndex(picker.findData("temporal"))
    qtbot.waitUntil(lambda: frame.result is not first and not opened.colorizing, timeout=60000)
    assert frame.result.model == "temporal" and opened.project.history.texts()[-1] == "Colorize (temporal)"
    opened.undo()
    assert frame.result is first  # Undo brings the earlier colors back
    opened.project.set_flags(frame, key=True)
    picker.setCurrentIndex(picker.findData("color-apply"))
    qtbot.wait(300)
    assert not opened.colorizing and frame.result is first
    assert "keeps its colors" in opened.statusBar().currentMessage()


def test_opening_a_repaired_project_says_what_was_repaired(window, sample_frames, tmp_path):
    import json

    assert window.open_path(sample_frames / "frame1.png")
    assert window.save(tmp_path / "hand", wait=True)
    folder = tmp_path / "hand.cpaint"
    doc = json.loads((folder / "project.json").read_text())
    doc["shots"][0]["frames"][0]["strokes"] = [
        {"kind": "brush", "points": [[10, 10], [40, 40]], "color": [255, 0, 0], "size": 1e300, "opacity": 1.0},
        {"kind": "brush", "points": [[float("nan"), 3]], "color": [0, 255, 0], "size": 5},
    ]
    (folder / "project.json").write_text(json.dumps(doc))
    assert window.open_path(folder)
    assert len(window.project.current_frame.strokes) == 1  # the drawable stroke kept, its size brought into range
    assert "repaired" in window.prompts.last_error and "size" in window.prompts.last_error
