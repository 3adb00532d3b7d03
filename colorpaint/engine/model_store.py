"""The user's model folder: fine-tuned versions of each family, next to the bundled weights.

Layout (``models_dir()``: ``$COLORPAINT_MODEL_DIR``, else platformdirs'
``user_data_dir("ColorPaint")/models``)::

    models/
      <family>/<version-id>/<family>.safetensors   the weights (with their safetensors metadata)
      <family>/<version-id>/info.json              display name, base, data, steps, date, metrics...
      <family>/<version-id>/comparison.png         optional files named in info.json
      runs/<family>-<stamp>/                        training runs (checkpoints, logs, samples)

The bundled weights (``resources/models/<family>.safetensors``) are listed as read-only
versions with id ``"bundled"``: renaming, deleting or writing over them raises
:class:`ReadOnlyModelError`. A version whose info.json or weights file is unreadable is
left out of the list with a logged warning (and recorded in ``ModelStore.problems``), so
one bad folder never hides the others. Both are untrusted: info.json must be a JSON
object of plain values (finite numbers, at most ``MAX_INFO_DEPTH`` levels deep, at most
``MAX_INFO_BYTES``), and the weights must pass :func:`check_weights` (header against the
family's network, finite values; remembered per unchanged file, so listing again is
cheap). :meth:`ModelStore.add_version` refuses a weights file that does not load. No Qt here.
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.atomic import atomic_write_bytes
from ..models import registry
from .weights import WeightsError, check_weights, load_weights

log = logging.getLogger(__name__)

ENV = "COLORPAINT_MODEL_DIR"
INFO = "info.json"
BUNDLED_ID = "bundled"
MAX_INFO_BYTES = 16 << 20
MAX_INFO_DEPTH = 32
_MAX_INT = 2 ** 63


class ModelStoreError(ValueError):
    """A store operation that cannot be done (one-line message)."""


class ReadOnlyModelError(ModelStoreError):
    """An attempt to change or delete the bundled weights."""


def models_dir() -> Path:
    """The user's model folder (not created here)."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ColorPaint", appauthor=False)) / "models"


@dataclass(frozen=True)
class ModelVersion:
    """One usable weights file of a family. ``info`` is info.json (user versions) or the
    weights' own metadata (bundled)."""

    id: str
    family: str
    name: str
    weights: Path
    info: dict = field(default_factory=dict, compare=False)
    bundled: bool = False

    @property
    def folder(self) -> Path:
        return self.weights.parent

    @property
    def label(self) -> str:
        """What a model picker shows, e.g. ``temporal: My show v2``."""
        return f"{self.family}: {self.name}"


def _out_of_range(text: str) -> ValueError:
    return ValueError(f"number {text[:24]}{'...' if len(text) > 24 else ''} is out of range")


def _parse_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):  # 1e999
        raise _out_of_range(text)
    return v


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(int(text)) >= _MAX_INT:
        raise _out_of_range(text)
    return int(text)


def _parse_constant(text: str):
    raise ValueError(f"{text} is not a finite number")


def _depth(value) -> int:
    """How deeply lists and objects nest in ``value`` (without recursion)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, d)
            if d <= MAX_INFO_DEPTH:
                todo.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def read_info(path: Path) -> dict:
    """A version's info.json: a JSON object of plain values. Raises ``ValueError`` (or
    ``OSError``) saying what is wrong for a file that is too big, is not UTF-8 JSON, nests
    deeper than ``MAX_INFO_DEPTH``, or holds NaN, infinity or a number out of range."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_INFO_BYTES + 1)
    if len(data) > MAX_INFO_BYTES:
        raise ValueError(f"larger than {MAX_INFO_BYTES >> 20} MB")
    try:
        info = json.loads(data.decode("utf-8"), parse_float=_parse_float, parse_int=_parse_int, parse_constant=_parse_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_INFO_DEPTH} levels") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e}") from None
    if not isinstance(info, dict):
        raise ValueError(f"not a JSON object but a {type(info).__name__}")
    if _depth(info) > MAX_INFO_DEPTH:
        raise ValueError(f"nested deeper than {MAX_INFO_DEPTH} levels")
    return info


