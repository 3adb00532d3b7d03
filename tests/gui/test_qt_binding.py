"""The Qt binding itself: a window that runs all day emits signals by the hundred thousand
(progress, results, repaint requests). A binding that drops a reference on each emit
(PySide6 6.12.0 does, to ``True``) aborts the whole program after a few thousand, losing
whatever the artist had not saved; pyproject.toml excludes such a version."""
import sys

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Emitter(QObject):
    value = Signal(object)
    bare = Signal()


def _counts():
    return sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)


def test_emitting_a_signal_keeps_the_interpreter_s_reference_counts(qtbot):
    e = _Emitter()
    got = [0]  # a count: keeping the values would hold references of its own

    def count(*_):
        got[0] += 1
    e.value.connect(count)
    e.bare.connect(count)
    n = 500
    before = _counts()
    for i in range(n):
        e.value.emit(i)
        e.value.emit(None)
        e.bare.emit()

    class Worker(QRunnable):  # as the window's jobs do: from a pool thread, delivered on the UI thread
        def run(self):
            for i in range(n):
                e.value.emit(i)

    pool = QThreadPool()
    pool.start(Worker())
    pool.waitForDone()
    qtbot.waitUntil(lambda: got[0] == 4 * n, timeout=10000)
    after = _counts()
    # each emit that leaked would move a count by one: 2,000 emits, a handful of unrelated references
    assert all(abs(a - b) < 50 for a, b in zip(after, before)), (before, after)
