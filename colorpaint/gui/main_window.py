"""The painting window: canvas, tools, palette, layers, history, Colorize and Live.

Flow (see ARCHITECTURE.md): a widget turns the artist's action into a change of the
project (strokes, fills) or into an immutable ``ColorizeRequest``; the engine runs the
request on the worker (``qt_worker``); the result goes into the project as an undo step;
the project's events update the widgets. Nothing here blocks on the engine.
"""
from __future__ import annotations

import time
import traceback
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMainWindow

from ..app.engine_session import SessionHolder
from ..app.live import LiveScheduler
from ..app.model_choice import VERSIONS_KEY, ModelChoice
from ..app.requests import finished_job, frame_request
from ..app.tools import ToolState
from ..core.imageio import ImageError
from ..engine.jobs import CancelToken, Progress
from ..engine.model_store import ModelStore
from ..engine.weights import WeightsError
from ..models import registry
from ..project import FrameResult, Project, Stroke
from ..project.appdata import Preferences, Recovery
from .actions import WindowActions
from .docks import WindowDocks
from .prompts import Prompts
from .qt_worker import WorkerHub
from .window_files import FileWork
from .window_models import ModelPicking
from .window_references import ReferenceWork

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "sample_shot"
__all__ = ["MainWindow", "SAMPLE", "VERSIONS_KEY"]


