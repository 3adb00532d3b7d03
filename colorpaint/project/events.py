"""A tiny event emitter: the document announces changes, widgets subscribe (no Qt).

Like napari's ``EmitterGroup``: ``project.events.hints.connect(callback)``; the project
calls ``self.events.hints(frame=f, rect=r)`` and every callback receives those keyword
arguments. Callbacks run synchronously on the thread that changed the document (the UI
thread in the window).
"""
from __future__ import annotations

from typing import Callable


class Emitter:
    """A list of callbacks, called in connection order with the emitted keyword arguments."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable] = []
        self._blocked = 0

    def connect(self, callback: Callable) -> Callable:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable | None = None) -> None:
        """Remove ``callback`` (or every callback when None); unknown callbacks are ignored."""
        if callback is None:
            self._callbacks.clear()
        elif callback in self._callbacks:
            self._callbacks.remove(callback)

    def __call__(self, **kwargs) -> None:
        if self._blocked:
            return
        for cb in list(self._callbacks):
            cb(**kwargs)

    def __len__(self) -> int:
        return len(self._callbacks)


class EmitterGroup:
    """Named emitters as attributes: ``EmitterGroup("a", "b").a.connect(cb)``."""

    def __init__(self, *names: str) -> None:
        self._names = names
        for n in names:
            setattr(self, n, Emitter(n))

    def disconnect_all(self) -> None:
        for n in self._names:
            getattr(self, n).disconnect()
