"""Shots in the window: import, the timeline, key and corrected marks, shot colorize, export.

:class:`ShotController` binds the :class:`~colorpaint.gui.timeline.TimelinePanel` to the
window's project. A shot colorize is a :class:`~colorpaint.app.shot_run.ShotRun` on its own
worker (what ``colorpaint-cli sequence`` does); each finished frame goes straight into the
project, so badges, thumbnails and the canvas update while the artist keeps browsing and
painting, and at the end its frames become one undo step. Thumbnails are made on another
worker and cached (:mod:`.shot_thumbs`).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt

from ..app.carried import CarriedMaps, overlay_for
from ..app.requests import shot_model, shot_options
from ..app.shot_run import ShotRun, colorize_shot_job
from ..core.imageio import ImageError
from ..engine.jobs import Progress
from ..engine.weights import WeightsError
from ..project import Project, ProjectError
from ..project.io import remove_corrected, write_corrected
from ..project.settings import ProjectSettings
from ..project.shots import export_frames, export_shot
from .prompts import VIDEO_FILTER, VideoRangeDialog  # noqa: F401  (VideoRangeDialog: imported from here too)
from .shot_thumbs import ShotThumbnails
from .timeline import CellInfo, TimelinePanel, frame_status


class ShotController(QObject):
    """The window's shot features (see the module docstring). ``win`` is the MainWindow."""

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        self.panel = TimelinePanel()
        self.runner = win.workers.shot  # its own lane, so single-frame colorize and Live stay responsive
        self.engine = colorize_shot_job  # (session_factory, sources, names, keys, hints, options, cancel); tests may wrap it
        self.project: Project | None = None
        self.shot_index = -1
        self.task = None
        self.run: ShotRun | None = None  # the running shot colorize
        self.thumbs = ShotThumbnails(self.panel, win.workers.background, lambda: self.shot, self)
        self._last_frame: dict[int, int] = {}  # shot -> frame last viewed there
        pn = self.panel
        pn.frameChosen.connect(self._choose_frame)
        pn.shotChosen.connect(self._choose_shot)
        pn.fpsChanged.connect(self._fps_changed)
        pn.thresholdChanged.connect(self._threshold_changed)
        pn.steadyChanged.connect(self._steady_changed)
        pn.exportRequested.connect(self.export_dialog)
        pn.importRequested.connect(lambda kind: self.import_folder_dialog() if kind == "folder" else self.import_video_dialog())
        pn.colorize_shot_button.clicked.connect(self.colorize_shot)
        pn.cancel_shot_button.clicked.connect(self.cancel)
        pn.onion_toggle.toggled.connect(lambda on: self._update_onion())
        pn.carried_toggle.toggled.connect(lambda on: self._update_onion())
        self.carried = CarriedMaps()  # frame id -> where its colors came from, for the Carried tint
        pn.mark_key_button.setDefaultAction(win.act_key)
        pn.mark_corrected_button.setDefaultAction(win.act_corrected)
        pn.mark_key_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        pn.mark_corrected_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for a in pn.stepping_actions:  # Left/Right/Home/End also step while the canvas has the focus
            win.canvas.addAction(a)

    # ------------------------------------------------------------------ binding
    def set_project(self, project: Project | None) -> None:
        if self.run is not None and self.run.project is not project:
            self.cancel()
        self.project = p = project
        self._last_frame.clear()
        self.panel.play_button.setChecked(False)
        if p is not None:
            ev = p.events
            ev.current.connect(lambda frame: self._on_current())
            ev.frames.connect(self._rebuild)
            ev.result.connect(self._on_frame_changed)
            ev.flags.connect(self._on_frame_changed)
            ev.settings.connect(self._on_settings)
        self._rebuild()
        self.update_model_label()

    @property
    def shot(self):
        p = self.project
        return p.shots[self.shot_index] if p is not None and 0 <= self.shot_index < len(p.shots) else None

    def _settings(self) -> ProjectSettings:
        return self.project.typed_settings if self.project else ProjectSettings()

    def threshold(self) -> float:
        return self._settings().drift_threshold

    def _cell(self, i: int, f) -> CellInfo:
        pending = self.run is not None and self.run.is_pending(self.project, f.id)
        drift = f.drift if f.result is not None else None  # a drift score belongs to colors (gone after an undo)
        flagged = drift is not None and drift > self.threshold() and not f.key and not f.corrected
        return CellInfo(i + 1, f.name, frame_status(f), drift, flagged, pending)

    def _rebuild(self) -> None:
        p = self.project
        pn = self.panel
        if p is None or not p.shots:
            self.shot_index = -1
            pn.set_shots([], -1)
            pn.set_cells([], -1)  # shot tools off; Import shot stays on (it makes a project when none is open)
            return
        self.shot_index = p.current[0]
        shot = self.shot
        pn.set_shots([f"{s.name}  ({len(s.frames)})" for s in p.shots], self.shot_index)
        pn.set_fps(shot.fps)
        pn.set_threshold(self.threshold())
        pn.set_steady(self._settings().steady)
        aspect = None
        cur = p.current_frame
        if cur is not None:
            try:
                h, w = p.image(cur).shape[:2]
                aspect = w / h
            except ImageError:
                pass
        pn.set_cells([self._cell(i, f) for i, f in enumerate(shot.frames)], p.current[1], aspect)
        for i, f in enumerate(shot.frames):
            self.thumbs.show(i, f)
        self._update_onion()

    def _on_current(self) -> None:
        p = self.project
        if p.current[0] != self.shot_index:
            self._rebuild()
        else:
            self.panel.set_current(p.current[1])
            self._update_onion()
        self._last_frame[p.current[0]] = p.current[1]

    def _index_of(self, frame) -> int:
        shot = self.shot
        if shot is None:
            return -1
        for i, f in enumerate(shot.frames):
            if f is frame:
                return i
        return -1

    def _on_frame_changed(self, frame) -> None:
        i = self._index_of(frame)
        if i < 0:
            return
        self.panel.update_cell(i, self._cell(i, frame))
        self.thumbs.show(i, frame)
        if i in (self.project.current[1] - 1, self.project.current[1]):  # the onion skin, or this frame's Carried tint
            self._update_onion()

    def update_model_label(self) -> None:
        """Colorize shot says which model it runs: a shot needs a model that takes the
        previous frame, so with another one picked it runs temporal, and says so."""
        b = self.panel.colorize_shot_button
        p = self.project
        if p is None:
            b.setText("Colorize shot")
            return
        model = shot_model(p)
        b.setText(f"Colorize shot ({model})")
        why = "" if model == p.model else (f"\n{p.model} colors frames one by one; a shot is carried from frame to frame "
                                           f"by a model that takes the previous frame, so {model} is used.")
        b.setToolTip("Colorize every frame of the shot from its key frames (Ctrl+Shift+Enter)" + why)

    def _on_settings(self, key) -> None:
        if key == "model":
            self.update_model_label()
        if key == "drift_threshold":
            self._refresh_cells()
        elif key == "fps" and self.shot is not None:
            self.panel.set_fps(self.shot.fps)

    def _refresh_cells(self) -> None:
        shot = self.shot
        if shot is not None:
            for i, f in enumerate(shot.frames):
                self.panel.update_cell(i, self._cell(i, f))

    def _choose_frame(self, i: int) -> None:
        if self.project is not None and self.shot is not None:
            self.project.set_current(self.shot_index, i)

    def _choose_shot(self, s: int) -> None:
        p = self.project
        if p is not None and 0 <= s < len(p.shots) and p.shots[s].frames:
            p.set_current(s, min(self._last_frame.get(s, 0), len(p.shots[s].frames) - 1))

    def _fps_changed(self, fps: float) -> None:
        if self.shot is not None:
            self.project.set_shot_fps(self.shot, fps)

    def _steady_changed(self, v: float) -> None:
        if self.project is not None:
            self.project.set_setting("steady", float(v))

    def _threshold_changed(self, t: float) -> None:
        if self.project is not None:
            self.project.set_setting("drift_threshold", float(t))

    # ------------------------------------------------------------------ onion skin, Carried tint
    def _update_onion(self) -> None:
        p = self.project
        rgb = None
        if p is not None and self.panel.onion_toggle.isChecked() and p.current[1] > 0 and self.shot is not None:
            prev = self.shot.frames[p.current[1] - 1]
            if prev.result is not None:
                try:
                    rgb = prev.result.color
                except ImageError:
                    rgb = None
        self.win.canvas.set_underlay(rgb)
        on = p is not None and self.panel.carried_toggle.isChecked()
        self.win.canvas.set_overlay("carried", overlay_for(p, p.current_frame, self.carried) if on else None)

    def thumbnails_ready(self) -> bool:
        """Every frame of the shown shot has its current thumbnail (tests wait for this)."""
        shot = self.shot
        return shot is not None and self.thumbs.ready(shot)

    # ------------------------------------------------------------------ import
    def import_folder_dialog(self) -> None:
        folder = self.win.prompts.choose_folder("Import a folder of frames as a shot")
        if folder:
            self.import_folder(folder)

    def import_video_dialog(self) -> None:
        path = self.win.prompts.choose_file("Import a video as a shot", f"{VIDEO_FILTER};;All files (*)")
        if not path:
            return
        from ..core.frames import video_info

        try:
            n, fps = video_info(path)
        except ImageError as e:
            self.win.prompts.error("Cannot import", str(e))
            return
        rng = self.ask_video_range(Path(path), n, fps)
        if rng is not None:
            self.import_video(path, *rng)

    def ask_video_range(self, path: Path, count: int, fps: float):
        """(start, stop, step) or None when cancelled (tests replace this)."""
        return self.win.prompts.video_range(path, count, fps)

    def import_folder(self, folder) -> bool:
        """Add a folder of frames (natural sort) as a shot and show it; a new project when none is open."""
        return self._import(lambda p: p.add_folder_shot(folder), Path(folder))

    def import_video(self, path, start: int = 0, stop: int | None = None, step: int = 1) -> bool:
        """Add frames ``start, start + step, ... < stop`` of a video as a shot and show it."""
        return self._import(lambda p: p.add_video_shot(path, start, stop, step), Path(path))

    def _import(self, add, path: Path) -> bool:
        win = self.win
        p = win.project
        new = p is None
        try:
            if new:
                p = Project(path.stem)
            shot = add(p)  # reads the first frame before changing the project
        except (ImageError, ProjectError, OSError) as e:
            win.prompts.error("Cannot import", str(e) if not isinstance(e, OSError) else f"{path}: {e.strerror or e}")
            return False
        p.set_current(p.shots.index(shot), 0)
        if new:
            win.adopt_new_project(p)
        self.panel.strip.setFocus()  # Left/Right/Space step and play the new shot at once
        win.statusBar().showMessage(f"Imported {path.name} as shot {shot.name!r}: {len(shot.frames)} frames at {shot.fps:.2f} fps", 6000)
        return True

    # ------------------------------------------------------------------ rename, delete
    def rename_dialog(self) -> bool:
        shot = self.shot
        if shot is None:
            return False
        name = self.win.prompts.ask_text("Rename shot", "Shot name:", shot.name)
        return bool(name) and self.project.rename_shot(self.shot_index, name)

    def replace_color_dialog(self) -> int:
        """The brush color becomes a color the artist chooses on every frame of the shot."""
        p, shot = self.project, self.shot
        if shot is None:
            return 0
        if self.busy:
            self.win.statusBar().showMessage("A shot is being colorized: wait or cancel it (Esc) first", 6000)
            return 0
        old = self.win.tools.color
        new = self.win.prompts.choose_color(f"Replace {'#%02x%02x%02x' % old} in shot {shot.name} with", old)
        if new is None:
            return 0
        n = p.replace_color_in_shot(self.shot_index, old, new)
        self.win.statusBar().showMessage(f"{n} frame{'s' * (n != 1)} changed" if n else
                                         f"No hint or flat color {'#%02x%02x%02x' % old} in this shot (pick it with the Picker first)", 8000)
        return n

    def delete_current(self) -> bool:
        """Delete the shot shown (one undo step); the last shot of a project stays."""
        p, shot = self.project, self.shot
        if shot is None:
            return False
        if self.busy:
            self.win.statusBar().showMessage("A shot is being colorized: wait or cancel it (Esc) first", 6000)
            return False
        if not p.delete_shot(self.shot_index):
            self.win.statusBar().showMessage("A project keeps at least one shot", 6000)
            return False
        self.win.statusBar().showMessage(f"Deleted shot {shot.name!r} ({len(shot.frames)} frames): Undo brings it back", 8000)
        return True

    # ------------------------------------------------------------------ marks
    def mark_key(self, on: bool) -> None:
        """Mark (or unmark) the current frame as a key: its colors (its result; without one,
        its hints, colorized first) condition the frames around it."""
        p = self.project
        f = p.current_frame if p else None
        if f is None:
            return
        if on and f.result is None and not p.has_hints(f):
            self.win.statusBar().showMessage("A key needs colors: paint hints on this frame or colorize it first", 6000)
            self.win._update_frame_ui()
            return
        p.set_flags(f, key=bool(on))
        if on:
            self.win.statusBar().showMessage(f"{f.name} is a key: Colorize shot carries its colors through the shot", 5000)

    def mark_corrected(self, on: bool):
        """Mark (or unmark) the current frame's colors as correct: they become a training
        example in the project's ``corrected/`` folder (written now when the project has a
        folder, else with its first save). Returns the I/O Task, if any."""
        p = self.project
        f = p.current_frame if p else None
        if f is None:
            return None
        win = self.win
        if on and f.result is None:
            win.statusBar().showMessage("Nothing to keep yet: colorize this frame (and fix its colors) first", 6000)
            win._update_frame_ui()
            return None
        p.set_flags(f, corrected=bool(on))
        if p.path is None:
            if on:
                win.statusBar().showMessage("Marked corrected: save the project to store it as a training example", 8000)
                win.save(ask=True)
            return None
        folder, fid = p.path, f.id
        if not on:
            return win.io.start(lambda token: remove_corrected(folder, fid))
        try:
            comp, kind = f.result.composite, f.result.kind
            hints = p.hints(f).copy() if p.has_hints(f) else None
        except ImageError as e:
            win.prompts.error("Cannot store the example", str(e))
            return None
        src, idx = f.source, f.video_index
        return win.io.start(lambda token: write_corrected(folder, fid, src, comp, kind, hints, idx),
                            finished=lambda files: win.statusBar().showMessage(
                                f"Training example stored: {', '.join(q.name for q in files)} in {folder.name}/corrected", 6000),
                            failed=lambda e: win.prompts.error("Cannot store the example", str(e)))

    # ------------------------------------------------------------------ colorize the shot
    @property
    def busy(self) -> bool:
        return self.run is not None

    def colorize_shot(self) -> bool:
        """Colorize the shown shot on the worker (see the module docstring). False if it cannot start."""
        win, p, shot = self.win, self.project, self.shot
        if p is None or shot is None or self.busy:
            return False
        try:  # the fine-tuned versions picked are used too
            self.run = run = ShotRun.prepare(p, shot, shot_options(p, win.prefs, win.effective_weights()))
        except ImageError as e:
            win.prompts.error("Cannot colorize the shot", str(e))
            return False
        self.panel.set_busy(True)
        self.panel.set_progress(0.0, "starting…")
        self._refresh_cells()
        win.statusBar().showMessage(f"Colorizing shot {shot.name!r} with {run.model}…")
        self.task = self.runner.start(run.job(self.engine, win.session),
                                      progressed=self._on_progress, finished=lambda res: self._end("finished"),
                                      failed=self._on_failed, cancelled=lambda: self._end("cancelled"), done=self._on_done)
        return True

    def _on_progress(self, prog: Progress) -> None:
        run = self.run
        if run is None:
            return
        self.panel.set_progress(prog.fraction, prog.message or "")
        # into the project: the canvas follows if the artist is looking at this frame
        f = run.take(prog, self.threshold() if run.project is self.project else None)
        if f is not None and f.result is not None:
            self.carried.take(f.id, getattr(prog, "confidence", None), f.result.rev)
            if run.project is self.project and f is self.project.current_frame:
                self._update_onion()

    def _on_failed(self, e: BaseException) -> None:
        known = isinstance(e, (WeightsError, ImageError, ValueError, KeyError, RuntimeError, OSError))
        self._end("failed")
        self.win.prompts.error("Shot colorize failed", str(e) if known and str(e) else f"{e.__class__.__name__}: {e}")

    def _end(self, how: str) -> None:
        if self.run is not None:
            self.win.statusBar().showMessage(self.run.finish(how, self.threshold()), 10000)

    def _on_done(self) -> None:
        self.run = None
        self.task = None
        self.panel.set_busy(False)
        self._refresh_cells()

    def cancel(self) -> bool:
        """Cancel the running shot colorize (frames already done stay). False if none runs."""
        if self.task is None:
            return False
        self.task.cancel()
        self.panel.set_progress(self.panel.progress.value() / 1000, "cancelling…")
        return True

    # ------------------------------------------------------------------ export
    def export_dialog(self, kind: str) -> None:
        shot = self.shot
        if shot is None:
            return
        if kind == "mp4":
            path = self.win.prompts.save_file("Export shot as MP4", f"{shot.name}.mp4", "MP4 video (*.mp4)")
        else:
            path = self.win.prompts.choose_folder(f"Export shot {shot.name} as {'PNG frames' if kind == 'png' else 'ORA files'} into")
        if path:
            self.export(kind, path)

    def export(self, kind: str, path):
        """Write the shown shot (``png`` frames or ``ora`` files into the folder ``path``, or
        the ``mp4`` file ``path``) on the I/O worker; returns the Task."""
        p, shot = self.project, self.shot
        if shot is None:
            return None
        path = Path(path)
        if kind == "mp4" and path.suffix.lower() != ".mp4":
            path = path.with_name(path.name + ".mp4")
        frames = export_frames(p, shot, with_hints=kind == "ora")
        fps, win = shot.fps, self.win
        win.statusBar().showMessage(f"Exporting {shot.name!r} ({len(frames)} frames)…")
        return win.io.start(lambda token: export_shot(kind, path, frames, fps, token),
                            progressed=lambda prog: win.statusBar().showMessage(f"Exporting {shot.name!r}: {prog.message}"),
                            finished=lambda out: win.statusBar().showMessage(f"Exported {len(frames)} frames to {path}", 8000),
                            failed=lambda e: win.prompts.error("Cannot export the shot", str(e)))

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        self.panel.play_button.setChecked(False)
        self.cancel()
        self.thumbs.stop()  # the window's worker hub stops the lanes

