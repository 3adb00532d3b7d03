"""The document: a project of shots, each a list of frames, plus palette, model and settings.

Everything here is plain Python and numpy (no Qt). Widgets read the project and subscribe
to ``project.events``; they change it only through the methods below, which record undo
steps for strokes, fills, hint clears and colorize results.

Arrays: source images are ``HxWx3 uint8 RGB``; hint maps ``HxWx4 uint8 RGBA`` (alpha > 0 =
hint); region labels ``HxW int32`` (0 on lines). Arrays handed out by the project are
owned by it and must not be modified; copy them before giving them to another thread if
the document may change meanwhile (hint maps are updated in place).
"""
from __future__ import annotations

import itertools
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from ..core.color import rgb_to_luma
from ..core.frames import list_frames, video_info
from ..core.imageio import IMAGE_EXTS, ImageError, load_image
from ..engine.options import AUTO_TOLERANCE, DEFAULT_GAP, ink_level
from .events import EmitterGroup
from .history import Batch, History, RemoveShot, RenameShot, SetResult, SetStrokes
from .references import References
from .settings import DEFAULT_SETTINGS, SETTING_RULES, ProjectSettings, clean_settings  # noqa: F401  (SETTING_RULES, clean_settings: their old home)
from .strokes import Stroke, paint_stroke, rasterize

RGB = tuple[int, int, int]


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is not None:
        a = np.ascontiguousarray(a)
        a.flags.writeable = False
    return a


class FrameResult:
    """A colorize result: ``color`` (HxWx3 uint8 RGB color layer, no lines) and ``composite``
    (HxWx3 uint8 RGB, lines on top for line art). Immutable once made.

    A result loaded from a project is lazy: its arrays are read from ``files``
    (composite path, color path) on first use. ``rev`` is unique within a project and
    names the result's files, so a save never overwrites files the old project.json uses.
    """

    def __init__(self, color=None, composite=None, kind="lineart", model="", seconds=0.0, device="", rev=0, files=None):
        self._color, self._composite = _frozen(color), _frozen(composite)
        self.kind, self.model, self.seconds, self.device, self.rev = kind, model, float(seconds), device, int(rev)
        self.files: tuple[Path, Path] | None = files

    @classmethod
    def from_engine(cls, res, rev: int) -> "FrameResult":
        """From an engine ``ColorizeResult`` (duck-typed, so this module needs no torch)."""
        return cls(res.color, res.composite, res.kind, res.model, res.seconds, res.device, rev)

    @property
    def composite(self) -> np.ndarray:
        if self._composite is None:
            self._composite = _frozen(load_image(self.files[0]))
        return self._composite

    @property
    def color(self) -> np.ndarray:
        if self._color is None:
            self._color = _frozen(load_image(self.files[1]))
        return self._color


@dataclass(eq=False)
class Frame:
    """One frame: its source (never written to), hint strokes, color result, flags, drift.

    ``source``: absolute path of the line art / gray image, or of a video with
    ``video_index`` set. ``drift``: the temporal drift score (Lab ab distance), or None.
    """

    id: str
    name: str
    source: Path
    video_index: int | None = None
    strokes: tuple[Stroke, ...] = ()
    result: FrameResult | None = None
    key: bool = False
    corrected: bool = False
    drift: float | None = None


@dataclass(eq=False)
class Shot:
    """A run of frames played at ``fps`` (the timeline's playback rate, the MP4 export's)."""

    name: str
    frames: list[Frame] = field(default_factory=list)
    fps: float = 24.0


