"""Small tool icons drawn with QPainter (no image files to ship or theme)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF


def _icon(draw, size: int = 32) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 32, size / 32)
    draw(p)
    p.end()
    return QIcon(pm)


INK = QColor(225, 225, 230)


def brush() -> QIcon:
    def d(p: QPainter):
        p.setPen(QPen(INK, 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(27, 4), QPointF(15, 17))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(230, 70, 70))
        path = QPainterPath(QPointF(15, 15))
        path.cubicTo(QPointF(9, 13), QPointF(5, 19), QPointF(6, 24))
        path.cubicTo(QPointF(6, 27), QPointF(3, 28), QPointF(3, 28))
        path.cubicTo(QPointF(12, 30), QPointF(19, 24), QPointF(17, 18))
        p.drawPath(path)
    return _icon(d)


def eraser() -> QIcon:
    def d(p: QPainter):
        p.translate(16, 16)
        p.rotate(-40)
        p.setPen(QPen(INK, 1.5))
        p.setBrush(QColor(240, 150, 170))
        p.drawRoundedRect(QRectF(-12, -6, 14, 12), 2, 2)
        p.setBrush(QColor(235, 235, 240))
        p.drawRoundedRect(QRectF(2, -6, 10, 12), 2, 2)
    return _icon(d)


def eyedropper() -> QIcon:
    def d(p: QPainter):
        p.setPen(QPen(INK, 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(8, 24), QPointF(20, 12))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(INK)
        p.drawEllipse(QPointF(23, 9), 5, 5)
        p.setBrush(QColor(80, 160, 240))
        p.drawEllipse(QPointF(6, 26), 3, 3)
    return _icon(d)


def fill() -> QIcon:
    def d(p: QPainter):
        p.setPen(QPen(INK, 2))
        p.setBrush(QColor(90, 90, 96))
        p.drawPolygon(QPolygonF([QPointF(6, 14), QPointF(16, 4), QPointF(26, 14), QPointF(16, 24)]))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(80, 190, 110))
        path = QPainterPath(QPointF(26, 16))
        path.cubicTo(QPointF(29, 21), QPointF(30, 26), QPointF(27, 27))
        path.cubicTo(QPointF(24, 27), QPointF(24, 22), QPointF(26, 16))
        p.drawPath(path)
    return _icon(d)
