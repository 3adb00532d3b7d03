"""The canvas's pen input: strokes from the mouse (full pressure) and from a tablet pen, whose
pressure scales the hint brush's diameter and/or opacity at each point (the preferences'
``pressure_size`` and ``pressure_opacity``, kept on the canvas's
:class:`~colorpaint.app.tools.ToolState`). Mixed into :class:`~.canvas.HintCanvas`."""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen, QPolygonF

from ..core.hints import MIN_PRESSURE
from ..project.strokes import Stroke

_TABLET = {QEvent.Type.TabletPress: "press", QEvent.Type.TabletMove: "move", QEvent.Type.TabletRelease: "release"}


class PenInput:
    """Stroke building shared by mouse and tablet events (``self`` is the HintCanvas, whose
    ``tools`` holds the brush it paints with)."""

    # pen pressure scales the brush's diameter / its opacity
    pressure_size = property(lambda self: self.tools.pressure_size, lambda self, on: setattr(self.tools, "pressure_size", on))
    pressure_opacity = property(lambda self: self.tools.pressure_opacity,
                                lambda self, on: setattr(self.tools, "pressure_opacity", on))

    def _begin(self, p: QPointF, pressure: float = 1.0) -> None:
        self._stroke_kind = self.tools.tool
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
        kind, pts, pr, t = self._stroke_kind, tuple(self._stroke), tuple(self._pressures), self.tools
        self._cancel_stroke()
        uses = t.pressure_size or (t.pressure_opacity and kind == "brush")
        self.strokeFinished.emit(Stroke(kind, pts, t.color, t.size, t.opacity, pressure=pr if uses else (),
                                        pressure_size=t.pressure_size, pressure_opacity=t.pressure_opacity))

    def _update_preview(self) -> None:
        """The stroke being drawn, as it will land: a round-capped line of the brush size, or,
        with pen pressure, an outline whose width follows the pressure at each point (and,
        when pressure sets opacity, the stroke's mean pressure as its opacity)."""
        pts, t = self._stroke or [], self.tools
        pr = [max(MIN_PRESSURE, min(1.0, v)) for v in self._pressures] if len(self._pressures) == len(pts) else []
        varies = bool(pr) and min(pr) < 1.0
        by_size = varies and t.pressure_size
        by_opacity = varies and t.pressure_opacity and self._stroke_kind == "brush"
        if self._stroke_kind == "erase":
            color = QColor(255, 255, 255, 170)
        else:
            color = QColor(*t.color)
            alpha = t.opacity * (sum(pr) / len(pr) if by_opacity else 1.0)
            color.setAlphaF(max(0.15, alpha * self.item.opacity_of["hints"]))
        if by_size:
            self._preview.setPen(QPen(Qt.PenStyle.NoPen))
            self._preview.setBrush(QBrush(color))
            self._preview.setPath(pressure_outline(pts, [t.size * v for v in pr]))
            return
        path = QPainterPath()
        if pts:
            path.moveTo(*pts[0])
            if len(pts) == 1:
                path.lineTo(pts[0][0] + 0.01, pts[0][1])
            for x, y in pts[1:]:
                path.lineTo(x, y)
        self._preview.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self._preview.setPen(QPen(color, t.size, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                                  Qt.PenJoinStyle.RoundJoin))
        self._preview.setPath(path)

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
            drawing = (e.button() == Qt.MouseButton.LeftButton and self.has_image and self.tools.paints
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


def pressure_outline(pts, diameters) -> QPainterPath:
    """Filled outline of a stroke whose diameter changes at each point: a disc at every
    point and, between two points, the quadrilateral tangent to both discs (the shape the
    hint layer paints, without its steps)."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    for (x, y), d in zip(pts, diameters):
        r = d / 2.0
        path.addEllipse(QPointF(x, y), r, r)
    for (x0, y0), (x1, y1), d0, d1 in zip(pts, pts[1:], diameters, diameters[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        if length < 1e-6:
            continue
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length
        r0, r1 = d0 / 2.0, d1 / 2.0
        # wound the same way as addEllipse's discs, so under the winding rule overlaps add up
        path.addPolygon(QPolygonF([QPointF(x0 - nx * r0, y0 - ny * r0), QPointF(x1 - nx * r1, y1 - ny * r1),
                                   QPointF(x1 + nx * r1, y1 + ny * r1), QPointF(x0 + nx * r0, y0 + ny * r0)]))
    return path
