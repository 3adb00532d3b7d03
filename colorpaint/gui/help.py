"""The Help menu: the keyboard shortcuts (listed from the actions themselves, so the list
is never out of date) and what ColorPaint is."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QMessageBox, QTableWidget, QTableWidgetItem, QVBoxLayout


def shortcut_rows(actions) -> list[tuple[str, str]]:
    """(what it does, its keys) for every action with a shortcut, in the order given, once each."""
    rows, seen = [], set()
    for a in actions:
        if not isinstance(a, QAction) or a in seen:
            continue
        seen.add(a)
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts() if not k.isEmpty())
        if keys:
            rows.append((a.text().replace("&", "").rstrip("…").strip(), keys))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (text, keys) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(text))
            self.table.setItem(r, 1, QTableWidgetItem(keys))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
        self.resize(460, 620)


def about(parent) -> None:
    QMessageBox.about(parent, "About ColorPaint",
                      "<b>ColorPaint</b> colorizes cartoon and anime line art and grayscale frames: "
                      "automatic, hint-guided and shot-by-shot, with models you can fine-tune on your own frames.<br><br>"
                      "Models: Varga et al. 2017 (auto), Fu, Wang &amp; Liu (histogram), the color-and-apply webtoon "
                      "network (color-apply), Thasarathan et al. 2019 (temporal).")
