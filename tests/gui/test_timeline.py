"""The timeline, driven like a colorist would: import shots, step with the keys, mark a
key, colorize the shot, mark a frame corrected, export; and the window gives the same
frames as ``colorpaint-cli sequence``."""
import time

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton, QToolButton

from colorpaint.core.imageio import load_image, save_image
from colorpaint.gui.convert import qimage_to_rgb
from colorpaint.gui.timeline import BADGE_COLOR, TimelinePanel
from colorpaint.project import FrameResult
from colorpaint.project.export import read_ora

from .test_main_window import drag

N = 6


def draw_frame(t: int, h=96, w=128) -> np.ndarray:
    """Line art: a circle moving right 4 px a frame and a still box (HxWx3 uint8 RGB)."""
    img = np.full((h, w, 3), 255, np.uint8)
    cv2.circle(img, (36 + 4 * t, 48), 22, (0, 0, 0), 2)
    cv2.rectangle(img, (84, 14), (120, 80), (0, 0, 0), 2)
    return img


@pytest.fixture
def shot_folder(tmp_path):
    """N frames named so that natural sort differs from plain sort (frame2 < frame10)."""
    folder = tmp_path / "shot_a"
    for t in range(N):
        save_image(folder / f"frame{2 * t + 2}.png", draw_frame(t))  # frame2, frame4, ..., frame12
    return folder


@pytest.fixture
def shot_window(window, shot_folder, qtbot):
    assert window.shots.import_folder(shot_folder)
    qtbot.waitUntil(window.shots.thumbnails_ready, timeout=10000)
    return window


def badges(tl: TimelinePanel):
    return [tl.badge(i) for i in range(tl.count)]


def click(qtbot, w):
    qtbot.mouseClick(w, Qt.MouseButton.LeftButton)


def test_import_folder_natural_sort_and_keyboard_stepping(shot_window, qtbot):
    win = shot_window
    tl = win.findChild(TimelinePanel, "timeline")
    assert tl is win.timeline and tl.isVisible()
    shot = win.project.shots[0]
    assert [f.name for f in shot.frames] == [f"frame{2 * t + 2}" for t in range(N)]  # frame10 after frame8
    assert tl.count == N and tl.current == 0 and badges(tl) == ["line"] * N
    assert all(i in tl.strip.thumbs for i in range(N))  # thumbnails were made off the UI thread
    win.activateWindow()
    tl.strip.setFocus()
    qtbot.waitUntil(tl.strip.hasFocus)
    QTest.keyClick(tl.strip, Qt.Key.Key_Right)
    QTest.keyClick(tl.strip, Qt.Key.Key_Right)
    assert win.project.current == (0, 2) and tl.current == 2
    assert tl.position_label.text() == f"3 / {N}"
    QTest.keyClick(tl.strip, Qt.Key.Key_End)
    assert tl.current == N - 1
    QTest.keyClick(tl.strip, Qt.Key.Key_Right)  # stays at the end
    assert tl.current == N - 1
    QTest.keyClick(tl.strip, Qt.Key.Key_Home)
    assert tl.current == 0
    QTest.keyClick(tl.strip, Qt.Key.Key_Left)
    assert tl.current == 0
    # the arrows step over the canvas too, and the canvas shows the frame
    win.canvas.setFocus()
    qtbot.waitUntil(win.canvas.hasFocus)
    QTest.keyClick(win.canvas, Qt.Key.Key_Right)
    assert tl.current == 1 and np.array_equal(qimage_to_rgb(win.canvas.item.source.image), draw_frame(1))
    # clicking a thumbnail goes there
    r = tl.strip.cell_rect(4)
    QTest.mouseClick(tl.strip, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, r.center())
    assert win.project.current == (0, 4)


def test_second_shot_from_video_range_and_shot_picker(shot_window, qtbot, tmp_path):
    from colorpaint.core.frames import write_video

    win, tl = shot_window, shot_window.timeline
    video = write_video(tmp_path / "clip.mp4", [draw_frame(t) for t in range(7)], fps=24)
    assert win.shots.import_video(video, start=1, stop=6, step=2)  # frames 1, 3, 5
    p = win.project
    assert len(p.shots) == 2 and p.current == (1, 0)
    shot = p.shots[1]
    assert [f.video_index for f in shot.frames] == [1, 3, 5] and shot.fps == pytest.approx(12.0)
    assert tl.count == 3 and tl.shot_picker.count() == 2 and tl.fps_spin.value() == pytest.approx(12.0)
    qtbot.waitUntil(win.shots.thumbnails_ready, timeout=10000)
    tl.shot_picker.setCurrentIndex(0)
    tl.shot_picker.activated.emit(0)
    assert p.current[0] == 0 and tl.count == N
    # the range dialog answers the same 0-based range
    from colorpaint.gui.shots import VideoRangeDialog

    d = VideoRangeDialog(video, 7, 24.0, win)
    d.first.setValue(2)
    d.last.setValue(6)
    d.step.setValue(2)
    assert d.range() == (1, 6, 2) and "3 frames" in d.summary.text()
    d.deleteLater()


