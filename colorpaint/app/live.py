"""When the shown frame is colorized, without a timer or a thread.

Live mode colorizes again after each change the artist makes (a stroke, a fill, a new
model, palette or reference). Changes made in one turn of the event loop become one
request: :meth:`LiveScheduler.changed` says when the caller must arm its zero-delay timer
(the first change of the burst, with Live on), and :meth:`LiveScheduler.fire`, called by
that timer, says whether to colorize now.

Every frame colorize, Live or asked for, then follows "latest request wins"
(:class:`LatestWins`): at most one runs and at most one waits; a new request cancels the
running one and replaces the one waiting, so a burst of strokes ends in one colorize of the
final hints, not a queue (Qt's Mandelbrot restart flag, napari's layer slicer). The Qt side
only arms the timer and starts the jobs (``gui/main_window.py``); ``gui/qt_worker.py``'s
``LatestRequest`` puts the same rule on a job runner for the other widgets.
"""
from __future__ import annotations

from typing import Callable, Protocol


class Job(Protocol):
    """A started job (a colorize), as the caller's runner returns it."""

    def cancel(self) -> None: ...


Start = Callable[[], Job]  # starts a job on the caller's runner, returns its handle


class LatestWins:
    """Latest request wins: at most one job runs and at most one waits.

    A request made while a job runs cancels that job and waits, replacing (dropping
    unstarted) any request that was waiting; when the running job ends, the waiting one
    starts. The caller owns the runner: ``start()`` starts a job there and returns its
    handle, and the caller reports the end of every started job with :meth:`job_done`.
    The frame colorize (:class:`LiveScheduler`) and the region overlay (``gui/qt_worker``'s
    ``LatestRequest``) both follow this rule."""

    def __init__(self) -> None:
        self._running: Job | None = None
        self._running_done: Callable[[], None] | None = None
        self._waiting: tuple[Start, Callable[[], None] | None] | None = None
        self._ending = False  # a job's done runs: a request made from it waits for it to return

    def submit(self, start: Start, done: Callable[[], None] | None = None) -> None:
        """Request a job: ``start()`` starts it and returns its handle; the caller calls
        :meth:`job_done` when it has ended, however it ended (later, from its event loop,
        never from inside ``start``). With a job running, that one is cancelled and this
        one waits, replacing (dropping unstarted) any that was waiting. ``done()`` runs
        when this job has ended, before the next one starts; a request it makes is the
        newest, so it replaces the one waiting and starts when ``done`` returns."""
        if self._running is not None or self._ending:
            if self._running is not None:
                self._running.cancel()
            self._waiting = (start, done)
        else:
            self._start(start, done)

    def job_done(self) -> None:
        """The running job ended: its ``done`` runs, then the one waiting starts."""
        done, self._running, self._running_done = self._running_done, None, None
        if done is not None:
            self._ending = True
            try:
                done()
            finally:
                self._ending = False
        if self._waiting is not None:
            start, done = self._waiting
            self._waiting = None
            self._start(start, done)

    def cancel(self) -> None:
        """Drop the job waiting and cancel the running one."""
        self._waiting = None
        if self._running is not None:
            self._running.cancel()

    def _start(self, start: Start, done) -> None:
        self._running_done = done
        self._running = start()

    @property
    def busy(self) -> bool:
        """A job is running or waiting."""
        return self._running is not None or self._waiting is not None

    @property
    def waiting(self) -> bool:
        """A job waits for the running one to end."""
        return self._waiting is not None


class LiveScheduler(LatestWins):
    """Live on or off, the Live request due at the next turn of the event loop, and the
    colorize running and waiting (:class:`LatestWins`: :meth:`submit`, :meth:`job_done`,
    :meth:`cancel`, :attr:`busy`, :attr:`waiting`). Cancelling leaves a Live request
    already due in place: it follows the artist's latest change.

    ``on``: Live mode. Setting it directly (a project reopened with Live on) asks for
    nothing; :meth:`set_live` is the artist's toggle, which colorizes when turned on."""

    def __init__(self) -> None:
        super().__init__()
        self.on = False
        self.scheduled = False  # a Live colorize is due at the next turn of the event loop

    # ------------------------------------------------------------------ Live
    def set_live(self, on: bool) -> bool:
        """The artist turns Live on or off; True: arm the timer (turning it on colorizes)."""
        self.on = bool(on)
        return self.changed()

    def changed(self) -> bool:
        """Something Live follows changed. True when the caller must arm its zero-delay
        timer (calling :meth:`fire`): Live is on and no request is due yet; the changes
        that come before the timer fires ride along with it."""
        if not self.on or self.scheduled:
            return False
        self.scheduled = True
        return True

    def fire(self) -> bool:
        """The timer fired: True when a Live colorize is to be requested now (Live is still
        on and a request was due)."""
        due, self.scheduled = self.scheduled, False
        return due and self.on

    # ------------------------------------------------------------------ state
    @property
    def colorizing(self) -> bool:
        """A colorize is running, waiting, or about to be requested by Live."""
        return self.busy or self.scheduled
