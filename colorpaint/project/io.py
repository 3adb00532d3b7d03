"""Saving and opening projects: a ``NAME.cpaint/`` folder.

Layout::

    NAME.cpaint/
      project.json                 the document (paths relative to this folder)
      frames/<id>.<ext>            copies of the sources (never re-encoded, never overwritten)
      results/<id>-<rev>.png       composite of a colorize result (+ ``_color.png``: color layer)
      corrected/<id>_line.png      line art + artist-approved colors of frames marked
      corrected/<id>_color.png     "corrected": what ``colorpaint-train --data NAME.cpaint`` reads
      corrected/<id>_hints.png     (and the artist's hints on it, RGBA, when there are any)

Every file is written atomically (temporary file, fsync, ``os.replace``) and project.json
last, so a crash mid-save leaves the previous save intact. Result files carry a revision
in their name; files the new project.json no longer names are removed after it is in
place. ``corrected/`` (the training data) is written whole beside the live one and swapped
in after project.json, so the project and its training data always change together; what
an interrupted save leaves is cleaned up on the next open. Saving over another project's
folder writes every file anew: the folder then holds exactly this project. Paths read from
project.json must be relative and stay inside the folder; anything else is refused with a
:class:`ProjectError`.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from ..core.atomic import atomic_copy, atomic_write_bytes, fsync_dir
from ..core.frames import is_video, read_video
from ..core.imageio import IMAGE_EXTS, ImageError, save_image
from ..core.jsonfile import JSONFileError, read_json
from .document import Frame, FrameResult, Project, Shot, clean_settings
from .strokes import Stroke, clamped

FORMAT = "colorpaint-project"
VERSION = 1
SUFFIX = ".cpaint"
PROJECT_FILE = "project.json"
_RESULT_RE = re.compile(r"^f\d+-\d+(_color)?\.png$")
_CORRECTED_RE = re.compile(r"^(f\d+)_(line|color|hints)\.png$")
_FRAME_RE = re.compile(r"^f\d+\.[A-Za-z]+$")


class ProjectError(ValueError):
    """A project that cannot be opened or saved (one-line message naming the file)."""


# ---------------------------------------------------------------------- paths
def confined(folder: Path, rel, what: str, json_path: Path) -> Path:
    """``folder/rel`` if ``rel`` is a relative path that stays inside ``folder``."""
    if not isinstance(rel, str) or not rel.strip():
        raise ProjectError(f"{json_path}: {what}: expected a relative path, got {rel!r}")
    if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute() or PureWindowsPath(rel).drive or rel.startswith(("\\", "/")):
        raise ProjectError(f"{json_path}: {what}: absolute path {rel!r} refused (paths must be relative to the project folder)")
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    if ".." in parts:
        raise ProjectError(f"{json_path}: {what}: path {rel!r} refused ('..' would leave the project folder)")
    root = folder.resolve()
    p = (root / PurePosixPath(*parts)).resolve()
    if p != root and root not in p.parents:
        raise ProjectError(f"{json_path}: {what}: path {rel!r} leads outside the project folder (symbolic link?)")
    return p


def _rel(folder: Path, p: Path) -> str | None:
    try:
        return p.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None


def is_project(path) -> bool:
    p = Path(path)
    return (p.is_dir() and (p / PROJECT_FILE).is_file()) or (p.name == PROJECT_FILE and p.is_file())


# ---------------------------------------------------------------------- snapshot + write
@dataclass
class FrameSnap:
    id: str
    source: Path
    video_index: int | None
    result: FrameResult | None
    corrected: bool
    entry: dict  # the frame's project.json entry without paths
    hints: np.ndarray | None = None  # HxWx4 uint8 RGBA, kept for corrected frames only


@dataclass
class Snapshot:
    """Everything a save needs, detached from the live document so a worker thread can
    write it while the artist keeps painting (strokes are immutable tuples, result arrays
    read-only)."""

    doc: dict
    frames: list[FrameSnap] = field(default_factory=list)
    references: list[tuple[dict, Path]] = field(default_factory=list)  # (project.json entry, file to copy in)
    home: Path | None = None  # the folder the project was opened from or last saved to


def snapshot(project: Project) -> Snapshot:
    doc = {
        "format": FORMAT, "version": VERSION, "name": project.name, "model": project.model,
        "settings": dict(project.settings), "palette": project.palette.to_dict(),
        "current": {"shot": project.current[0], "frame": project.current[1]},
        "next_id": project.next_id, "next_rev": project.next_rev, "shots": [],
    }
    snap = Snapshot(doc, home=project.path)
    for entry, e in zip(project.references.to_doc(), project.references):
        snap.references.append((entry, Path(e.source)))
    doc["references"] = [entry for entry, _ in snap.references]
    for shot in project.shots:
        entries = []
        for f in shot.frames:
            e = {"id": f.id, "name": f.name, "key": f.key, "corrected": f.corrected, "drift": f.drift,
                 "strokes": [s.to_dict() for s in f.strokes]}
            entries.append(e)
            snap.frames.append(FrameSnap(f.id, f.source, f.video_index, f.result, f.corrected, e, _corrected_hints(project, f)))
        doc["shots"].append({"name": shot.name, "fps": shot.fps, "frames": entries})
    return snap


def _corrected_hints(project: Project, f: Frame):
    """A copy of a corrected frame's hint map (for its training example), else None."""
    if not (f.corrected and f.strokes):
        return None
    try:
        return project.hints(f).copy() if project.has_hints(f) else None
    except ImageError:
        return None


