"""The timeline's thumbnails: made on a background worker, a batch at a time, and cached by
frame, result revision and source, so stepping through a shot never waits for a picture."""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QImage

from ..engine.jobs import Progress
from ..project.shots import thumbnail_job
from .convert import rgb_to_qimage
from .timeline import THUMB_H

CACHED = 2000  # thumbnails kept, the least recently shown dropped first


class ShotThumbnails(QObject):
    """Thumbnails for ``panel``'s cells (a :class:`~.timeline.TimelinePanel`), made on
    ``runner`` (a worker lane); ``shown_shot()`` is the shot the panel shows now, or None."""

    def __init__(self, panel, runner, shown_shot: Callable, parent=None) -> None:
        super().__init__(parent)
        self.panel, self.runner, self.shown_shot = panel, runner, shown_shot
        self._thumbs: OrderedDict[tuple, QImage] = OrderedDict()
        self._wanted: dict[tuple, tuple] = {}  # key -> (source, video index, result)
        self._task = None

    @staticmethod
    def key(f) -> tuple:
        return (f.id, f.result.rev if f.result is not None else None, str(f.source), f.video_index)

    def show(self, i: int, f) -> None:
        """Cell ``i`` shows frame ``f``'s thumbnail: the cached one, else an older picture of
        the frame (or none) until its current one is made."""
        key = self.key(f)
        img = self._thumbs.get(key)
        if img is not None:
            self._thumbs.move_to_end(key)
            self.panel.set_thumbnail(i, img)
            return
        old = [k for k in self._thumbs if k[0] == f.id]  # an older picture of the frame, until the new one is made
        self.panel.set_thumbnail(i, self._thumbs[old[-1]] if old else None)
        if key not in self._wanted:
            self._wanted[key] = (f.source, f.video_index, f.result)
            QTimer.singleShot(0, self._start)

    def ready(self, shot) -> bool:
        """Every frame of ``shot`` has its current thumbnail."""
        return all(self.key(f) in self._thumbs for f in shot.frames)

    def stop(self) -> None:
        """Make no more (the worker lane itself is stopped by its owner)."""
        self._wanted.clear()

    def _start(self) -> None:
        if self._task is not None or not self._wanted:
            return
        items = [(k, *v) for k, v in self._wanted.items()]
        self._wanted = {}
        self._task = self.runner.start(lambda token: thumbnail_job(items, THUMB_H, token), progressed=self._made, done=self._done)

    def _made(self, prog: Progress) -> None:
        key, small = prog.result
        if small is None:
            return
        img = rgb_to_qimage(small)
        for k in [k for k in self._thumbs if k[0] == key[0]]:  # older pictures of this frame (Live makes many)
            del self._thumbs[k]
        self._thumbs[key] = img
        while len(self._thumbs) > CACHED:
            self._thumbs.popitem(last=False)
        shot = self.shown_shot()
        if shot is not None:
            for i, f in enumerate(shot.frames):
                if f.id == key[0] and self.key(f) == key:
                    self.panel.set_thumbnail(i, img)
                    break

    def _done(self) -> None:
        self._task = None
        if self._wanted:
            QTimer.singleShot(0, self._start)
