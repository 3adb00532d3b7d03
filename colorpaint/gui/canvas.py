"""The painting canvas: one frame's layers, hint painting tools, zoom and pan.

Layers, bottom to top: white paper, the color layer (the engine's result), the source
(line art drawn with multiply so lines sit on the color; a grayscale page is shown only
where there is no color), and the hint layer. The canvas knows nothing about projects:
it shows arrays it is given and reports what the artist did as signals
(``strokeFinished(Stroke)``, ``fillRequested(x, y)``, ``colorPicked((r, g, b))``).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QGraphicsView, QStyleOptionGraphicsItem

from ..app.tools import TOOLS, ToolState
from .canvas_pen import PenInput
from .convert import blit_rgba, qimage_to_rgba, rgb_to_qimage, rgba_to_qimage

__all__ = ["FrameItem", "HintCanvas", "TOOLS"]
MIN_ZOOM, MAX_ZOOM = 1 / 32, 32.0


class _Mipmaps:
    """Pre-shrunk copies of a QImage (1/2, 1/4, ...) so zoomed-out views of big frames
    repaint fast and without aliasing. Built lazily, per level."""

    def __init__(self, image: QImage | None, full_width: int | None = None) -> None:
        self.image = image
        # an image smaller than what it stands for (a quick preview) is drawn scaled up
        self.full_width = full_width if full_width and image is not None else (image.width() if image is not None else 0)
        self._levels: dict[int, QImage] = {}

    def invalidate(self) -> None:
        """The full-size image was changed in place: drop the shrunk copies."""
        self._levels.clear()

    def for_zoom(self, zoom: float) -> tuple[QImage | None, float]:
        """(image, its scale relative to full size) suited to drawing at ``zoom``."""
        if self.image is None:
            return None, 1.0
        if self.full_width != self.image.width():  # already small: drawn as it is, scaled
            return self.image, self.image.width() / max(1, self.full_width)
        if zoom >= 0.75:
            return self.image, 1.0
        level = min(5, int(math.floor(math.log2(0.75 / zoom))) + 1)
        if level not in self._levels:
            s = 0.5 ** level
            self._levels[level] = self.image.scaled(max(1, round(self.image.width() * s)), max(1, round(self.image.height() * s)),
                                                    Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
        img = self._levels[level]
        return img, img.width() / self.image.width()


class FrameItem(QGraphicsItem):
    """Paints one frame's layers; draws only the exposed part, so 4K frames stay smooth."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.w = self.h = 0
        self.kind = "lineart"
        self.source = _Mipmaps(None)
        self.color = _Mipmaps(None)
        self.hints = _Mipmaps(None)
        self.visible = {"color": True, "lineart": True, "hints": True}
        self.opacity_of = {"color": 1.0, "lineart": 1.0, "hints": 0.85}
        self.split: float | None = None  # compare: left of split shows the frame before colorizing
        self.overlays: dict[str, tuple[_Mipmaps, int, int]] = {}  # name -> (RGBA image, x, y), drawn on top
        self.before_only = False  # held compare key
        self.underlay: tuple[_Mipmaps, float] | None = None  # (RGB image, opacity) on the paper, under the color: onion skin

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.w, self.h)

    def _draw(self, p: QPainter, layer: _Mipmaps, r: QRectF, zoom: float, ox: int = 0, oy: int = 0) -> None:
        img, s = layer.for_zoom(zoom)
        if img is not None:
            p.drawImage(r, img, QRectF((r.x() - ox) * s, (r.y() - oy) * s, r.width() * s, r.height() * s))

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        r = option.exposedRect.intersected(self.boundingRect())
        if r.isEmpty():
            return
        zoom = p.worldTransform().m11()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, zoom < 4)  # crisp pixels only when zoomed far in
        p.fillRect(r, Qt.GlobalColor.white)
        if self.underlay is not None:
            p.setOpacity(self.underlay[1])
            self._draw(p, self.underlay[0], r, zoom)
            p.setOpacity(1.0)
        has_color = self.color.image is not None and self.visible["color"] and not self.before_only
        after = QRectF(r)
        if has_color and self.split is not None:
            after.setLeft(max(r.left(), self.split * self.w))
        if has_color and not after.isEmpty():
            p.setOpacity(self.opacity_of["color"])
            self._draw(p, self.color, after, zoom)
        if self.kind == "lineart":
            if self.visible["lineart"] or not has_color:
                p.setOpacity(self.opacity_of["lineart"] if has_color else 1.0)
                p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
                self._draw(p, self.source, r, zoom)
                p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        else:  # a grayscale page: the color result already carries its lightness
            before = QRectF(r)
            if has_color:
                before.setRight(min(r.right(), after.left()) if not after.isEmpty() else r.right())
            if not has_color or (self.split is not None and before.width() > 0):
                p.setOpacity(1.0)
                self._draw(p, self.source, before, zoom)
        if self.hints.image is not None and self.visible["hints"]:
            p.setOpacity(self.opacity_of["hints"])
            self._draw(p, self.hints, r, zoom)
        p.setOpacity(1.0)
        for layer, ox, oy in self.overlays.values():
            t = r.intersected(QRectF(ox, oy, layer.image.width(), layer.image.height()))
            if not t.isEmpty():
                self._draw(p, layer, t, zoom, ox, oy)
        if has_color and self.split is not None and r.left() <= self.split * self.w <= r.right():
            x = self.split * self.w
            for color, width in ((QColor(0, 0, 0, 160), 3), (QColor(255, 255, 255), 1)):
                pen = QPen(color, width)
                pen.setCosmetic(True)
                p.setPen(pen)
                p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))