class Palette:
    """Recent colors (most recent first, at most ``MAX_RECENT``) and saved, named colors."""

    MAX_RECENT = 16

    def __init__(self, on_change=None) -> None:
        self.recent: list[RGB] = []
        self.saved: list[tuple[str, RGB]] = []
        self._on_change = on_change or (lambda saved: None)

    def use(self, color) -> None:
        """A color painted with: a new one enters the recent colors at the front; one already
        there keeps its place, so swatches never move under the artist's pointer."""
        c = tuple(int(v) for v in color)
        if c in self.recent:
            return
        self.recent = [c] + self.recent[: self.MAX_RECENT - 1]
        self._on_change(saved=False)

    def save_color(self, color, name: str | None = None) -> None:
        c = tuple(int(v) for v in color)
        if any(s == c for _, s in self.saved):
            return
        self.saved.append((name or "#%02x%02x%02x" % c, c))
        self._on_change(saved=True)

    def remove_saved(self, index: int) -> None:
        if 0 <= index < len(self.saved):
            del self.saved[index]
            self._on_change(saved=True)

    def replace_saved(self, entries, add: bool = False) -> int:
        """Make ``entries`` [(name, (r, g, b)), ...] the saved colors (``add``: added after
        the ones there, duplicates skipped), announced as one change. Returns how many are saved."""
        kept = list(self.saved) if add else []
        for name, c in entries:
            c = tuple(int(v) for v in c)
            if not any(s == c for _, s in kept):
                kept.append((name or "#%02x%02x%02x" % c, c))
        if kept != self.saved:
            self.saved = kept
            self._on_change(saved=True)
        return len(self.saved)

    def load_gpl(self, path) -> int:
        """Add a GIMP palette's colors to the saved ones; returns how many were new."""
        from ..core.palette import read_gpl

        before = len(self.saved)
        for name, c in read_gpl(path):
            if not any(s == c for _, s in self.saved):
                self.saved.append((name, c))
        if len(self.saved) != before:
            self._on_change(saved=True)
        return len(self.saved) - before

    def to_dict(self) -> dict:
        return {"recent": [list(c) for c in self.recent], "saved": [{"name": n, "color": list(c)} for n, c in self.saved]}

    def load_dict(self, d: dict) -> None:
        rgb = lambda c: tuple(int(v) for v in c)
        self.recent = [rgb(c) for c in d.get("recent", [])][: self.MAX_RECENT]
        self.saved = [(str(s["name"]), rgb(s["color"])) for s in d.get("saved", [])]
        for c in self.recent + [c for _, c in self.saved]:
            if len(c) != 3 or not all(0 <= v <= 255 for v in c):
                raise ValueError(f"bad palette color {c!r}")


def load_source(path: Path, video_index: int | None = None) -> np.ndarray:
    """A frame's source as ``HxWx3 uint8 RGB`` (an image file, or one frame of a video)."""
    if video_index is None:
        return load_image(path)
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise ImageError(f"{path}: cannot open video")
        cap.set(cv2.CAP_PROP_POS_FRAMES, video_index)
        ok, bgr = cap.read()
        if not ok:
            raise ImageError(f"{path}: cannot read frame {video_index}")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