class MainWindow(WindowActions, WindowDocks, ModelPicking, FileWork, ReferenceWork, QMainWindow):
    """The painting window. ``weights`` maps model names to weights files used instead of
    the bundled ones (tests use tiny weights; the CLI's ``--weights NAME=PATH``). ``store``:
    the model folder whose fine-tuned versions the model picker lists and the Train panel
    adds to (default: the user's)."""

    def __init__(self, prefs: Preferences | None = None, device: str | None = None, weights: dict[str, str] | None = None,
                 session=None, store: ModelStore | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.prefs = prefs or Preferences.load()
        self.model_store = store or ModelStore()
        self.choice = ModelChoice({**self.prefs.weights, **(weights or {})}, self.model_store.bundled_dir)
        self.model_weights: dict[str, str] = self.choice.overrides  # the weights used instead of the bundled ones
        self.device = device or self.prefs.device
        self.sessions = SessionHolder(None if self.device == "auto" else self.device, session)
        self.engine = self._colorize_job  # (request, cancel) -> job generator; tests swap in fakes
        self.prompts = Prompts(self)
        self.project: Project | None = None
        self.recovery = Recovery()
        self.workers = WorkerHub(self)  # every worker thread, by lane, with one shutdown
        self.runner, self.io = self.workers.engine, self.workers.io
        self.live = LiveScheduler()  # Live mode, and the frame colorize running and waiting (latest request wins)
        self.tools = ToolState(size=self.prefs.brush_size, pressure_size=self.prefs.pressure_size,
                               pressure_opacity=self.prefs.pressure_opacity)  # the canvas paints with it
        self._autosaved_version = -1
        self._job_t0 = 0.0
        self._ref_reports: dict = {}  # frame id -> what the references did in its last colorize
        self.setAcceptDrops(True)
        self.resize(1400, 900)
        self._build()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        self._apply_autosave_interval()
        self.set_project(None)

    SAMPLE = SAMPLE

    def _build(self) -> None:
        """The widgets, in an order where each finds what it uses (the actions need the canvas;
        the Regions dock the palette dock; the brush's first color the palette lock)."""
        self._build_canvas()
        self._build_actions()
        self._build_menus()
        self._build_toolbars()
        self._build_docks()
        self._build_status_bar()
        self.set_color((230, 60, 60))
        self._build_bottom_docks()

    @property
    def live_on(self) -> bool:
        return self.live.on

    @live_on.setter
    def live_on(self, on: bool) -> None:
        self.live.on = bool(on)  # without colorizing: set_live is the artist's toggle

    # ================================================================== project binding
    def set_project(self, project: Project | None) -> None:
        """Show ``project`` (None: an empty window) and subscribe to its events."""
        if self.project is not None:
            self.project.events.disconnect_all()
        self.live.cancel()
        self.project = p = project
        if p is not None:
            ev = p.events
            ev.current.connect(lambda frame: self.show_current_frame())
            ev.frames.connect(lambda: self._update_frame_ui())
            ev.hints.connect(self._on_hints_changed)
            ev.result.connect(self._on_result_changed)
            ev.flags.connect(lambda frame: self._update_frame_ui())
            ev.history.connect(self._on_history)
            ev.palette.connect(lambda: self.palette_panel.refresh(p.palette))
            ev.settings.connect(self._on_settings)
            ev.dirty.connect(lambda dirty: self._update_title())
            ev.references.connect(self._on_references)
            if p.model not in registry.names():
                p.model = self.prefs.default_model if self.prefs.default_model in registry.names() else "auto"
        missing = self.choice.attach(p)
        if p is not None:
            self._restore_view_state(p)
        if missing:
            QTimer.singleShot(0, lambda: self.statusBar().showMessage(missing, 10000))  # after the "Opened" message
        enabled = p is not None
        for a in (self.act_save, self.act_save_as, self.act_export_png, self.act_export_color, self.act_export_ora, self.act_clear,
                  self.act_colorize, self.act_live, self.act_key, self.act_corrected, self.act_export_flats, self.act_export_hinted,
                  self.act_rename_shot, self.act_delete_shot, self.act_replace_color):
            a.setEnabled(enabled)
        self.colorize_button.setEnabled(enabled)
        self._on_settings("model")
        self.trainer.set_project_dir(p.path if p is not None and p.path is not None and p.path.is_dir() else None)
        self.regions.set_project(p)
        self._ref_reports.clear()
        self._on_references()
        self.palette_panel.refresh(p.palette if p else None)
        self._on_history()
        self.show_current_frame(fit=True)
        self._update_title()
        self._autosaved_version = p.version if p else -1
        self.shots.set_project(p)

    def show_current_frame(self, fit: bool | None = None) -> None:
        p = self.project
        f = p.current_frame if p else None
        if f is None:
            self.canvas.show_frame(None)
            self._update_frame_ui()
            return
        try:
            image, hints = p.image(f), p.hints(f)
        except ImageError as e:
            self.canvas.show_frame(None)
            self.prompts.error("Cannot show frame", str(e))
            self._update_frame_ui()
            return
        self.canvas.show_frame(image, self._result_color(f), hints, f.result.kind if f.result else "lineart", fit=fit)
        self._show_reference_matches()
        self._update_frame_ui()

    def _result_color(self, f):
        if f.result is None:
            return None
        try:
            return f.result.color
        except ImageError as e:
            self.statusBar().showMessage(f"Color layer missing: {e}", 8000)
            return None

    def _update_title(self) -> None:
        p = self.project
        name = (p.name + ("*" if p.dirty else "")) if p else "no image"
        self.setWindowTitle(f"{name} — ColorPaint")

    def _update_frame_ui(self) -> None:
        p = self.project
        f = p.current_frame if p else None
        if f is None:
            self.frame_label.setText(" no frame ")
        else:
            si, fi = p.current
            shot = p.shots[si]
            where = f"{fi + 1}/{len(shot.frames)}" + (f" in {shot.name}" if len(p.shots) > 1 else "")  # as the timeline counts
            drift = f" · drift {f.drift:.1f}" if f.drift is not None and f.result is not None else ""
            extra = (" · key" if f.key else "") + (" · corrected" if f.corrected else "") + drift
            self.frame_label.setText(f" {f.name}  {where}{extra} ")
        n = p.frame_count if p else 0
        cur = [x for s in p.shots for x in s.frames].index(f) if f else 0
        self.act_prev.setEnabled(f is not None and cur > 0)
        self.act_next.setEnabled(f is not None and cur < n - 1)
        self.act_key.setChecked(bool(f and f.key))
        self.act_corrected.setChecked(bool(f and f.corrected))

    def _on_hints_changed(self, frame, rect) -> None:
        if frame is self.project.current_frame:
            self.canvas.set_hints(self.project.hints(frame), rect)
            self.schedule_live()

    def _on_result_changed(self, frame) -> None:
        if frame is self.project.current_frame:
            self.canvas.set_color_layer(self._result_color(frame), frame.result.kind if frame.result else None)

    def _on_history(self) -> None:
        h = self.project.history if self.project else None
        self.act_undo.setEnabled(bool(h and h.can_undo))
        self.act_redo.setEnabled(bool(h and h.can_redo))
        self.history_panel.refresh(h)

    def _on_settings(self, key) -> None:
        if key in ("model", VERSIONS_KEY) and self.project is not None and not self._picking:
            self._select_in_picker(self.project.model, self.chosen_version(self.project.model))

    # ================================================================== painting
    def set_tool(self, name: str) -> None:
        self.canvas.set_tool(name)
        self.tool_actions[name].setChecked(True)

    def set_color(self, color) -> None:
        self.brush_wish = tuple(int(v) for v in color)  # what the artist chose; the brush shows it snapped when locked
        self.tools.color = self.regions.snap_color(color)  # the nearest palette color when locked
        self.color_button.set_color(self.tools.color)

    def _on_stroke(self, stroke: Stroke) -> None:
        if self.project is not None and self.project.current_frame is not None:
            self.project.add_stroke(stroke)

    def _on_fill(self, x: float, y: float) -> None:
        p = self.project
        if p is None or p.current_frame is None:
            return
        s = Stroke("fill", ((x, y),), self.tools.color, opacity=self.tools.opacity, gap=self.regions.gap,
                   tolerance=self.regions.tolerance)
        if not p.add_stroke(s):
            self.statusBar().showMessage("Nothing to fill there: click inside an area closed by lines", 5000)

    def _layer_visible(self, layer: str, on: bool) -> None:
        self.canvas.set_layer_visible(layer, on)
        for a, name in ((self.act_hints, "hints"), (self.act_lineart, "lineart")):
            if name == layer and a.isChecked() != on:
                a.setChecked(on)
        cb = self.layers_panel.checks[layer]
        if cb.isChecked() != on:
            cb.setChecked(on)

    def _set_flag(self, **kw) -> None:
        if self.project and self.project.current_frame:
            self.project.set_flags(self.project.current_frame, **kw)

    def undo(self) -> None:
        if self.project:
            self.project.undo()

    def redo(self) -> None:
        if self.project:
            self.project.redo()

    # ================================================================== colorize
    def session(self):
        """The engine session, made on first use (on the worker: loading torch state is slow)."""
        return self.sessions.get()

    def _colorize_job(self, request, cancel: CancelToken):
        """The default engine: the pipeline's colorize job with this window's session."""
        from ..engine.progressive import colorize_progressive
        from ..engine.threads import fit_threads

        yield Progress(0.01, "loading model")
        if not self.workers.shot.busy:  # never change torch's threads under a running shot job
            fit_threads()  # the cores other programs leave free: spinning threads on busy cores are slower
        return (yield from colorize_progressive(self.session(), request, cancel))  # a large page: a quick small pass first

    def make_request(self):
        """An immutable request for the current frame (:func:`colorpaint.app.requests.frame_request`)."""
        p = self.project
        return frame_request(p, p.current_frame, work_size=self.prefs.work_size, weights=self.weights_for(p.model))

    def colorize(self, live: bool = False) -> None:
        """Colorize the current frame on the worker; a newer request cancels an older one."""
        p = self.project
        if p is None or p.current_frame is None:
            return
        try:
            req = self.make_request()
        except ImageError as e:
            self.prompts.error("Cannot colorize", str(e))
            return
        frame_id, engine = p.current_frame.id, self.engine
        self._job_t0 = time.perf_counter()
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.statusBar().showMessage(f"Colorizing with {req.model}…")

        def start():  # on the engine lane, when the scheduler lets it (latest request wins)
            return self.runner.start(lambda token: finished_job(engine(req, token), req),
                                     progressed=lambda prog: self._on_progress(prog, p, frame_id),
                                     finished=lambda res: self._on_colorized(p, frame_id, res, live),
                                     failed=lambda e: self._on_colorize_failed(e, live), cancelled=self._on_cancelled,
                                     done=self.live.job_done)

        self.live.submit(start, done=self._on_job_done)

    def _on_progress(self, prog: Progress, project=None, frame_id: str | None = None) -> None:
        self.progress.setValue(int(prog.fraction * 100))
        f = self.project.current_frame if self.project is not None else None
        if prog.preview is not None and project is self.project and f is not None and f.id == frame_id:
            self.canvas.set_color_layer(prog.preview, getattr(prog.frame, "kind", "lineart"))  # shown, not kept
        if prog.message:
            self.statusBar().showMessage(f"Colorizing: {prog.message}")

    def _on_colorized(self, project: Project, frame_id: str, res, live: bool) -> None:
        if project is not self.project:
            return  # the artist opened something else meanwhile
        frame = project.frame(frame_id)
        project.apply_result(FrameResult.from_engine(res, project.new_rev()), frame, undoable=not live)
        self._keep_reference_report(frame_id, res)
        for line in (res.references.messages if getattr(res, "references", None) is not None else ()):
            self.statusBar().showMessage(line, 8000)
        total = time.perf_counter() - self._job_t0
        self.device_label.setText(res.device)
        self.time_label.setText(f"{res.seconds:.2f} s")
        self.statusBar().showMessage(f"Colorized with {res.model} on {res.device} in {res.seconds:.2f} s ({total:.2f} s to screen)", 8000)
        if getattr(res, "note", None):  # e.g. a gray frame the model left gray, and what colors it instead
            self.statusBar().showMessage(res.note, 15000)  # it names the model

    def _on_colorize_failed(self, e: BaseException, live: bool) -> None:
        known = isinstance(e, (WeightsError, ImageError, ValueError, KeyError, RuntimeError, OSError))
        msg = str(e) if known and str(e) else f"{e.__class__.__name__}: {e}"
        if not known:
            traceback.print_exception(e)
        if live:
            self.act_live.setChecked(False)
            self.set_live(False)  # one dialog, not one per stroke
        self.statusBar().showMessage("Colorize failed", 8000)
        self.prompts.error("Colorize failed", msg)

    def _on_cancelled(self) -> None:
        if not self.live.waiting:
            self.statusBar().showMessage("Colorize cancelled", 4000)

    def _on_job_done(self) -> None:
        if not self.live.busy:
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)

    @property
    def colorizing(self) -> bool:
        """A colorize is running, waiting, or about to be requested by Live."""
        return self.live.colorizing

    def cancel(self) -> None:
        """Esc: cancel the frame's colorize, else the running shot colorize."""
        if self.live.busy:
            self.live.cancel()
            self.statusBar().showMessage("Cancelling…")
        elif self.shots.cancel():
            self.statusBar().showMessage("Cancelling the shot colorize (finished frames stay)…")

    def set_live(self, on: bool) -> None:
        arm = self.live.set_live(on)  # turning Live on colorizes
        if self.act_live.isChecked() != self.live.on:
            self.act_live.setChecked(self.live.on)
        if arm:
            QTimer.singleShot(0, self._run_live)

    def schedule_live(self) -> None:
        """A change Live follows: with Live on, colorize at the next turn of the event loop
        (the changes made until then ride along)."""
        if self.live.changed():
            QTimer.singleShot(0, self._run_live)

    def _run_live(self) -> None:
        if self.live.fire():
            self.colorize(live=True)

    def shutdown(self) -> None:
        """Stop background work (waiting for saves to finish) and drop the recovery copy."""
        self.autosave_timer.stop()
        self.shots.shutdown()
        self.trainer.shutdown()  # a training run stops with its checkpoint kept
        self.live.cancel()  # the colorize waiting never starts
        self.workers.shutdown()  # every lane; a save is waited for, never cut short
        self.recovery.discard()
        self._save_prefs()

    def show_trainer(self) -> None:
        """Raise the Train panel (a tab beside the timeline) with room for its settings and
        curve: the bottom dock grows; when the docks on the right leave it too little height,
        the panel floats over the window instead (dock it back by double-clicking its title)."""
        d = self.train_dock
        d.show()
        d.raise_()
        QTimer.singleShot(0, self._make_room_for_trainer)  # once the tab switch is laid out

    def _make_room_for_trainer(self) -> None:
        d, want = self.train_dock, 480
        if d.isFloating() or d.height() >= want:
            return
        self.resizeDocks([d], [want], Qt.Orientation.Vertical)
        if d.height() < want * 0.8:
            d.setFloating(True)
            screen = self.screen().availableGeometry() if self.screen() else self.geometry()
            w, h = min(1200, screen.width() - 40), min(800, screen.height() - 80)
            d.resize(w, h)
            c = self.frameGeometry().center()
            d.move(max(screen.left(), c.x() - w // 2), max(screen.top(), c.y() - h // 2))

    def closeEvent(self, e) -> None:
        if self.trainer.is_busy() and not self.prompts.stop_training():
            e.ignore()
            return
        if not self.maybe_save():
            e.ignore()
            return
        self.shutdown()
        e.accept()
