"""Issue 7 in the window: flat colors, region overlay, fill preview, palette lock, flats export."""
import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QSpinBox

from colorpaint.core.color import rgb_to_lab, rgb_to_luma
from colorpaint.core.imageio import load_image, save_image
from colorpaint.core.metrics import delta_e2000
from colorpaint.core.palette import write_gpl
from colorpaint.core.regions import segment
from colorpaint.gui.regions_panel import fill_preview, pastel_colors, region_overlay
from colorpaint.project.export import read_ora

PALETTE = [("skin", (250, 215, 185)), ("hair", (120, 70, 40)), ("sky blue", (40, 80, 230)), ("leaf", (60, 170, 70)),
           ("paper white", (252, 252, 250))]


def view_pos(canvas, x, y):
    return canvas.mapFromScene(QPointF(x, y))


def drag(canvas, points):
    vp = canvas.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_pos(canvas, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(vp, view_pos(canvas, *p))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_pos(canvas, *points[-1]))


def hover(canvas, x, y):
    QTest.mouseMove(canvas.viewport(), view_pos(canvas, x, y))


def click(canvas, x, y):
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view_pos(canvas, x, y))


def flat_labels(win):
    """The regions flat mode uses for the current frame."""
    p = win.project
    return segment(rgb_to_luma(p.image(p.current_frame)), gap_close=win.regions.gap, min_area=None)[0]


def colorize_and_wait(win, qtbot):
    frame = win.project.current_frame
    before = frame.result
    win.colorize()
    qtbot.waitUntil(lambda: frame.result is not before and frame.result is not None, timeout=60000)
    qtbot.waitUntil(lambda: not win.colorizing, timeout=10000)
    return frame.result


@pytest.fixture
def opened(window, sample_frames):
    assert window.open_path(sample_frames / "frame1.png")
    window.canvas.fit()
    return window


@pytest.fixture
def gpl(tmp_path):
    path = tmp_path / "show.gpl"
    write_gpl(path, PALETTE, "Show")
    return path


def toggle(win, name):
    box = win.findChild(QCheckBox, name)
    assert box is not None and box.isEnabled(), name
    box.click()
    return box


# ---------------------------------------------------------------- flat mode
@pytest.mark.parametrize("locked", [False, True], ids=["free", "palette"])
def test_flat_toggle_output_equals_cli(opened, qtbot, tiny_weights, sample_frames, tmp_path, gpl, locked):
    from colorpaint import cli

    win = opened
    assert toggle(win, "flatToggle").isChecked() and win.project.settings["flat"]
    if locked:
        assert win.regions.load_palette(gpl) == len(PALETTE)
        toggle(win, "paletteLock")
    win.set_color((20, 200, 40))
    drag(win.canvas, [(40, 60), (55, 62), (70, 60)])  # a hint inside the circle
    res = colorize_and_wait(win, qtbot)
    hints = win.project.hints(win.project.current_frame)
    hints_png = tmp_path / "hints.png"
    save_image(hints_png, hints)
    args = ["colorize", str(sample_frames / "frame1.png"), "-o", str(tmp_path / "cli"), "--model", "auto",
            "--weights", tiny_weights["auto"], "--device", "cpu", "--flat", "--gap", "2", "--hints", str(hints_png)]
    if locked:
        args += ["--palette-file", str(gpl)]
    assert cli.main(args) == 0
    assert np.array_equal(load_image(tmp_path / "cli" / "frame1.png"), res.composite)
    labels = flat_labels(win)
    assert len({tuple(c) for c in res.color[labels == labels[60, 55]]}) == 1  # one color per region


def test_hint_stroke_colors_its_whole_region(opened, qtbot):
    win = opened
    toggle(win, "flatToggle")
    win.set_color((0, 0, 255))
    drag(win.canvas, [(118, 58), (126, 60)])  # a short stroke inside the rectangle
    res = colorize_and_wait(win, qtbot)
    labels = flat_labels(win)
    rect = labels == labels[60, 125]
    assert rect.sum() > 40 * 60  # the whole inside of the 50x70 rectangle
    got = res.color[rect]
    assert (got == got[0]).all()
    assert np.abs(got[0].astype(int) - (0, 0, 255)).max() <= 1
    circle = res.color[labels == labels[60, 55]]  # no hint there: the model's color, still one color
    assert (circle == circle[0]).all()
    # lines on top of the flat color
    assert res.composite[60, 100].max() < 60  # the rectangle's left edge (x=100) is ink


