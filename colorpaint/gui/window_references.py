"""The window's references: add (dialog or drop), remove, switch on and off, and show which
regions took their color from a reference. The list is the project's
(:class:`~colorpaint.project.references.References`); requests carry it
(:func:`colorpaint.app.requests.frame_request`), so Colorize, Live and Colorize shot use it."""
from __future__ import annotations

from ..core.imageio import ImageError
from .prompts import IMAGE_FILTER
from .references_panel import match_overlay

OVERLAY = "references"


class ReferenceWork:
    """Mixin of :class:`MainWindow`: the References dock's actions."""

    def add_reference_dialog(self) -> None:
        paths = self.prompts.choose_files("Add colored references (model sheets, finished frames)", f"{IMAGE_FILTER};;All files (*)")
        if paths:
            self.add_references(paths)

    def add_references(self, paths) -> int:
        """Add each colored image in ``paths`` to the project's references; one that cannot
        serve is named in one line and skipped. Returns how many were added."""
        p = self.project
        if p is None:
            return 0
        added, skipped = 0, []
        for path in paths:
            try:
                p.references.add(path)
                added += 1
            except ImageError as e:
                skipped.append(str(e))
        if skipped:
            self.prompts.error("Some references were not added", "\n".join(skipped))
        if added:
            self.statusBar().showMessage(f"{added} reference{'s' * (added != 1)} added: Colorize takes each shape's color "
                                         "from its match", 6000)
        return added

    def remove_reference(self, rid: str) -> None:
        if self.project is not None:
            self.project.references.remove(rid)

    def set_reference_enabled(self, rid: str, on: bool) -> None:
        if self.project is not None:
            self.project.references.set_enabled(rid, on)

    def _on_references(self) -> None:
        p = self.project
        self.references_panel.refresh(p.references if p else None, p.references.image if p else None)
        if p is not None and self.live.on and p.current_frame is not None and p.current_frame.result is not None:
            self.schedule_live()

    # ---------------------------------------------------------------- where references matched
    def _keep_reference_report(self, frame_id: str, res) -> None:
        rep = getattr(res, "references", None)
        if rep is None:
            self._ref_reports.pop(frame_id, None)
        else:
            self._ref_reports[frame_id] = rep
        self._show_reference_matches()

    def _show_reference_matches(self) -> None:
        p = self.project
        f = p.current_frame if p else None
        rep = self._ref_reports.get(f.id) if f is not None else None
        on = self.references_panel.matches.isChecked()
        self.canvas.set_overlay(OVERLAY, match_overlay(rep.region_map()) if (on and rep is not None) else None)
        if on and f is not None and rep is None:
            self.statusBar().showMessage("Colorize with references on to see which shapes matched", 5000)
