"""Which weights each model family colorizes with: the bundled file, a fine-tuned version
the artist picked, or an override given at start (tests, ``--weights NAME=PATH``).

The choice of fine-tuned versions is saved with the project (setting ``model_versions``:
``{family: weights file}``); without a project the window keeps it and carries it into the
next project made from images. No Qt here: the model picker only shows this.
"""
from __future__ import annotations

from pathlib import Path

from ..models import registry

VERSIONS_KEY = "model_versions"  # project setting: {family: weights file of the fine-tuned version in use}


class ModelChoice:
    """The fine-tuned version in use per family, for the open project (or for none).

    ``overrides``: {family: weights} used instead of the bundled weights when no
    fine-tuned version is picked. ``bundled_dir``: where the bundled files live (a version
    naming one of them is the bundled choice)."""

    def __init__(self, overrides: dict[str, str] | None = None, bundled_dir: Path | None = None) -> None:
        self.overrides: dict[str, str] = dict(overrides or {})
        self.bundled_dir = Path(bundled_dir) if bundled_dir is not None else None
        self.project = None
        self._window_versions: dict[str, str] = {}  # without a project / for the next new one

    # ------------------------------------------------------------------ reading
    def versions(self) -> dict[str, str]:
        """{family: weights file of the fine-tuned version in use}."""
        if self.project is not None:
            return dict(self.project.settings.get(VERSIONS_KEY) or {})
        return dict(self._window_versions)

    def chosen(self, family: str) -> str | None:
        """The weights of the fine-tuned ``family`` version picked, None for the bundled one."""
        return self.versions().get(family)

    def weights_for(self, family: str) -> str | None:
        """The weights a colorize with ``family`` uses: the fine-tuned version picked for it,
        else the override, else None (the bundled weights)."""
        return self.chosen(family) or self.overrides.get(family)

    def effective(self) -> dict[str, str]:
        """{family: weights_for(family)} for every family not on its bundled weights (shot jobs)."""
        return {**self.overrides, **self.versions()}

    def in_use(self, weights) -> list[str]:
        """The families whose picked version is the file ``weights``."""
        return [fam for fam, w in self.versions().items() if Path(w) == Path(weights)]

    def as_choice(self, family: str, weights) -> str | None:
        """``weights`` as a choice: None when it is the family's bundled file."""
        if not weights:
            return None
        bundled = {registry.spec(family).default_weights}
        if self.bundled_dir is not None:
            bundled.add(self.bundled_dir / f"{family}.safetensors")
        return None if any(b is not None and Path(weights) == Path(b) for b in bundled) else str(weights)

    # ------------------------------------------------------------------ changing
    def set(self, family: str, weights: str | None) -> None:
        """Use ``weights`` (a fine-tuned version) for ``family``; None: its bundled weights."""
        m = self.versions()
        if weights:
            m[family] = str(weights)
        else:
            m.pop(family, None)
        self._window_versions = m
        p = self.project
        if p is not None and m != (p.settings.get(VERSIONS_KEY) or {}):
            p.set_setting(VERSIONS_KEY, m)

    def attach(self, project) -> str | None:
        """Follow ``project`` (None: no project). Versions whose files are gone fall back to
        the bundled weights; returns a one-line message naming them, else None. A project
        made from images (never saved) takes the versions in use so far."""
        self.project = project
        if project is None:
            return None
        saved = project.settings.get(VERSIONS_KEY)
        if not isinstance(saved, dict):
            project.settings.pop(VERSIONS_KEY, None)
            self._window_versions = {}
            return None
        kept = {f: str(w) for f, w in saved.items() if f in registry.names() and isinstance(w, str) and Path(w).is_file()}
        self._window_versions = kept
        if kept == saved:
            return None
        project.settings[VERSIONS_KEY] = kept  # not a change of the project: it is saved so next time
        gone = ", ".join(sorted(set(saved) - set(kept)))
        return f"The fine-tuned {gone} version of this project is missing: using the bundled weights"

    def carry_into(self, project) -> None:
        """A new project made from images keeps the versions in use so far."""
        if self._window_versions:
            project.set_setting(VERSIONS_KEY, dict(self._window_versions))
