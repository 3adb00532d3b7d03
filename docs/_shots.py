"""What the screenshot scripts in docs/ share: which weights to show, and the window.

Weights: the script's ``--weights``, else the bundled resources/models/<model>.safetensors,
else a training run's export ``RUNS/<model>/<model>.safetensors`` (copied first: the run
may be rewriting it), else tiny untrained weights (the picture then shows the window, not
the model's quality).
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def find_weights(model: str, explicit: str | None, runs: Path) -> tuple[str | None, str]:
    """``(weights file or None for the bundled one, where it came from)``."""
    from colorpaint.engine.weights import WeightsError, load_weights, save_weights
    from colorpaint.models import registry

    if explicit:
        return explicit, "given"
    if registry.spec(model).default_weights.exists():
        return None, "bundled"
    ckpt = runs / model / f"{model}.safetensors"
    if ckpt.exists():
        copy = Path(tempfile.mkdtemp()) / ckpt.name
        for _ in range(5):  # the training run may be writing it right now
            shutil.copyfile(ckpt, copy)
            try:
                load_weights(copy, family=model)
                return str(copy), f"training checkpoint {ckpt}"
            except WeightsError:
                time.sleep(2)
    tiny = Path(tempfile.mkdtemp()) / f"{model}.safetensors"
    save_weights(tiny, registry.build(model, tiny=True), {"trained": False})
    return str(tiny), "tiny untrained weights"


def open_window(model: str, explicit: str | None, runs: Path):
    """A QApplication and a dark-themed 1400x900 MainWindow with ``model``'s weights,
    kept away from the user's own preferences and fine-tuned models. Returns (app, win)."""
    os.environ.setdefault("COLORPAINT_HOME", tempfile.mkdtemp())
    os.environ.setdefault("COLORPAINT_MODEL_DIR", tempfile.mkdtemp())
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    from colorpaint.gui.main_window import MainWindow
    from colorpaint.gui.theme import apply_dark
    from colorpaint.project.appdata import Preferences

    apply_dark(app)
    weights, origin = find_weights(model, explicit, runs)
    print(f"weights: {origin}")
    win = MainWindow(prefs=Preferences(autosave_minutes=0), weights={model: weights} if weights else {})
    win.prompts.save_changes = lambda name: "discard"
    win.resize(1400, 900)
    win.show()
    return app, win


def open_sample(win, model: str) -> bool:
    """Open the bundled sample shot in ``win`` with ``model`` chosen; False (and a message)
    when it cannot be opened."""
    from colorpaint.gui.main_window import SAMPLE

    if not win.open_path(SAMPLE):
        print("cannot open the sample:", win.prompts.last_error)
        return False
    win.project.set_model(model)
    return True


def wait(app, cond, timeout: float = 600.0) -> None:
    """Run the event loop until ``cond()`` holds; TimeoutError after ``timeout`` seconds."""
    t0 = time.time()
    while not cond():
        if time.time() - t0 > timeout:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.02)


def wait_colorized(app, win, timeout: float = 180.0) -> bool:
    """Wait for the window's colorize of the current frame; False (and a message) on error."""
    p = win.project
    try:
        wait(app, lambda: bool(win.prompts.last_error) or not (win.colorizing or p.current_frame.result is None), timeout)
    except TimeoutError:
        print("colorize timed out")
        return False
    if win.prompts.last_error:
        print("colorize failed:", win.prompts.last_error)
        return False
    return True


def settle(app, n: int = 20) -> None:
    """Let the window paint before it is grabbed."""
    for _ in range(n):
        app.processEvents()
        time.sleep(0.02)


def save_shot(app, win, out) -> int:
    """Let ``win`` paint, save its grab to ``out``, say so (with the status line) and close
    it; returns the exit status for ``main``."""
    settle(app)
    win.grab().save(str(out))
    print(f"wrote {out}; {win.statusBar().currentMessage()}")
    win.close()
    return 0
