"""The model picker: every family with its bundled weights and the artist's fine-tuned
versions; picking one sets what Colorize, Live and shots use (the Qt-free choice is
:class:`~colorpaint.app.model_choice.ModelChoice`)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from ..models import registry

# modelPicker items: Qt.UserRole = the family (findData(family) finds its bundled entry first),
# WEIGHTS_ROLE = the fine-tuned version's weights file, "" for the bundled weights
WEIGHTS_ROLE = Qt.ItemDataRole.UserRole + 1


class ModelPicking:
    """Mixin of :class:`MainWindow`: the model picker and fine-tuned versions."""

    def _on_model_picked(self, index: int) -> None:
        family, weights = self.picked_model(index)
        if not family:
            return
        self._picking = True  # the settings events below must not move the picker meanwhile
        try:
            self.choice.set(family, weights)
            if self.project is not None:
                self.project.set_model(family)
        finally:
            self._picking = False
        if self.project is not None and self.live.on:
            self._recolor_after_switch()

    def _recolor_after_switch(self) -> None:
        """Live is on and the model changed: show the shown frame in the new model's colors,
        never silently. A key or corrected frame keeps its colors; a frame that has colors
        gets them replaced as one undo step (in History); a frame without colors is
        previewed as Live does after a stroke."""
        f = self.project.current_frame
        if f is None:
            return
        if f.result is None:
            self.schedule_live()
        elif f.key or f.corrected:
            what = "key frame" if f.key else "corrected frame"
            self.statusBar().showMessage(f"This {what} keeps its colors; Colorize uses the new model when you ask", 8000)
        else:
            self.colorize()  # one undo step: Undo brings the earlier colors back

    # ---------------------------------------------------------------- model versions
    _picking = False

    def chosen_version(self, family: str) -> str | None:
        """The weights of the fine-tuned ``family`` version picked, None for the bundled one."""
        return self.choice.chosen(family)

    def weights_for(self, family: str) -> str | None:
        """The weights a colorize with ``family`` uses (see :meth:`ModelChoice.weights_for`)."""
        return self.choice.weights_for(family)

    def effective_weights(self) -> dict[str, str]:
        """{family: weights_for(family)} for every family not on its bundled weights (shot jobs)."""
        return self.choice.effective()

    def picked_model(self, index: int | None = None) -> tuple[str | None, str | None]:
        """(family, weights of the fine-tuned version or None for the bundled one) of a modelPicker item."""
        pk = self.model_picker
        i = pk.currentIndex() if index is None else index
        if i < 0:
            return None, None
        return pk.itemData(i), (pk.itemData(i, WEIGHTS_ROLE) or None)

    def _picker_index(self, family: str, weights: str | None) -> int:
        for i in range(self.model_picker.count()):
            fam, w = self.picked_model(i)
            if fam == family and (w == weights or (w and weights and Path(w) == Path(weights))):
                return i
        return -1

    def _select_in_picker(self, family: str | None, weights: str | None) -> None:
        """Show (family, weights) in the picker without acting on it; the family's bundled
        entry when that version is not listed."""
        i = self._picker_index(family, weights)
        if i < 0:
            i = self.model_picker.findData(family)
        if i >= 0 and i != self.model_picker.currentIndex():
            self.model_picker.blockSignals(True)
            self.model_picker.setCurrentIndex(i)
            self.model_picker.blockSignals(False)

    _picker_fills = 0  # counts the picker's fills: a background listing older than the last fill is dropped

    def list_versions_later(self) -> None:
        """Fill ``modelPicker`` with the families now, and with their fine-tuned versions once
        the background lane has read the model folder (checking weights loads torch, so the
        window starts without it)."""
        self.refresh_model_picker(versions=[])
        fill, store = self._picker_fills, self.model_store
        self.workers.background.start(lambda token: store.list_versions(),
                                      finished=lambda versions: self._versions_listed(versions, fill))

    def _versions_listed(self, versions, fill: int) -> None:
        if fill == self._picker_fills:
            self.refresh_model_picker(versions)

    def refresh_model_picker(self, versions=None) -> None:
        """List every model version in ``modelPicker``: per family its bundled weights (named
        after the family), then the artist's fine-tuned versions (``versions``; default: the
        model folder's, read now); the selection is kept."""
        self._picker_fills += 1
        pk = self.model_picker
        keep = (self.project.model, self.chosen_version(self.project.model)) if self.project else self.picked_model()
        versions = [v for v in (self.model_store.list_versions() if versions is None else versions) if not v.bundled]
        pk.blockSignals(True)
        pk.clear()
        for fam in registry.names():
            title = registry.spec(fam).title
            pk.addItem(fam, fam)
            pk.setItemData(pk.count() - 1, "", WEIGHTS_ROLE)
            pk.setItemData(pk.count() - 1, title, Qt.ItemDataRole.ToolTipRole)
            for v in versions:
                if v.family == fam:
                    pk.addItem(v.label, fam)
                    pk.setItemData(pk.count() - 1, str(v.weights), WEIGHTS_ROLE)
                    when = f", {v.info['date']}" if v.info.get("date") else ""
                    pk.setItemData(pk.count() - 1, f"{title}\nfine-tuned version “{v.name}”{when}\n{v.weights}",
                                   Qt.ItemDataRole.ToolTipRole)
        fm = pk.fontMetrics()
        pk.view().setMinimumWidth(max(fm.horizontalAdvance(pk.itemText(i)) for i in range(pk.count())) + 40)
        pk.blockSignals(False)
        if keep[0]:
            self._select_in_picker(*keep)

    def use_model_version(self, family: str, weights) -> bool:
        """Colorize, Live and shots use ``weights`` of ``family`` from now on (the Train
        panel's "Use this model"); False when the version is not in the model folder."""
        weights = self.choice.as_choice(family, weights)
        i = self._picker_index(family, weights)
        if i < 0:
            self.refresh_model_picker()
            i = self._picker_index(family, weights)
        if i < 0:
            self.statusBar().showMessage(f"{weights}: not a model version of {family}", 8000)
            return False
        if i != self.model_picker.currentIndex():
            self.model_picker.setCurrentIndex(i)  # -> _on_model_picked
        else:
            self._on_model_picked(i)
        self.statusBar().showMessage(f"Colorize, Live and shots now use {self.model_picker.itemText(i)}", 6000)
        return True

    def _on_version_added(self, family: str, weights: str) -> None:
        self.refresh_model_picker()
        self.use_model_version(family, weights)

    def _on_version_removed(self, family: str, weights: str) -> None:
        """A version was deleted: whoever used it falls back to the bundled weights."""
        in_use = self.choice.in_use(weights)
        for fam in in_use:
            self.choice.set(fam, None)
        self.sessions.forget(weights)  # the file is gone; never colorize with a cached copy of it
        self.refresh_model_picker()
        if in_use:
            self.statusBar().showMessage(f"The {family} version in use was deleted: back to its bundled weights", 8000)