def test_palette_lock_snaps_to_palette_colors_only(opened, qtbot, gpl):
    win = opened
    assert win.regions.load_palette(gpl) == len(PALETTE)
    assert win.project.palette.saved == PALETTE  # the show's palette replaced the starter colors
    assert len(win.palette_panel.buttons) >= len(PALETTE)  # and the palette panel shows it
    assert "5 colors" in win.regions.panel.palette_label.text()
    toggle(win, "paletteLock")
    assert win.project.settings["use_palette"] and win.findChild(QCheckBox, "flatToggle").isChecked()  # lock turns flat on
    win.set_color((10, 30, 200))  # not a palette color; nearest by ΔE00 is "sky blue"
    assert win.canvas.brush_color == (40, 80, 230)  # the brush takes the palette color: hints are painted in it
    drag(win.canvas, [(118, 58), (126, 60)])
    res = colorize_and_wait(win, qtbot)
    labels = flat_labels(win)
    pal = {c for _, c in PALETTE}
    assert {tuple(c) for c in res.color[labels > 0]} <= pal
    assert tuple(res.color[60, 125]) == (40, 80, 230)
    de = delta_e2000(rgb_to_lab(np.array([[[10, 30, 200]]], np.uint8))[0, 0][None], rgb_to_lab(np.array([[c for _, c in PALETTE]], np.uint8))[0])
    assert PALETTE[int(np.argmin(de))][0] == "sky blue"
    req = win.make_request()  # what a shot colorize gets: flat options and the palette
    assert req.options == {"flat": True, "gap": 2} and req.palette == tuple(c for _, c in PALETTE)
    assert win.regions.flat_options() == {"flat": True, "gap": 2}
    from colorpaint.gui.shots import shot_options  # a shot colorize (timeline) carries regions from frame to frame

    opts = shot_options(win.project, win.prefs, win.model_weights)
    assert opts["flat"] is True and opts["gap"] == 2 and opts["palette"] == tuple(c for _, c in PALETTE)


def test_palette_from_reference_image(opened, tmp_path):
    ref = np.full((60, 90, 3), 255, np.uint8)  # white paper around three flat swatches
    for i, c in enumerate([(200, 40, 40), (40, 160, 60), (240, 200, 60)]):
        ref[10:50, 5 + 28 * i:27 + 28 * i] = c
    save_image(tmp_path / "ref.png", ref)
    assert opened.regions.pick_palette(tmp_path / "ref.png", k=3) == 3
    assert {c for _, c in opened.project.palette.saved} == {(200, 40, 40), (40, 160, 60), (240, 200, 60)}


def test_empty_palette_does_not_lock(opened):
    opened.regions.replace_palette([])
    toggle(opened, "paletteLock")
    assert not opened.project.settings.get("use_palette") and not opened.findChild(QCheckBox, "paletteLock").isChecked()


# ---------------------------------------------------------------- overlay and fill preview
def test_region_overlay_toggle_and_gap(opened, qtbot):
    win = opened
    toggle(win, "regionOverlayToggle")
    qtbot.waitUntil(lambda: win.canvas.overlay("regions") is not None, timeout=10000)
    rgba, pos = win.canvas.overlay("regions")
    labels = flat_labels(win)
    assert pos == (0, 0) and np.array_equal(rgba[..., 3] > 0, labels > 0)
    assert win.regions.panel.count.text() == f"{labels.max()} regions"
    win.canvas.grab()  # paints with the overlay
    win.findChild(QSpinBox, "gapSize").setValue(4)
    assert win.project.settings["gap"] == 4
    qtbot.waitUntil(lambda: win.regions.labels is not None and win.regions.region_count == int(flat_labels(win).max()), timeout=10000)
    toggle(win, "regionOverlayToggle")
    assert win.canvas.overlay("regions") is None


