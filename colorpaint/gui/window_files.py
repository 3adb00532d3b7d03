"""Opening, saving, autosave and recovery, exports and preferences: the window's file work.
Every file is written on the I/O worker, in order; the decisions that need no widget
(where a save may go) are in :mod:`colorpaint.app.files`."""
from __future__ import annotations

from pathlib import Path

from ..core.imageio import ImageError, save_image
from ..models import registry
from ..project import Project, ProjectError
from ..project.appdata import Recovery
from ..project.export import color_layer_rgba, hinted_flats_rgba, write_flats_ora, write_ora
from ..project.io import SUFFIX, finish_save, is_project, open_path, snapshot, write_snapshot_checked

# a starting palette for new projects: skin, hair, clothes, sky, grass and neutrals
DEFAULT_COLORS = (("skin", (250, 215, 185)), ("blush", (240, 160, 150)), ("red", (214, 60, 56)), ("orange", (240, 140, 50)),
                  ("yellow", (248, 214, 80)), ("grass", (110, 180, 80)), ("teal", (60, 160, 160)), ("sky", (120, 180, 235)),
                  ("blue", (50, 90, 190)), ("purple", (140, 90, 180)), ("brown", (130, 85, 50)), ("sand", (220, 190, 140)),
                  ("white", (250, 250, 250)), ("light gray", (190, 190, 195)), ("gray", (120, 120, 128)), ("dark", (50, 50, 60)))


