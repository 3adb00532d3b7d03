"""Every question and message box the window shows, in one replaceable place (tests
swap in answers; the window never blocks on a dialog it did not need)."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QLabel, QMessageBox, QSpinBox, QWidget

from ..core.imageio import IMAGE_EXTS
from ..project.appdata import RecoveryInfo

IMAGE_FILTER = "Images (" + " ".join(f"*{e}" for e in sorted(IMAGE_EXTS)) + ")"
VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.gif)"


class Prompts:
    """The window's questions and messages."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.last_error: str | None = None
        self.last_dir: Path | None = None  # where the artist last chose a file or folder

    # ---------------------------------------------------------------- file dialogs
    def start_dir(self) -> Path:
        """Where a file dialog opens: the folder last used, else the open project's folder,
        else the most recent file's, else home (never the process's working folder)."""
        if self.last_dir is not None and self.last_dir.is_dir():
            return self.last_dir
        p = getattr(self.parent, "project", None)
        if p is not None and getattr(p, "path", None) is not None:
            return Path(p.path).parent
        prefs = getattr(self.parent, "prefs", None)
        for r in getattr(prefs, "recent_files", None) or []:
            if Path(r).parent.is_dir():
                return Path(r).parent
        return Path.home()

    def _chosen(self, path: str | None, folder: bool = False) -> str | None:
        if path:
            self.last_dir = Path(path) if folder else Path(path).parent
        return path or None

    def choose_file(self, caption: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, caption, str(self.start_dir()), filter_)
        return self._chosen(path)

    def choose_files(self, caption: str, filter_: str) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(self.parent, caption, str(self.start_dir()), filter_)
        if paths:
            self._chosen(paths[0])
        return list(paths)

    def choose_folder(self, caption: str) -> str | None:
        return self._chosen(QFileDialog.getExistingDirectory(self.parent, caption, str(self.start_dir())), folder=True)

    def error(self, title: str, text: str) -> QMessageBox:
        """Show ``text`` without blocking the event loop (the work behind it is kept)."""
        self.last_error = text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.parent)
        box.setObjectName("errorDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        return box

    def replace_project(self, name: str) -> bool:
        """Whether to replace the other project saved as ``name``."""
        ans = QMessageBox.question(self.parent, "Replace project",
                                   f"{name!r} already holds another project. Replace it? Its frames, results and training "
                                   "examples are removed and this project is saved in their place.",
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return ans == QMessageBox.StandardButton.Yes

    def replace_swatches(self, n_saved: int, n_new: int, source: str) -> str:
        """'replace', 'add' or 'cancel': what to do with the saved colors when new ones come."""
        box = QMessageBox(QMessageBox.Icon.Question, "Saved colors",
                          f"{n_new} colors from {source or 'the file'}. Replace the {n_saved} saved colors, or add the new ones to them?",
                          parent=self.parent)
        rep = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        add = box.addButton("Add", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(add)
        box.exec()
        return "replace" if box.clickedButton() is rep else "add" if box.clickedButton() is add else "cancel"

    def choose_color(self, title: str, initial) -> tuple[int, int, int] | None:
        from PySide6.QtGui import QColor
        from PySide6.QtWidgets import QColorDialog

        c = QColorDialog.getColor(QColor(*initial), self.parent, title)
        return (c.red(), c.green(), c.blue()) if c.isValid() else None

    def ask_text(self, title: str, label: str, text: str = "") -> str | None:
        from PySide6.QtWidgets import QInputDialog

        value, ok = QInputDialog.getText(self.parent, title, label, text=text)
        return value if ok else None

    def save_changes(self, name: str) -> str:
        """'save', 'discard' or 'cancel'."""
        ans = QMessageBox.question(self.parent, "Unsaved changes", f"Save the changes to {name!r} before closing it?",
                                   QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                                   QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(ans, "cancel")

    def recover(self, info: RecoveryInfo) -> str:
        """'recover', 'discard' or 'later'."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.saved_at))
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work",
                          f"ColorPaint was not closed normally. Unsaved work on {info.name!r} was autosaved at {when}.\n\nRecover it?",
                          parent=self.parent)
        rec = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        dis = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return "recover" if box.clickedButton() is rec else "discard" if box.clickedButton() is dis else "later"

    def open_file(self) -> str | None:
        return self.choose_file("Open line art, a grayscale page, a video or a project",
                                f"{IMAGE_FILTER};;{VIDEO_FILTER};;ColorPaint project (project.json);;All files (*)")

    def open_palette(self) -> str | None:
        return self.choose_file("Load a GIMP palette", "GIMP palette (*.gpl)")

    def open_folder(self) -> str | None:
        return self.choose_folder("Open a folder of frames or a project folder")

    def save_file(self, caption: str, suggested: str, filter_: str) -> str | None:
        """A file name to write; ``suggested`` (a bare name) opens in :meth:`start_dir`."""
        s = Path(suggested)
        path, _ = QFileDialog.getSaveFileName(self.parent, caption, str(s if s.is_absolute() else self.start_dir() / s), filter_)
        return self._chosen(path)

    def video_range(self, path: Path, count: int, fps: float) -> tuple[int, int, int] | None:
        """Which frames of a video become a shot: (start, stop, step), 0-based, stop
        exclusive; None when cancelled."""
        d = VideoRangeDialog(path, count, fps, self.parent)
        return d.range() if d.exec() else None

    def delete_version(self, name: str, family: str) -> bool:
        """Whether to delete a fine-tuned model version (its weights go from disk)."""
        ans = QMessageBox.question(self.parent, "Delete model version",
                                   f"Delete “{name}” ({family})? Its weights are removed from disk.")
        return ans == QMessageBox.StandardButton.Yes

    def stop_training(self) -> bool:
        """On close while a model trains: True to stop it (its checkpoint is kept) and close."""
        ans = QMessageBox.question(self.parent, "Training is running",
                                   "A model is still training. Stop it and close ColorPaint?\n\n"
                                   "The last checkpoint is kept: Resume in the Train panel continues it.",
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return ans == QMessageBox.StandardButton.Yes


class VideoRangeDialog(QDialog):
    """Which frames of a video become the shot: first, last (1-based, inclusive) and step."""

    def __init__(self, path: Path, count: int, fps: float, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("videoRangeDialog")
        self.setWindowTitle("Import video as a shot")
        form = QFormLayout(self)
        form.addRow(QLabel(f"{path.name}: {count} frames at {fps:.2f} fps"))
        self.first = QSpinBox(objectName="videoFirst")
        self.first.setRange(1, count)
        self.last = QSpinBox(objectName="videoLast")
        self.last.setRange(1, count)
        self.last.setValue(count)
        self.step = QSpinBox(objectName="videoStep")
        self.step.setRange(1, max(1, count))
        self.step.setToolTip("Keep every Nth frame (2 = animation on twos)")
        self.summary = QLabel()
        form.addRow("First frame", self.first)
        form.addRow("Last frame", self.last)
        form.addRow("Every", self.step)
        form.addRow(self.summary)
        for s in (self.first, self.last, self.step):
            s.valueChanged.connect(self._update)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self.fps = fps
        self._update()

    def _update(self) -> None:
        start, stop, step = self.range()
        n = len(range(start, stop, step))
        self.summary.setText(f"{n} frame{'s' * (n != 1)}, played at {self.fps / step:.2f} fps" if n else "no frames in this range")

    def range(self) -> tuple[int, int, int]:
        """(start, stop, step) as 0-based indexes, stop exclusive."""
        return self.first.value() - 1, self.last.value(), self.step.value()