def _finite(value):
    """``value`` with NaN and infinite floats replaced by None (JSON cannot hold them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _atomic_json(path: Path, data: dict) -> None:
    atomic_write_bytes(path, json.dumps(data, indent=2, default=str).encode("utf-8"))


class ModelStore:
    """The model folder ``root`` (default :func:`models_dir`) plus the bundled weights in
    ``bundled_dir`` (default ``resources/models``)."""

    def __init__(self, root: str | os.PathLike | None = None, bundled_dir: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else models_dir()
        self.bundled_dir = Path(bundled_dir) if bundled_dir is not None else registry.RESOURCES
        self.problems: list[str] = []  # warnings of the last list_versions()

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def new_run_dir(self, family: str) -> Path:
        """A fresh, empty run folder for training ``family``."""
        registry.spec(family)
        return self._fresh_dir(self.runs_dir, f"{family}-{time.strftime('%Y%m%d-%H%M%S')}")

    @staticmethod
    def _fresh_dir(parent: Path, stem: str) -> Path:
        parent.mkdir(parents=True, exist_ok=True)
        for i in range(1000):
            p = parent / (stem if i == 0 else f"{stem}-{i}")
            try:
                p.mkdir()
                return p
            except FileExistsError:
                continue
        raise ModelStoreError(f"{parent}: cannot create a new folder for {stem}")

    # ------------------------------------------------------------------ listing
    def _warn(self, msg: str) -> None:
        log.warning("model store: %s", msg)
        self.problems.append(msg)

    def bundled(self, family: str) -> ModelVersion | None:
        """The bundled version of ``family``, or None when there is none (or it is unreadable)."""
        path = self.bundled_dir / f"{family}.safetensors"
        if not path.exists():
            return None
        try:
            meta = check_weights(path)
        except WeightsError as e:
            self._warn(f"bundled weights skipped: {e}")
            return None
        if meta.get("family") != family:
            self._warn(f"bundled weights skipped: {path} holds a {meta.get('family')!r} model")
            return None
        version = meta.get("version") or ""
        name = f"bundled {version}".strip()
        return ModelVersion(BUNDLED_ID, family, name, path, meta, bundled=True)

    def _read_version(self, family: str, folder: Path) -> ModelVersion | None:
        weights = folder / f"{family}.safetensors"
        try:
            info = read_info(folder / INFO)
        except ValueError as e:
            self._warn(f"{folder}: skipped, unreadable {INFO} ({e})")
            return None
        except OSError as e:
            self._warn(f"{folder}: skipped, unreadable {INFO} ({e.strerror or e.__class__.__name__})")
            return None
        try:
            meta = check_weights(weights)
        except WeightsError as e:
            self._warn(f"{folder}: skipped, {e}")
            return None
        if meta.get("family") != family:
            self._warn(f"{folder}: skipped, holds a {meta.get('family')!r} model in the {family!r} folder")
            return None
        return ModelVersion(folder.name, family, str(info.get("name") or folder.name), weights, info)

    def list_versions(self, family: str | None = None) -> list[ModelVersion]:
        """Every usable version, per family in registry order: the bundled one first, then
        the user's versions oldest first (ids are timestamps)."""
        self.problems = []
        families = [family] if family else registry.names()
        out: list[ModelVersion] = []
        for fam in families:
            registry.spec(fam)
            b = self.bundled(fam)
            if b:
                out.append(b)
            fdir = self.root / fam
            if not fdir.is_dir():
                continue
            for sub in sorted(p for p in fdir.iterdir() if p.is_dir() and not p.name.startswith(".")):
                v = self._read_version(fam, sub)
                if v:
                    out.append(v)
        return out

    def find(self, weights: str | os.PathLike) -> ModelVersion | None:
        """The listed version whose weights file is ``weights``, if any."""
        target = Path(weights).resolve()
        for v in self.list_versions():
            if v.weights.resolve() == target:
                return v
        return None

    # ------------------------------------------------------------------ changes
    def _check_writable(self, version: ModelVersion) -> Path:
        folder = version.folder.resolve()
        if version.bundled or folder == self.bundled_dir.resolve():
            raise ReadOnlyModelError(f"{version.weights}: the bundled {version.family!r} weights are read-only; "
                                     "fine-tune them to make a version you can rename or delete")
        root = (self.root / version.family).resolve()
        if folder.parent != root or not (folder / INFO).exists():
            raise ModelStoreError(f"{version.folder}: not a version in the model folder {self.root}")
        return folder

    def add_version(self, family: str, weights_path: str | os.PathLike, info: dict, files: dict | None = None) -> ModelVersion:
        """Copy ``weights_path`` into a new version folder of ``family`` and write ``info``.

        ``files`` maps info keys to files to copy beside the weights (e.g.
        ``{"comparison": run/"comparison.png", "log": run/"train.log"}``); info then names
        them relative to the version folder. The folder is assembled under a hidden name
        and renamed into place, so a half-written version is never listed. Raises
        :class:`WeightsError` when the file is not a ``family`` weights file that loads
        (truncated, corrupt, not fitting the network, NaN/inf values...); nothing is
        written then."""
        registry.spec(family)
        src = Path(weights_path)
        load_weights(src, family=family)
        fdir = self.root / family
        stamp = time.strftime("%Y%m%d-%H%M%S")
        tmp = self._fresh_dir(fdir, f".tmp-{stamp}")
        try:
            shutil.copyfile(src, tmp / f"{family}.safetensors")
            info = _finite(dict(info))
            info.setdefault("name", f"{family} {stamp}")
            info.setdefault("family", family)
            info.setdefault("date", time.strftime("%Y-%m-%d %H:%M"))
            for key, f in (files or {}).items():
                if f and Path(f).is_file():
                    dst = tmp / f"{key}{Path(f).suffix}"
                    shutil.copyfile(f, dst)
                    info[key] = dst.name
            _atomic_json(tmp / INFO, info)
            with open(tmp / f"{family}.safetensors", "rb+") as fh:
                os.fsync(fh.fileno())
            for i in range(1000):
                final = fdir / (stamp if i == 0 else f"{stamp}-{i}")
                if not final.exists():
                    os.rename(tmp, final)
                    break
            else:
                raise ModelStoreError(f"{fdir}: no free version id for {stamp}")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        v = self._read_version(family, final)
        if v is None:  # e.g. the disk changed it: do not leave a version that every list skips
            why = self.problems[-1] if self.problems else ""
            shutil.rmtree(final, ignore_errors=True)
            raise ModelStoreError(f"{final}: the new version could not be read back ({why})")
        return v

    def rename(self, version: ModelVersion, new_name: str) -> ModelVersion:
        """Give a user version a new display name (the folder and weights stay put)."""
        new_name = new_name.strip()
        if not new_name:
            raise ModelStoreError("a model version needs a non-empty name")
        folder = self._check_writable(version)
        try:
            info = read_info(folder / INFO)
        except (OSError, ValueError) as e:
            raise ModelStoreError(f"{folder / INFO}: cannot rename, the file is unreadable ({e})") from None
        info["name"] = new_name
        _atomic_json(folder / INFO, info)
        return ModelVersion(version.id, version.family, new_name, version.weights, info)

    def delete(self, version: ModelVersion) -> None:
        """Remove a user version's folder. It is first renamed to a hidden name, so a
        delete interrupted half-way never leaves a half-listed version."""
        folder = self._check_writable(version)
        trash = folder.with_name(f".trash-{folder.name}-{os.getpid()}")
        os.rename(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def info_file(self, version: ModelVersion, key: str) -> Path | None:
        """The file an info key names (``comparison``, ``log``), resolved, if it exists."""
        name = version.info.get(key)
        if not name:
            return None
        p = Path(name)
        p = p if p.is_absolute() else version.folder / p
        return p if p.exists() else None


# Module-level shortcuts on the default store (reads $COLORPAINT_MODEL_DIR each call).
def list_versions(family: str | None = None) -> list[ModelVersion]:
    return ModelStore().list_versions(family)


def add_version(family: str, weights_path: str | os.PathLike, info: dict, files: dict | None = None) -> ModelVersion:
    return ModelStore().add_version(family, weights_path, info, files)


def rename(version: ModelVersion, new_name: str) -> ModelVersion:
    return ModelStore().rename(version, new_name)


def delete(version: ModelVersion) -> None:
    ModelStore().delete(version)
