"""The Train panel: fine-tune a model on the artist's corrected frames, then switch to it.

A view of :class:`~colorpaint.app.finetune_run.FineTuneRun` (the run's state machine, with
its flow: prepare, train, compare, save a version) and of the model folder's versions; its
child processes are :class:`~colorpaint.gui.json_process.JsonProcess` objects.

Integration (main window)::

    tab = TrainerTab(store=None, runner=workers.background)   # default: the user's model folder
    tabs.addTab(tab, "Train")
    tab.set_project_dir(folder_or_None)            # on project open / save / close (re-counts corrected/)
    tab.modelAdded.connect(picker_refresh_and_select)   # (family, weights path)
    tab.modelSelected.connect(use_model)                # (family, weights path): "Use this model"
    tab.modelRemoved.connect(forget_if_in_use)          # (family, weights path) after a delete
    tab.versionsChanged.connect(picker_refresh)         # any add / rename / delete
    # in closeEvent: if tab.is_busy(): ask; then tab.shutdown()

The model folder is listed when the panel is first shown or asked about (checking weights
loads torch), and whether a GPU is there is asked on a worker, so the window starts without torch.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import QListWidgetItem, QTableWidgetItem, QTreeWidgetItem, QWidget

from ..app.finetune_run import (BaseChoice, FineTuneRun, RunState, TrainingData, base_choices, gpu_available, metric_rows,
                                version_rows)
from ..engine.model_store import ModelStore, ModelStoreError, ModelVersion
from ..training.finetune import TrainSettings, default_settings
from .json_process import JsonProcess
from .prompts import VIDEO_FILTER, Prompts
from .qt_worker import JobRunner
from .trainer_build import TrainerLayout


class TrainerTab(TrainerLayout, QWidget):
    """Fine-tune a model on the artist's frames (see the module docstring for the
    integration API). ``store``: the model folder (default: the user's); ``runner``: the
    worker lane that asks whether a GPU is there (default: one of its own)."""

    modelAdded = Signal(str, str)  # family, weights path of the new version
    modelSelected = Signal(str, str)  # family, weights path ("Use this model")
    modelRemoved = Signal(str, str)  # family, weights path of a deleted version
    versionsChanged = Signal()
    trainingProgress = Signal(dict)  # each colorpaint-train "step" record
    stateChanged = Signal(str)  # idle, preparing, training, stopping, stopped, comparing, done, failed

    def __init__(self, store: ModelStore | None = None, parent=None, runner: JobRunner | None = None):
        super().__init__(parent)
        self.setObjectName("trainerTab")
        self.store = store or ModelStore()
        self.prompts = Prompts(self)  # the window hands over its own (one last-used folder for all dialogs)
        self.data = TrainingData()
        self.run = FineTuneRun(self.store, self._make_process)
        self.last_error = ""
        self._run_error = False
        self._bases: list[BaseChoice] = []
        self._listed = False  # the model folder is read when first needed
        self._own_runner = runner is None
        self.runner = runner or JobRunner(self, 1)
        self._build()
        self._apply_defaults()
        self._bind_run()
        self._on_state(RunState.IDLE)
        self.runner.start(lambda token: gpu_available(), finished=self._gpu_found)
        app = QCoreApplication.instance()
        if app is not None:  # never leave a training process behind
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------------ the run, as properties of the tab
    state = property(lambda self: self.run.state)
    run_dir = property(lambda self: self.run.run_dir)
    job = property(lambda self: self.run.job)
    proc = property(lambda self: self.run.proc)
    last_step = property(lambda self: self.run.last_step)
    last_version = property(lambda self: self.run.last_version)
    log_path = property(lambda self: self.run.log_path)
    project_dir = property(lambda self: self.data.project_dir)

    def _bind_run(self) -> None:
        ev = self.run.events
        ev.state.connect(self._on_state)
        ev.status.connect(lambda text: self.status_label.setText(text))
        ev.progress.connect(self._on_progress)
        ev.started.connect(self._on_started)
        ev.log.connect(lambda text: self.log_view.appendPlainText(text))
        ev.step.connect(self._on_step)
        ev.sample.connect(lambda path: self.sample_preview.set_image(path))
        ev.error.connect(lambda message, log, title: self._show_error(message, log, title or "Training failed"))
        ev.error_cleared.connect(self.error_frame.hide)
        ev.caption.connect(lambda held: self.sample_caption.setText(
            f"Latest {'held-out' if held else 'training-frame'} samples: input | model | truth"))
        ev.results.connect(self._show_results)
        ev.version.connect(lambda version: self.refresh_versions(select=version.weights))

    def _make_process(self, args, log_path, on_record, on_end) -> JsonProcess:
        proc = JsonProcess(args, log_path, self)
        proc.record.connect(on_record)
        proc.ended.connect(on_end)
        return proc

    def _gpu_found(self, found) -> None:
        if found and self.device_combo.findData("cuda") < 0:
            self.device_combo.addItem("GPU (CUDA)", "cuda")

    # ================================================================== inputs
    def set_project_dir(self, path: str | os.PathLike | None) -> None:
        """The open project's folder (``NAME.cpaint``; its ``corrected/`` frames are the
        default training data), or None when no saved project is open."""
        self.data.project_dir = Path(path) if path else None
        self._update_project_label()
        self._update_buttons()

    def showEvent(self, event):
        super().showEvent(event)
        self._ensure_listed()
        self._update_project_label()  # frames may have been marked corrected and saved meanwhile
        self._update_buttons()

    def _update_project_label(self) -> None:
        self.project_label.setText(self.data.project_text())
        self.project_check.setEnabled(self.data.project_dir is not None)

    def _use_project(self, on: bool) -> None:
        self.data.use_project = bool(on)
        self._update_buttons()

    def add_data_source(self, path: str | os.PathLike) -> bool:
        """Add a folder or video to the training data; False (with a message) if it holds nothing usable."""
        try:
            label = self.data.add(path)
        except (ValueError, OSError) as e:
            self._show_error(str(e), log=False)
            return False
        if label is None:  # already there
            return True
        it = QListWidgetItem(label)
        it.setData(Qt.ItemDataRole.UserRole, str(Path(path)))
        it.setToolTip(str(Path(path)))
        self.data_list.addItem(it)
        if not self._run_error:  # a message about an earlier bad choice no longer applies
            self.error_frame.hide()
        self._update_buttons()
        return True

    def data_sources(self) -> list[str]:
        """The sources a run would train on, in order: the project first (when checked)."""
        return self.data.sources()

    def _ask_folder(self) -> None:
        d = self.prompts.choose_folder("Folder of colored frames, pairs or shots")
        if d:
            self.add_data_source(d)

    def _ask_video(self) -> None:
        f = self.prompts.choose_file("Colored video", VIDEO_FILTER)
        if f:
            self.add_data_source(f)

    def _remove_data(self) -> None:
        items = self.data_list.selectedItems()
        self.data.remove(it.data(Qt.ItemDataRole.UserRole) for it in items)
        for it in items:
            self.data_list.takeItem(self.data_list.row(it))
        self._update_buttons()

    def _apply_defaults(self) -> None:
        self.set_settings(default_settings(self.device_combo.currentData() == "cuda"))

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
    def _ensure_listed(self) -> None:
        if not self._listed:
            self.refresh_versions()

    def refresh_versions(self, select: Path | None = None) -> None:
        """Re-read the model folder into the version list and the model picker."""
        self._listed = True
        versions = self.store.list_versions()
        i = self.model_picker.currentIndex()
        cur = self._bases[i] if 0 <= i < len(self._bases) else None
        self._bases = base_choices(versions)
        self.model_picker.blockSignals(True)
        self.model_picker.clear()
        for b in self._bases:  # item data: the weights ("" to train from scratch)
            self.model_picker.addItem(b.label, b.weights or "")
        same = [k for k, b in enumerate(self._bases) if cur and (b.family, b.weights) == (cur.family, cur.weights)]
        self.model_picker.setCurrentIndex(same[0] if same else 0)
        self.model_picker.blockSignals(False)

        self.version_list.clear()
        for row in version_rows(versions):
            v = row.version
            it = QTreeWidgetItem([row.name, row.family, row.psnr])
            it.setData(0, Qt.ItemDataRole.UserRole, v)
            for c in range(3):
                it.setToolTip(c, row.tooltip)
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
        self._ensure_listed()
        i = self.model_picker.currentIndex()
        return (self._bases[i].family, self._bases[i].weights) if 0 <= i < len(self._bases) else ("", None)

    def select_base(self, family: str, weights: str | os.PathLike | None = None) -> None:
        """Choose the model to fine-tune: ``weights`` of ``family``, or its first entry."""
        self._ensure_listed()
        for i, b in enumerate(self._bases):
            if b.family == family and (weights is None or (b.weights and Path(b.weights) == Path(weights))):
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
        name = self.prompts.ask_text("Rename model version", "Name:", v.name)
        if name and name.strip():
            try:
                self.rename_selected(name)
            except (ModelStoreError, OSError) as e:
                self.prompts.error("Rename", str(e))

    def _ask_delete(self) -> None:
        v = self.selected_version()
        if not v:
            return
        if not self.prompts.delete_version(v.name, v.family):
            return
        try:
            self.delete_selected()
        except (ModelStoreError, OSError) as e:
            self.prompts.error("Delete", str(e))

    # ================================================================== runs
    def is_busy(self) -> bool:
        return self.run.is_busy()

    def start_training(self) -> None:
        """Start a new run: prepare the data, then train (:meth:`FineTuneRun.start`)."""
        family, base = self.base_model()
        self.run.start(family, base, self.settings(), self.data_sources(), self.data.project_dir)

    def resume_training(self) -> None:
        """Continue the stopped (or crashed) run from its last checkpoint."""
        self.run.resume()

    def stop_training(self) -> None:
        """Stop after the current batch (the checkpoint is kept); again while it winds down: kill."""
        self.run.stop()

    def split_preview(self) -> tuple[int, int]:
        """(training frames, held-out frames) the chosen sources and hold-out share will give."""
        return self.data.split_preview(self.holdout_spin.value() / 100)

    def _on_state(self, state) -> None:
        self._update_buttons()
        self.stateChanged.emit(str(state))
        v = self.run.last_version
        if state == RunState.DONE and v is not None:
            self.modelAdded.emit(v.family, str(v.weights))
            self.versionsChanged.emit()

    def _on_started(self, steps: int) -> None:
        self.curve.clear(steps)
        self.metrics_table.setRowCount(0)
        self.results_box.hide()
        self.comparison_preview.set_image(None, "The comparison appears when training finishes")
        self.sample_preview.set_image(None, "Samples appear at each validation")
        self.log_view.clear()

    def _on_progress(self, text: str, value: int | None, maximum: int | None) -> None:
        if maximum is not None:
            self.progress.setRange(0, maximum)
        if value is not None:
            self.progress.setValue(self.progress.maximum() if value < 0 else value)
        self.progress.setFormat(text)

    def _on_step(self, rec: dict) -> None:
        self.curve.add(int(rec.get("step", 0)), rec.get("losses") or {}, rec.get("val") or {}, int(rec.get("total", 1)))
        self.trainingProgress.emit(rec)

    def _update_split_label(self) -> None:
        self.split_label.setText(self.data.split_text(self.holdout_spin.value() / 100))

    def _update_buttons(self) -> None:
        self._update_split_label()
        state, busy, sources = self.run.state, self.run.state.busy, self.data_sources()
        self.start_button.setEnabled(not busy and bool(sources))
        self.start_button.setToolTip("" if sources else "Choose training data first")
        self.stop_button.setEnabled(state.stoppable)
        self.stop_button.setText("Force stop" if state == RunState.STOPPING else "Stop")
        self.resume_button.setEnabled(self.run.can_resume())
        for w in (self.model_picker, self.project_check, self.data_list, self.add_folder_button, self.add_video_button,
                  self.remove_data_button, self.holdout_spin, self.device_combo, self.defaults_button, self.steps_spin, self.size_spin,
                  self.lr_spin, self.batch_spin):
            w.setEnabled(not busy and (w is not self.project_check or self.data.project_dir is not None))
        v = self.selected_version()
        self.use_button.setEnabled(v is not None)
        self.rename_button.setEnabled(v is not None and not v.bundled)
        self.delete_button.setEnabled(v is not None and not v.bundled and not busy)
        if v is not None and v.bundled:
            self.rename_button.setToolTip("The bundled weights are read-only")

    def _show_error(self, message: str, log: bool = True, title: str = "Training failed") -> None:
        """Show ``message`` in the error banner; ``log``: it is about the current run (offer its log)."""
        self.last_error = message
        self._run_error = log
        where = f"<br><small>Full log: {self.log_path}</small>" if log and self.log_path else ""
        self.error_label.setText(f"<b>{title}:</b> {_html(message)}{where}" if log else _html(message))
        self.open_log_button.setVisible(log and self.log_path is not None)
        self.error_frame.show()

    def open_log(self) -> None:
        if self.log_path and self.log_path.exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_path)))

    def _show_results(self, metrics: dict, comparison: Path | None) -> None:
        rows = metric_rows(metrics)
        self.metrics_table.setRowCount(len(rows))
        self.metrics_table.setVerticalHeaderLabels([label for label, *_ in rows])
        for r, (_, _, b, a, hib) in enumerate(rows):
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

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop any child process (training keeps its checkpoint); call from closeEvent."""
        self.run.shutdown(timeout_ms)
        if self._own_runner:
            self.runner.shutdown()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
