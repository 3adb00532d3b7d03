"""Shots outside the UI thread (no Qt): lazy frame loading, thumbnails and shot exports.

Everything here works on data detached from the live document (paths, immutable
results, copied hint maps), so the window can run it on a worker while the artist keeps
painting. Arrays: frames and composites ``HxWx3 uint8 RGB``, hints ``HxWx4 uint8 RGBA``.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..core.frames import write_video
from ..core.imageio import ImageError, save_image
from ..engine.jobs import CancelToken, Progress
from .document import FrameResult, Project, Shot, load_source
from .export import write_ora

EXPORT_KINDS = ("png", "mp4", "ora")


class ShotFrames(Sequence):
    """A shot's sources as a lazy, thread-safe sequence of ``HxWx3 uint8 RGB`` frames.

    Frames are read when indexed and the last ``cache`` are kept, so a shot job holds a
    few frames, not the whole shot. Every frame must have the first frame's size (the
    same rule and message as ``colorpaint-cli sequence``).
    """

    def __init__(self, sources: list[tuple[Path, int | None]], names: list[str] | None = None, cache: int = 8) -> None:
        self.sources = list(sources)
        self.names = list(names) if names is not None else [Path(p).stem for p, _ in self.sources]
        self.cache = max(2, cache)
        self._lock = threading.Lock()
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()
        self._shape: tuple | None = None

    @classmethod
    def of(cls, shot: Shot, cache: int = 8) -> "ShotFrames":
        return cls([(f.source, f.video_index) for f in shot.frames], [f.name for f in shot.frames], cache)

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        with self._lock:
            if i in self._frames:
                self._frames.move_to_end(i)
                return self._frames[i]
        if self._shape is None and i != 0:
            self[0]
        path, idx = self.sources[i]
        a = load_source(Path(path), idx)
        a.flags.writeable = False
        with self._lock:
            if self._shape is None:
                self._shape = a.shape
            elif a.shape != self._shape:
                h, w = self._shape[:2]
                raise ImageError(f"frame {self.names[i]} is {a.shape[1]}x{a.shape[0]} but the shot is {w}x{h}; "
                                 "every frame of a shot must be the same size")
            self._frames[i] = a
            while len(self._frames) > self.cache:
                self._frames.popitem(last=False)
        return a


def thumbnail(rgb: np.ndarray, height: int) -> np.ndarray:
    """``rgb`` (HxWx3 uint8) shrunk to ``height`` rows, aspect kept (area filter)."""
    h, w = rgb.shape[:2]
    tw = max(1, round(w * height / h))
    return cv2.resize(np.ascontiguousarray(rgb), (tw, height), interpolation=cv2.INTER_AREA if h > height else cv2.INTER_LINEAR)


def thumbnail_job(items: list[tuple[object, Path, int | None, FrameResult | None]], height: int, cancel: CancelToken):
    """Job: thumbnails of ``items`` = [(cache key, source path, video index, result or None)]:
    yields ``Progress(index=position, result=(key, HxWx3 uint8 RGB thumbnail or None))`` one
    by one (None: the source could not be read)."""
    for n, (key, src, idx, res) in enumerate(items):
        cancel.check()
        try:
            img = res.composite if res is not None else load_source(Path(src), idx)
            small = thumbnail(img, height)
        except (ImageError, OSError):
            small = None
        yield Progress((n + 1) / len(items), index=n, result=(key, small))
    return len(items)


@dataclass(frozen=True)
class ExportFrame:
    """One frame of a shot export, detached from the document."""

    name: str
    source: Path
    video_index: int | None
    result: FrameResult | None
    hints: np.ndarray | None = None  # for ORA


def export_frames(project: Project, shot: Shot, with_hints: bool = False) -> list[ExportFrame]:
    """What an export of ``shot`` needs, taken on the UI thread (hint maps copied)."""
    out = []
    for f in shot.frames:
        h = None
        if with_hints and f.strokes:
            try:
                h = project.hints(f).copy() if project.has_hints(f) else None
            except ImageError:
                h = None
        out.append(ExportFrame(f.name, f.source, f.video_index, f.result, h))
    return out


def _unique_names(frames: list[ExportFrame]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for f in frames:
        n = seen.get(f.name, 0)
        seen[f.name] = n + 1
        names.append(f.name if n == 0 else f"{f.name}_{n + 1}")
    return names


def _composite(f: ExportFrame) -> np.ndarray:
    return f.result.composite if f.result is not None else load_source(f.source, f.video_index)


def export_shot(kind: str, path, frames: list[ExportFrame], fps: float = 24.0, cancel: CancelToken | None = None):
    """Job: write a shot as ``png`` (``path``/NAME.png, the composites; a frame without
    colors as its line art), ``mp4`` (the file ``path`` at ``fps``) or ``ora`` (``path``/NAME.ora,
    layered, one per frame). Yields Progress per frame; returns the paths written."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"unknown shot export {kind!r}; use {', '.join(EXPORT_KINDS)}")
    if not frames:
        raise ValueError("the shot has no frames")
    cancel = cancel or CancelToken()
    path = Path(path)
    n = len(frames)
    if kind == "mp4":
        def composites():
            for f in frames:
                cancel.check()  # raised inside write_video, which then removes its partial file
                yield _composite(f)

        yield Progress(0.0, f"encoding {n} frames")
        return [write_video(path, composites(), fps)]
    out = []
    for i, (f, name) in enumerate(zip(frames, _unique_names(frames))):
        cancel.check()
        if kind == "png":
            out.append(save_image(path / f"{name}.png", _composite(f)))
        else:
            line = load_source(f.source, f.video_index)
            r = f.result
            out.append(write_ora(path / f"{name}.ora", line, r.kind if r else "lineart", r.color if r else None,
                                 r.composite if r else None, f.hints))
        yield Progress((i + 1) / n, f"frame {i + 1}/{n}", index=i)
    return out

