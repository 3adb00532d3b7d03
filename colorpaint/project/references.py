"""The project's colored references: model sheets, finished frames of other cuts,
turnarounds. Each is copied into the project when it is saved (``references/<id>.<ext>``,
never linked), can be switched off, and colors the drawings through
:mod:`colorpaint.engine.reference` (Colorize, Live and Colorize shot alike).

A reference is checked when it is added: a file that cannot be read, a 1x1 image or one
with no colors to give is refused with one line, and nothing else changes.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.imageio import ImageError, load_image

FOLDER = "references"


@dataclass
class RefEntry:
    """One reference: ``id`` ("r1", ...) names its copy in the project, ``source`` is the
    file it is read from (the artist's file until the project is saved, then the copy)."""

    id: str
    source: Path
    name: str
    enabled: bool = True


class References:
    """The references of one project, in the order the artist added them."""

    def __init__(self, on_change=lambda: None) -> None:
        self.entries: list[RefEntry] = []
        self.next_id = 1
        self._on_change = on_change
        self._images: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def get(self, rid: str) -> RefEntry | None:
        return next((e for e in self.entries if e.id == rid), None)

    # ------------------------------------------------------------------ changes
    def add(self, path) -> RefEntry:
        """Add the colored image at ``path``; raises ImageError (one line naming the file)
        when it cannot serve as a reference."""
        from ..engine.reference import Reference, check_reference

        path = Path(path)
        img = load_image(path)
        why = check_reference(Reference(img, True, path.name))
        if why:
            raise ImageError(why.replace("; skipped", ": not added as a reference"))
        e = RefEntry(f"r{self.next_id}", path, path.name)
        self.next_id += 1
        self.entries.append(e)
        self._cache(e, img)
        self._on_change()
        return e

    def remove(self, rid: str) -> None:
        e = self.get(rid)
        if e is not None:
            self.entries.remove(e)
            self._on_change()

    def set_enabled(self, rid: str, on: bool) -> None:
        e = self.get(rid)
        if e is not None and e.enabled != bool(on):
            e.enabled = bool(on)
            self._on_change()

    # ------------------------------------------------------------------ for the engine
    def image(self, e: RefEntry) -> np.ndarray:
        """``HxWx3 uint8 RGB`` of ``e`` (a few are kept in memory)."""
        key = (e.id, str(e.source))
        if key in self._images:
            self._images.move_to_end(key)
            return self._images[key]
        return self._cache(e, load_image(e.source))

    def _cache(self, e: RefEntry, img: np.ndarray) -> np.ndarray:
        img.flags.writeable = False
        self._images[(e.id, str(e.source))] = img
        while len(self._images) > 6:
            self._images.popitem(last=False)
        return img

    def for_engine(self) -> tuple:
        """The switched-on references as :class:`~colorpaint.engine.reference.Reference`
        (an unreadable one is left out: :meth:`problems` names it)."""
        from ..engine.reference import Reference

        out = []
        for e in self.entries:
            if e.enabled:
                try:
                    out.append(Reference(self.image(e), True, e.name))
                except ImageError:
                    continue
        return tuple(out)

    def problems(self) -> list[str]:
        """One line per switched-on reference that cannot be read any more."""
        out = []
        for e in self.entries:
            if e.enabled:
                try:
                    self.image(e)
                except ImageError as err:
                    out.append(str(err))
        return out

    # ------------------------------------------------------------------ project.json
    def to_doc(self) -> list[dict]:
        return [{"id": e.id, "name": e.name, "enabled": e.enabled} for e in self.entries]

    def load_doc(self, items, resolve, warn) -> None:
        """Read project.json's ``references`` list; ``resolve(rel, what)`` gives a confined
        path or raises; a bad entry is left out with a warning."""
        self.entries.clear()
        if items is None:
            return
        if not isinstance(items, list):
            warn("references: not a list; left out")
            return
        n = 0
        for i, d in enumerate(items[:1000]):
            try:
                rid = d["id"]
                if not (isinstance(rid, str) and rid[:1] == "r" and rid[1:].isdigit()) or self.get(rid) is not None:
                    raise ValueError(f"bad id {rid!r}")
                src = resolve(d.get("source"), f"reference {i} source")
                name = str(d.get("name") or src.name)[:200]
                self.entries.append(RefEntry(rid, src, name, bool(d.get("enabled", True))))
                n = max(n, int(rid[1:]))
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                warn(f"reference {i}: left out ({str(err).split(': ', 1)[-1]})")
        self.next_id = n + 1
