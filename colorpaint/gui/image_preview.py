"""An image file shown whole, scaled to fit (the Train panel's samples and comparison)."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget


class ImagePreview(QWidget):
    """An image file shown whole, scaled to fit and centred; double-click opens the file."""

    def __init__(self, placeholder: str, object_name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self.placeholder = placeholder
        self.path: str | None = None
        self._pm = QPixmap()
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, path: str | os.PathLike | None, placeholder: str | None = None) -> bool:
        """Show ``path`` (None clears it); False when it cannot be read."""
        if placeholder is not None:
            self.placeholder = placeholder
        self._pm = QPixmap(str(path)) if path else QPixmap()
        self.path = str(path) if path and not self._pm.isNull() else None
        self.setToolTip("Double-click to open the full image" if self.path else "")
        self.update()
        return self.path is not None

    def pixmap(self) -> QPixmap:
        return self._pm

    def paintEvent(self, event):
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        p.setPen(pal.mid().color())
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if self._pm.isNull():
            p.setPen(pal.text().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        area = self.rect().adjusted(2, 2, -2, -2)
        pm = self._pm.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        p.drawPixmap(area.x() + (area.width() - pm.width()) // 2, area.y() + (area.height() - pm.height()) // 2, pm)

    def mouseDoubleClickEvent(self, event):
        if self.path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.path))