def test_playback_with_space(shot_window, qtbot):
    win, tl = shot_window, shot_window.timeline
    tl.fps_spin.setValue(50)
    assert win.project.shots[0].fps == 50
    win.activateWindow()
    tl.strip.setFocus()
    qtbot.waitUntil(tl.strip.hasFocus)
    QTest.keyClick(tl.strip, Qt.Key.Key_Space)
    assert tl.playing
    qtbot.waitUntil(lambda: win.project.current[1] >= 3, timeout=5000)
    QTest.keyClick(tl.strip, Qt.Key.Key_Space)
    assert not tl.playing
    stopped = win.project.current
    qtbot.wait(100)
    assert win.project.current == stopped


def test_mark_key_colorize_shot_every_badge_changes(shot_window, qtbot):
    win, tl, p = shot_window, shot_window.timeline, shot_window.project
    shot = p.shots[0]
    p.set_current(0, 2)  # a key in the middle: frames 0-1 are colored backward from it
    win.set_color((220, 40, 40))
    drag(win.canvas, [(30, 48), (45, 48)])  # a hint inside the circle
    click(qtbot, tl.mark_key_button)
    assert shot.frames[2].key and tl.badge(2) == "key"
    assert badges(tl) == ["line", "line", "key", "line", "line", "line"]

    seen = {}
    p.events.result.connect(lambda frame: seen.setdefault(shot.frames.index(frame), tl.badge(shot.frames.index(frame))))
    click(qtbot, tl.findChild(QPushButton, "colorizeShotButton"))
    assert win.shots.busy and tl.cancel_shot_button.isVisible()
    qtbot.waitUntil(lambda: not win.shots.busy, timeout=60000)
    assert set(seen) == set(range(N))  # every frame arrived, one by one, with its badge already updated
    assert seen[2] == "key" and all(seen[i] == "colorized" for i in range(N) if i != 2)
    assert badges(tl) == ["colorized", "colorized", "key", "colorized", "colorized", "colorized"]
    assert all(f.result is not None and f.result.model == "temporal" for f in shot.frames)
    assert all(f.drift is not None for f in shot.frames)
    # the badges are painted in their colors
    img = tl.strip.grab().toImage()
    for i, status in enumerate(badges(tl)):
        c = img.pixelColor(tl.strip.badge_rect(i).left() + 4, tl.strip.badge_rect(i).center().y())
        want = BADGE_COLOR[status]
        assert abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 30, (i, status)
    # the key (colorized first from its hint) is on the canvas; the whole shot is one undo step
    assert win.canvas.item.color.image is not None
    assert p.history.texts()[-1].startswith("Colorize shot") and p.history.texts()[-1].endswith(f"({N} frames)")
    win.undo()
    assert all(f.result is None for f in shot.frames) and badges(tl)[:2] == ["line", "line"]
    win.redo()
    assert all(f.result is not None for f in shot.frames)
    # drift over the threshold flags the frame for review
    tl.threshold_spin.setValue(0.5)
    flagged = [i for i in range(N) if tl.flagged(i)]
    assert flagged == [i for i, f in enumerate(shot.frames) if f.drift > 0.5 and not f.key]
    tl.threshold_spin.setValue(99)
    assert not any(tl.flagged(i) for i in range(N))


def slowed(engine, delay=0.5):
    def slow(*args):
        job = engine(*args)
        while True:
            try:
                prog = next(job)
            except StopIteration as stop:
                return stop.value
            if prog.frame is not None:
                time.sleep(delay)
            yield prog

    return slow


def test_browse_paint_and_cancel_while_the_shot_colorizes(shot_window, qtbot):
    win, tl, p = shot_window, shot_window.timeline, shot_window.project
    shot = p.shots[0]
    p.apply_result(FrameResult(draw_frame(0), draw_frame(0), "lineart", "painted", rev=p.new_rev()), shot.frames[0])
    click(qtbot, tl.mark_key_button)
    win.shots.engine = slowed(win.shots.engine)
    assert win.shots.colorize_shot()
    p.set_current(0, 3)  # the artist looks at a frame that is still to come, and paints on it
    drag(win.canvas, [(30, 48), (45, 48)])
    assert len(shot.frames[3].strokes) == 1
    assert win.canvas.item.color.image is None
    qtbot.waitUntil(lambda: shot.frames[3].result is not None, timeout=30000)
    assert win.shots.busy  # still running: the canvas was updated live
    assert win.canvas.item.color.image is not None
    QTest.keyClick(win, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not win.shots.busy, timeout=10000)
    done = [f.result is not None for f in shot.frames]
    assert done[:4] == [True] * 4 and not all(done)  # finished frames stay, the rest were never colored
    assert [tl.badge(i) for i in range(N) if not done[i]] == ["line"] * done.count(False)
    assert not tl.cancel_shot_button.isVisible() and tl.colorize_shot_button.isVisible()
    assert "cancelled" in win.statusBar().currentMessage()
    n = sum(done) - 1
    assert p.history.texts()[-1].endswith(f"({n} frames)")


