"""Tablet pen pressure on the canvas, with synthesized QTabletEvents: pressing harder paints
wider (and, when chosen, more opaque) hints; the mouse paints as before; the choice is a
preference."""
import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

PEN = QPointingDevice("pen", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                      QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3)


def tablet(canvas, kind, x, y, pressure):
    pos = QPointF(canvas.mapFromScene(QPointF(x, y)))
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletMove else Qt.MouseButton.LeftButton
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else Qt.MouseButton.LeftButton
    e = QTabletEvent(kind, PEN, pos, QPointF(canvas.viewport().mapToGlobal(pos.toPoint())), pressure, 0.0, 0.0, 0.0, 0.0, 0.0,
                     Qt.KeyboardModifier.NoModifier, button, buttons)
    QApplication.sendEvent(canvas.viewport(), e)
    return e.isAccepted()


def pen_stroke(canvas, y, pressures):
    xs = np.linspace(20, 140, len(pressures))
    assert tablet(canvas, QEvent.Type.TabletPress, xs[0], y, pressures[0])
    for x, p in zip(xs[1:-1], pressures[1:-1]):
        tablet(canvas, QEvent.Type.TabletMove, x, y, p)
    assert tablet(canvas, QEvent.Type.TabletRelease, xs[-1], y, pressures[-1])


def test_pen_pressure_scales_the_brush(window, qtbot, sample_frames):
    assert window.open_path(sample_frames / "frame1.png")
    window.canvas.fit()
    window.set_tool("brush")
    window.canvas.set_brush_size(16)
    p, frame = window.project, window.project.current_frame
    assert window.canvas.pressure_size and not window.canvas.pressure_opacity  # the preferences' defaults
    falling = list(np.linspace(1.0, 0.2, 25))
    pen_stroke(window.canvas, 12, falling)
    s = frame.strokes[-1]
    assert s.kind == "brush" and len(s.pressure) == len(s.points) >= 10 and s.pressure[0] > 0.9 > 0.3 > s.pressure[-1]
    a = p.hints(frame)[..., 3] > 0
    assert a[:, 35].sum() > a[:, 125].sum() + 4  # wide where the pen pressed hard, thin where it lifted
    assert p.history.texts()[-1] == "Brush stroke"

    # opacity instead of size, as chosen in the preferences
    window.prefs.pressure_size, window.prefs.pressure_opacity = False, True
    window.canvas.pressure_size, window.canvas.pressure_opacity = False, True
    pen_stroke(window.canvas, 108, falling)
    s = frame.strokes[-1]
    h = p.hints(frame)
    assert not s.pressure_size and s.pressure_opacity and h[108, 35, 3] > h[108, 125, 3] + 100

    # the mouse paints at full pressure, as before
    vp = window.canvas.viewport()
    at = lambda x, y: window.canvas.mapFromScene(QPointF(x, y))
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(20, 60))
    QTest.mouseMove(vp, at(60, 60))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(60, 60))
    assert frame.strokes[-1].pressure == () and p.hints(frame)[60, 40, 3] == 255


def test_pressure_choices_are_preferences(tmp_path, monkeypatch):
    from colorpaint.project import appdata
    from colorpaint.project.appdata import Preferences

    monkeypatch.setattr(appdata, "config_dir", lambda: tmp_path)
    prefs = Preferences()
    prefs.pressure_size, prefs.pressure_opacity = False, True
    prefs.save()
    back = Preferences.load()
    assert (back.pressure_size, back.pressure_opacity) == (False, True)


def test_the_stroke_being_drawn_shows_its_pressure(window, qtbot, sample_frames):
    """While the pen is down the preview already narrows where the pen lifts, as the
    finished stroke will; with the mouse it stays one width."""
    assert window.open_path(sample_frames / "frame1.png")
    window.canvas.fit()
    window.set_tool("brush")
    c = window.canvas
    c.set_brush_size(20)
    xs = np.linspace(20, 140, 25)
    falling = np.linspace(1.0, 0.2, 25)
    assert tablet(c, QEvent.Type.TabletPress, xs[0], 60, falling[0])
    for x, p in zip(xs[1:], falling[1:]):
        tablet(c, QEvent.Type.TabletMove, x, 60, p)
    path = c._preview.path()

    def width_at(x):
        ys = [y / 4 for y in range(4 * 30, 4 * 90) if path.contains(QPointF(x, y / 4))]
        return max(ys) - min(ys) if ys else 0.0

    assert width_at(25) > 17 and width_at(135) < 7  # 20 px where pressed hard, ~4 px near the end
    assert tablet(c, QEvent.Type.TabletRelease, xs[-1], 60, falling[-1])
    assert c._preview.path().isEmpty()
