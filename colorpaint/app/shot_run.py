"""A shot colorize as the window runs it, without widgets.

:meth:`ShotRun.prepare` gathers what the job needs from the project (the keys' colors, the
frames' hints, the options of :func:`~colorpaint.app.requests.shot_options`);
:func:`colorize_shot_job` is the job, the call ``colorpaint-cli sequence`` makes, run on a
worker; each finished frame it yields goes into the project at once (:meth:`ShotRun.take`),
and when it ends the frames become one undo step (:meth:`ShotRun.finish`). No Qt here: the
timeline shows a run, ``gui/shots.py`` starts and cancels it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.jobs import CancelToken, Progress
from ..project import FrameResult, Project, Shot
from ..project.shots import ShotFrames
from .requests import shot_request


def colorize_shot_job(session_factory, sources, names, keys, hints, options: dict, cancel: CancelToken):
    """The default shot engine (runs on the worker): frames read lazily, the CLI's call.
    ``options``: :func:`~colorpaint.app.requests.shot_options`."""
    from ..engine.sequence import colorize_sequence

    yield Progress(0.0, "loading")
    frames = ShotFrames(sources, names)
    session = session_factory()
    base = shot_request(frames[0], options)
    return (yield from colorize_sequence(session, frames, base, keys=keys, hints=hints, cancel=cancel, anchor=options["anchor"],
                                         keep_results=False))


@dataclass
class ShotRun:
    """One running shot colorize: its project and shot, what it was given, the frames still
    to come (``pending``, frame ids) and the results it put into the project (``changes``:
    (frame, result before, new result), undone together)."""

    project: Project
    shot: Shot
    options: dict
    keys: dict[int, np.ndarray | None]  # frame index -> the artist's colors, or None: colored first from its hints
    hints: dict[int, np.ndarray]  # frame index -> HxWx4 uint8 RGBA hints
    ids: list[str]
    pending: set[str]
    changes: list = field(default_factory=list)
    flagged: int = 0  # frames whose drift went over the threshold

    @classmethod
    def prepare(cls, project: Project, shot: Shot, options: dict) -> ShotRun:
        """The run of ``shot``: a key or corrected frame with colors is kept as it is and
        conditions the rest; a key without colors is colorized first from its hints.
        Raises ImageError when a frame's picture or result cannot be read."""
        keys: dict[int, np.ndarray | None] = {}
        hints: dict[int, np.ndarray] = {}
        for i, f in enumerate(shot.frames):
            if (f.key or f.corrected) and f.result is not None:
                keys[i] = np.asarray(f.result.composite)
            elif f.key:
                keys[i] = None
            if f.strokes and project.has_hints(f):
                hints[i] = project.hints(f).copy()
        ids = [f.id for f in shot.frames]
        pending = {ids[i] for i in range(len(ids)) if not (i in keys and keys[i] is not None)}
        return cls(project, shot, options, keys, hints, ids, pending)

    @property
    def model(self) -> str:
        return self.options["model"]

    def job(self, engine, session_factory):
        """The worker's job factory ``(cancel) -> generator``: ``engine`` is
        :func:`colorize_shot_job` or a stand-in with its arguments."""
        sources = [(f.source, f.video_index) for f in self.shot.frames]
        names = [f.name for f in self.shot.frames]
        keys, hints, options = self.keys, self.hints, self.options
        return lambda cancel: engine(session_factory, sources, names, keys, hints, options, cancel)

    def is_pending(self, project: Project, frame_id: str) -> bool:
        return project is self.project and frame_id in self.pending

    def take(self, prog: Progress, threshold: float | None = None):
        """Put a finished frame (``prog.frame`` for frame ``prog.index``) into the project, not
        as an undo step of its own; returns the frame, or None when ``prog`` carries none or
        the frame is gone. ``threshold``: count the frame as flagged when its drift is over it."""
        if prog.frame is None or prog.index is None:
            return None
        p, fid = self.project, self.ids[prog.index]
        self.pending.discard(fid)
        try:
            f = p.frame(fid)
        except KeyError:
            return None
        before = f.result
        res = FrameResult.from_engine(prog.frame, p.new_rev())
        p.apply_result(res, f, undoable=False)
        self.changes.append((f, before, res))
        if prog.drift is not None:
            p.set_flags(f, drift=round(float(prog.drift), 3))
        if threshold is not None and f.drift is not None and f.drift > threshold:
            self.flagged += 1
        return f

    def finish(self, how: str, threshold: float) -> str:
        """Record the frames done as one undo step; the status line for ``how`` the run
        ended (``finished``, ``cancelled`` or ``failed``)."""
        n, name = len(self.changes), self.shot.name
        if n:
            self.project.record_results(self.changes, f"Colorize shot {name} ({n} frame{'s' * (n != 1)})")
        msg = {"finished": f"Colorized {n} frames of {name!r}", "cancelled": f"Shot colorize cancelled after {n} frames",
               "failed": f"Shot colorize failed after {n} frames"}[how]
        if self.flagged:
            msg += f"; {self.flagged} flagged for review (drift > {threshold:.1f})"
        return msg
