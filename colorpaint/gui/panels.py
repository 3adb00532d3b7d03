"""Docked panels of the painting window: palette, layers and history.

Each panel is bound to the document through the window: it reads the project on
``refresh`` and reports the artist's choices as signals; it never edits widgets of
another panel.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QGridLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu,
                               QPushButton, QSlider, QToolButton, QVBoxLayout, QWidget)

from ..project.document import Palette

RGB = tuple[int, int, int]


def swatch_icon(color: RGB, size: int = 18) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(*color))
    p = QPainter(pm)
    p.setPen(QColor(0, 0, 0, 90))
    p.drawRect(0, 0, size - 1, size - 1)
    p.end()
    return QIcon(pm)


def hex_of(c: RGB) -> str:
    return "#%02x%02x%02x" % tuple(c)


class ColorButton(QToolButton):
    """Shows the current brush color; click to choose one in a color dialog."""

    colorChosen = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("colorButton")
        self.setToolTip("Brush color (click to choose)")
        self.setIconSize(QSize(28, 28))
        self.color: RGB = (0, 0, 0)
        self.clicked.connect(self._choose)

    def set_color(self, c: RGB) -> None:
        self.color = tuple(c)
        self.setIcon(swatch_icon(self.color, 28))
        self.setToolTip(f"Brush color {hex_of(self.color)} (click to choose)")

    def _choose(self) -> None:
        c = QColorDialog.getColor(QColor(*self.color), self, "Hint color")
        if c.isValid():
            self.colorChosen.emit((c.red(), c.green(), c.blue()))


class PalettePanel(QWidget):
    """Recent colors and saved colors; a click picks a color, right-click removes a saved one."""

    colorChosen = Signal(object)  # (r, g, b)
    saveRequested = Signal()  # save the current brush color
    removeRequested = Signal(int)
    loadRequested = Signal()  # load a .gpl palette

    COLUMNS = 8

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("palette")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(QLabel("Recent"))
        box = QWidget()  # always as tall as the most recent colors need: the Saved row never moves
        self.recent_grid = QGridLayout(box)
        self.recent_grid.setSpacing(2)
        self.recent_grid.setContentsMargins(0, 0, 0, 0)
        self.recent_grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        rows = -(-Palette.MAX_RECENT // self.COLUMNS)
        box.setFixedHeight(rows * (QToolButton().sizeHint().expandedTo(QSize(26, 26)).height() + 2))
        lay.addWidget(box)
        lay.addWidget(QLabel("Saved"))
        self.saved_grid = QGridLayout()
        self.saved_grid.setSpacing(2)
        lay.addLayout(self.saved_grid)
        row = QHBoxLayout()
        add = QPushButton("Add color")
        add.setToolTip("Save the current brush color in the palette")
        add.clicked.connect(self.saveRequested)
        load = QPushButton("Load .gpl…")
        load.setToolTip("Add the colors of a GIMP palette file")
        load.clicked.connect(self.loadRequested)
        row.addWidget(add)
        row.addWidget(load)
        lay.addLayout(row)
        self.buttons: list[QToolButton] = []

    def _fill(self, grid: QGridLayout, colors, saved: bool) -> None:
        while grid.count():
            w = grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for i, (name, c) in enumerate(colors):
            b = QToolButton()
            b.setIcon(swatch_icon(c))
            b.setIconSize(QSize(18, 18))
            b.setAutoRaise(True)
            b.setToolTip(f"{name} {hex_of(c)}" if name != hex_of(c) else name)
            b.clicked.connect(lambda _=False, c=c: self.colorChosen.emit(c))
            if saved:
                b.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                b.customContextMenuRequested.connect(lambda pos, i=i, b=b: self._menu(i, b, pos))
            grid.addWidget(b, i // self.COLUMNS, i % self.COLUMNS)
            self.buttons.append(b)

    def _menu(self, index: int, button: QToolButton, pos) -> None:
        m = QMenu(self)
        m.addAction("Remove from palette", lambda: self.removeRequested.emit(index))
        m.popup(button.mapToGlobal(pos))

    def refresh(self, palette) -> None:
        """Show ``palette`` (a project Palette, or None for no project)."""
        self.buttons = []
        self._fill(self.recent_grid, [(hex_of(c), c) for c in (palette.recent if palette else [])], False)
        self._fill(self.saved_grid, palette.saved if palette else [], True)


class LayersPanel(QWidget):
    """Visibility and opacity of the color, line art and hint layers, and the compare split."""

    visibilityChanged = Signal(str, bool)
    opacityChanged = Signal(str, float)
    compareChanged = Signal(object)  # split 0..1 or None

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("layers")
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        self.checks: dict[str, QCheckBox] = {}
        self.sliders: dict[str, QSlider] = {}
        for row, (key, label, value) in enumerate((("hints", "Hints", 85), ("lineart", "Line art", 100), ("color", "Color", 100))):
            cb = QCheckBox(label)
            cb.setObjectName(f"{key}Visible")
            cb.setChecked(True)
            cb.toggled.connect(lambda on, k=key: self.visibilityChanged.emit(k, on))
            sl = QSlider(Qt.Orientation.Horizontal)
            sl.setObjectName(f"{key}Opacity")
            sl.setRange(0, 100)
            sl.setValue(value)
            sl.setToolTip(f"{label} opacity")
            sl.valueChanged.connect(lambda v, k=key: self.opacityChanged.emit(k, v / 100.0))
            grid.addWidget(cb, row, 0)
            grid.addWidget(sl, row, 1)
            self.checks[key], self.sliders[key] = cb, sl
        self.compare = QCheckBox("Compare")
        self.compare.setObjectName("compareToggle")
        self.compare.setToolTip("Split view: before on the left, after on the right (hold \\ on the canvas to see before)")
        self.split = QSlider(Qt.Orientation.Horizontal)
        self.split.setObjectName("compareSplit")
        self.split.setRange(0, 100)
        self.split.setValue(50)
        self.split.setEnabled(False)
        self.compare.toggled.connect(self._compare)
        self.split.valueChanged.connect(lambda _: self._compare(self.compare.isChecked()))
        grid.addWidget(self.compare, 3, 0)
        grid.addWidget(self.split, 3, 1)
        grid.setRowStretch(4, 1)
        self.setMaximumHeight(self.sizeHint().height() + 20)

    def _compare(self, on: bool) -> None:
        self.split.setEnabled(on)
        self.compareChanged.emit(self.split.value() / 100.0 if on else None)


class HistoryPanel(QListWidget):
    """The undo history; clicking an entry undoes or redoes up to it."""

    jumpRequested = Signal(int)  # number of commands to keep applied

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("history")
        self._updating = False
        self.currentRowChanged.connect(self._row)

    def refresh(self, history) -> None:
        self._updating = True
        self.clear()
        if history is not None:
            self.addItem(QListWidgetItem("Opened"))
            for i, text in enumerate(history.texts()):
                it = QListWidgetItem(text)
                if i >= history.index:
                    it.setForeground(QColor(140, 140, 140))  # undone: can be redone
                self.addItem(it)
            self.setCurrentRow(history.index)
            self.scrollToItem(self.currentItem())
        self._updating = False

    def _row(self, row: int) -> None:
        if not self._updating and row >= 0:
            self.jumpRequested.emit(row)
