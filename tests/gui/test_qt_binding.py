"""The Qt binding itself: a window that runs all day emits signals by the hundred thousand
(progress, results, repaint requests). A binding that drops a reference on each emit
(PySide6 6.12.0 does, to ``True``) aborts the whole program after a few thousand, losing
whatever the artist had not saved; pyproject.toml excludes such a version.

The counting runs in a fresh interpreter: in the test process, objects other tests left
behind are freed at any moment and move the same counts."""
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import gc, sys
    from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

    app = QCoreApplication([])

    class Emitter(QObject):
        value = Signal(object)
        bare = Signal()

    e = Emitter()
    got = [0]  # a count: keeping the values would hold references of its own

    def count(*_):
        got[0] += 1
    e.value.connect(count)
    e.bare.connect(count)
    n = 500

    class Worker(QRunnable):  # as the window's jobs do: from a pool thread, delivered on the UI thread
        def run(self):
            for i in range(n):
                e.value.emit(i)

    pool = QThreadPool()
    gc.collect()
    gc.disable()
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for i in range(n):
        e.value.emit(i)
        e.value.emit(None)
        e.bare.emit()
    pool.start(Worker())
    pool.waitForDone()
    while got[0] < 4 * n:
        app.processEvents()
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    print(*(a - b for a, b in zip(after, before)))
""")


def test_emitting_a_signal_keeps_the_interpreter_s_reference_counts():
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r.stderr[-1500:]  # a binding with the fault aborts ("deallocating True or False")
    deltas = [int(v) for v in r.stdout.split()]
    # each emit that leaked would move a count by one: 2,000 emits, a handful of unrelated references
    assert len(deltas) == 3 and all(abs(d) < 50 for d in deltas), deltas