def write_corrected(folder, frame_id: str, source: Path, composite, kind: str, hints: np.ndarray | None = None,
                    video_index: int | None = None, sub: str = "corrected") -> list[Path]:
    """Write a frame's training example into ``folder/corrected/``: ``<id>_color.png`` (the
    artist-approved composite: a PNG path to copy or an HxWx3 uint8 RGB array),
    ``<id>_line.png`` (the source, for line art) and ``<id>_hints.png`` (HxWx4 uint8 RGBA,
    when given). Atomic per file; returns the files written.

    Written straight into the live ``corrected/`` (a frame marked between saves), the
    folder is flagged ``.pending``: it then holds work project.json does not describe yet,
    and the next open rebuilds it from project.json unless a save came first."""
    d = Path(folder) / sub
    if sub == "corrected":
        _flag_pending(Path(folder))
    color = d / f"{frame_id}_color.png"
    if isinstance(composite, (str, Path)):
        atomic_copy(Path(composite), color)
    else:
        save_image(color, composite)
    out = [color]
    if kind == "lineart":
        line = d / f"{frame_id}_line.png"
        if video_index is None and Path(source).suffix.lower() == ".png":
            atomic_copy(Path(source), line)
        else:
            from .document import load_source

            save_image(line, load_source(Path(source), video_index))
        out.append(line)
    hp = d / f"{frame_id}_hints.png"
    if hints is not None:
        save_image(hp, hints)
        out.append(hp)
    elif hp.exists():
        hp.unlink()
    return out


def remove_corrected(folder, frame_id: str) -> None:
    """Remove a frame's training example from ``folder/corrected/`` (it was unmarked)."""
    _flag_pending(Path(folder))
    for part in ("color", "line", "hints"):
        try:
            (Path(folder) / "corrected" / f"{frame_id}_{part}.png").unlink()
        except FileNotFoundError:
            pass


# ---------------------------------------------------------------------- the training set
# corrected/ is the training data of the project: it must always be one whole set that
# project.json describes. A save writes the new set into .corrected-new-<token>/, commits
# project.json naming <token>, then swaps the folders; a kill at any moment leaves either the
# old project.json with the old set, or the new project.json whose set the next open finishes
# swapping in. Leftovers of an interrupted save are removed on the next open.
_SET_FILE = ".set"
_PENDING = ".pending"
_STAGING = ".corrected-new-"
_RETIRED = ".corrected-old-"


def _flag_pending(folder: Path) -> None:
    d = folder / "corrected"
    d.mkdir(parents=True, exist_ok=True)
    (d / _PENDING).touch()


def _swap_in_corrected(folder: Path, token: str) -> None:
    """Make ``.corrected-new-<token>`` the live ``corrected/`` (after project.json names it)."""
    staged, live = folder / (_STAGING + token), folder / "corrected"
    if not staged.is_dir():
        return
    if live.exists():
        retired = folder / (_RETIRED + token)
        os.replace(live, retired)
        os.replace(staged, live)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staged, live)
    fsync_dir(folder)