class HintCanvas(PenInput, QGraphicsView):
    """Canvas view: wheel zoom around the cursor, fit / 100 %, pan with the middle button
    or space-drag, and the brush, eraser, eyedropper and fill tools (Ctrl+click picks a
    color with any tool); a tablet pen's pressure goes into brush and eraser strokes
    (:mod:`.canvas_pen`). Coordinates in signals are image pixels.

    The tool, brush and pressure choices are ``tools`` (a :class:`~colorpaint.app.tools.ToolState`,
    the window's; a canvas of its own when none is given): the canvas paints with it and
    follows its changes; ``tool``, ``brush_color``, ``brush_size`` and ``brush_opacity``
    read and write it."""

    strokeFinished = Signal(object)  # Stroke
    fillRequested = Signal(float, float)
    colorPicked = Signal(object)  # (r, g, b)
    brushSizeChanged = Signal(float)
    zoomChanged = Signal(float)
    cursorMoved = Signal(int, int)
    filesDropped = Signal(list)  # local paths dropped on the canvas
    hoverLeft = Signal()  # the pointer left the canvas

    def __init__(self, parent=None, tools: ToolState | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.tools = tools if tools is not None else ToolState()
        self.setScene(QGraphicsScene(self))
        self.item = FrameItem()
        self.scene().addItem(self.item)
        self.scene().setSceneRect(-1e5, -1e5, 2e5, 2e5)  # pan freely; the view is the only limit
        self.setBackgroundBrush(QColor(58, 58, 62))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)

        self.has_image = False
        self._stroke: list[tuple[float, float]] | None = None
        self._pressures: list[float] = []  # the pen's pressure at each point of _stroke (1: the mouse)
        self._stroke_kind = "brush"
        self._pan_from: QPoint | None = None
        self._space = False
        self._picking = False
        self._preview = QGraphicsPathItem()
        self._preview.setZValue(10)
        self.scene().addItem(self._preview)
        self._outline = QGraphicsEllipseItem()
        self._outline.setZValue(11)
        pen = QPen(QColor(20, 20, 20, 200), 1.5)
        pen.setCosmetic(True)
        self._outline.setPen(pen)
        self._outline.setVisible(False)
        self.scene().addItem(self._outline)
        self._update_cursor()
        self.tools.events.tool.connect(self._on_tool)
        self.tools.events.size.connect(self._on_brush_size)

    # ------------------------------------------------------------------ content
    def show_frame(self, source: np.ndarray | None, color: np.ndarray | None = None, hints: np.ndarray | None = None,
                   kind: str = "lineart", fit: bool | None = None) -> None:
        """Show a frame: ``source`` HxWx3 uint8 RGB, ``color`` HxWx3 uint8 RGB or None,
        ``hints`` HxWx4 uint8 RGBA or None. Fits the view when the size changes."""
        self._cancel_stroke()
        if source is None:
            self.item.prepareGeometryChange()
            self.item.w = self.item.h = 0
            self.item.source, self.item.color, self.item.hints = _Mipmaps(None), _Mipmaps(None), _Mipmaps(None)
            self.has_image = False
            self.viewport().update()
            return
        h, w = source.shape[:2]
        resized = (w, h) != (self.item.w, self.item.h)
        self.item.prepareGeometryChange()
        self.item.w, self.item.h = w, h
        self.item.source = _Mipmaps(rgb_to_qimage(source))
        self.item.overlays.clear()  # they describe the previous frame
        self.has_image = True
        self.set_color_layer(color, kind)
        self.set_hints(hints if hints is not None else np.zeros((h, w, 4), np.uint8))
        if fit or (fit is None and resized):
            self.fit()
        self.item.update()

    def set_color_layer(self, color: np.ndarray | None, kind: str | None = None) -> None:
        """The color layer: ``HxWx3 uint8 RGB`` or None (the source alone). A layer smaller
        than the frame (a large page's quick preview) is drawn scaled up to the frame, so the
        first colors of a big page cost a small image's paint, not a full-size copy."""
        if kind:
            self.item.kind = kind
        small = color is not None and self.item.w and color.shape[1] < self.item.w
        self.item.color = _Mipmaps(rgb_to_qimage(color) if color is not None else None, self.item.w if small else None)
        self.item.update()

    def set_hints(self, hints: np.ndarray, rect: tuple[int, int, int, int] | None = None) -> None:
        """Update the hint layer from ``hints`` (HxWx4 uint8 RGBA, the whole frame's map);
        ``rect`` (x0, y0, x1, y1) limits the copy to what changed."""
        img = self.item.hints.image
        if img is None or rect is None or img.size().toTuple() != (hints.shape[1], hints.shape[0]):
            self.item.hints = _Mipmaps(rgba_to_qimage(hints))
            self.item.update()
            return
        x0, y0, x1, y1 = rect
        blit_rgba(img, hints[y0:y1, x0:x1], x0, y0)
        self.item.hints.invalidate()
        self.item.update(QRectF(x0, y0, x1 - x0, y1 - y0))

    def hint_layer(self) -> np.ndarray:
        """What the hint layer shows, as ``HxWx4 uint8 RGBA``."""
        img = self.item.hints.image
        return qimage_to_rgba(img) if img is not None else np.zeros((0, 0, 4), np.uint8)

    def set_layer_visible(self, layer: str, on: bool) -> None:
        self.item.visible[layer] = on
        self.item.update()

    def set_layer_opacity(self, layer: str, value: float) -> None:
        self.item.opacity_of[layer] = float(value)
        self.item.update()

    def set_overlay(self, name: str, rgba: np.ndarray | None, pos: tuple[int, int] = (0, 0)) -> None:
        """An overlay drawn over every layer (region display, fill preview): ``rgba`` is
        ``hxwx4 uint8 RGBA`` (straight alpha) placed at image pixel ``pos``; None removes it."""
        old = self.item.overlays.pop(name, None)
        if old is not None:
            self.item.update(QRectF(old[1], old[2], old[0].image.width(), old[0].image.height()))
        if rgba is not None and rgba.size:
            self.item.overlays[name] = (_Mipmaps(rgba_to_qimage(rgba)), int(pos[0]), int(pos[1]))
            self.item.update(QRectF(pos[0], pos[1], rgba.shape[1], rgba.shape[0]))

    def overlay(self, name: str) -> tuple[np.ndarray, tuple[int, int]] | None:
        """What overlay ``name`` shows, as (``hxwx4 uint8 RGBA``, (x, y)), or None."""
        got = self.item.overlays.get(name)
        return None if got is None else (qimage_to_rgba(got[0].image), (got[1], got[2]))

    def set_underlay(self, rgb: np.ndarray | None, opacity: float = 0.35) -> None:
        """An image drawn faintly on the paper, under the color layer (the timeline's onion
        skin): ``HxWx3 uint8 RGB`` of the frame's size, or None to remove it."""
        ok = rgb is not None and rgb.shape[:2] == (self.item.h, self.item.w)
        self.item.underlay = (_Mipmaps(rgb_to_qimage(rgb)), float(opacity)) if ok else None
        self.item.update()

    def set_compare(self, split: float | None) -> None:
        """Before/after split at ``split`` (0..1 of the width; left = before), or None."""
        self.item.split = None if split is None else min(1.0, max(0.0, split))
        self.item.update()

    # ------------------------------------------------------------------ tools
    tool = property(lambda self: self.tools.tool, lambda self, v: self.set_tool(v))
    brush_color = property(lambda self: self.tools.color, lambda self, v: setattr(self.tools, "color", v))
    brush_size = property(lambda self: self.tools.size, lambda self, v: setattr(self.tools, "size", v))
    brush_opacity = property(lambda self: self.tools.opacity, lambda self, v: setattr(self.tools, "opacity", v))

    def set_tool(self, tool: str) -> None:
        """Raises ValueError for a name not in :data:`TOOLS`."""
        same = tool == self.tools.tool
        self.tools.tool = tool
        if same:
            self._on_tool()  # the same tool again still drops the stroke being drawn

    def set_brush_size(self, size: float) -> None:
        self.tools.size = size

    def grow_brush(self, steps: int) -> None:
        self.tools.grow(steps)

    def _on_tool(self, value: str | None = None) -> None:
        self._cancel_stroke()
        self._update_cursor()

    def _on_brush_size(self, value: float) -> None:
        self._update_outline()
        self.brushSizeChanged.emit(value)

    def _update_cursor(self) -> None:
        if self._space or self._pan_from is not None:
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor if self._pan_from else Qt.CursorShape.OpenHandCursor)
        elif self.tools.paints:
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self._outline.setVisible(self.tools.paints and self.has_image and not self._space)

    def _update_outline(self, scene_pos: QPointF | None = None) -> None:
        c = scene_pos or self._outline.rect().center()
        r = self.tools.size / 2
        self._outline.setRect(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r))

    # ------------------------------------------------------------------ zoom and pan
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_at(self, factor: float, view_pos: QPoint | None = None) -> None:
        """Zoom by ``factor`` keeping the image point under ``view_pos`` (default: center) still."""
        view_pos = view_pos if view_pos is not None else self.viewport().rect().center()
        new = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        if abs(new - self.zoom) < 1e-9:
            return
        anchor = self.mapToScene(view_pos)
        self.scale(new / self.zoom, new / self.zoom)
        moved = self.mapFromScene(anchor) - view_pos
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + moved.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + moved.y())
        self.zoomChanged.emit(self.zoom)

    def fit(self) -> None:
        if self.has_image:
            m = 0.03 * max(self.item.w, self.item.h)
            self.fitInView(self.item.boundingRect().adjusted(-m, -m, m, m), Qt.AspectRatioMode.KeepAspectRatio)
            self.zoomChanged.emit(self.zoom)

    def actual_size(self) -> None:
        center = self.mapToScene(self.viewport().rect().center())
        self.resetTransform()
        self.centerOn(center)
        self.zoomChanged.emit(self.zoom)

    def wheelEvent(self, e) -> None:
        dy = e.angleDelta().y()
        if dy:
            self.zoom_at(1.25 ** (dy / 120.0), e.position().toPoint())
        e.accept()

    # ------------------------------------------------------------------ mouse
    def _image_pos(self, e) -> QPointF:
        return self.mapToScene(e.position().toPoint())

    def mousePressEvent(self, e) -> None:
        b = e.button()
        if b == Qt.MouseButton.MiddleButton or (b == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = e.position().toPoint()
            self._update_cursor()
            return
        if b != Qt.MouseButton.LeftButton or not self.has_image:
            return super().mousePressEvent(e)
        p = self._image_pos(e)
        if self.tools.tool == "eyedropper" or e.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._picking = True
            self._pick(p)
        elif self.tools.tool == "fill":
            self.fillRequested.emit(p.x(), p.y())
        else:
            self._begin(p)

    def mouseMoveEvent(self, e) -> None:
        p = self._image_pos(e)
        self._update_outline(p)
        if self.has_image:
            self.cursorMoved.emit(int(p.x()), int(p.y()))
        if self._pan_from is not None:
            d = e.position().toPoint() - self._pan_from
            self._pan_from = e.position().toPoint()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - d.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - d.y())
        elif self._picking:
            self._pick(p)
        elif self._stroke is not None:
            self._extend(p)

    def mouseReleaseEvent(self, e) -> None:
        b = e.button()
        if self._pan_from is not None and b in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor()
            return
        if b != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(e)
        if self._picking:
            self._picking = False
            return
        if self._stroke is not None:
            self._finish(self._image_pos(e))

    def leaveEvent(self, e) -> None:
        self._outline.setVisible(False)
        self.hoverLeft.emit()
        super().leaveEvent(e)

    def enterEvent(self, e) -> None:
        self._update_cursor()
        super().enterEvent(e)

    def _pick(self, p: QPointF) -> None:
        x, y = int(p.x()), int(p.y())
        if not (0 <= x < self.item.w and 0 <= y < self.item.h):
            return
        img = self.item.color.image if self.item.color.image is not None and self.item.visible["color"] else self.item.source.image
        c = img.pixelColor(x, y)
        self.colorPicked.emit((c.red(), c.green(), c.blue()))

    def _cancel_stroke(self) -> None:
        self._stroke = None
        self._preview.setPath(QPainterPath())

    # ------------------------------------------------------------------ drops
    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, e) -> None:
        paths = [u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()]
        if paths:
            e.acceptProposedAction()
            self.filesDropped.emit(paths)

    # ------------------------------------------------------------------ keys
    def keyPressEvent(self, e) -> None:
        if e.key() == Qt.Key.Key_Space and not e.isAutoRepeat():
            self._space = True
            self._update_cursor()
        elif e.key() == Qt.Key.Key_Backslash and not e.isAutoRepeat():  # hold to see the frame before colorizing
            self.item.before_only = True
            self.item.update()
        else:
            super().keyPressEvent(e)

    def keyReleaseEvent(self, e) -> None:
        if e.key() == Qt.Key.Key_Space and not e.isAutoRepeat():
            self._space = False
            self._update_cursor()
        elif e.key() == Qt.Key.Key_Backslash and not e.isAutoRepeat():
            self.item.before_only = False
            self.item.update()
        else:
            super().keyReleaseEvent(e)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self.has_image:
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(QColor(200, 200, 200))
        f = painter.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        painter.setFont(f)
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                         "Open line art or a grayscale page (Ctrl+O)\nor drop an image, a folder of frames or a project here\n\n"
                         "New here? File ▸ Open Sample")
        painter.restore()
