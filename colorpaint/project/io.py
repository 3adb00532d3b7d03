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
in their name and are never rewritten; files the new project.json no longer names are
removed after it is in place. Paths read from project.json must be relative and stay
inside the folder; anything else is refused with a :class:`ProjectError`.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from ..core.atomic import atomic_write
from ..core.frames import is_video, read_video
from ..core.imageio import IMAGE_EXTS, ImageError, save_image
from .document import DEFAULT_SETTINGS, Frame, FrameResult, Project, Shot
from .strokes import Stroke

FORMAT = "colorpaint-project"
VERSION = 1
SUFFIX = ".cpaint"
PROJECT_FILE = "project.json"
_RESULT_RE = re.compile(r"^f\d+-\d+(_color)?\.png$")
_CORRECTED_RE = re.compile(r"^(f\d+)_(line|color|hints)\.png$")


class ProjectError(ValueError):
    """A project that cannot be opened or saved (one-line message naming the file)."""


# ---------------------------------------------------------------------- atomic files
def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda fh: fh.write(data))


def atomic_copy(src: Path, dst: Path) -> None:
    def copy(out):
        with open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)

    atomic_write(dst, copy)


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


def snapshot(project: Project) -> Snapshot:
    doc = {
        "format": FORMAT, "version": VERSION, "name": project.name, "model": project.model,
        "settings": dict(project.settings), "palette": project.palette.to_dict(),
        "current": {"shot": project.current[0], "frame": project.current[1]},
        "next_id": project.next_id, "next_rev": project.next_rev, "shots": [],
    }
    snap = Snapshot(doc)
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
                    video_index: int | None = None) -> list[Path]:
    """Write a frame's training example into ``folder/corrected/``: ``<id>_color.png`` (the
    artist-approved composite: a PNG path to copy or an HxWx3 uint8 RGB array),
    ``<id>_line.png`` (the source, for line art) and ``<id>_hints.png`` (HxWx4 uint8 RGBA,
    when given). Atomic per file; returns the files written."""
    d = Path(folder) / "corrected"
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
    for part in ("color", "line", "hints"):
        try:
            (Path(folder) / "corrected" / f"{frame_id}_{part}.png").unlink()
        except FileNotFoundError:
            pass


