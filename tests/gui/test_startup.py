"""The window starts without loading torch on the UI thread: the families come from the
registry's declarations, the fine-tuned versions and the GPU check from a worker."""
import subprocess
import sys

SCRIPT = r'''
import os, sys, threading
on_ui = []


class Watch:
    """Notes each import of torch asked for on the main thread."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" and threading.current_thread() is threading.main_thread():
            import traceback
            on_ui.append("".join(traceback.format_stack(limit=12)))
        return None


sys.meta_path.insert(0, Watch())
from PySide6.QtWidgets import QApplication
app = QApplication([])
from colorpaint.gui.main_window import MainWindow
from colorpaint.project.appdata import Preferences
w = MainWindow(prefs=Preferences(autosave_minutes=0), device="cpu")
w.show()
for _ in range(20):
    app.processEvents()
w.shutdown()
assert not on_ui, on_ui[0]
'''


def test_the_window_starts_without_torch_on_the_ui_thread(colorpaint_home):
    import os

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
