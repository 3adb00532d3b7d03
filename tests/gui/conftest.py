"""GUI tests run offscreen, with an isolated ColorPaint home and a check for leaked threads."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import pytest


@pytest.fixture(scope="session", autouse=True)
def colorpaint_home(tmp_path_factory):
    """Preferences, recent files, recovery and the model folder (fine-tuned versions) go to a
    temporary folder, never the user's."""
    home = tmp_path_factory.mktemp("colorpaint_home")
    env = {"COLORPAINT_HOME": str(home), "COLORPAINT_MODEL_DIR": str(home / "models")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield home
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(autouse=True)
def no_thread_leak(request):
    """Fail a test that leaves a worker thread running after its widgets were closed."""
    yield
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QThread
    from colorpaint.gui.qt_worker import active_thread_count

    deadline = QDeadlineTimer(2000)
    while active_thread_count() and not deadline.hasExpired():
        QCoreApplication.processEvents()
        QThread.msleep(10)
    leaked = active_thread_count()
    assert leaked == 0, f"{leaked} worker thread(s) still running after the test"


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    """Real (tiny, untrained) weights for every registered model: {name: path}."""
    from colorpaint.engine.weights import save_weights
    from colorpaint.models import registry

    d = tmp_path_factory.mktemp("weights")
    out = {}
    for name in registry.names():
        out[name] = str(save_weights(d / f"{name}.safetensors", registry.build(name, tiny=True), {"trained": True}))
    return out


@pytest.fixture
def sample_frames(tmp_path):
    """A folder of 3 small line-art frames (closed shapes, black on white)."""
    import cv2
    import numpy as np

    from colorpaint.core.imageio import save_image

    folder = tmp_path / "shot"
    for i in range(3):
        img = np.full((120, 160, 3), 255, np.uint8)
        cv2.circle(img, (55 + 4 * i, 60), 35, (0, 0, 0), 3)
        cv2.rectangle(img, (100, 25), (150, 95), (0, 0, 0), 3)
        save_image(folder / f"frame{i + 1}.png", img)
    return folder


@pytest.fixture
def window(qtbot, tiny_weights):
    """A shown MainWindow using tiny weights; it never asks questions on close."""
    from colorpaint.gui.main_window import MainWindow
    from colorpaint.project.appdata import Preferences

    win = MainWindow(prefs=Preferences(autosave_minutes=0), device="cpu", weights=tiny_weights)
    win.prompts.save_changes = lambda name: "discard"
    win.prompts.replace_swatches = lambda n_saved, n_new, source: "replace"  # the tests load show palettes over the defaults
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    return win
