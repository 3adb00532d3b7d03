"""The Regions panel's fill Tolerance, driven with the keyboard: a light gray line that a fill
runs through at Auto stops it once the tolerance is raised; the fill is one undo step and
the setting is saved with the project."""
import cv2
import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSpinBox

from colorpaint.core.imageio import save_image


def click(canvas, x, y):
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     canvas.mapFromScene(QPointF(x, y)))


def test_raising_the_tolerance_makes_a_light_line_stop_the_fill(window, qtbot, tmp_path):
    img = np.full((100, 140, 3), 255, np.uint8)
    cv2.rectangle(img, (10, 10), (130, 90), (0, 0, 0), 3)
    cv2.line(img, (70, 10), (70, 90), (200, 200, 200), 2)  # a light pencil line splitting the box
    save_image(tmp_path / "pencil.png", img)
    assert window.open_path(tmp_path / "pencil.png")
    window.canvas.fit()
    window.set_tool("fill")
    window.set_color((0, 0, 255))
    box = window.findChild(QSpinBox, "fillTolerance")
    assert box.isEnabled() and box.text() == "Auto"
    frame = window.project.current_frame
    right = (slice(30, 70), slice(90, 120))

    click(window.canvas, 40, 50)  # Auto: the light line is paper, the fill covers both halves
    assert frame.strokes[-1].tolerance == 0 and (window.project.hints(frame)[right][..., 3] > 0).all()
    window.project.undo()

    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, "90")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == 90 and window.project.typed_settings.tolerance == 90
    click(window.canvas, 40, 50)
    hints = window.project.hints(frame)
    assert frame.strokes[-1].tolerance == 90
    assert (hints[30:70, 20:60, 3] > 0).all() and not (hints[right][..., 3] > 0).any()
    assert window.project.history.texts()[-1] == "Fill"
    window.project.undo()  # the fill is one undo step
    assert not (window.project.hints(frame)[..., 3] > 0).any()

    assert window.save(tmp_path / "t", wait=True)
    box.setValue(0)
    assert window.open_path(tmp_path / "t.cpaint")
    assert window.findChild(QSpinBox, "fillTolerance").value() == 90
    assert window.make_request().options["tolerance"] == 90  # Colorize uses the same regions as the fill
