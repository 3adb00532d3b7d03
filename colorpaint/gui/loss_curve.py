"""A small live plot of training losses (left axis) and held-out PSNR (right axis).

Drawn with QPainter rather than pyqtgraph: the trainer tab needs a few hundred points and
two axes, which is not worth another dependency.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]
VAL_COLOR = "#d62728"


class LossCurve(QWidget):
    """Loss series on a log axis (linear when a loss is not positive), PSNR in dB on the right."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lossCurve")
        self.setMinimumSize(280, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.series: dict[str, list[tuple[int, float]]] = {}
        self.val: list[tuple[int, float]] = []
        self.total = 0

    def clear(self, total: int = 0) -> None:
        self.series, self.val, self.total = {}, [], total
        self.update()

    def add(self, step: int, losses: dict, val: dict | None = None, total: int | None = None) -> None:
        """Add one progress record's losses (and validation PSNR, when it has one)."""
        for k, v in losses.items():
            if isinstance(v, (int, float)) and math.isfinite(v):
                self.series.setdefault(k, []).append((step, float(v)))
        if val and isinstance(val.get("psnr"), (int, float)):
            self.val.append((step, float(val["psnr"])))
        if total:
            self.total = total
        self.update()

    def point_count(self) -> int:
        return sum(len(s) for s in self.series.values())

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        p.setFont(font)
        fm = p.fontMetrics()
        plot = QRectF(self.rect()).adjusted(fm.horizontalAdvance("0.0001") + 10, fm.height() + 8, -(fm.horizontalAdvance("00.0") + 12),
                                            -(fm.height() * 2 + 8))
        text_pen = QPen(pal.text().color())
        grid_pen = QPen(QColor(128, 128, 128, 60))
        p.setPen(QPen(pal.mid().color()))
        p.drawRect(plot)
        if not self.series:
            p.setPen(text_pen)
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "The loss curve appears here while training")
            return
        pts = [v for s in self.series.values() for _, v in s]
        log_y = min(pts) > 0
        f = (lambda v: math.log10(v)) if log_y else (lambda v: v)
        lo, hi = min(map(f, pts)), max(map(f, pts))
        if hi - lo < 1e-6:
            lo, hi = lo - 0.5, hi + 0.5
        pad = (hi - lo) * 0.05
        lo, hi = lo - pad, hi + pad
        x_max = max(self.total, max(s for ser in self.series.values() for s, _ in ser), 1)
        sx = lambda step: plot.left() + plot.width() * step / x_max
        sy = lambda v: plot.bottom() - plot.height() * (f(v) - lo) / (hi - lo)
        # y grid and labels (left: loss)
        for i in range(5):
            t = lo + (hi - lo) * i / 4
            y = plot.bottom() - plot.height() * i / 4
            p.setPen(grid_pen)
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(text_pen)
            v = 10 ** t if log_y else t
            p.drawText(QRectF(0, y - fm.height() / 2, plot.left() - 4, fm.height()), Qt.AlignmentFlag.AlignRight, f"{v:.3g}")
        # x labels
        for i in range(5):
            step = round(x_max * i / 4)
            x = sx(step)
            p.drawText(QRectF(x - 30, plot.bottom() + 2, 60, fm.height()), Qt.AlignmentFlag.AlignHCenter, str(step))
        p.drawText(QRectF(plot.left(), plot.bottom() + fm.height() + 2, plot.width(), fm.height()), Qt.AlignmentFlag.AlignHCenter,
                   "step" + ("   (loss: log scale)" if log_y else ""))
        # loss series
        legend = []
        for i, (name, ser) in enumerate(self.series.items()):
            color = QColor(COLORS[i % len(COLORS)])
            self._line(p, [(sx(s), sy(v)) for s, v in ser], color)
            legend.append((name, color))
        # validation PSNR on the right axis
        if self.val:
            vs = [v for _, v in self.val]
            vlo, vhi = min(vs) - 0.5, max(vs) + 0.5
            vy = lambda v: plot.bottom() - plot.height() * (v - vlo) / (vhi - vlo)
            color = QColor(VAL_COLOR)
            self._line(p, [(sx(s), vy(v)) for s, v in self.val], color, dots=True, dashed=True)
            p.setPen(QPen(color))
            for i in range(3):
                v = vlo + (vhi - vlo) * (i + 0.5) / 3
                p.drawText(QRectF(plot.right() + 4, vy(v) - fm.height() / 2, 60, fm.height()), Qt.AlignmentFlag.AlignLeft, f"{v:.1f}")
            legend.append(("held-out PSNR (dB, right)", color))
        # legend across the top
        x = plot.left()
        for name, color in legend:
            p.setPen(QPen(color, 3))
            p.drawLine(QPointF(x, fm.height() / 2 + 3), QPointF(x + 14, fm.height() / 2 + 3))
            p.setPen(text_pen)
            p.drawText(QPointF(x + 18, fm.ascent() + 2), name)
            x += 30 + fm.horizontalAdvance(name)
        p.end()

    @staticmethod
    def _line(p: QPainter, pts, color: QColor, dots: bool = False, dashed: bool = False) -> None:
        if not pts:
            return
        pen = QPen(color, 1.6)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        path = QPainterPath(QPointF(*pts[0]))
        for x, y in pts[1:]:
            path.lineTo(x, y)
        p.drawPath(path)
        if dots or len(pts) == 1:
            p.setBrush(color)
            p.setPen(Qt.PenStyle.NoPen)
            for x, y in pts:
                p.drawEllipse(QPointF(x, y), 2.5, 2.5)
            p.setBrush(Qt.BrushStyle.NoBrush)