class FileWork:
    """Mixin of :class:`MainWindow`: open, save, autosave, recover, export, preferences."""

    # ================================================================== files
    def maybe_save(self) -> bool:
        """Before the project goes away: True when it may (saved, discarded or clean)."""
        p = self.project
        if p is None or not p.dirty:
            return True
        ans = self.prompts.save_changes(p.name)
        if ans == "save":
            return self.save(wait=True)
        return ans == "discard"

    def open_dialog(self) -> None:
        path = self.prompts.open_file()
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        path = self.prompts.open_folder()
        if path:
            self.open_path(path)

    def open_path(self, path) -> bool:
        """Open an image, a folder of frames, a video or a project. On failure the current
        work stays as it was and a dialog shows the loader's message."""
        path = Path(path)
        if not self.maybe_save():
            return False
        try:
            p = open_path(path)
        except (ImageError, ProjectError, OSError) as e:
            self.prompts.error("Cannot open", str(e) if not isinstance(e, OSError) else f"{path}: {e.strerror or e}")
            return False
        if p.path is None:
            self.adopt_new_project(p)
        else:
            self.set_project(p)
        self.prefs.add_recent(path)
        self.statusBar().showMessage(f"Opened {path.name}: {p.frame_count} frame{'s' if p.frame_count != 1 else ''}", 5000)
        warnings = getattr(p, "load_warnings", None)
        if warnings:  # repaired on load: say what, once
            more = f"\n… and {len(warnings) - 8} more" if len(warnings) > 8 else ""
            self.prompts.error("Opened with repairs", f"{path.name} had values ColorPaint could not use; they were repaired or "
                               f"left out and the rest of the project is kept:\n\n" + "\n".join(warnings[:8]) + more)
        return True

    def adopt_new_project(self, p: Project) -> None:
        """Show a project made from images (not saved yet): the model picked so far (else the
        preferred one) and a starting palette."""
        picked = self.picked_model()[0] if self.project is not None else None
        p.set_model(picked if picked in registry.names() else
                    self.prefs.default_model if self.prefs.default_model in registry.names() else "auto")
        self.choice.carry_into(p)  # the fine-tuned versions in use so far carry over
        for name, c in DEFAULT_COLORS:
            p.palette.save_color(c, name)
        p.mark_clean()
        self.set_project(p)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for r in self.prefs.recent_files:
            self.recent_menu.addAction(r, lambda r=r: self.open_path(r))
        if not self.prefs.recent_files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _on_drop(self, paths: list) -> None:
        for path in paths:
            if Path(path).suffix.lower() == ".gpl" and self.project is not None:
                self.load_palette(path)
            else:
                self.open_path(path)
                break

    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        self._on_drop([u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()])

    def load_palette_dialog(self) -> None:
        path = self.prompts.open_palette()
        if path:
            self.load_palette(path)

    def load_palette(self, path) -> None:
        if self.project is None:
            return
        try:
            n = self.project.palette.load_gpl(path)
        except (OSError, ValueError) as e:
            self.prompts.error("Cannot load palette", str(e))
            return
        self.statusBar().showMessage(f"{n} colors added to the palette", 4000)

    def save(self, folder=None, ask: bool = False, wait: bool = False) -> bool:
        """Save the project (to ``folder``, its own folder, or one the artist picks). The
        files are written on the I/O worker unless ``wait``; the project is marked clean
        when they are on disk."""
        p = self.project
        if p is None:
            return False
        if folder is None and (ask or p.path is None):
            folder = self.prompts.save_file("Save project as", p.name + SUFFIX, f"ColorPaint project (*{SUFFIX})")
            if not folder:
                return False
        folder = Path(folder) if folder is not None else p.path
        if folder.suffix != SUFFIX:
            folder = folder.with_name(folder.name + SUFFIX)
        if not self._may_save_into(folder):
            return False
        self._keep_view_state(p)
        snap, version = snapshot(p), p.version
        self.statusBar().showMessage(f"Saving {folder.name}…")

        def saved(sources) -> None:
            finish_save(p, folder, sources, version)
            if p is self.project:
                self.trainer.set_project_dir(p.path)  # its corrected/ frames are training data now
            self.prefs.add_recent(folder)
            self.io.start(lambda token: self.recovery.discard())
            self._update_title()
            self.statusBar().showMessage(f"Saved {folder}", 5000)

        if wait:
            if not self.io.pool.waitForDone(60000):
                self.prompts.error("Cannot save", "an earlier save is still running")
                return False
            try:
                saved(write_snapshot_checked(snap, folder))
            except ProjectError as e:
                self.prompts.error("Cannot save", str(e))
                return False
            return True
        self.io.start(lambda token: write_snapshot_checked(snap, folder), finished=saved,
                      failed=lambda e: self.prompts.error("Cannot save", str(e)))
        return True

    def _keep_view_state(self, p: Project) -> None:
        """Live and the brush color are saved with the project (not changes of it: the
        project is not marked dirty for them), and come back when it is opened."""
        p.settings["live"] = bool(self.live.on)
        p.settings["brush_color"] = list(self.tools.color)

    def _restore_view_state(self, p: Project) -> None:
        s = p.typed_settings
        if s.brush_color is not None:
            self.set_color(s.brush_color)
        if s.live and not self.live.on:
            self.live.on = True  # on, without recoloring what was opened: the next stroke updates it
            self.act_live.setChecked(True)

    def _may_save_into(self, folder: Path) -> bool:
        """Whether a save may write ``folder``: its own folder, a new or empty one, or
        another project's that the artist agreed to replace."""
        p = self.project
        own = p.path is not None and Path(p.path).resolve() == folder.resolve()
        if own or not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
            return True
        if not is_project(folder):
            self.prompts.error("Cannot save", f"{folder} already exists and is not a ColorPaint project: choose another name")
            return False
        return self.prompts.replace_project(folder.name)

    def autosave(self) -> None:
        """Write a recovery copy on the I/O worker if something changed since the last one."""
        p = self.project
        if p is None or not p.dirty or p.version == self._autosaved_version or self.io.busy:
            return
        self._keep_view_state(p)
        snap, version, name, original = snapshot(p), p.version, p.name, str(p.path) if p.path else None

        def done(_):
            self._autosaved_version = version

        self.io.start(lambda token: self.recovery.write(snap, name, original, owner=p.uid), finished=done,
                      failed=lambda e: self.statusBar().showMessage(f"Autosave failed: {e}", 8000))

    def _apply_autosave_interval(self) -> None:
        m = float(self.prefs.autosave_minutes)
        if m > 0:
            self.autosave_timer.start(int(m * 60000))
        else:
            self.autosave_timer.stop()

    def offer_recovery(self) -> bool:
        """At start: offer autosaved work a crashed session left behind."""
        found = self.recovery.candidates()
        if not found:
            return False
        info = found[0]
        ans = self.prompts.recover(info)
        if ans == "discard":
            Recovery.remove(info)
        elif ans == "recover":
            try:
                p = self.recovery.recover(info)
            except (ProjectError, OSError) as e:
                self.prompts.error("Cannot recover", str(e))
                return False
            self.set_project(p)
            self.statusBar().showMessage("Recovered unsaved work: save it to keep it", 10000)
            return True
        return False

    # ---------------------------------------------------------------- exports
    def export_dialog(self, kind: str) -> None:
        if self.project is None:
            return
        ext = {"png": ".png", "color": "_color.png", "ora": ".ora", "flats": "_flats.ora", "hinted": "_hinted_flats.png"}[kind]
        flt = "OpenRaster (*.ora)" if kind in ("ora", "flats") else "PNG image (*.png)"
        path = self.prompts.save_file("Export", self.project.name + ext, flt)
        if path:
            self.export(kind, path)

    def export(self, kind: str, path):
        """Export the current frame: 'png' composite, 'color' layer (RGBA), layered 'ora', or
        'flats' (layered ORA, one layer per flat color), or 'hinted' (PNG of the colors of the
        regions the artist hinted, every other region and the lines transparent).
        Written on the I/O worker; returns the Task (None if there is nothing to export)."""
        p = self.project
        f = p.current_frame if p else None
        if f is None:
            return None
        path = Path(path)
        try:
            line, res = p.image(f), f.result
            comp, color = (res.composite, res.color) if res else (None, None)
            hints = p.hints(f).copy() if f.strokes else None
        except ImageError as e:
            self.prompts.error("Cannot export", str(e))
            return None
        kind_ = res.kind if res else "lineart"
        if kind in ("color", "flats", "hinted") and color is None:
            self.prompts.error("Nothing to export", "This frame has no color layer yet: colorize it first.")
            return None
        if kind == "png":
            job = lambda token: save_image(path, comp if comp is not None else line)
        elif kind == "color":
            job = lambda token: save_image(path, color_layer_rgba(color, line, kind_))
        elif kind == "ora":
            job = lambda token: write_ora(path, line, kind_, color, comp, hints)
        elif kind == "hinted":
            gap = self.regions.gap
            job = lambda token: save_image(path, hinted_flats_rgba(line, color, hints, gap))
        elif kind == "flats":
            gap, named = self.regions.gap, list(p.palette.saved)
            job = lambda token: write_flats_ora(path, line, color, gap, named)
        else:
            raise ValueError(f"unknown export {kind!r}")
        return self.io.start(job, finished=lambda _: self.statusBar().showMessage(f"Exported {path}", 5000),
                             failed=lambda e: self.prompts.error("Cannot export", str(e)))

    # ================================================================== preferences, closing
    def preferences_dialog(self) -> None:
        from .preferences_dialog import PreferencesDialog

        d = PreferencesDialog(self.prefs, registry.names(), self)
        if d.exec():
            old_device = self.prefs.device
            d.apply()
            if self.prefs.device != old_device:
                self.device = self.prefs.device
                self.sessions.set_device(None if self.device == "auto" else self.device)  # models load there next time
                self.device_label.setText(f"device: {self.device}")
            self._apply_autosave_interval()
            self.tools.pressure_size, self.tools.pressure_opacity = self.prefs.pressure_size, self.prefs.pressure_opacity
            self._save_prefs()

    def _save_prefs(self) -> None:
        self.prefs.brush_size = self.tools.size
        try:
            self.prefs.save()
        except OSError as e:
            self.statusBar().showMessage(f"Cannot save preferences: {e}", 5000)
