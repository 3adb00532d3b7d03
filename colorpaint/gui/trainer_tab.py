"""The trainer tab: fine-tune a model on the artist's corrected frames, then switch to it.

Every heavy step runs in a child process speaking JSON lines (see
``colorpaint.training.finetune``), so the canvas stays usable and a crash there never
takes the window down::

    prepare  (finetune prepare: split the data, hold out the last 20 % of each source)
      -> train    (colorpaint-train --progress json; Stop = SIGTERM + RUN/STOP, checkpoint kept;
                   Resume = --resume on the same run)
      -> compare  (finetune compare: held-out metrics before/after + comparison image)
      -> ModelStore.add_version(...) and ``modelAdded(family, weights)``

``RUN`` is a fresh folder under ``ModelStore.runs_dir``; every line the children print goes
to ``RUN/train.log``. A failed run changes no model version. After a successful one the
version folder keeps the weights, info.json, comparison.png and log, and the run's
checkpoint and data links are removed.

Integration (main window)::

    tab = TrainerTab(store=None)                  # default: the user's model folder
    tabs.addTab(tab, "Train")
    tab.set_project_dir(folder_or_None)            # on project open / save / close (re-counts corrected/)
    tab.modelAdded.connect(picker_refresh_and_select)   # (family, weights path)
    tab.modelSelected.connect(use_model)                # (family, weights path): "Use this model"
    tab.modelRemoved.connect(forget_if_in_use)          # (family, weights path) after a delete
    tab.versionsChanged.connect(picker_refresh)         # any add / rename / delete
    # in closeEvent: if tab.is_busy(): ask; then tab.shutdown()
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QProcess, QProcessEnvironment, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QGroupBox,
                               QHBoxLayout, QHeaderView, QInputDialog, QLabel, QListWidget, QListWidgetItem, QMessageBox, QPlainTextEdit,
                               QProgressBar, QPushButton, QSizePolicy, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ..engine.model_store import ModelStore, ModelStoreError, ModelVersion
from ..models import registry
from ..training import finetune
from ..training.cli import STOP_FILE
from ..training.finetune import TrainSettings, default_settings
from .loss_curve import LossCurve
from .prompts import VIDEO_FILTER, Prompts

METRICS = (("psnr", "PSNR (dB)", True), ("ssim", "SSIM", True), ("de00", "ΔE00", False))  # key, label, higher is better


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else (f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s")


def gpu_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


class JsonProcess(QObject):
    """One child process whose stdout is JSON lines. Every output line (stdout and stderr)
    is appended to ``log_path``; each parsed object is emitted as ``record``. ``ended``
    carries ('' on success, or the error message: the child's ``error`` event, else its
    exit code or crash and the tail of its stderr)."""

    record = Signal(dict)
    ended = Signal(str)

    def __init__(self, args: list[str], log_path: Path, parent=None):
        super().__init__(parent)
        self.args, self.log_path = args, Path(log_path)
        self.proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        root = str(Path(__file__).resolve().parents[2])  # the package, even when not installed
        env.insert("PYTHONPATH", root + os.pathsep + env.value("PYTHONPATH", "") if env.contains("PYTHONPATH") else root)
        self.proc.setProcessEnvironment(env)
        self.proc.readyReadStandardOutput.connect(self._stdout)
        self.proc.readyReadStandardError.connect(self._stderr)
        self.proc.finished.connect(self._finished)
        self.proc.errorOccurred.connect(self._error)
        self._buf = b""
        self._err_tail: list[str] = []
        self.error_message = ""
        self.done = False

    def start(self) -> None:
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(f"\n$ {sys.executable} {' '.join(self.args)}\n")
        self.proc.start(sys.executable, self.args)

    def running(self) -> bool:
        return self.proc.state() != QProcess.ProcessState.NotRunning

    def terminate(self) -> None:
        self.proc.terminate()  # SIGTERM on POSIX: colorpaint-train saves a checkpoint and exits

    def kill(self) -> None:
        self.proc.kill()

    def _log(self, text: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(text)

    def _stdout(self) -> None:
        self._buf += bytes(self.proc.readAllStandardOutput())
        *lines, self._buf = self._buf.split(b"\n")
        if lines:
            text = [ln.decode("utf-8", "replace") for ln in lines]
            self._log("".join(t + "\n" for t in text))
            for t in text:
                self._parse(t)

    def _parse(self, line: str) -> None:
        line = line.strip()
        if not line.startswith("{"):
            return
        try:
            rec = json.loads(line)
        except ValueError:
            return
        if isinstance(rec, dict):
            if rec.get("event") == "error":
                self.error_message = str(rec.get("message") or "unknown error")
            self.record.emit(rec)

    def _stderr(self) -> None:
        text = bytes(self.proc.readAllStandardError()).decode("utf-8", "replace")
        self._log(text)
        self._err_tail = (self._err_tail + text.splitlines())[-12:]

    def _finished(self, code: int, status) -> None:
        if self._buf:
            self._buf += b"\n"
            self._stdout()
        if self.done:
            return
        msg = ""
        if self.error_message:
            msg = self.error_message
        elif status == QProcess.ExitStatus.CrashExit:
            msg = "the process was killed or crashed"
        elif code != 0:
            msg = f"the process exited with code {code}"
        if msg and not self.error_message:
            msg += " (the log has the details)"  # its own words are for the log, not the artist
        self._log(f"[exit code {code}{', crashed' if status == QProcess.ExitStatus.CrashExit else ''}]\n")
        self.done = True
        self.ended.emit(msg)

    def _error(self, err) -> None:
        if err == QProcess.ProcessError.FailedToStart and not self.done:
            self.done = True
            self._log(f"[failed to start: {self.proc.errorString()}]\n")
            self.ended.emit(f"could not start {sys.executable}: {self.proc.errorString()}")


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


class TrainerTab(QWidget):
    """Fine-tune a model on the artist's frames (see the module docstring for the flow and
    the integration API). ``store``: the model folder (default: the user's)."""

    modelAdded = Signal(str, str)  # family, weights path of the new version
    modelSelected = Signal(str, str)  # family, weights path ("Use this model")
    modelRemoved = Signal(str, str)  # family, weights path of a deleted version
    versionsChanged = Signal()
    trainingProgress = Signal(dict)  # each colorpaint-train "step" record
    stateChanged = Signal(str)  # idle, preparing, training, stopping, stopped, comparing, done, failed

    def __init__(self, store: ModelStore | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("trainerTab")
        self.store = store or ModelStore()
        self.prompts = Prompts(self)  # the window hands over its own (one last-used folder for all dialogs)
        self.project_dir: Path | None = None
        self.state = "idle"
        self.run_dir: Path | None = None
        self.job: dict = {}
        self.proc: JsonProcess | None = None
        self.last_step: dict = {}
        self.last_error = ""
        self.last_version: ModelVersion | None = None
        self._stop_requested = False
        self._done_rec: dict = {}
        self._last_val: dict = {}
        self._run_error = False
        self._gpu = gpu_available()
        self._build()
        self._apply_defaults()
        self.refresh_versions()
        self._set_state("idle")
        app = QCoreApplication.instance()
        if app is not None:  # never leave a training process behind
            app.aboutToQuit.connect(self.shutdown)

    # ================================================================== layout
    def _build(self) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)

        box = QGroupBox("Model to fine-tune")
        fl = QVBoxLayout(box)
        self.model_picker = QComboBox(objectName="trainModelPicker")
        self.model_picker.setToolTip("Training starts from these weights; the result is saved as a new version")
        fl.addWidget(self.model_picker)
        lv.addWidget(box)

        box = QGroupBox("Training data")
        dl = QVBoxLayout(box)
        self.project_check = QCheckBox("This project's corrected frames", objectName="useProjectCheck")
        self.project_check.setChecked(True)
        self.project_label = QLabel(objectName="projectDataLabel")
        self.project_label.setWordWrap(True)
        self.project_label.setStyleSheet("color: palette(mid);")
        self.data_list = QListWidget(objectName="dataList")
        self.data_list.setMaximumHeight(90)
        self.data_list.setToolTip("Folders of colored frames or pairs, folders of shots, and videos of earlier episodes")
        row = QHBoxLayout()
        self.add_folder_button = QPushButton("Add folder…", objectName="addFolderButton")
        self.add_video_button = QPushButton("Add video…", objectName="addVideoButton")
        self.remove_data_button = QPushButton("Remove", objectName="removeDataButton")
        for b in (self.add_folder_button, self.add_video_button, self.remove_data_button):
            row.addWidget(b)
        self.holdout_spin = QSpinBox(objectName="holdoutSpin", suffix=" %", minimum=0, maximum=50, value=20)
        self.holdout_spin.setToolTip("The latest frames of each source (by name order) are kept out of training\n"
                                     "and used to compare the model before and after")
        hl = QHBoxLayout()
        hl.addWidget(QLabel("Hold out the last"))
        hl.addWidget(self.holdout_spin)
        hl.addWidget(QLabel("of each source for the comparison"))
        hl.addStretch(1)
        dl.addWidget(self.project_check)
        dl.addWidget(self.project_label)
        dl.addWidget(self.data_list)
        dl.addLayout(row)
        dl.addLayout(hl)
        self.split_label = QLabel(objectName="splitLabel")  # what will be held out, said before starting
        self.split_label.setWordWrap(True)
        dl.addWidget(self.split_label)
        self.holdout_spin.valueChanged.connect(lambda _: self._update_split_label())
        lv.addWidget(box)

        box = QGroupBox("Settings")
        form = QFormLayout(box)
        self.device_combo = QComboBox(objectName="deviceCombo")
        self.device_combo.addItem("CPU", "cpu")
        if self._gpu:
            self.device_combo.addItem("GPU (CUDA)", "cuda")
        self.steps_spin = QSpinBox(objectName="stepsSpin", minimum=1, maximum=1_000_000, singleStep=50)
        self.size_spin = QSpinBox(objectName="sizeSpin", minimum=32, maximum=1024, singleStep=32, suffix=" px")
        self.lr_spin = QDoubleSpinBox(objectName="lrSpin")
        self.lr_spin.setDecimals(6)  # before the range: a 2-decimal box would round 1e-6 to 0
        self.lr_spin.setRange(1e-6, 1e-2)
        self.lr_spin.setSingleStep(1e-5)
        self.batch_spin = QSpinBox(objectName="batchSpin", minimum=1, maximum=256)
        self.defaults_button = QPushButton("Defaults", objectName="defaultsButton")
        dev_row = QHBoxLayout()
        dev_row.addWidget(self.device_combo, 1)
        dev_row.addWidget(self.defaults_button)
        form.addRow("Device", dev_row)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Working size", self.size_spin)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Batch size", self.batch_spin)
        lv.addWidget(box)

        row = QHBoxLayout()
        self.start_button = QPushButton("Start training", objectName="startTrainingButton")
        self.stop_button = QPushButton("Stop", objectName="stopTrainingButton")
        self.resume_button = QPushButton("Resume", objectName="resumeTrainingButton")
        self.start_button.setDefault(True)
        self.stop_button.setToolTip("Stop after the current batch; the last checkpoint is kept and can be resumed")
        for b in (self.start_button, self.stop_button, self.resume_button):
            row.addWidget(b)
        lv.addLayout(row)

        box = QGroupBox("Model versions")
        vl = QVBoxLayout(box)
        self.version_list = QTreeWidget(objectName="versionList")
        self.version_list.setHeaderLabels(["Name", "Model", "Held-out PSNR"])
        self.version_list.setRootIsDecorated(False)
        self.version_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.version_list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.version_list.header().setStretchLastSection(False)
        row = QHBoxLayout()
        self.use_button = QPushButton("Use this model", objectName="useModelButton")
        self.rename_button = QPushButton("Rename…", objectName="renameVersionButton")
        self.delete_button = QPushButton("Delete", objectName="deleteVersionButton")
        for b in (self.use_button, self.rename_button, self.delete_button):
            row.addWidget(b)
        vl.addWidget(self.version_list)
        vl.addLayout(row)
        lv.addWidget(box, 1)

        # ---- right: live run and results
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.error_frame = QFrame(objectName="trainErrorFrame")
        self.error_frame.setStyleSheet("#trainErrorFrame { background: #fde8e8; border: 1px solid #e0a0a0; border-radius: 4px; }")
        el = QHBoxLayout(self.error_frame)
        self.error_label = QLabel(objectName="trainErrorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #8a1010;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_log_button = QPushButton("Open log", objectName="openLogButton")
        el.addWidget(self.error_label, 1)
        el.addWidget(self.open_log_button)
        self.error_frame.hide()
        rv.addWidget(self.error_frame)

        self.status_label = QLabel(objectName="trainStatusLabel")
        self.progress = QProgressBar(objectName="trainProgress")
        self.progress.setTextVisible(True)
        rv.addWidget(self.status_label)
        rv.addWidget(self.progress)

        live_w = QWidget()
        live = QHBoxLayout(live_w)
        live.setContentsMargins(0, 0, 0, 0)
        self.curve = LossCurve()
        live.addWidget(self.curve, 3)
        sv = QVBoxLayout()
        cap = self.sample_caption = QLabel("Latest held-out samples: input | model | truth")
        cap.setWordWrap(True)
        self.sample_preview = ImagePreview("Samples appear at each validation", "samplePreview")
        sv.addWidget(cap)
        sv.addWidget(self.sample_preview, 1)
        live.addLayout(sv, 2)

        self.log_view = QPlainTextEdit(objectName="trainLog", readOnly=True)
        self.log_view.setMaximumBlockCount(500)
        self.log_view.setMinimumHeight(40)

        box = self.results_box = QGroupBox("Before and after, on the held-out frames")
        res = QHBoxLayout(box)
        self.metrics_table = QTableWidget(0, 3, objectName="metricsTable")
        self.metrics_table.setHorizontalHeaderLabels(["Before", "After", "Change"])
        self.metrics_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.metrics_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.metrics_table.setMinimumWidth(260)
        self.comparison_preview = ImagePreview("No comparison yet", "comparisonImage")
        res.addWidget(self.metrics_table, 2)
        res.addWidget(self.comparison_preview, 3)
        box.hide()  # until a run has results: the live view gets the room meanwhile

        self.right_split = QSplitter(Qt.Orientation.Vertical)
        for w in (live_w, self.log_view, box):
            self.right_split.addWidget(w)
        self.right_split.setSizes([600, 80, 0])
        rv.addWidget(self.right_split, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        outer = QVBoxLayout(self)
        outer.addWidget(split)

        self.add_folder_button.clicked.connect(self._ask_folder)
        self.add_video_button.clicked.connect(self._ask_video)
        self.remove_data_button.clicked.connect(self._remove_data)
        self.device_combo.currentIndexChanged.connect(self._apply_defaults)
        self.defaults_button.clicked.connect(self._apply_defaults)
        self.start_button.clicked.connect(self.start_training)
        self.stop_button.clicked.connect(self.stop_training)
        self.resume_button.clicked.connect(self.resume_training)
        self.open_log_button.clicked.connect(self.open_log)
        self.version_list.itemSelectionChanged.connect(self._update_buttons)
        self.version_list.itemDoubleClicked.connect(lambda *_: self.use_selected())
        self.use_button.clicked.connect(self.use_selected)
        self.rename_button.clicked.connect(self._ask_rename)
        self.delete_button.clicked.connect(self._ask_delete)
        self.project_check.toggled.connect(self._update_buttons)
        self._update_project_label()

    # ================================================================== inputs
    def set_project_dir(self, path: str | os.PathLike | None) -> None:
        """The open project's folder (``NAME.cpaint``; its ``corrected/`` frames are the
        default training data), or None when no saved project is open."""
        self.project_dir = Path(path) if path else None
        self._update_project_label()
        self._update_buttons()

    def showEvent(self, event):
        super().showEvent(event)
        self._update_project_label()  # frames may have been marked corrected and saved meanwhile
        self._update_buttons()

    def _project_count(self) -> int:
        d = self.project_dir / "corrected" if self.project_dir else None
        return len(list(d.glob("*_color.png"))) if d and d.is_dir() else 0

    def _update_project_label(self) -> None:
        if not self.project_dir:
            self.project_label.setText("No saved project is open")
        else:
            n = self._project_count()
            hint = "" if n else " (mark frames as corrected and save to add them)"
            self.project_label.setText(f"{n} corrected frame{'s' * (n != 1)} in {self.project_dir.name}{hint}")
        self.project_check.setEnabled(self.project_dir is not None)

    def add_data_source(self, path: str | os.PathLike) -> bool:
        """Add a folder or video to the training data; False (with a message) if it holds nothing usable."""
        path = Path(path)
        try:
            kind = finetune.source_kind(path)
            n = finetune.count_items(path)
        except (ValueError, OSError) as e:
            self._show_error(str(e), log=False)
            return False
        if any(self.data_list.item(i).data(Qt.ItemDataRole.UserRole) == str(path) for i in range(self.data_list.count())):
            return True
        noun = {"video": "sampled frames", "sequence": "frames", "sequences": "frames"}.get(kind, "pairs" if kind == "pairs" else "frames")
        it = QListWidgetItem(f"{path.name}  ({kind}, {n} {noun})")
        it.setData(Qt.ItemDataRole.UserRole, str(path))
        it.setToolTip(str(path))
        self.data_list.addItem(it)
        if not self._run_error:  # a message about an earlier bad choice no longer applies
            self.error_frame.hide()
        self._update_buttons()
        return True

    def data_sources(self) -> list[str]:
        """The sources a run would train on, in order: the project first (when checked)."""
        out = [str(self.project_dir)] if self.project_dir and self.project_check.isChecked() and self._project_count() else []
        return out + [self.data_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.data_list.count())]

    def _ask_folder(self) -> None:
        d = self.prompts.choose_folder("Folder of colored frames, pairs or shots")
        if d:
            self.add_data_source(d)

    def _ask_video(self) -> None:
        f = self.prompts.choose_file("Colored video", VIDEO_FILTER)
        if f:
            self.add_data_source(f)

    def _remove_data(self) -> None:
        for it in self.data_list.selectedItems():
            self.data_list.takeItem(self.data_list.row(it))
        self._update_buttons()

    def _apply_defaults(self) -> None:
        s = default_settings(self.device_combo.currentData() == "cuda")
        self.set_settings(s)

    def set_settings(self, s: TrainSettings) -> None:
        """Show ``s`` in the settings widgets (fields without a widget are kept for the next run)."""
        self._hidden = s
        self.steps_spin.setValue(s.steps)
        self.size_spin.setValue(s.size)
        self.lr_spin.setValue(s.lr)
        self.batch_spin.setValue(s.batch)
        i = self.device_combo.findData(s.device)
        if i >= 0 and i != self.device_combo.currentIndex():
            self.device_combo.blockSignals(True)
            self.device_combo.setCurrentIndex(i)
            self.device_combo.blockSignals(False)

    def settings(self) -> TrainSettings:
        h = self._hidden
        return TrainSettings(steps=self.steps_spin.value(), size=self.size_spin.value(), lr=self.lr_spin.value(), batch=self.batch_spin.value(),
                             device=self.device_combo.currentData(), holdout=self.holdout_spin.value() / 100, val_every=h.val_every,
                             val_items=h.val_items, max_items=h.max_items, tiny=h.tiny, scale=h.scale)

    # ================================================================== versions
    def refresh_versions(self, select: Path | None = None) -> None:
        """Re-read the model folder into the version list and the model picker."""
        versions = self.store.list_versions()
        cur = self.model_picker.currentData()
        self.model_picker.blockSignals(True)
        self.model_picker.clear()
        have = set()
        for v in versions:  # item data "family\nweights" ("" weights: from scratch)
            self.model_picker.addItem(v.label, f"{v.family}\n{v.weights}")
            have.add(v.family)
        for fam in registry.names():  # families without any weights can still be trained
            if fam not in have:
                self.model_picker.addItem(f"{fam}: no weights yet (train from scratch)", f"{fam}\n")
        i = self.model_picker.findData(cur) if cur else -1
        self.model_picker.setCurrentIndex(max(i, 0))
        self.model_picker.blockSignals(False)

        self.version_list.clear()
        for v in versions:
            m = v.info.get("metrics") or {}
            psnr = ""
            if not v.bundled and isinstance(m.get("after"), dict):
                b, a = _headline(m.get("before")), _headline(m.get("after"))
                psnr = f"{b:.2f} → {a:.2f}" if b is not None and a is not None else ""
            it = QTreeWidgetItem([v.name + ("  (read-only)" if v.bundled else ""), v.family, psnr])
            it.setData(0, Qt.ItemDataRole.UserRole, v)
            base = (v.info.get("base") or {}).get("name", "")
            tip = [f"{v.family}: {v.name}", f"{v.info.get('steps', '?')} steps, {v.info.get('date', '')}"]
            tip += [f"fine-tuned from {base}"] if base else []
            tip += [f"held-out PSNR before → after: {psnr} dB"] if psnr else []
            tip += [str(v.weights)]
            for c in range(3):
                it.setToolTip(c, "\n".join(tip))
            if v.bundled:
                it.setForeground(0, QColor("#666666"))
            self.version_list.addTopLevelItem(it)
            if select is not None and v.weights == Path(select):
                it.setSelected(True)
                self.version_list.setCurrentItem(it)
        for c in (1, 2):
            self.version_list.resizeColumnToContents(c)
        self._update_buttons()

    def base_model(self) -> tuple[str, str | None]:
        """(family, weights path or None for from scratch) chosen in ``trainModelPicker``."""
        fam, _, w = (self.model_picker.currentData() or "\n").partition("\n")
        return fam, (w or None)

    def select_base(self, family: str, weights: str | os.PathLike | None = None) -> None:
        """Choose the model to fine-tune: ``weights`` of ``family``, or its first entry."""
        for i in range(self.model_picker.count()):
            fam, _, w = self.model_picker.itemData(i).partition("\n")
            if fam == family and (weights is None or (w and Path(w) == Path(weights))):
                self.model_picker.setCurrentIndex(i)
                return
        raise ValueError(f"{family} {weights or ''}: not in the model list")

    def selected_version(self) -> ModelVersion | None:
        it = self.version_list.currentItem()
        return it.data(0, Qt.ItemDataRole.UserRole) if it and it.isSelected() else None

    def use_selected(self) -> None:
        v = self.selected_version()
        if v:
            self.modelSelected.emit(v.family, str(v.weights))

    def rename_selected(self, new_name: str) -> ModelVersion:
        """Rename the selected version (raises ReadOnlyModelError for bundled weights)."""
        v = self.store.rename(self.selected_version(), new_name)
        self.refresh_versions(select=v.weights)
        self.versionsChanged.emit()
        return v

    def delete_selected(self) -> None:
        """Delete the selected version (raises ReadOnlyModelError for bundled weights)."""
        v = self.selected_version()
        self.store.delete(v)
        self.refresh_versions()
        self.modelRemoved.emit(v.family, str(v.weights))
        self.versionsChanged.emit()

    def _ask_rename(self) -> None:
        v = self.selected_version()
        if not v:
            return
        name, ok = QInputDialog.getText(self, "Rename model version", "Name:", text=v.name)
        if ok and name.strip():
            try:
                self.rename_selected(name)
            except (ModelStoreError, OSError) as e:
                QMessageBox.warning(self, "Rename", str(e))

    def _ask_delete(self) -> None:
        v = self.selected_version()
        if not v:
            return
        if QMessageBox.question(self, "Delete model version", f"Delete “{v.name}” ({v.family})? Its weights are removed from disk.") \
                != QMessageBox.StandardButton.Yes:
            return
        try:
            self.delete_selected()
        except (ModelStoreError, OSError) as e:
            QMessageBox.warning(self, "Delete", str(e))

    # ================================================================== runs
    def is_busy(self) -> bool:
        return self.proc is not None and self.proc.running()

    def _set_state(self, state: str) -> None:
        self.state = state
        self._update_buttons()
        self.stateChanged.emit(state)

    def split_preview(self) -> tuple[int, int]:
        """(training frames, held-out frames) the chosen sources and hold-out share will give."""
        train = held = 0
        for src in self.data_sources():
            try:
                n = finetune.count_items(src)
            except (ValueError, OSError):
                continue
            k = finetune.split_holdout(n, self.holdout_spin.value() / 100)
            train, held = train + n - k, held + k
        return train, held

    def _update_split_label(self) -> None:
        if not self.data_sources():
            self.split_label.setText("")
            return
        train, held = self.split_preview()
        if held:
            self.split_label.setText(f"{train} frame{'s' * (train != 1)} to train on; the last {held} "
                                     f"(by name order) held out to compare before and after.")
        else:
            self.split_label.setText(f"{train} frame{'s' * (train != 1)} to train on and none to hold out: every source needs "
                                     "two or more frames (and a hold-out share above 0) for an honest before/after comparison. "
                                     "The run trains, and its numbers are on the training frames.")

    def _update_buttons(self) -> None:
        self._update_split_label()
        busy = self.state in ("preparing", "training", "stopping", "comparing")
        self.start_button.setEnabled(not busy and bool(self.data_sources()))
        self.start_button.setToolTip("" if self.data_sources() else "Choose training data first")
        self.stop_button.setEnabled(self.state in ("preparing", "training", "stopping"))
        self.stop_button.setText("Force stop" if self.state == "stopping" else "Stop")
        can_resume = (not busy and self.run_dir is not None and (self.run_dir / "checkpoint.pt").exists()
                      and self.state in ("stopped", "failed"))
        self.resume_button.setEnabled(can_resume)
        for w in (self.model_picker, self.project_check, self.data_list, self.add_folder_button, self.add_video_button,
                  self.remove_data_button, self.holdout_spin, self.device_combo, self.defaults_button, self.steps_spin, self.size_spin,
                  self.lr_spin, self.batch_spin):
            w.setEnabled(not busy and (w is not self.project_check or self.project_dir is not None))
        v = self.selected_version()
        self.use_button.setEnabled(v is not None)
        self.rename_button.setEnabled(v is not None and not v.bundled)
        self.delete_button.setEnabled(v is not None and not v.bundled and not busy)
        if v is not None and v.bundled:
            self.rename_button.setToolTip("The bundled weights are read-only")

    def _status(self, text: str) -> None:
        self.status_label.setText(text)

    def _append_log(self, text: str) -> None:
        self.log_view.appendPlainText(text)

    def _show_error(self, message: str, log: bool = True, title: str = "Training failed") -> None:
        """Show ``message`` in the error banner; ``log``: it is about the current run (offer its log)."""
        self.last_error = message
        self._run_error = log
        where = f"<br><small>Full log: {self.log_path}</small>" if log and self.log_path else ""
        self.error_label.setText(f"<b>{title}:</b> {_html(message)}{where}" if log else _html(message))
        self.open_log_button.setVisible(log and self.log_path is not None)
        self.error_frame.show()

    @property
    def log_path(self) -> Path | None:
        return self.run_dir / "train.log" if self.run_dir else None

    def open_log(self) -> None:
        if self.log_path and self.log_path.exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_path)))

    def _spawn(self, args: list[str], on_record, on_end) -> None:
        self.proc = JsonProcess(args, self.log_path, self)
        self.proc.record.connect(on_record)
        self.proc.ended.connect(on_end)
        self.proc.start()

    def start_training(self) -> None:
        """Start a new run: prepare the data, then train (see the module docstring)."""
        if self.is_busy():
            return
        sources = self.data_sources()
        if not sources:
            self._show_error("Choose training data first: this project's corrected frames, a folder or a video.", log=False)
            return
        family, base = self.base_model()
        s = self.settings()
        self.run_dir = self.store.new_run_dir(family)
        base_v = self.store.find(base) if base else None
        self.job = {"family": family, "base": base or None, "base_name": base_v.name if base_v else "", "sources": sources,
                    "settings": s.__dict__, "project": str(self.project_dir) if self.project_dir else None,
                    "started": time.strftime("%Y-%m-%d %H:%M")}
        (self.run_dir / "job.json").write_text(json.dumps(self.job, indent=2))
        self.error_frame.hide()
        self.last_error, self.last_step, self.last_version = "", {}, None
        self.curve.clear(s.steps)
        self.metrics_table.setRowCount(0)
        self.results_box.hide()
        self._last_val = {}
        self.comparison_preview.set_image(None, "The comparison appears when training finishes")
        self.sample_preview.set_image(None, "Samples appear at each validation")
        self.log_view.clear()
        self.progress.setRange(0, 0)  # busy until the first step
        self.progress.setFormat("preparing…")
        self._status(f"Preparing the data ({len(sources)} source{'s' * (len(sources) != 1)})…")
        self._stop_requested = False
        args = ["-m", "colorpaint.training.finetune", "prepare", *sources, "--out", str(self.run_dir / "data"),
                "--holdout", f"{s.holdout:g}"] + (["--max-items", str(s.max_items)] if s.max_items else [])
        self._set_state("preparing")
        self._spawn(args, self._on_record, self._prepared)

    def _prepared(self, error: str) -> None:
        if self._stop_requested:
            self._status("Stopped before training began.")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("stopped")
            self._set_state("idle")
            return
        if error:
            return self._fail(error)
        split = json.loads((self.run_dir / "data" / "split.json").read_text())
        self.job["split"] = {k: split[k] for k in ("pairs", "shots", "train", "heldout")}
        (self.run_dir / "job.json").write_text(json.dumps(self.job, indent=2))
        self._train(resume=False)

    def _train(self, resume: bool) -> None:
        j = self.job
        s = TrainSettings(**j["settings"])
        data = [j["split"]["pairs"]] + ([j["split"]["shots"]] if j["split"].get("shots") else [])
        args = ["-m", "colorpaint.training.cli", *finetune.train_argv(j["family"], data, self.run_dir, s, j["base"], resume)]
        held = j["split"]["heldout"]
        n = j["split"]["train"]
        self._status(f"{'Resuming' if resume else 'Training'} {j['family']} on {n} frame{'s' * (n != 1)} "
                     f"({f'{held} held out' if held else 'none held out: the numbers are on training frames'})… starting")
        self.sample_caption.setText(f"Latest {'held-out' if held else 'training-frame'} samples: input | model | truth")
        self.progress.setRange(0, s.steps)
        self.progress.setValue(self.last_step.get("step", 0) if resume else 0)
        self.progress.setFormat("starting…")
        self._stop_requested = False
        self._done_rec = {}
        self.error_frame.hide()
        self._set_state("training")
        self._spawn(args, self._on_record, self._trained)

    def resume_training(self) -> None:
        """Continue the stopped (or crashed) run from its last checkpoint."""
        if self.is_busy() or not self.run_dir or not (self.run_dir / "checkpoint.pt").exists():
            return
        self._train(resume=True)

    def stop_training(self) -> None:
        """Ask the running step to stop: training saves a checkpoint and exports its weights
        (Resume continues it). Pressing again while it winds down kills the process."""
        if not self.is_busy():
            return
        if self.state == "stopping":
            self.proc.kill()
            return
        self._stop_requested = True
        if self.state == "training":
            self._set_state("stopping")
            self._status("Stopping after the current batch…")
            (self.run_dir / STOP_FILE).touch()  # what Windows sees: terminate() is no signal there
            self.proc.terminate()
        else:
            self.proc.kill()

    def _on_record(self, rec: dict) -> None:
        ev = rec.get("event")
        if ev == "log":
            self._append_log(str(rec.get("message", "")))
        elif ev == "step":
            self.last_step = rec
            step, total = int(rec.get("step", 0)), int(rec.get("total", 1))
            self.progress.setRange(0, total)
            self.progress.setValue(step)
            self.progress.setFormat(f"step {step} / {total}  ·  ETA {_fmt_eta(rec.get('eta'))}")
            self.curve.add(step, rec.get("losses") or {}, rec.get("val") or {}, total)
            val = self._last_val = rec.get("val") or self._last_val
            which = "held-out" if self.job.get("split", {}).get("heldout") else "training-frame"
            extra = f"  ·  {which} PSNR {val['psnr']:.2f} dB, ΔE00 {val['de00']:.2f}" if "psnr" in val and "de00" in val else ""
            self._status(f"Training {self.job.get('family')}: step {step} of {total}, {_fmt_eta(rec.get('elapsed'))} elapsed{extra}")
            if rec.get("sample"):
                self._show_sample(rec["sample"])
            self.trainingProgress.emit(rec)
        elif ev == "done":
            self._done_rec = rec
            if rec.get("sample"):
                self._show_sample(rec["sample"])

    def _show_sample(self, path: str) -> None:
        self.sample_preview.set_image(path)

    def _trained(self, error: str) -> None:
        weights = self.run_dir / f"{self.job['family']}.safetensors"
        done = self._done_rec
        early = not error and done.get("step", 0) < done.get("total", 0)  # SIGTERM from elsewhere, e.g. a logout
        if (self._stop_requested and not self.proc.error_message) or early:
            step = done.get("step") or self.last_step.get("step", 0)
            self._status(f"Stopped at step {step}. The checkpoint is kept: Resume continues from it.")
            self.progress.setFormat(f"stopped at step {step}")
            self._set_state("stopped")
            return
        if error:
            return self._fail(error)
        if not self.job["split"]["heldout"]:  # nothing held out: no comparison to make, and none is faked
            self._compare = {}
            return self._compared("", compared=False)
        self._status("Training finished. Scoring the held-out frames before and after…")
        self.progress.setFormat("comparing before and after…")
        self.progress.setValue(self.progress.maximum())
        self._set_state("comparing")
        j = self.job
        args = ["-m", "colorpaint.training.finetune", "compare", "--family", j["family"], "--before", j["base"] or "",
                "--after", str(weights), "--data", j["split"]["pairs"], "--out", str(self.run_dir), "--device", j["settings"]["device"]]
        self._compare = {}
        self._spawn(args, self._on_compare_record, self._compared)

    def _on_compare_record(self, rec: dict) -> None:
        if rec.get("event") == "log":
            self._append_log(str(rec.get("message", "")))
        elif rec.get("event") == "done":
            self._compare = rec

    def _compared(self, error: str, compared: bool = True) -> None:
        j = self.job
        weights = self.run_dir / f"{j['family']}.safetensors"
        rec = self._compare if not error else {}
        steps = self.last_step.get("step") or j["settings"]["steps"]
        try:
            from ..engine.weights import read_metadata

            steps = read_metadata(weights).get("steps", steps)
        except ValueError:
            pass
        date = time.strftime("%Y-%m-%d %H:%M")
        who = Path(j["project"]).stem if j.get("project") and j["project"] in j["sources"] else j["family"]
        info = {"name": f"{who} {date}", "family": j["family"], "date": date, "steps": steps,
                "base": {"weights": j["base"], "name": j.get("base_name") or ("from scratch" if not j["base"] else Path(j["base"]).name)},
                "data": j["sources"], "train_items": j["split"]["train"], "heldout_items": j["split"]["heldout"], "settings": j["settings"],
                "metrics": {"before": rec.get("before", {}), "after": rec.get("after", {})}, "run": str(self.run_dir)}
        if error:
            info["comparison_error"] = error
        if not compared:
            info["comparison"] = "none: no frames were held out"
        try:
            v = self.store.add_version(j["family"], weights, info,
                                       files={"comparison": rec.get("comparison"), "log": self.log_path})
        except (ValueError, OSError) as e:
            return self._fail(f"the trained weights could not be saved as a model version: {e}")
        self.last_version = v
        # the version folder now holds what is kept; the bulky resume state and data links go
        (self.run_dir / "checkpoint.pt").unlink(missing_ok=True)
        shutil.rmtree(self.run_dir / "data", ignore_errors=True)
        self.refresh_versions(select=v.weights)
        if compared:
            self._show_results(info["metrics"], self.store.info_file(v, "comparison"))
        self.progress.setFormat("done")
        if error:
            self._show_error(f"{error}. The new version was saved without it.", title="The before/after comparison failed")
            self._status(f"Saved “{v.name}” without a comparison.")
        elif not compared:
            self._status(f"Done: saved “{v.name}”. No frames were held out, so there is no before/after comparison.")
        else:
            self._status(f"Done: saved “{v.name}”. Use it from the model picker or with “Use this model”.")
        self._set_state("done")
        self.modelAdded.emit(v.family, str(v.weights))
        self.versionsChanged.emit()

    def _show_results(self, metrics: dict, comparison: Path | None) -> None:
        before, after = metrics.get("before") or {}, metrics.get("after") or {}
        rows = [(kind, key, label, hib) for kind in ("lineart", "gray") if kind in after for key, label, hib in METRICS]
        self.metrics_table.setRowCount(len(rows))
        self.metrics_table.setVerticalHeaderLabels([f"{'line art' if k == 'lineart' else 'gray'} {label}" for k, _, label, _ in rows])
        for r, (kind, key, _, hib) in enumerate(rows):
            b, a = (before.get(kind) or {}).get(key), (after.get(kind) or {}).get(key)
            cells = [f"{b:.3f}" if b is not None else "–", f"{a:.3f}" if a is not None else "–",
                     f"{a - b:+.3f}" if a is not None and b is not None else ""]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 2 and a is not None and b is not None and abs(a - b) > 1e-9:
                    item.setForeground(QColor("#107010" if (a > b) == hib else "#a01010"))
                self.metrics_table.setItem(r, c, item)
        self.comparison_preview.set_image(comparison, "No comparison image")
        if not self.results_box.isVisibleTo(self):
            self.results_box.show()
            h = max(300, self.right_split.height())
            self.right_split.setSizes([int(h * 0.45), 60, h - int(h * 0.45) - 60])

    def _original_paths(self, message: str) -> str:
        """``message`` with the run's linked data files replaced by the artist's own files."""
        try:
            origins = json.loads((self.run_dir / "data" / "split.json").read_text())["origins"]
        except (OSError, ValueError, KeyError, TypeError):
            return message
        pairs = self.run_dir / "data" / "pairs"
        for name, origin in origins.items():
            message = message.replace(str(pairs / name), origin)
        return message

    def _fail(self, message: str) -> None:
        message = self._original_paths(message)
        self._status("Training failed. The model list is unchanged.")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("failed")
        self._show_error(message)
        self._set_state("failed")

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop any child process (training keeps its checkpoint); call from closeEvent."""
        if self.is_busy():
            self._stop_requested = True
            self.proc.terminate()
            if not self.proc.proc.waitForFinished(timeout_ms):
                self.proc.kill()
                self.proc.proc.waitForFinished(3000)


def _headline(rep) -> float | None:
    """PSNR of a metrics report: line art first, else gray."""
    if not isinstance(rep, dict):
        return None
    for kind in ("lineart", "gray"):
        if isinstance(rep.get(kind), dict) and "psnr" in rep[kind]:
            return float(rep[kind]["psnr"])
    return None


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