def test_fill_preview_covers_exactly_the_filled_region(opened, qtbot):
    win = opened
    qtbot.mouseClick(win.findChild(object, "fillTool"), Qt.MouseButton.LeftButton)
    win.set_color((0, 200, 0))
    hover(win.canvas, 125, 60)
    qtbot.waitUntil(lambda: win.canvas.overlay("fillPreview") is not None, timeout=3000)
    rgba, (x0, y0) = win.canvas.overlay("fillPreview")
    frame = win.project.current_frame
    region = win.project.labels(frame, win.regions.gap) == win.project.labels(frame, win.regions.gap)[60, 125]
    shown = np.zeros(region.shape, bool)
    shown[y0:y0 + rgba.shape[0], x0:x0 + rgba.shape[1]] = rgba[..., 3] > 0
    # the region, and past it only the line pixels hugging it (the colors under the ink take the fill's color)
    lines = win.project.labels(frame, win.regions.gap) == 0
    near = cv2.dilate(region.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert (shown[region]).all() and not (shown & ~region & ~(lines & near)).any()
    assert not win.regions.last_preview["edge"]
    click(win.canvas, 125, 60)
    assert np.array_equal(win.project.hints(frame)[..., 3] > 0, region)  # the fill went where shown
    hover(win.canvas, 5, 5)  # the paper around the shapes reaches the edge
    qtbot.waitUntil(lambda: win.regions.last_preview is not None and win.regions.last_preview["edge"], timeout=3000)
    assert "edge" in win.statusBar().currentMessage()
    win.set_tool("brush")
    hover(win.canvas, 125, 60)
    qtbot.waitUntil(lambda: win.canvas.overlay("fillPreview") is None, timeout=3000)


def test_two_px_gap_does_not_leak_with_gap_closing_2(window, qtbot, tmp_path):
    img = np.full((100, 140, 3), 255, np.uint8)
    cv2.rectangle(img, (30, 20), (110, 80), (0, 0, 0), 3)
    img[17:24, 70:72] = 255  # a 2-pixel break in the top line (rows 18..22)
    save_image(tmp_path / "gap.png", img)
    assert window.open_path(tmp_path / "gap.png")
    window.canvas.fit()
    window.set_tool("fill")
    window.findChild(QSpinBox, "gapSize").setValue(2)
    hover(window.canvas, 70, 50)
    qtbot.waitUntil(lambda: window.regions.last_preview is not None, timeout=3000)
    info = window.regions.last_preview
    assert not info["edge"] and info["area"] < 80 * 60
    window.findChild(QSpinBox, "gapSize").setValue(0)  # no gap closing: the fill leaks out of the break
    hover(window.canvas, 71, 50)
    qtbot.waitUntil(lambda: window.regions.last_preview is not None and window.regions.last_preview["edge"], timeout=3000)
    assert window.regions.last_preview["share"] > 0.5
    click(window.canvas, 70, 50)  # the fill uses the same gap as the preview
    frame = window.project.current_frame
    assert frame.strokes[-1].gap == 0 and window.project.hints(frame)[2, 2, 3] > 0


# ---------------------------------------------------------------- export and persistence
def test_flats_ora_has_one_layer_per_color(opened, qtbot, tmp_path, gpl):
    win = opened
    win.regions.load_palette(gpl)
    toggle(win, "paletteLock")
    win.set_tool("fill")
    win.set_color(PALETTE[2][1])
    click(win.canvas, 125, 60)
    win.set_color(PALETTE[3][1])
    click(win.canvas, 55, 60)
    res = colorize_and_wait(win, qtbot)
    path = tmp_path / "flats.ora"
    assert win.export("flats", path) is not None
    qtbot.waitUntil(lambda: path.exists() and not win.io.busy, timeout=10000)
    layers, pngs = read_ora(path)
    names = [l["name"] for l in layers]
    labels = flat_labels(win)
    colors = {tuple(c) for c in res.color[labels > 0]}
    assert names[0] == "Line art" and names[-1] == "Paper"
    assert len(names) - 2 == len(colors)  # one layer per flat color
    by_name = dict(PALETTE)
    assert {by_name[n] for n in names[1:-1]} == colors  # named from the palette
    assert "sky blue" in names and "leaf" in names
    cover = np.zeros(labels.shape, int)
    for l in layers[1:-1]:
        a = pngs[l["src"]]
        assert a.shape == labels.shape + (4,)
        assert (a[a[..., 3] > 0][:, :3] == by_name[l["name"]]).all()
        cover += a[..., 3] > 0
    assert (cover == 1).all()
    assert pngs["mergedimage.png"].shape[:2] == labels.shape
    assert np.array_equal(pngs["mergedimage.png"][..., :3], res.composite)  # the layers composite to the result


def test_flat_settings_saved_with_project(opened, qtbot, tmp_path):
    toggle(opened, "flatToggle")
    opened.findChild(QSpinBox, "gapSize").setValue(3)
    assert opened.save(tmp_path / "flat", wait=True)
    toggle(opened, "flatToggle")
    assert opened.open_path(tmp_path / "flat.cpaint")
    assert opened.findChild(QCheckBox, "flatToggle").isChecked() and opened.findChild(QSpinBox, "gapSize").value() == 3
    assert opened.make_request().options == {"flat": True, "gap": 3}


# ---------------------------------------------------------------- helpers (no window)
def test_overlay_and_preview_helpers():
    labels = np.zeros((20, 30), np.int32)
    labels[2:8, 2:10] = 1
    labels[10:18, :] = 2
    c = pastel_colors(5)
    assert c.shape == (6, 3) and c[1:].min() > 100 and len({tuple(x) for x in c[1:]}) == 5
    ov = region_overlay(labels)
    assert (ov[labels == 0, 3] == 0).all() and (ov[labels > 0, 3] > 0).all()
    assert fill_preview(labels, 0, 0, (255, 0, 0)) is None  # on a line
    rgba, pos, info = fill_preview(labels, 5, 5, (255, 0, 0))
    # the region (6x8) and the 2 px of line around it
    assert pos == (0, 0) and rgba.shape == (10, 12, 4) and info["area"] == 48 and not info["edge"]
    assert tuple(rgba[4, 5, :3]) == (255, 0, 0) and tuple(rgba[0, 2, :3]) == (255, 255, 255)  # tinted; a light outline on red
    assert rgba[1, 5, 3] > 0 and rgba[8, 5, 3] > 0  # the line band next to the region
    _, pos, info = fill_preview(labels, 5, 12, (255, 255, 0))
    assert info["edge"] and pos == (0, 8)  # with the 2 px of line above it