def _clean_leftovers(folder: Path, keep_token: str | None) -> None:
    """Remove what an interrupted save or autosave left: staged and retired training sets
    (but the one project.json names) and hidden temporary files."""
    for p in folder.iterdir():
        if p.is_dir() and p.name.startswith((_STAGING, _RETIRED)) and p.name != _STAGING + str(keep_token):
            shutil.rmtree(p, ignore_errors=True)
    for sub in (folder, folder / "frames", folder / "results", folder / "corrected"):
        if sub.is_dir():
            for p in sub.glob(".*.tmp"):
                try:
                    p.unlink()
                except OSError:
                    pass


def _corrected_token(folder: Path) -> str | None:
    try:
        return (folder / "corrected" / _SET_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def settle_training_set(project: Project, folder, token: str | None) -> bool:
    """On open: bring ``folder/corrected/`` in line with the project.json just read (whose
    training set is ``token``). Finishes a swap a kill interrupted, removes leftovers, and
    rebuilds the set from the project when it holds unsaved work or another version.
    Returns True when it changed anything. A read-only folder is left as it is."""
    folder = Path(folder)
    try:
        changed = False
        if token and (folder / (_STAGING + token)).is_dir():
            _swap_in_corrected(folder, token)
            changed = True
        _clean_leftovers(folder, None)
        live = folder / "corrected"
        stale = (live / _PENDING).exists() or (token is not None and _corrected_token(folder) != token)
        if not stale and token is None and live.is_dir():
            # a project saved before training sets had tokens: keep its files, but only those it names
            wanted = {f.id for f in project.frames() if f.corrected}
            stale = any(_CORRECTED_RE.match(p.name) and _CORRECTED_RE.match(p.name).group(1) not in wanted for p in live.iterdir())
        if stale:
            new = _write_training_set(folder, _examples(project), _new_token())
            _swap_in_corrected(folder, new)
            changed = True
        return changed
    except (OSError, ValueError):  # read-only, or a result file gone: the project still opens
        return False


def _new_token() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class Example:
    """One corrected frame's training example, as written into a training set."""

    id: str
    source: Path
    video_index: int | None
    composite: object  # a PNG path, or an HxWx3 uint8 RGB array
    kind: str
    hints: np.ndarray | None = None


def _examples(project: Project) -> list[Example]:
    out = []
    for f in project.frames():
        r = f.result
        if f.corrected and r is not None:
            comp = r.files[0] if r.files and Path(r.files[0]).exists() else r.composite
            out.append(Example(f.id, f.source, f.video_index, comp, r.kind, _corrected_hints(project, f)))
    return out


def _write_training_set(folder: Path, examples: list[Example], token: str) -> str:
    """Write ``examples`` into ``.corrected-new-<token>/``; returns ``token``."""
    sub = _STAGING + token
    staged = folder / sub
    staged.mkdir(parents=True, exist_ok=True)
    for e in examples:
        write_corrected(folder, e.id, e.source, e.composite, e.kind, e.hints, e.video_index, sub=sub)
    atomic_write_bytes(staged / _SET_FILE, token.encode("ascii"))
    return token


def write_snapshot(snap: Snapshot, folder, reuse: bool | None = None) -> dict[str, Path]:
    """Write ``snap`` as the project folder ``folder``; returns frame id -> source path
    inside the folder (the caller points its frames there after a real save).

    ``reuse``: whether files already in ``folder`` under this project's names may be kept
    (the project's own folder or its recovery slot). By default only when ``folder`` is the
    folder the project came from. Saving over another project's folder writes every file
    and removes the other project's frames, results and training set: the folder then holds
    exactly this project."""
    folder = Path(folder)
    if reuse is None:
        reuse = snap.home is not None and folder.resolve() == Path(snap.home).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    sources: dict[str, Path] = {}
    videos: dict[Path, dict[int, Path]] = {}
    for fs in snap.frames:
        rel = _rel(folder, fs.source) if fs.video_index is None else None
        if rel is not None:
            dst = fs.source
        elif fs.video_index is not None:
            dst = folder / "frames" / f"{fs.id}.png"
            if not (reuse and dst.exists()):
                videos.setdefault(fs.source, {})[fs.video_index] = dst
        else:
            ext = fs.source.suffix.lower() if fs.source.suffix.lower() in IMAGE_EXTS else ".png"
            dst = folder / "frames" / f"{fs.id}{ext}"
            if not (reuse and dst.exists() and fs.source.exists() and dst.stat().st_size == fs.source.stat().st_size):
                if not fs.source.exists():
                    raise ProjectError(f"{fs.source}: source of frame {fs.entry['name']!r} is missing; cannot save it into the project")
                atomic_copy(fs.source, dst)
        sources[fs.id] = dst
        fs.entry["source"] = _rel(folder, dst)
    for video, wanted in videos.items():
        last = max(wanted)
        for i, rgb in read_video(video, stop=last + 1):
            if i in wanted:
                save_image(wanted[i], rgb)

    keep_results: set[str] = set()
    for fs in snap.frames:
        r = fs.result
        fs.entry["result"] = None
        if r is None:
            continue
        comp = folder / "results" / f"{fs.id}-{r.rev}.png"
        col = folder / "results" / f"{fs.id}-{r.rev}_color.png"
        for dst, src_file, arr in ((comp, r.files and r.files[0], lambda: r.composite), (col, r.files and r.files[1], lambda: r.color)):
            if reuse and dst.exists():
                continue
            if src_file and Path(src_file).exists():
                if Path(src_file).resolve() != dst.resolve():
                    atomic_copy(Path(src_file), dst)
            else:
                save_image(dst, arr())
        keep_results |= {comp.name, col.name}
        fs.entry["result"] = {"composite": _rel(folder, comp), "color": _rel(folder, col), "kind": r.kind, "model": r.model,
                              "seconds": round(r.seconds, 4), "device": r.device, "rev": r.rev}

    # the training set: staged beside the live one, named by project.json, then swapped in
    examples = [Example(fs.id, sources[fs.id], None, folder / "results" / f"{fs.id}-{fs.result.rev}.png", fs.result.kind, fs.hints)
                for fs in snap.frames if fs.corrected and fs.result is not None]
    token = _write_training_set(folder, examples, _new_token())
    snap.doc["training_set"] = token
    _bundle_model_versions(snap.doc, folder, reuse)
    keep_refs = _copy_references(snap, folder, sources)
    atomic_write_bytes(folder / PROJECT_FILE, (json.dumps(snap.doc, indent=1) + "\n").encode("utf-8"))
    _swap_in_corrected(folder, token)

    # files the new project.json does not name are no longer needed
    keep_frames = {p.name for p in sources.values() if p.parent == folder / "frames"}
    cleanups = [("results", _RESULT_RE, keep_results), (REFS_DIR, _REF_RE, keep_refs)]
    if not reuse:  # another project's frames, left in a folder this one now owns
        cleanups.append(("frames", _FRAME_RE, keep_frames))
    for sub, pattern, keep in cleanups:
        d = folder / sub
        if d.is_dir():
            for p in d.iterdir():
                if pattern.match(p.name) and p.name not in keep:
                    try:
                        p.unlink()
                    except OSError:
                        pass
    _clean_leftovers(folder, None)
    return sources


MODELS_DIR = "models"  # fine-tuned weights the project uses, copied in so it travels with them


def _bundle_model_versions(doc: dict, folder: Path, reuse: bool) -> None:
    """The fine-tuned versions the project picked (setting ``model_versions``) are copied
    into ``folder/models/`` and named relative to it, so the project opens with them on
    another machine; ``model_origins`` keeps where each came from (the model folder), which
    is used instead when it still exists there."""
    versions = doc["settings"].get("model_versions")
    if not isinstance(versions, dict) or not versions:
        doc.pop("model_origins", None)
        return
    rel, origins = {}, {}
    for fam, w in versions.items():
        src = Path(w)
        inside = _rel(folder, src)
        if inside is not None:
            rel[fam] = inside
            continue
        if not src.is_file():
            rel[fam] = w  # not here now (a drive not mounted?): kept as it was named
            continue
        dst = folder / MODELS_DIR / f"{fam}-{uuid.uuid5(uuid.NAMESPACE_URL, str(src.resolve())).hex[:10]}.safetensors"
        if not (reuse and dst.exists() and dst.stat().st_size == src.stat().st_size):
            atomic_copy(src, dst)
        rel[fam], origins[fam] = _rel(folder, dst), str(src)
    doc["settings"] = dict(doc["settings"], model_versions=rel)
    doc["model_origins"] = origins
    keep = {Path(r).name for r in rel.values()}
    d = folder / MODELS_DIR
    if d.is_dir():
        for p in d.glob("*.safetensors"):
            if p.name not in keep:
                try:
                    p.unlink()
                except OSError:
                    pass


REFS_DIR = "references"
_REF_RE = re.compile(r"^r\d+\.[A-Za-z]+$")


def _copy_references(snap: Snapshot, folder: Path, sources: dict) -> set[str]:
    """Copy each reference into ``folder/references/<id><ext>`` (copied in, never linked)
    and name it there; ``sources`` gets ``"ref:<id>"`` -> the copy. Returns the files kept."""
    keep = set()
    for entry, src in snap.references:
        inside = _rel(folder, src)
        if inside is not None:
            dst = folder / inside
        else:
            ext = src.suffix.lower() if src.suffix.lower() in IMAGE_EXTS else ".png"
            dst = folder / REFS_DIR / f"{entry['id']}{ext}"
            if not src.exists():
                raise ProjectError(f"{src}: reference {entry['name']!r} is missing; cannot save it into the project")
            atomic_copy(src, dst)
        entry["source"] = _rel(folder, dst)
        sources[f"ref:{entry['id']}"] = dst
        keep.add(dst.name)
    return keep


def _resolve_model_versions(settings: dict, doc: dict, folder: Path, jp: Path, warn) -> None:
    """``model_versions`` read from project.json as absolute weights files: each family's
    original in the model folder when it is still there, else the copy in the project."""
    versions = settings.get("model_versions")
    if not isinstance(versions, dict):
        return
    origins = doc.get("model_origins") if isinstance(doc.get("model_origins"), dict) else {}
    out = {}
    for fam, w in versions.items():
        o = origins.get(fam)
        if isinstance(o, str) and o and Path(o).is_file():
            out[fam] = o
        elif PurePosixPath(w).is_absolute() or PureWindowsPath(w).drive:
            out[fam] = w  # an older project: the file where it was
        else:
            try:
                out[fam] = str(confined(folder, w, f"settings model_versions {fam}", jp))
            except ProjectError as e:
                warn(str(e).split(": ", 1)[-1])
    settings["model_versions"] = out


def save_project(project: Project, folder=None) -> Path:
    """Save ``project`` to ``folder`` (default: where it was opened from or last saved)."""
    folder = Path(folder) if folder is not None else project.path
    if folder is None:
        raise ProjectError("the project has no folder yet: choose where to save it")
    version = project.version
    return finish_save(project, folder, write_snapshot_checked(snapshot(project), folder), version)


def write_snapshot_checked(snap: Snapshot, folder) -> dict[str, Path]:
    """:func:`write_snapshot` with every failure turned into a :class:`ProjectError`."""
    try:
        return write_snapshot(snap, folder)
    except OSError as e:
        raise ProjectError(f"{folder}: could not save the project ({e.strerror or e})") from None
    except ImageError as e:
        raise ProjectError(str(e)) from None


def finish_save(project: Project, folder, sources: dict[str, Path], version: int) -> Path:
    """After a snapshot taken at ``project.version == version`` was written to ``folder``:
    point the frames at their copies in the folder, and mark the project clean unless it
    changed while the snapshot was being written (on a worker)."""
    folder = Path(folder)
    for e in project.references:
        if f"ref:{e.id}" in sources:
            e.source = sources[f"ref:{e.id}"]
    for f in project.frames():
        if f.id in sources:
            if f.video_index is not None:
                project._images.pop(f.id, None)
            f.source, f.video_index = sources[f.id], None
        if f.result is not None:
            files = (folder / "results" / f"{f.id}-{f.result.rev}.png", folder / "results" / f"{f.id}-{f.result.rev}_color.png")
            if all(p.exists() for p in files):
                f.result.files = files  # later saves copy these instead of encoding; the old copies may go
    project.path = folder
    project.name = project_name(folder)
    if project.version == version:
        project.mark_clean()
    return folder


def project_name(folder: Path) -> str:
    n = Path(folder).name
    return n[: -len(SUFFIX)] if n.endswith(SUFFIX) else n


# ---------------------------------------------------------------------- load
def _expect(cond: bool, json_path: Path, what: str) -> None:
    if not cond:
        raise ProjectError(f"{json_path}: {what}")


# a project file's numbers are checked one by one: a bad one is repaired and told to ``warn``
_MAX_COUNT = 1 << 53  # ids, revisions, indexes: exact in any JSON reader, printable, never overflowing


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _brief(v) -> str:
    return repr(v) if isinstance(v, (int, float, bool, type(None))) else repr(v[:40]) if isinstance(v, str) else f"({type(v).__name__})"


def _number(v, default: float, lo: float, hi: float, what: str, warn) -> float:
    """``v`` clamped to [lo, hi]; ``default`` when it is no number or NaN."""
    return clamped(v, default, lo, hi, what, warn, _brief)


def _count(v, lo: int, what: str, warn) -> int | None:
    """``v`` if it is a whole number in [lo, 2**53], else None (told to ``warn``)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int) and not isinstance(v, bool) and lo <= v <= _MAX_COUNT:
        return v
    warn(f"{what} {_brief(v)} is not usable; ignored")
    return None


def _palette(raw, warn) -> dict:
    """The palette's entries that are colors (r, g, b in 0..255); others are left out."""
    rgb = lambda c: isinstance(c, list) and len(c) == 3 and all(_finite(v) and 0 <= v <= 255 for v in c)
    if not isinstance(raw, dict):
        warn("palette: not an object; left out")
        return {}
    out = {}
    for key, ok in (("recent", rgb), ("saved", lambda s: isinstance(s, dict) and "name" in s and rgb(s.get("color")))):
        got = raw.get(key, [])
        out[key] = [c for c in got if ok(c)] if isinstance(got, list) else []
        if not isinstance(got, list) or len(out[key]) != len(got):
            warn(f"palette: {key} entries that are not colors left out")
    return out


def _strokes(raw, where: str, warn) -> tuple[Stroke, ...]:
    """A frame's strokes; one that cannot be drawn is left out (told to ``warn``)."""
    if not isinstance(raw, list):
        warn(f"{where}: strokes are not a list; left out")
        return ()
    out = []
    for i, d in enumerate(raw):
        try:
            out.append(Stroke.from_dict(d, lambda msg: warn(f"{where} stroke {i}: {msg}")))
        except KeyError as e:
            warn(f"{where} stroke {i}: {e} missing; stroke left out")
        except (TypeError, ValueError) as e:
            warn(f"{where} stroke {i}: {e}; stroke left out")
    return tuple(out)


def load_project(path) -> Project:
    """Open a project folder (or its project.json). Raises :class:`ProjectError`."""
    path = Path(path)
    folder = path.parent if path.name == PROJECT_FILE else path
    jp = folder / PROJECT_FILE
    if not jp.is_file():
        raise ProjectError(f"{folder}: not a ColorPaint project (no {PROJECT_FILE})")
    try:  # NaN and 1e999 are read as floats: each field below checks its numbers and repairs what it can
        doc = read_json(jp, "project file", allow_nonfinite=True)
    except JSONFileError as e:
        raise ProjectError(str(e)) from None
    _expect(isinstance(doc, dict) and doc.get("format") == FORMAT, jp, "not a ColorPaint project file (format field missing)")
    _expect(isinstance(doc.get("version"), int) and doc["version"] <= VERSION, jp,
            f"project version {doc.get('version')!r} is newer than this ColorPaint understands ({VERSION})")
    p = Project(str(doc.get("name") or project_name(folder)))
    warn = p.load_warnings.append
    try:
        p.model = str(doc.get("model", "auto"))
        p.settings = clean_settings(doc.get("settings"), warn)
        _resolve_model_versions(p.settings, doc, folder, jp, warn)
        p.references.load_doc(doc.get("references"), lambda rel, what: confined(folder, rel, what, jp), warn)
        p.palette.load_dict(_palette(doc.get("palette") or {}, warn))
        shots = doc.get("shots")
        _expect(isinstance(shots, list), jp, "'shots' must be a list")
        max_id = max_rev = 0
        renumber: list[FrameResult] = []
        for si, sd in enumerate(shots):
            _expect(isinstance(sd, dict) and isinstance(sd.get("frames"), list), jp, f"shot {si}: needs a 'frames' list")
            shot = Shot(str(sd.get("name", f"shot {si + 1}")), fps=_number(sd.get("fps", 24.0), 24.0, 1.0, 1000.0, f"shot {si} fps", warn))
            for fi, fd in enumerate(sd["frames"]):
                where = f"shot {si} frame {fi}"
                _expect(isinstance(fd, dict) and isinstance(fd.get("id"), str) and re.fullmatch(r"f\d+", fd["id"]), jp, f"{where}: bad or missing id")
                src = confined(folder, fd.get("source"), f"{where} source", jp)
                strokes = _strokes(fd.get("strokes", []), where, warn)
                result = None
                rd = fd.get("result")
                if rd is not None:
                    _expect(isinstance(rd, dict), jp, f"{where}: result must be an object")
                    files = (confined(folder, rd.get("composite"), f"{where} result", jp), confined(folder, rd.get("color"), f"{where} color", jp))
                    rev = _count(rd.get("rev", 0), 0, f"{where} result revision", warn)
                    result = FrameResult(None, None, str(rd.get("kind", "lineart")), str(rd.get("model", "")),
                                         _number(rd.get("seconds", 0.0), 0.0, 0.0, 1e9, f"{where} result time", warn),
                                         str(rd.get("device", "")), 0 if rev is None else rev, files)
                    if rev is None:
                        renumber.append(result)  # given a fresh revision below
                    max_rev = max(max_rev, result.rev)
                drift = fd.get("drift")
                if drift is not None and not _finite(drift):
                    warn(f"{where}: drift {_brief(drift)} is not a number; left out")
                    drift = None
                shot.frames.append(Frame(fd["id"], str(fd.get("name", fd["id"])), src, None, strokes, result, bool(fd.get("key", False)),
                                         bool(fd.get("corrected", False)), None if drift is None else float(drift)))
                max_id = max(max_id, int(fd["id"][1:]))
            p.shots.append(shot)
        ids = [f.id for f in p.frames()]
        _expect(len(ids) == len(set(ids)), jp, "frame ids are not unique")
        p.next_id = max(_count(doc.get("next_id", 1), 1, "next_id", warn) or 1, max_id + 1)
        p.next_rev = max(_count(doc.get("next_rev", 1), 1, "next_rev", warn) or 1, max_rev + 1)
        for r in renumber:
            r.rev = p.new_rev()
        cur = doc.get("current") or {}
        if not isinstance(cur, dict):
            warn("current frame: not an object; the first frame is shown")
            cur = {}
        s, f = _count(cur.get("shot", 0), 0, "current shot", warn), _count(cur.get("frame", 0), 0, "current frame", warn)
        if s is not None and f is not None and s < len(p.shots) and f < len(p.shots[s].frames):
            p._cur = (s, f)
    except ProjectError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as e:
        raise ProjectError(f"{jp}: malformed project file ({e.__class__.__name__}: {e})") from None
    p.path = folder
    token = doc.get("training_set")
    settle_training_set(p, folder, token if isinstance(token, str) and re.fullmatch(r"[0-9a-f]{1,32}", token) else None)
    p.mark_clean()
    return p


def open_path(path) -> Project:
    """A project for whatever ``path`` is: a project folder, an image, a folder of frames or
    a video. Raises :class:`ProjectError` or :class:`~colorpaint.core.imageio.ImageError`."""
    path = Path(path)
    if is_project(path):
        return load_project(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file or folder")
    if path.is_dir():
        if path.suffix == SUFFIX:
            raise ProjectError(f"{path}: project folder without {PROJECT_FILE}")
        return Project.from_folder(path)
    if is_video(path):
        return Project.from_video(path)
    return Project.from_images([path])