def write_snapshot(snap: Snapshot, folder) -> dict[str, Path]:
    """Write ``snap`` as the project folder ``folder``; returns frame id -> source path
    inside the folder (the caller points its frames there after a real save)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sources: dict[str, Path] = {}
    videos: dict[Path, dict[int, Path]] = {}
    for fs in snap.frames:
        rel = _rel(folder, fs.source) if fs.video_index is None else None
        if rel is not None:
            dst = fs.source
        elif fs.video_index is not None:
            dst = folder / "frames" / f"{fs.id}.png"
            if not dst.exists():
                videos.setdefault(fs.source, {})[fs.video_index] = dst
        else:
            ext = fs.source.suffix.lower() if fs.source.suffix.lower() in IMAGE_EXTS else ".png"
            dst = folder / "frames" / f"{fs.id}{ext}"
            if not (dst.exists() and fs.source.exists() and dst.stat().st_size == fs.source.stat().st_size):
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
    keep_corrected: set[str] = set()
    for fs in snap.frames:
        r = fs.result
        fs.entry["result"] = None
        if r is None:
            continue
        comp = folder / "results" / f"{fs.id}-{r.rev}.png"
        col = folder / "results" / f"{fs.id}-{r.rev}_color.png"
        for dst, src_file, arr in ((comp, r.files and r.files[0], lambda: r.composite), (col, r.files and r.files[1], lambda: r.color)):
            if dst.exists():
                continue
            if src_file and Path(src_file).exists():
                atomic_copy(Path(src_file), dst)
            else:
                save_image(dst, arr())
        keep_results |= {comp.name, col.name}
        fs.entry["result"] = {"composite": _rel(folder, comp), "color": _rel(folder, col), "kind": r.kind, "model": r.model,
                              "seconds": round(r.seconds, 4), "device": r.device, "rev": r.rev}
        if fs.corrected:
            keep_corrected |= {q.name for q in write_corrected(folder, fs.id, sources[fs.id], comp, r.kind, fs.hints)}

    atomic_write_bytes(folder / PROJECT_FILE, (json.dumps(snap.doc, indent=1) + "\n").encode("utf-8"))

    # files the new project.json does not name are no longer needed
    for sub, pattern, keep in (("results", _RESULT_RE, keep_results), ("corrected", _CORRECTED_RE, keep_corrected)):
        d = folder / sub
        if d.is_dir():
            for p in d.iterdir():
                if pattern.match(p.name) and p.name not in keep:
                    try:
                        p.unlink()
                    except OSError:
                        pass
    return sources


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


def load_project(path) -> Project:
    """Open a project folder (or its project.json). Raises :class:`ProjectError`."""
    path = Path(path)
    folder = path.parent if path.name == PROJECT_FILE else path
    jp = folder / PROJECT_FILE
    if not jp.is_file():
        raise ProjectError(f"{folder}: not a ColorPaint project (no {PROJECT_FILE})")
    try:
        doc = json.loads(jp.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ProjectError(f"{jp}: broken project file (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ProjectError(f"{jp}: cannot read project file ({e.__class__.__name__}: {e})") from None
    _expect(isinstance(doc, dict) and doc.get("format") == FORMAT, jp, "not a ColorPaint project file (format field missing)")
    _expect(isinstance(doc.get("version"), int) and doc["version"] <= VERSION, jp,
            f"project version {doc.get('version')!r} is newer than this ColorPaint understands ({VERSION})")
    p = Project(str(doc.get("name") or project_name(folder)))
    try:
        p.model = str(doc.get("model", "auto"))
        p.settings = dict(DEFAULT_SETTINGS) | dict(doc.get("settings") or {})
        p.palette.load_dict(doc.get("palette") or {})
        shots = doc.get("shots")
        _expect(isinstance(shots, list), jp, "'shots' must be a list")
        max_id = max_rev = 0
        for si, sd in enumerate(shots):
            _expect(isinstance(sd, dict) and isinstance(sd.get("frames"), list), jp, f"shot {si}: needs a 'frames' list")
            shot = Shot(str(sd.get("name", f"shot {si + 1}")), fps=float(sd.get("fps") or 24.0))
            for fi, fd in enumerate(sd["frames"]):
                where = f"shot {si} frame {fi}"
                _expect(isinstance(fd, dict) and isinstance(fd.get("id"), str) and re.fullmatch(r"f\d+", fd["id"]), jp, f"{where}: bad or missing id")
                src = confined(folder, fd.get("source"), f"{where} source", jp)
                strokes = tuple(Stroke.from_dict(s) for s in fd.get("strokes", []))
                result = None
                rd = fd.get("result")
                if rd is not None:
                    _expect(isinstance(rd, dict), jp, f"{where}: result must be an object")
                    files = (confined(folder, rd.get("composite"), f"{where} result", jp), confined(folder, rd.get("color"), f"{where} color", jp))
                    result = FrameResult(None, None, str(rd.get("kind", "lineart")), str(rd.get("model", "")), float(rd.get("seconds", 0)),
                                         str(rd.get("device", "")), int(rd.get("rev", 0)), files)
                    max_rev = max(max_rev, result.rev)
                drift = fd.get("drift")
                shot.frames.append(Frame(fd["id"], str(fd.get("name", fd["id"])), src, None, strokes, result, bool(fd.get("key", False)),
                                         bool(fd.get("corrected", False)), None if drift is None else float(drift)))
                max_id = max(max_id, int(fd["id"][1:]))
            p.shots.append(shot)
        ids = [f.id for f in p.frames()]
        _expect(len(ids) == len(set(ids)), jp, "frame ids are not unique")
        p.next_id = max(int(doc.get("next_id", 1)), max_id + 1)
        p.next_rev = max(int(doc.get("next_rev", 1)), max_rev + 1)
        cur = doc.get("current") or {}
        s, f = int(cur.get("shot", 0)), int(cur.get("frame", 0))
        if s < len(p.shots) and f < len(p.shots[s].frames):
            p._cur = (s, f)
    except ProjectError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        raise ProjectError(f"{jp}: malformed project file ({e.__class__.__name__}: {e})") from None
    p.path = folder
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
