"""Small moments of an artist's day that used to break trust: keys swallowed by a number
field, a new shot that ignores the arrow keys, counters that disagree, a drift score left
on frames with no colors, a Colorize shot that hides its model, no list of shortcuts."""
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from colorpaint.core.imageio import save_image

from .test_main_window import drag
from .test_timeline import draw_frame


def test_tool_keys_work_after_typing_a_brush_size(window, qtbot, sample_frames):
    assert window.open_path(sample_frames / "frame1.png")
    spin = window.size_spin
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, "30")
    QTest.keyClick(spin, Qt.Key.Key_I)  # the picker: not a character of the size
    assert window.canvas.tool == "eyedropper" and spin.value() == 30
    assert QApplication.focusWidget() is not spin
    spin.setFocus()
    QTest.keyClicks(spin, "5")
    QTest.keyClick(spin, Qt.Key.Key_Return)  # Enter hands the keyboard back to the canvas
    assert QApplication.focusWidget() is window.canvas
    QTest.keyClick(window.canvas, Qt.Key.Key_B)
    assert window.canvas.tool == "brush"


def test_imported_shot_steps_with_the_arrow_keys_at_once(window, qtbot, tmp_path):
    folder = tmp_path / "cut"
    for t in range(3):
        save_image(folder / f"f{t}.png", draw_frame(t))
    assert window.shots.import_folder(folder)
    QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Right)
    assert window.project.current == (0, 1)


def test_one_frame_counter_meaning_and_drift_only_with_colors(window, qtbot, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for t in range(3):
        save_image(a / f"f{t}.png", draw_frame(t))
    for t in range(5):
        save_image(b / f"g{t}.png", draw_frame(t))
    assert window.shots.import_folder(a) and window.shots.import_folder(b)
    p = window.project
    p.set_current(1, 3)
    assert "4/5" in window.frame_label.text()  # as the timeline counts: within the shot
    # a drift score left on a frame whose colors were undone is not shown
    f = p.current_frame
    p.set_flags(f, drift=7.5)
    assert "drift" not in window.frame_label.text()
    window.shots._refresh_cells()
    assert window.timeline.strip.cells[3].drift is None


def test_colorize_shot_names_the_model_it_runs(window, qtbot, sample_frames):
    assert window.open_path(sample_frames)
    picker = window.findChild(object, "modelPicker")
    button = window.timeline.findChild(QPushButton, "colorizeShotButton")
    picker.setCurrentIndex(picker.findData("color-apply"))
    assert button.text() == "Colorize shot (temporal)" and "color-apply colors frames one by one" in button.toolTip()
    picker.setCurrentIndex(picker.findData("temporal"))
    assert button.text() == "Colorize shot (temporal)" and "one by one" not in button.toolTip()


def test_help_lists_every_shortcut_from_the_actions(window, qtbot):
    rows = dict(window.shortcuts())
    assert rows["Colorize"] == "Ctrl+Return" and rows["Brush"] == "B" and rows["Keyboard Shortcuts"] == "F1"
    assert "Play / pause" in rows and rows["Undo"] == "Ctrl+Z"
    d = window.show_shortcuts()
    assert d.table.rowCount() == len(rows)
    d.close()


def test_file_dialogs_start_in_the_projects_or_last_used_folder(window, qtbot, sample_frames, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    seen = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda parent, cap, d, flt: seen.append(d) or ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda parent, cap, d: seen.append(d) or str(tmp_path / "elsewhere")))
    assert window.open_path(sample_frames / "frame1.png")
    (tmp_path / "work").mkdir()
    assert window.save(tmp_path / "work" / "show", wait=True)
    window.regions.load_palette_dialog()  # the project's folder
    assert seen[-1] == str(tmp_path / "work")
    (tmp_path / "elsewhere").mkdir()
    window.shots.import_folder_dialog()  # the artist picks another folder ...
    window.load_palette_dialog()  # ... and the next dialog opens there
    assert seen[-1] == str(tmp_path / "elsewhere")


