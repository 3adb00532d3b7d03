"""The canvas's pen input: strokes from the mouse (full pressure) and from a tablet pen, whose
pressure scales the hint brush's diameter and/or opacity at each point (the preferences'
``pressure_size`` and ``pressure_opacity``). Mixed into :class:`~.canvas.HintCanvas`."""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, Qt

from ..project.strokes import Stroke

_TABLET = {QEvent.Type.TabletPress: "press", QEvent.Type.TabletMove: "move", QEvent.Type.TabletRelease: "release"}


class PenInput:
    """Stroke building shared by mouse and tablet events (``self`` is the HintCanvas)."""

    pressure_size = True  # pen pressure scales the brush's diameter
    pressure_opacity = False  # pen pressure scales the brush's opacity

    def _begin(self, p: QPointF, pressure: float = 1.0) -> None:
        self._stroke_kind = self.tool
        self._stroke = [(p.x(), p.y())]
        self._pressures = [pressure]
        self._update_preview()

    def _extend(self, p: QPointF, pressure: float = 1.0) -> None:
        last = self._stroke[-1]
        if math.hypot(p.x() - last[0], p.y() - last[1]) * max(self.zoom, 1.0) >= 1.0:
            self._stroke.append((p.x(), p.y()))
            self._pressures.append(pressure)
            self._update_preview()

    def _finish(self, p: QPointF, pressure: float = 1.0) -> None:
        if (p.x(), p.y()) != self._stroke[-1]:
            self._stroke.append((p.x(), p.y()))
            self._pressures.append(pressure)
        kind, pts, pr = self._stroke_kind, tuple(self._stroke), tuple(self._pressures)
        self._cancel_stroke()
        uses = self.pressure_size or (self.pressure_opacity and kind == "brush")
        self.strokeFinished.emit(Stroke(kind, pts, tuple(self.brush_color), self.brush_size, self.brush_opacity,
                                        pressure=pr if uses else (), pressure_size=self.pressure_size,
                                        pressure_opacity=self.pressure_opacity))

    def viewportEvent(self, e) -> bool:
        """A tablet pen painting with the brush or eraser: its pressure at each point goes
        into the stroke. Anything else (hovering, other tools, Ctrl-pick, space-pan) is left
        to the mouse events Qt makes from the pen."""
        what = _TABLET.get(e.type())
        if what is None:
            return super().viewportEvent(e)
        pressure = min(1.0, max(0.0, float(e.pressure())))
        p = self.mapToScene(e.position().toPoint())
        if what == "press":
            drawing = (e.button() == Qt.MouseButton.LeftButton and self.has_image and self.tool in ("brush", "erase")
                       and not self._space and not e.modifiers() & Qt.KeyboardModifier.ControlModifier)
            if not drawing:
                e.ignore()
                return False
            self._begin(p, pressure)
        elif self._stroke is None:
            e.ignore()
            return False
        elif what == "move":
            self._update_outline(p)
            self.cursorMoved.emit(int(p.x()), int(p.y()))
            self._extend(p, pressure)
        else:
            self._finish(p, pressure)
        e.accept()
        return True
