"""Long work as generators: they yield :class:`Progress` and return their result.

A caller (a test, the CLI, or ``gui/qt_worker.py``) iterates the generator and checks a
:class:`CancelToken` between steps; ``run`` drives one to completion.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Generator, Iterator


class Cancelled(Exception):
    """Raised inside a job when its token is cancelled."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1
    message: str = ""
    preview: Any = None  # optional uint8 RGB preview of the color layer (may be smaller than the frame)
    index: int | None = None  # frame index, for sequence jobs
    result: Any = None  # a finished frame, for sequence jobs
    frame: Any = None  # that frame's ColorizeResult (color layer, kind, model), for sequence jobs
    drift: float | None = None  # that frame's drift score, for sequence jobs
    confidence: Any = None  # HxW float32 in [0, 1]: how sure that frame's colors are, for sequence jobs


Job = Generator[Progress, None, Any]


def run(job: Job, cancel: CancelToken | None = None, on_progress=None) -> Any:
    """Drive ``job`` to its end and return its result (raises :class:`Cancelled`)."""
    while True:
        try:
            p = next(job)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(p)
        if cancel is not None and cancel.cancelled:
            job.close()
            raise Cancelled()


def iterate(job: Job) -> Iterator[Progress]:
    yield from job