def test_picker_live_and_brush_color_are_kept(window, qtbot, sample_frames, tmp_path):
    assert window.open_path(sample_frames / "frame1.png")
    picker = window.findChild(object, "modelPicker")
    picker.setCurrentIndex(picker.findData("color-apply"))
    assert window.open_path(sample_frames / "frame2.png")  # opening another drawing keeps the model
    assert window.project.model == "color-apply" and picker.currentData() == "color-apply"
    window.set_color((12, 200, 90))
    window.live_on = True
    window.act_live.setChecked(True)
    assert window.save(tmp_path / "keep", wait=True)
    window.set_live(False)
    window.set_color((1, 2, 3))
    assert window.open_path(tmp_path / "keep.cpaint")
    assert window.live_on and window.act_live.isChecked() and tuple(window.canvas.brush_color) == (12, 200, 90)
    assert not window.colorizing and window.project.current_frame.result is None  # reopening recolors nothing
    assert not window.project.dirty


def test_new_swatches_never_replace_saved_ones_silently_and_lock_snaps_to_the_nearest(window, qtbot, sample_frames, tmp_path):
    from colorpaint.core.palette import write_gpl

    assert window.open_path(sample_frames / "frame1.png")
    pal = window.project.palette
    before = list(pal.saved)
    gpl = tmp_path / "show.gpl"
    write_gpl(gpl, [("sky", (40, 80, 230)), ("rose", (235, 30, 40)), ("leaf", (60, 170, 70))], "Show")
    asked = []
    window.prompts.replace_swatches = lambda n_saved, n_new, source: asked.append((n_saved, n_new, source)) or "cancel"
    assert window.regions.load_palette(gpl) is None and pal.saved == before  # cancelled: nothing lost
    assert asked == [(len(before), 3, "show.gpl")]
    window.prompts.replace_swatches = lambda *a: "add"
    assert window.regions.load_palette(gpl) == len(before) + 3 and pal.saved[: len(before)] == before
    window.prompts.replace_swatches = lambda *a: "replace"
    window.regions.load_palette(gpl)
    window.set_color((250, 10, 10))  # the artist's red ...
    window.regions.set_lock(True)
    assert tuple(window.canvas.brush_color) == (235, 30, 40)  # ... snaps to the nearest swatch, not the first
    window.regions.set_lock(False)
    assert tuple(window.canvas.brush_color) == (250, 10, 10)  # and comes back when the lock is off
    window.regions.set_lock(True)
    gpl2 = tmp_path / "other.gpl"
    write_gpl(gpl2, [("grass", (30, 200, 60)), ("navy", (20, 30, 120)), ("crimson", (200, 20, 30))], "Other")
    window.regions.load_palette(gpl2)  # a new palette while locked
    assert tuple(window.canvas.brush_color) == (200, 20, 30)


def test_recent_swatches_stay_put_under_the_pointer(window, qtbot, sample_frames):
    assert window.open_path(sample_frames / "frame1.png")
    palette = window.findChild(object, "palette")
    saved_y = None
    for i, c in enumerate([(200, 10, 10), (10, 200, 10), (10, 10, 200)] + [(20 * k, 30, 90) for k in range(12)]):
        window.set_color(c)
        drag(window.canvas, [(20 + i, 20), (25 + i, 22)])
        QApplication.processEvents()
        y = palette.saved_grid.parentWidget().mapTo(palette, palette.saved_grid.geometry().topLeft()).y() \
            if palette.saved_grid.parentWidget() is not palette else palette.saved_grid.geometry().top()
        saved_y = y if saved_y is None else saved_y
        assert y == saved_y  # the Saved row does not move as Recent fills
    recent = list(window.project.palette.recent)
    qtbot.mouseClick(palette.buttons[5], Qt.MouseButton.LeftButton)  # pick an older recent color ...
    drag(window.canvas, [(60, 60), (70, 60)])  # ... and paint with it
    assert window.project.palette.recent == recent  # nothing moved


