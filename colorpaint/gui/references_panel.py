"""The References dock: the project's colored references as thumbnails, each switched on
or off by its check box; Add… (or drop image files on the list) and Remove; "Show matches"
tints the drawing: green where a region took its color from a reference, orange where
it fell back to the model, so the artist knows where to look.

A view only: the list lives in the project (:mod:`colorpaint.project.references`); the
window adds, removes and switches through it and this panel shows what it holds.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from .convert import rgb_to_qimage

THUMB = 96
MATCHED = (60, 200, 90)  # regions colored from a reference
FELL_BACK = (245, 150, 40)  # regions left to the model
OVERLAY_ALPHA = 110


def match_overlay(region_map: np.ndarray) -> np.ndarray:
    """``HxW int8`` (1 from a reference, 0 the model, -1 lines) -> ``HxWx4 uint8 RGBA`` tint."""
    out = np.zeros(region_map.shape + (4,), np.uint8)
    out[region_map == 1] = (*MATCHED, OVERLAY_ALPHA)
    out[region_map == 0] = (*FELL_BACK, OVERLAY_ALPHA)
    return out


class _Drops(QListWidget):
    filesDropped = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)

    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dragMoveEvent(self, e) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        paths = [u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()]
        if paths:
            e.acceptProposedAction()
            self.filesDropped.emit(paths)


class ReferencesPanel(QWidget):
    addRequested = Signal()  # the window asks for files
    filesDropped = Signal(list)
    removeRequested = Signal(str)  # reference id
    enabledChanged = Signal(str, bool)
    matchesToggled = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("referencesPanel")
        self.list = _Drops()
        self.list.setObjectName("referenceList")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setMinimumHeight(THUMB + 40)
        self.list.setToolTip("Colored references: a model sheet, a finished frame, a turnaround.\n"
                             "Drop images here. Unchecked ones are kept but not used.")
        self.list.filesDropped.connect(self.filesDropped)
        self.list.itemChanged.connect(self._item_changed)
        self.list.itemSelectionChanged.connect(lambda: self.remove_button.setEnabled(bool(self.list.selectedItems())))
        self.add_button = QPushButton("Add…", objectName="addReferenceButton")
        self.add_button.setToolTip("Add colored images whose colors the drawings take")
        self.add_button.clicked.connect(self.addRequested)
        self.remove_button = QPushButton("Remove", objectName="removeReferenceButton")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._remove)
        self.matches = QCheckBox("Show matches", objectName="referenceMatchesToggle")
        self.matches.setToolTip("Green: the region's color came from a reference. Orange: no sure match, the model colored it.")
        self.matches.toggled.connect(self.matchesToggled)
        self.summary = QLabel(objectName="referenceSummary")
        self.summary.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        row.addWidget(self.matches)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.list, 1)
        lay.addLayout(row)
        lay.addWidget(self.summary)
        self._filling = False
        self.refresh(None)

    def refresh(self, refs, images=None) -> None:
        """Show ``refs`` (a project's References, or None); ``images(entry)`` gives a
        thumbnail's pixels (HxWx3 uint8 RGB) or raises."""
        self._filling = True
        self.list.clear()
        for e in refs or ():
            it = QListWidgetItem(e.name)
            it.setData(Qt.ItemDataRole.UserRole, e.id)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if e.enabled else Qt.CheckState.Unchecked)
            it.setToolTip(str(e.source))
            if images is not None:
                try:
                    it.setIcon(QIcon(QPixmap.fromImage(rgb_to_qimage(_thumb(images(e))))))
                except (OSError, ValueError):
                    it.setToolTip(f"{e.source}\n(cannot be read)")
            self.list.addItem(it)
        self._filling = False
        n = len(refs) if refs is not None else 0
        on = sum(1 for e in refs or () if e.enabled)
        self.summary.setText("" if not n else f"{on} of {n} reference{'s' * (n != 1)} in use")
        self.add_button.setEnabled(refs is not None)
        self.remove_button.setEnabled(False)

    def ids(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def set_checked(self, rid: str, on: bool) -> None:
        """Check or uncheck reference ``rid`` as the artist's click would."""
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.data(Qt.ItemDataRole.UserRole) == rid:
                it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _item_changed(self, it: QListWidgetItem) -> None:
        if not self._filling:
            self.enabledChanged.emit(it.data(Qt.ItemDataRole.UserRole), it.checkState() == Qt.CheckState.Checked)

    def _remove(self) -> None:
        for it in self.list.selectedItems():
            self.removeRequested.emit(it.data(Qt.ItemDataRole.UserRole))


def _thumb(img: np.ndarray) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    s = THUMB / max(h, w)
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA) if s < 1 else img
