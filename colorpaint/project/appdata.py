"""Where ColorPaint keeps its own files: preferences, recent files and crash recovery.

``$COLORPAINT_HOME`` overrides the platform's folders (tests and portable installs use it);
otherwise platformdirs gives the user's config and data folders.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..core.jsonfile import JSONFileError, read_json

ENV = "COLORPAINT_HOME"


def config_dir() -> Path:
    if os.environ.get(ENV):
        return Path(os.environ[ENV]) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir("ColorPaint", appauthor=False))


def data_dir() -> Path:
    if os.environ.get(ENV):
        return Path(os.environ[ENV]) / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir("ColorPaint", appauthor=False))


@dataclass
class Preferences:
    """App-wide settings that persist across runs (JSON in :func:`config_dir`)."""

    device: str = "auto"  # auto | cpu | cuda | mps
    work_size: int = 256  # long side the network runs at
    default_model: str = "auto"
    autosave_minutes: float = 2.0  # 0 disables autosave
    recent_files: list[str] = field(default_factory=list)
    weights: dict[str, str] = field(default_factory=dict)  # model name -> weights file overriding the bundled one
    brush_size: float = 12.0
    pressure_size: bool = True  # a tablet pen's pressure scales the hint brush's diameter
    pressure_opacity: bool = False  # ... and its opacity

    MAX_RECENT = 10

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "preferences.json"

    @classmethod
    def load(cls) -> "Preferences":
        """Read the preferences; a missing or unreadable file gives the defaults, and a value
        of the wrong type or out of range keeps its default (or is brought into range)."""
        try:
            d = read_json(cls.path(), "preferences", allow_nonfinite=True)
        except JSONFileError:
            return cls()
        known = {f.name for f in fields(cls)}
        p = cls()
        for k, v in (d if isinstance(d, dict) else {}).items():
            if k not in known:
                continue
            default = getattr(p, k)
            if isinstance(default, float) and isinstance(v, int) and not isinstance(v, bool):
                v = float(v)
            if isinstance(v, float) and not math.isfinite(v):
                continue  # NaN, Infinity, 1e999: the default
            if isinstance(v, type(default)) and not (isinstance(v, bool) and not isinstance(default, bool)):
                setattr(p, k, v)  # a hand-edited wrong type keeps the default
        p.work_size = max(64, min(4096, int(p.work_size)))
        p.autosave_minutes = max(0.0, min(120.0, p.autosave_minutes))
        p.brush_size = max(1.0, min(500.0, p.brush_size))
        p.recent_files = [r for r in p.recent_files if isinstance(r, str)][: cls.MAX_RECENT]
        p.weights = {m: w for m, w in p.weights.items() if isinstance(w, str)}
        return p

    def save(self) -> None:
        from .io import atomic_write_bytes

        atomic_write_bytes(self.path(), (json.dumps(asdict(self), indent=1) + "\n").encode("utf-8"))

    def add_recent(self, path) -> None:
        p = str(Path(path).resolve())
        self.recent_files = [p] + [r for r in self.recent_files if r != p][: self.MAX_RECENT - 1]


@dataclass
class RecoveryInfo:
    folder: Path  # the autosaved project folder
    saved_at: float  # time.time()
    name: str
    original: str | None  # where the project was saved by the artist, if anywhere


class Recovery:
    """One autosave slot per running window under ``data_dir()/recovery``.

    The window writes a snapshot there every few minutes (on a worker), and removes the
    slot when it closes cleanly or after a real save; whatever slot is still there at the
    next start comes from a crash and is offered back.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir() / "recovery"
        self.slot = self.root / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.cpaint"
        self._owner = None  # the project whose files the slot holds

    def write(self, snap, name: str, original: str | None, owner=None) -> Path:
        """Write ``snap`` (an io.Snapshot) into this window's slot. Runs on a worker.
        ``owner`` names the project (any value that stays the same while it is open): the
        files an earlier autosave of the same project wrote are kept, not written again."""
        from .io import atomic_write_bytes, write_snapshot

        write_snapshot(snap, self.slot, reuse=owner is not None and owner == self._owner)
        self._owner = owner
        info = {"saved_at": time.time(), "name": name, "original": original}
        atomic_write_bytes(self.slot / "recovery.json", json.dumps(info).encode("utf-8"))
        return self.slot

    def discard(self) -> None:
        shutil.rmtree(self.slot, ignore_errors=True)
        self._owner = None

    def candidates(self) -> list[RecoveryInfo]:
        """Slots left by earlier sessions, newest first (this window's own slot excluded)."""
        out = []
        if not self.root.is_dir():
            return out
        for d in self.root.iterdir():
            if d == self.slot or not (d / "recovery.json").is_file():
                continue
            try:
                info = read_json(d / "recovery.json", "recovery note")
                saved_at, name, original = info["saved_at"], info.get("name", d.stem), info.get("original")
            except (JSONFileError, KeyError, TypeError, AttributeError):
                continue
            if not (isinstance(saved_at, (int, float)) and not isinstance(saved_at, bool) and 0 <= saved_at < 1e11):
                continue  # not a time this slot could have been written at
            if not isinstance(name, str):
                name = d.stem
            out.append(RecoveryInfo(d, float(saved_at), name, original if isinstance(original, str) and original else None))
        return sorted(out, key=lambda r: -r.saved_at)

    def recover(self, info: RecoveryInfo):
        """Take over ``info``'s slot as this window's own and open it: the returned project
        is unsaved (dirty) and saves to where the artist had saved it, if anywhere."""
        from .io import load_project, project_name

        self.discard()
        self.root.mkdir(parents=True, exist_ok=True)
        os.replace(info.folder, self.slot)
        p = load_project(self.slot)
        p.path = Path(info.original) if info.original else None
        p.name = project_name(p.path) if p.path else info.name
        p._meta += 1
        p._changed()
        return p

    @staticmethod
    def remove(info: RecoveryInfo) -> None:
        shutil.rmtree(info.folder, ignore_errors=True)