def test_mark_corrected_stores_a_training_pair(shot_window, qtbot, tmp_path):
    win, tl, p = shot_window, shot_window.timeline, shot_window.project
    assert win.save(tmp_path / "proj", wait=True)
    folder = p.path
    p.set_current(0, 1)
    f = p.current_frame
    win.colorize()
    qtbot.waitUntil(lambda: f.result is not None, timeout=60000)
    drag(win.canvas, [(30, 48), (45, 48)])  # the artist's fix
    click(qtbot, tl.findChild(QToolButton, "markCorrectedButton"))
    assert f.corrected and tl.badge(1) == "corrected"
    pair = [folder / "corrected" / f"{f.id}_{k}.png" for k in ("line", "color", "hints")]
    qtbot.waitUntil(lambda: all(q.exists() for q in pair) and not win.io.busy, timeout=10000)
    assert np.array_equal(load_image(pair[0]), p.image(f))
    assert np.array_equal(load_image(pair[1]), f.result.composite)
    from colorpaint.core.imageio import load_rgba

    assert np.array_equal(load_rgba(pair[2]), p.hints(f))
    from colorpaint.training.datasets import scan

    tr, va, _, _ = scan([folder], scale=64, log=lambda *a: None)
    assert len(tr + va) == 1  # the trainer reads it
    click(qtbot, tl.mark_corrected_button)  # unmark: the example goes away
    qtbot.waitUntil(lambda: not any(q.exists() for q in pair) and not win.io.busy, timeout=10000)
    assert not f.corrected