class Project:
    """Shots of frames with hints and results, a palette, the selected model and settings.

    Events (keyword arguments): ``frames()`` structure changed; ``current(frame)``;
    ``hints(frame, rect)`` rect is (x0, y0, x1, y1) or None for everything; ``result(frame)``;
    ``flags(frame)``; ``history()``; ``palette()``; ``settings(key)`` (model included,
    key "model"); ``dirty(dirty)``; ``references()``.
    """

    def __init__(self, name: str = "Untitled") -> None:
        self.name = name
        self.path: Path | None = None  # the NAME.cpaint folder once saved
        self.shots: list[Shot] = []
        self.model = "auto"
        self.settings = dict(DEFAULT_SETTINGS)
        self.events = EmitterGroup("frames", "current", "hints", "result", "flags", "history", "palette", "settings", "dirty",
                                   "references")
        self.references = References(self._references_changed)  # colored model sheets and frames
        self.palette = Palette(self._palette_changed)
        self.history = History()
        self.version = 0  # bumps on every change (autosave compares it)
        self.next_id = 1
        self.next_rev = 1
        self.uid = uuid.uuid4().hex  # this project while it is open (not saved): what autosave's files belong to
        self.load_warnings: list[str] = []  # what opening it repaired or left out (one line each)
        self._cur = (0, 0)
        self._meta = 0
        self._clean_meta = 0
        self._was_dirty = False
        self._images: OrderedDict[str, np.ndarray] = OrderedDict()
        self._hints: OrderedDict[str, tuple[tuple, np.ndarray]] = OrderedDict()
        self._labels: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()

    # ------------------------------------------------------------------ building
    @classmethod
    def from_images(cls, paths, name: str | None = None) -> "Project":
        """One shot whose frames are the given image files (checked readable now)."""
        paths = [Path(p).resolve() for p in paths]
        if not paths:
            raise ImageError("no images given")
        p = cls(name or paths[0].stem)
        p.add_shot(paths[0].stem if len(paths) == 1 else paths[0].parent.name, [(q, None) for q in paths])
        p.image(p.current_frame)  # fail now, with the loader's message, not later
        p.mark_clean()
        return p

    @classmethod
    def from_folder(cls, folder) -> "Project":
        folder = Path(folder).resolve()
        paths = list_frames(folder)
        if not paths:
            raise ImageError(f"{folder}: folder holds no image frames ({', '.join(sorted(IMAGE_EXTS))})")
        return cls.from_images(paths, folder.name)

    @classmethod
    def from_video(cls, path) -> "Project":
        path = Path(path).resolve()
        p = cls(path.stem)
        p.add_video_shot(path)
        p.image(p.current_frame)
        p.mark_clean()
        return p

    def add_folder_shot(self, folder, fps: float = 24.0) -> Shot:
        """Append a folder of frames (natural sort) as a shot; raises ImageError."""
        folder = Path(folder).resolve()
        paths = list_frames(folder)
        if not paths:
            raise ImageError(f"{folder}: folder holds no image frames ({', '.join(sorted(IMAGE_EXTS))})")
        load_image(paths[0])  # fail now, with the loader's message, before the project changes
        return self.add_shot(self._shot_name(folder.name), [(q, None) for q in paths], fps)

    def add_video_shot(self, path, start: int = 0, stop: int | None = None, step: int = 1) -> Shot:
        """Append frames ``start, start + step, ... < stop`` of a video as a shot (played at the
        video's rate divided by ``step``); raises ImageError."""
        path = Path(path).resolve()
        n, fps = video_info(path)
        stop = n if stop is None else min(int(stop), n)
        start, step = max(0, int(start)), max(1, int(step))
        if start >= stop:
            raise ImageError(f"{path}: no frames between {start} and {stop} (the video has {n})")
        load_source(path, start)
        return self.add_shot(self._shot_name(path.stem), [(path, i) for i in range(start, stop, step)], fps / step)

    def _shot_name(self, base: str) -> str:
        taken = {s.name for s in self.shots}
        name, i = base, 2
        while name in taken:
            name, i = f"{base} ({i})", i + 1
        return name

    def add_shot(self, name: str, sources, fps: float = 24.0) -> Shot:
        """Append a shot; ``sources``: [(path, video_index or None), ...]."""
        shot = Shot(name, fps=float(fps) if fps and fps > 0 else 24.0)
        for path, idx in sources:
            path = Path(path)
            fname = f"{path.stem}_{idx:05d}" if idx is not None else path.stem
            shot.frames.append(Frame(self._new_id(), fname, path, idx))
        self.shots.append(shot)
        self._meta += 1
        self._changed()
        self.events.frames()
        return shot

    def rename_shot(self, index: int, name: str) -> bool:
        """Rename shot ``index`` (one undo step); False when the name is empty or unchanged.
        A name another shot has gets a number, as imported shots do."""
        name = " ".join(str(name).split())[:120]
        shot = self.shots[index]
        if not name or name == shot.name:
            return False
        if name in {s.name for s in self.shots if s is not shot}:
            name = self._shot_name(name)
        self._push(RenameShot(index, shot.name, name, f"Rename shot {shot.name!r}"))
        return True

    def delete_shot(self, index: int) -> bool:
        """Delete shot ``index`` with its frames, hints and results (one undo step: Undo
        brings it all back). The last shot of a project cannot be deleted (False)."""
        if len(self.shots) < 2 or not 0 <= index < len(self.shots):
            return False
        shot = self.shots[index]
        self._push(RemoveShot(index, shot, f"Delete shot {shot.name!r} ({len(shot.frames)} frames)"))
        return True

    def _remove_shot(self, index: int) -> None:
        del self.shots[index]
        s, f = self._cur
        if s > index:  # a later shot was shown: the same frame, one shot earlier
            s -= 1
        elif s == index:  # the deleted shot was shown: the first frame of the shot now in its place
            s, f = min(index, len(self.shots) - 1), 0
        self._cur = (s, f)
        self.events.frames()
        self.events.current(frame=self.current_frame)

    def _insert_shot(self, index: int, shot) -> None:
        self.shots.insert(index, shot)
        self._cur = (index, 0)
        self.events.frames()
        self.events.current(frame=self.current_frame)

    def _rename_shot(self, index: int, name: str) -> None:
        self.shots[index].name = name
        self.events.frames()

    def _new_id(self) -> str:
        fid = f"f{self.next_id:05d}"
        self.next_id += 1
        return fid

    def new_rev(self) -> int:
        self.next_rev += 1
        return self.next_rev - 1

    # ------------------------------------------------------------------ navigation
    def frames(self):
        return itertools.chain.from_iterable(s.frames for s in self.shots)

    def frame(self, frame_id: str) -> Frame:
        for f in self.frames():
            if f.id == frame_id:
                return f
        raise KeyError(f"no frame {frame_id!r} in project {self.name!r}")

    @property
    def frame_count(self) -> int:
        return sum(len(s.frames) for s in self.shots)

    @property
    def current(self) -> tuple[int, int]:
        return self._cur

    @property
    def current_shot(self) -> Shot | None:
        return self.shots[self._cur[0]] if self._cur[0] < len(self.shots) else None

    @property
    def current_frame(self) -> Frame | None:
        s, f = self._cur
        if s < len(self.shots) and f < len(self.shots[s].frames):
            return self.shots[s].frames[f]
        return None

    def set_current(self, shot: int, frame: int) -> None:
        if not (0 <= shot < len(self.shots) and 0 <= frame < len(self.shots[shot].frames)):
            raise IndexError(f"no frame {frame} in shot {shot}")
        if (shot, frame) != self._cur:
            self._cur = (shot, frame)
            self.events.current(frame=self.current_frame)

    def step(self, delta: int) -> None:
        """Move to the next (+1) or previous (-1) frame, across shots."""
        flat = [(si, fi) for si, s in enumerate(self.shots) for fi in range(len(s.frames))]
        if flat:
            i = flat.index(self._cur) if self._cur in flat else 0
            self.set_current(*flat[max(0, min(len(flat) - 1, i + delta))])

    # ------------------------------------------------------------------ derived data (cached)
    @staticmethod
    def _lru(cache: OrderedDict, key, value, size: int):
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)
        return value

    def image(self, frame: Frame) -> np.ndarray:
        """The frame's source as ``HxWx3 uint8 RGB`` (read-only; raises ImageError)."""
        if frame.id in self._images:
            self._images.move_to_end(frame.id)
            return self._images[frame.id]
        return self._lru(self._images, frame.id, _frozen(load_source(frame.source, frame.video_index)), 6)

    def labels(self, frame: Frame, gap: int = DEFAULT_GAP, tolerance: int = AUTO_TOLERANCE) -> np.ndarray:
        """Closed line-art regions of the frame: ``HxW int32``, 0 on lines (for fills).
        ``gap``: line breaks up to this many px close a region; ``tolerance``: pixels up to
        this light (percent of white) are line, 0 = Auto (:func:`~colorpaint.engine.options.ink_level`)."""
        from ..core.regions import segment

        key = (frame.id, gap, tolerance)
        if key in self._labels:
            return self._labels[key]
        labels = segment(rgb_to_luma(self.image(frame)), gap_close=gap, ink=ink_level(tolerance))[0]
        return self._lru(self._labels, key, labels, 3)

    def fill_labels(self, frame: Frame, stroke: Stroke) -> np.ndarray | None:
        """The regions ``stroke`` paints with: its gap and tolerance's for a fill, else None."""
        return self.labels(frame, stroke.gap, stroke.tolerance) if stroke.kind == "fill" else None

    def _rasterize(self, frame: Frame, strokes) -> np.ndarray:
        h, w = self.image(frame).shape[:2]
        closings = {(s.gap, s.tolerance) for s in strokes if s.kind == "fill"}
        if len(closings) <= 1:
            return rasterize(strokes, h, w, self.labels(frame, *closings.pop()) if closings else None)
        out = np.zeros((h, w, 4), np.uint8)
        for s in strokes:
            paint_stroke(out, s, self.fill_labels(frame, s))
        return out

    def hints(self, frame: Frame) -> np.ndarray:
        """The frame's strokes rasterized: ``HxWx4 uint8 RGBA`` (owned by the project, updated
        in place when a stroke is added: copy it before handing it to a worker)."""
        got = self._hints.get(frame.id)
        if got is not None and got[0] == frame.strokes:
            self._hints.move_to_end(frame.id)
            return got[1]
        return self._lru(self._hints, frame.id, (frame.strokes, self._rasterize(frame, frame.strokes)), 4)[1]

    def has_hints(self, frame: Frame) -> bool:
        return bool(frame.strokes) and bool((self.hints(frame)[..., 3] > 0).any())

    # ------------------------------------------------------------------ editing (undoable)
    def add_stroke(self, stroke: Stroke, frame: Frame | None = None) -> bool:
        """Record one brush/eraser stroke or fill as one undo step.

        Returns False (and records nothing) for a fill that hits no closed region."""
        frame = frame or self.current_frame
        if stroke.kind == "fill":
            h, w = self.image(frame).shape[:2]
            x, y = (int(round(v)) for v in stroke.points[0])
            lab = self.fill_labels(frame, stroke)
            if not (0 <= x < w and 0 <= y < h) or lab[y, x] == 0:
                return False
        text = {"brush": "Brush stroke", "erase": "Eraser stroke", "fill": "Fill"}[stroke.kind]
        self._push(SetStrokes(frame.id, frame.strokes, frame.strokes + (stroke,), text))
        if stroke.kind != "erase":
            self.palette.use(stroke.color)
        return True

    def clear_hints(self, frame: Frame | None = None) -> None:
        frame = frame or self.current_frame
        if frame.strokes:
            self._push(SetStrokes(frame.id, frame.strokes, (), "Clear hints"))

    def apply_result(self, result: FrameResult | None, frame: Frame | None = None, undoable: bool = True) -> None:
        """Put a colorize result in the frame's color layer (one undo step unless
        ``undoable`` is False, as for Live previews, which follow the hints anyway)."""
        frame = frame or self.current_frame
        if undoable:
            old = frame.result
            if old is not None:
                try:  # the history must not depend on files a later save may remove
                    old.color, old.composite
                except ImageError:
                    pass
            text = f"Colorize ({result.model})" if result is not None else "Remove colors"
            self._push(SetResult(frame.id, frame.result, result, text))
        else:
            self._meta += 1  # not in the history, but saved with the project
            self._set_result(frame.id, result)

    def replace_color_in_shot(self, shot_index: int, old, new) -> int:
        """Replace the color ``old`` by ``new`` on every frame of a shot, as one undo step:
        in the hint strokes painted with it, and in the colors of line-art frames (pixels of
        exactly that color, as flat mode and references paint; lines are multiplied on top
        again). Returns how many frames changed."""
        from ..core.color import draw_lines

        old, new = tuple(int(v) for v in old), tuple(int(v) for v in new)
        if old == new:
            return 0
        cmds, changed = [], set()
        for f in self.shots[shot_index].frames:
            if any(s.color == old and s.kind != "erase" for s in f.strokes):
                after = tuple(replace(s, color=new) if s.color == old and s.kind != "erase" else s for s in f.strokes)
                cmds.append(SetStrokes(f.id, f.strokes, after))
                changed.add(f.id)
            r = f.result
            if r is not None and r.kind == "lineart":
                try:
                    color = r.color
                    m = (color == np.array(old, np.uint8)).all(axis=2)
                    if not m.any():
                        continue
                    color = np.array(color)
                    color[m] = new
                    comp = draw_lines(color, self.image(f))
                except ImageError:
                    continue
                r.composite  # noqa: B018  (the history must not depend on files a later save may remove)
                cmds.append(SetResult(f.id, r, FrameResult(color, comp, r.kind, r.model, r.seconds, r.device, self.new_rev())))
                changed.add(f.id)
        if cmds:
            hexes = "#%02x%02x%02x" % old, "#%02x%02x%02x" % new
            self._push(Batch(cmds, f"Replace {hexes[0]} with {hexes[1]} in {self.shots[shot_index].name} ({len(changed)} frames)"))
        return len(changed)

    def record_results(self, changes, text: str) -> bool:
        """Make results already put in place with ``apply_result(undoable=False)`` one undo
        step. ``changes``: [(frame, result before, result after)]; a frame whose result was
        changed again since is left out. Returns False when nothing was recorded."""
        cmds = [SetResult(f.id, before, after, text) for f, before, after in changes if f.result is after]
        for c in cmds:
            if c.before is not None:
                try:  # as in apply_result: the history must not depend on files a later save may remove
                    c.before.color, c.before.composite
                except ImageError:
                    pass
        if cmds:
            self._push(Batch(cmds, text))
        return bool(cmds)

    def undo(self) -> bool:
        done = self.history.undo(self)
        self._after_history()
        return done

    def redo(self) -> bool:
        done = self.history.redo(self)
        self._after_history()
        return done

    def goto(self, index: int) -> None:
        self.history.goto(index, self)
        self._after_history()

    def _push(self, cmd) -> None:
        self.history.push(cmd, self)
        self._after_history()

    def _after_history(self) -> None:
        self._changed()
        self.events.history()

    # the only two places frames change; history commands call them both ways
    def _set_strokes(self, frame_id: str, strokes: tuple, appended: bool = False) -> None:
        frame = self.frame(frame_id)
        cached = self._hints.get(frame_id)
        rect = None
        if appended and cached is not None and cached[0] == strokes[:-1]:
            s = strokes[-1]
            rect = paint_stroke(cached[1], s, self.fill_labels(frame, s))
            self._hints[frame_id] = (strokes, cached[1])
            frame.strokes = strokes
            if rect is None:
                return
        else:
            frame.strokes = strokes
        self.events.hints(frame=frame, rect=rect)

    def _set_result(self, frame_id: str, result: FrameResult | None) -> None:
        frame = self.frame(frame_id)
        frame.result = result
        self._changed()
        self.events.result(frame=frame)

    # ------------------------------------------------------------------ model, settings, flags
    def set_model(self, name: str) -> None:
        if name != self.model:
            self.model = name
            self._meta += 1
            self._changed()
            self.events.settings(key="model")

    @property
    def typed_settings(self) -> ProjectSettings:
        """:attr:`settings` with their types and defaults (``typed_settings.gap``)."""
        return ProjectSettings.of(self.settings)

    def set_setting(self, key: str, value) -> None:
        if self.settings.get(key) != value:
            self.settings[key] = value
            self._meta += 1
            self._changed()
            self.events.settings(key=key)

    def set_shot_fps(self, shot: Shot, fps: float) -> None:
        fps = float(fps)
        if fps > 0 and fps != shot.fps:
            shot.fps = fps
            self._meta += 1
            self._changed()
            self.events.settings(key="fps")

    def set_flags(self, frame: Frame, key: bool | None = None, corrected: bool | None = None, drift: float | None = None) -> None:
        changed = False
        for attr, v in (("key", key), ("corrected", corrected), ("drift", drift)):
            if v is not None and getattr(frame, attr) != v:
                setattr(frame, attr, v)
                changed = True
        if changed:
            self._meta += 1
            self._changed()
            self.events.flags(frame=frame)

    def _palette_changed(self, saved: bool) -> None:
        if saved:
            self._meta += 1
        self._changed()
        self.events.palette()

    # ------------------------------------------------------------------ dirty state
    @property
    def dirty(self) -> bool:
        """True when the project differs from its last save (or from how it was opened)."""
        return not self.history.is_clean or self._meta != self._clean_meta

    def _references_changed(self) -> None:
        self._meta += 1  # saved with the project, not an undo step
        self._changed()
        self.events.references()

    def mark_clean(self) -> None:
        self.history.mark_clean()
        self._clean_meta = self._meta
        self._changed(bump=False)

    def _changed(self, bump: bool = True) -> None:
        if bump:
            self.version += 1
        d = self.dirty
        if d != self._was_dirty:
            self._was_dirty = d
            self.events.dirty(dirty=d)