def test_rename_and_delete_a_shot_from_the_frame_menu(window, qtbot, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for t in range(3):
        save_image(a / f"f{t}.png", draw_frame(t))
        save_image(b / f"g{t}.png", draw_frame(t))
    assert window.shots.import_folder(a) and window.shots.import_folder(b)
    window.prompts.ask_text = lambda title, label, text="": "Cut 12 - run"
    window.act_rename_shot.trigger()
    assert window.project.shots[1].name == "Cut 12 - run"
    assert window.timeline.shot_picker.currentText().startswith("Cut 12 - run")
    window.act_delete_shot.trigger()
    assert len(window.project.shots) == 1 and window.timeline.shot_picker.count() == 1
    assert "Undo brings it back" in window.statusBar().currentMessage()
    window.undo()
    assert len(window.project.shots) == 2 and window.timeline.shot_picker.count() == 2


def test_hinted_flats_export_leaves_unhinted_regions_transparent(window, qtbot, sample_frames, tmp_path):
    from colorpaint.core.imageio import load_rgba

    assert window.open_path(sample_frames / "frame1.png")
    window.set_color((30, 160, 220))
    drag(window.canvas, [(50, 55), (60, 58)])  # a hint inside the circle only
    frame = window.project.current_frame
    window.colorize()
    qtbot.waitUntil(lambda: frame.result is not None and not window.colorizing, timeout=60000)
    task = window.export("hinted", tmp_path / "flats.png")
    qtbot.waitUntil(lambda: task.done_flag if hasattr(task, "done_flag") else (tmp_path / "flats.png").exists(), timeout=20000)
    qtbot.waitUntil(lambda: not window.io.busy, timeout=20000)
    rgba = load_rgba(tmp_path / "flats.png")
    assert rgba[60, 55, 3] == 255 and tuple(rgba[60, 55, :3]) == tuple(np.array(frame.result.color)[60, 55])  # the hinted circle
    assert rgba[60, 125, 3] == 0 and rgba[5, 5, 3] == 0  # the unhinted box and the page
    assert rgba[60, 20, 3] == 0  # the circle's outline


def test_replace_a_color_on_every_frame_of_the_shot(window, qtbot, tmp_path):
    from colorpaint.project import FrameResult

    a = tmp_path / "a"
    for t in range(3):
        save_image(a / f"f{t}.png", draw_frame(t))
    assert window.shots.import_folder(a)
    p = window.project
    red, blue = (220, 30, 40), (40, 60, 200)
    for i, f in enumerate(p.shots[0].frames):
        p.set_current(0, i)
        window.set_color(red)
        drag(window.canvas, [(100, 40), (104, 50)])  # a red hint in the box of every frame
        col = np.full((96, 128, 3), 255, np.uint8)
        col[20:70, 90:115] = red
        p.apply_result(FrameResult(col, col, "lineart", "flat", rev=p.new_rev()), f)
    window.set_color(red)
    window.prompts.choose_color = lambda title, initial: blue
    assert window.shots.replace_color_dialog() == 3
    for f in p.shots[0].frames:
        assert all(s.color == blue for s in f.strokes)
        c = np.array(f.result.color)
        assert tuple(c[40, 100]) == blue and not (c == np.array(red, np.uint8)).all(axis=2).any()
    assert p.history.texts()[-1].startswith("Replace #dc1e28 with #283cc8")
    window.undo()  # one step brings every frame back
    assert all(s.color == red for f in p.shots[0].frames for s in f.strokes)


def test_a_large_page_shows_a_quick_preview_before_the_full_colors(window, qtbot, tmp_path):
    big = np.full((1200, 1600, 3), 255, np.uint8)
    import cv2

    cv2.circle(big, (600, 600), 300, (0, 0, 0), 6)
    save_image(tmp_path / "big.png", big)
    assert window.open_path(tmp_path / "big.png")
    shown = []
    real = window.canvas.set_color_layer
    window.canvas.set_color_layer = lambda color, kind=None: (shown.append(None if color is None else color.shape), real(color, kind))
    frame = window.project.current_frame
    window.colorize()
    qtbot.waitUntil(lambda: frame.result is not None and not window.colorizing, timeout=60000)
    # the preview first, small (the canvas scales it up to the page), then the full result
    assert shown[0] is not None and shown[0][:2] == (384, 512) and shown[-1] == (1200, 1600, 3)
    item = window.canvas.item
    assert (item.w, item.h) == (1600, 1200) and item.color.image.width() == 1600 and item.color.full_width == 1600
    assert window.project.history.texts()[-1].startswith("Colorize")  # only the full result is kept


def test_a_small_preview_layer_covers_the_whole_page(qtbot):
    """The quick preview of a big page arrives small; on screen it covers the page edge to
    edge (not a corner of it), under the full-resolution lines, at any zoom."""
    from colorpaint.gui.canvas import HintCanvas

    c = HintCanvas()
    qtbot.addWidget(c)
    c.resize(500, 400)
    page = np.full((600, 800, 3), 255, np.uint8)
    page[:, 398:402] = 0  # one thin line down the middle
    c.show_frame(page, None, kind="lineart")
    c.show()
    c.set_color_layer(np.full((150, 200, 3), (200, 40, 40), np.uint8), "lineart")  # a quarter of the page's size
    for zoom in (None, 2.0):
        if zoom is None:
            c.fit()
        else:
            c.zoom_at(zoom / c.zoom)
        img = c.viewport().grab().toImage()
        for sx, sy in ((5, 5), (795, 595), (200, 300), (600, 300)):
            pt = c.mapFromScene(sx, sy)
            if 0 <= pt.x() < img.width() and 0 <= pt.y() < img.height():
                px = img.pixelColor(pt.x(), pt.y())
                assert max(abs(px.red() - 200), abs(px.green() - 40), abs(px.blue() - 40)) <= 3, (zoom, sx, sy, px.getRgb())
    c.fit()
    img = c.viewport().grab().toImage()
    pt = c.mapFromScene(400, 300)
    assert img.pixelColor(pt.x(), pt.y()).red() < 60  # the line is drawn at full resolution over it


def test_a_gray_frame_left_gray_says_so_in_the_status_bar(window, qtbot, tmp_path):
    """Colorize on a grayscale frame the model is unsure of: the frame stays gray, and the
    status bar says why and what colors it, instead of looking like nothing happened."""
    from colorpaint.core.color import rgb_to_luma
    from colorpaint.core.imageio import save_image
    from tests.unit.test_no_harm import scene

    gray = np.repeat(rgb_to_luma(scene(192, 256))[..., None], 3, 2)
    save_image(tmp_path / "gray.png", gray)
    assert window.open_path(tmp_path / "gray.png")
    frame = window.project.current_frame
    window.colorize()
    qtbot.waitUntil(lambda: frame.result is not None and not window.colorizing, timeout=60000)
    assert "left gray" in window.statusBar().currentMessage()


def test_line_art_left_in_grays_says_so_in_the_status_bar(window, qtbot, tmp_path):
    """Colorize a line-art drawing with no hint: the regions come out in grays, and the
    status bar says why and what colors them, instead of looking like mud for no reason."""
    from tests.unit.test_no_harm import _cat
    from colorpaint.core.imageio import save_image

    save_image(tmp_path / "cat.png", _cat())
    assert window.open_path(tmp_path / "cat.png")
    frame = window.project.current_frame
    window.colorize()
    qtbot.waitUntil(lambda: frame.result is not None and not window.colorizing, timeout=60000)
    msg = window.statusBar().currentMessage()
    assert "left in grays: auto" in msg and "hint strokes" in msg
