"""The one threading bridge between the window and the engine.

An engine job is a generator: it yields ``jobs.Progress`` and returns its result (see
``colorpaint.engine.jobs``). :class:`JobRunner` runs such a job on its own QThreadPool,
checks the :class:`CancelToken` between yields, and reports through a :class:`Task`
whose signals are delivered on the UI thread: ``progressed(Progress)``,
``finished(result)``, ``failed(exception)``, ``cancelled()``, then always ``done()``.

:class:`LatestRequest` puts "latest request wins" on a runner (the region overlay uses it):
submitting a new job cancels the running one, and only the newest pending request is
started after it. The rule itself is :class:`colorpaint.app.live.LatestWins`, which the
frame colorize and Live follow too (``app/live.py``'s ``LiveScheduler``).
"""
from __future__ import annotations

import inspect
import weakref
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..app.live import LatestWins
from ..engine.jobs import CancelToken, Cancelled

JobFactory = Callable[[CancelToken], Any]  # returns a generator (or, for plain calls, the result)

_POOLS: "weakref.WeakSet[QThreadPool]" = weakref.WeakSet()


def active_thread_count() -> int:
    """Threads still running a job, over every runner's pool and Qt's global pool."""
    # a deleted pool waited for its threads in its destructor: nothing of it can still run
    pools = [p for p in list(_POOLS) if shiboken6.isValid(p)]
    return QThreadPool.globalInstance().activeThreadCount() + sum(p.activeThreadCount() for p in pools)


class Task(QObject):
    """A handle on one submitted job; signals arrive on the thread that created it (the UI)."""

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(self, factory: JobFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.factory = factory
        self.token = CancelToken()
        self.running = True
        self.done.connect(self._mark_done)

    def cancel(self) -> None:
        self.token.cancel()

    def _mark_done(self) -> None:
        self.running = False


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task
        self.setAutoDelete(True)

    def run(self) -> None:  # on a pool thread: only emit signals, never touch widgets
        t = self.task
        try:
            job = t.factory(t.token)
            if inspect.isgenerator(job):
                try:
                    while True:
                        t.token.check()
                        try:
                            p = next(job)
                        except StopIteration as stop:
                            result = stop.value
                            break
                        t.progressed.emit(p)
                finally:
                    job.close()  # a cancelled job's cleanup runs now, on this thread
            else:
                result = job
            t.token.check()  # a result that arrives after a cancel is stale
            t.finished.emit(result)
        except Cancelled:
            t.cancelled.emit()
        except BaseException as e:  # the window shows it; the thread must not die silently
            t.failed.emit(e)
        finally:
            t.done.emit()
            self.task = None


class JobRunner(QObject):
    """Runs jobs on a private pool (``max_threads`` at a time, queued beyond that)."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        _POOLS.add(self.pool)
        self._tasks: set[Task] = set()

    def start(self, factory: JobFactory, *, progressed=None, finished=None, failed=None, cancelled=None, done=None) -> Task:
        """Submit ``factory(cancel_token)``; callbacks are connected to the task's signals."""
        task = Task(factory, self)
        for sig, cb in ((task.progressed, progressed), (task.finished, finished), (task.failed, failed),
                        (task.cancelled, cancelled), (task.done, done)):
            if cb is not None:
                sig.connect(cb)
        task.done.connect(lambda t=task: self._forget(t))
        self._tasks.add(task)
        self.pool.start(_Runnable(task))
        return task

    def _forget(self, task: Task) -> None:
        self._tasks.discard(task)
        task.deleteLater()

    @property
    def busy(self) -> bool:
        return any(t.running for t in self._tasks)

    def cancel_all(self) -> None:
        for t in list(self._tasks):
            t.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel everything and wait for the threads (the window calls this when closing)."""
        self.cancel_all()
        self.pool.clear()  # jobs not started yet never start
        return self.pool.waitForDone(timeout_ms)


class LatestRequest(QObject):
    """Latest request wins on ``runner``: at most one job runs and at most one waits.

    ``submit`` cancels the running job (its result is dropped) and replaces whatever was
    waiting, so a burst of requests produces one job of the final state, not a queue. The
    bookkeeping is :class:`~colorpaint.app.live.LatestWins`; this only starts the jobs on
    the runner and reports their ends to it.
    """

    def __init__(self, runner: JobRunner) -> None:
        super().__init__(runner)
        self.runner = runner
        self._latest = LatestWins()

    @property
    def busy(self) -> bool:
        return self._latest.busy

    @property
    def has_pending(self) -> bool:
        return self._latest.waiting

    def submit(self, factory: JobFactory, *, done: Callable[[], None] | None = None, **callbacks) -> None:
        """Run ``factory`` on the runner when it is the latest request; ``callbacks`` as
        :meth:`JobRunner.start` takes them, ``done`` when this job has ended (before the
        next one starts)."""
        self._latest.submit(lambda: self.runner.start(factory, done=self._latest.job_done, **callbacks), done)

    def cancel(self) -> None:
        self._latest.cancel()


class WorkerHub(QObject):
    """Every worker of the window, by lane, with one shutdown:

    * ``engine``: single-frame colorize and Live (latest request wins: the window's
      ``LiveScheduler`` decides which starts);
    * ``shot``: Colorize shot (its own lane, so the frame and Live stay responsive meanwhile);
    * ``io``: saves, autosaves, exports, training examples (in order, never two at once);
    * ``background``: region maps, fill previews and thumbnails (cheap, cancellable).
    """

    LANES = ("engine", "shot", "io", "background")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = JobRunner(self, 1)
        self.shot = JobRunner(self, 1)
        self.io = JobRunner(self, 1)
        self.background = JobRunner(self, 2)  # a region preview is never stuck behind thumbnails

    def lane(self, name: str) -> JobRunner:
        if name not in self.LANES:
            raise KeyError(f"no worker lane {name!r} (lanes: {', '.join(self.LANES)})")
        return getattr(self, name)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel what can be cancelled, then wait for every lane; a save in the ``io``
        lane is never cut short (it is waited for, not cancelled)."""
        ok = True
        for name in ("engine", "shot", "background"):
            ok = self.lane(name).shutdown(timeout_ms) and ok
        return self.io.pool.waitForDone(-1) and ok