def test_export_png_sequence_mp4_and_ora(shot_window, qtbot, tmp_path):
    win, tl, p = shot_window, shot_window.timeline, shot_window.project
    shot = p.shots[0]
    p.apply_result(FrameResult(draw_frame(0), draw_frame(0), "lineart", "painted", rev=p.new_rev()), shot.frames[0])
    p.set_flags(shot.frames[0], key=True)
    assert win.shots.colorize_shot()
    qtbot.waitUntil(lambda: not win.shots.busy, timeout=60000)
    win.shots.export("png", tmp_path / "png")
    win.shots.export("mp4", tmp_path / "shot.mp4")
    win.shots.export("ora", tmp_path / "ora")
    qtbot.waitUntil(lambda: not win.io.busy and (tmp_path / "shot.mp4").exists(), timeout=30000)
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert len(pngs) == N
    for f in shot.frames:
        assert np.array_equal(load_image(tmp_path / "png" / f"{f.name}.png"), f.result.composite)
    cap = cv2.VideoCapture(str(tmp_path / "shot.mp4"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == N and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == N
    cap.release()
    oras = sorted((tmp_path / "ora").glob("*.ora"))
    assert len(oras) == N
    layers, images = read_ora(tmp_path / "ora" / f"{shot.frames[3].name}.ora")
    assert [l["name"] for l in layers] == ["Line art", "Color", "Paper"]
    assert np.array_equal(images["mergedimage.png"][..., :3], shot.frames[3].result.composite)


def test_onion_skin_shows_the_previous_frames_colors(shot_window, qtbot):
    win, tl, p = shot_window, shot_window.timeline, shot_window.project
    shot = p.shots[0]
    red = np.zeros((96, 128, 3), np.uint8)
    red[..., 0] = 255
    p.apply_result(FrameResult(red, red, "lineart", "painted", rev=p.new_rev()), shot.frames[0])
    p.set_current(0, 1)
    assert win.canvas.item.underlay is None
    click(qtbot, tl.onion_toggle)
    assert win.canvas.item.underlay is not None
    img = win.canvas.grab().toImage()
    c = img.pixelColor(win.canvas.mapFromScene(5, 5))  # paper tinted by the previous frame's red, faintly
    assert c.red() > 240 and 120 < c.green() < 230
    p.set_current(0, 2)  # frame 1 has no colors: nothing under frame 2
    assert win.canvas.item.underlay is None
    click(qtbot, tl.onion_toggle)
    p.set_current(0, 1)
    assert win.canvas.item.underlay is None


def test_cli_sequence_and_window_give_the_same_frames(qtbot, tmp_path, shot_folder):
    """Same shot, same key colors, same hints, same options: the same pixels."""
    from colorpaint import cli
    from colorpaint.engine.weights import save_weights
    from colorpaint.gui.main_window import MainWindow
    from colorpaint.gui.shots import shot_options
    from colorpaint.models import registry
    from colorpaint.project.appdata import Preferences

    weights = save_weights(tmp_path / "temporal.safetensors", registry.build("temporal", tiny=True), {"trained": True})
    win = MainWindow(prefs=Preferences(autosave_minutes=0), device="cpu", weights={"temporal": str(weights)})
    win.prompts.save_changes = lambda name: "discard"
    qtbot.addWidget(win)
    win.show()
    assert win.shots.import_folder(shot_folder)
    p = win.project
    shot = p.shots[0]
    p.set_model("temporal")
    key = draw_frame(1)
    key[(key == 255).all(axis=2)] = (250, 200, 120)  # the artist's colors on the key, frame 2
    p.set_current(0, 1)
    p.apply_result(FrameResult(key, key, "lineart", "painted", rev=p.new_rev()))
    win.shots.mark_key(True)
    p.set_current(0, 4)
    win.set_color((40, 90, 220))
    drag(win.canvas, [(100, 30), (104, 60)])  # a hint in the box of frame 5
    hints_dir = tmp_path / "hints"
    save_image(hints_dir / f"{shot.frames[4].name}.png", p.hints(shot.frames[4]))
    save_image(tmp_path / "key.png", key)
    win.shots.panel.steady_spin.setValue(0.5)  # the artist's steadiness, as the CLI's --steady

    assert win.shots.colorize_shot()
    qtbot.waitUntil(lambda: not win.shots.busy, timeout=60000)
    o = shot_options(p, win.prefs, win.model_weights)
    assert o["model"] == "temporal" and o["weights"] == str(weights) and o["steady"] == 0.5
    out = tmp_path / "cli_out"
    argv = ["sequence", str(shot_folder), "-o", str(out), "--model", o["model"], "--weights", o["weights"], "--device", "cpu",
            "--input-kind", o["input_kind"], "--work-size", str(o["work_size"]), "--anchor", str(o["anchor"]), "--gap", str(o["gap"]), "--steady", str(o["steady"]),
            "--key", f"{shot.frames[1].name}={tmp_path / 'key.png'}", "--hints-dir", str(hints_dir)]
    assert cli.main(argv) == 0
    for f in shot.frames:
        got = load_image(out / f"{f.name}.png")
        assert np.array_equal(got, f.result.composite), f.name
    assert not np.array_equal(shot.frames[4].result.composite, shot.frames[3].result.composite)
    win.close()


def test_carried_tint_shows_where_the_shot_s_colors_came_from(shot_window, qtbot):
    """After Colorize shot from a colored key, Carried tints a frame's shapes: the still box
    carried green from the key; the key itself, and a frame colorized again by hand, have
    no tint (nothing of theirs was carried)."""
    from colorpaint.app.carried import CARRIED

    win, tl, p = shot_window, shot_window.timeline, shot_window.project
    shot = p.shots[0]
    key = np.full((96, 128, 3), 255, np.uint8)
    key[16:79, 86:119] = (40, 160, 220)  # the box, blue
    cv2.circle(key, (36, 48), 20, (230, 90, 40), -1)  # the circle, orange
    key = np.minimum(key, draw_frame(0))
    p.set_current(0, 0)
    p.apply_result(FrameResult(key, key, "lineart", "artist", 0.0, "cpu", p.new_rev()), shot.frames[0])
    click(qtbot, tl.mark_key_button)
    click(qtbot, tl.findChild(QPushButton, "colorizeShotButton"))
    qtbot.waitUntil(lambda: not win.shots.busy, timeout=60000)
    p.set_current(0, 3)
    click(qtbot, tl.findChild(QToolButton, "carriedToggle"))
    ov = win.canvas.overlay("carried")
    assert ov is not None
    rgba = ov[0]
    assert np.abs(rgba[48, 100, :3].astype(int) - CARRIED).max() <= 3 and rgba[48, 100, 3] > 0  # inside the still box
    assert rgba[14, 100, 3] == 0  # on the box's line: no tint
    p.set_current(0, 0)  # the key: nothing carried
    qtbot.waitUntil(lambda: win.canvas.overlay("carried") is None, timeout=2000)
    p.set_current(0, 3)
    assert win.canvas.overlay("carried") is not None
    win.colorize()  # colorized again by hand: the shot's map no longer describes it
    frame = shot.frames[3]
    rev = frame.result.rev
    qtbot.waitUntil(lambda: frame.result.rev != rev and not win.colorizing, timeout=60000)
    assert win.canvas.overlay("carried") is None
