"""The Train panel inside the painting window: a fine-tuned version appears in the model
picker, colorizes the frame and the shot, persists with the project, and a deleted one
falls back to the bundled weights. Tiny untrained models; no training process is run
(tests/gui/test_trainer_tab.py covers that): versions are added as a finished run adds them."""
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDockWidget, QPushButton

from colorpaint.engine.model_store import ModelStore
from colorpaint.engine.weights import save_weights
from colorpaint.gui.main_window import VERSIONS_KEY, MainWindow
from colorpaint.models import registry
from colorpaint.project.appdata import Preferences

pytest.importorskip("pytestqt")


def tiny(path: Path, family: str) -> Path:
    return Path(save_weights(path, registry.build(family, tiny=True), {"trained": False}))


@pytest.fixture
def store(tmp_path):
    tiny(tmp_path / "bundled" / "auto.safetensors", "auto")
    return ModelStore(tmp_path / "models", bundled_dir=tmp_path / "bundled")


@pytest.fixture
def win(qtbot, tiny_weights, store, sample_frames):
    w = MainWindow(prefs=Preferences(autosave_minutes=0), device="cpu", weights=tiny_weights, store=store)
    w.prompts.save_changes = lambda name: "discard"
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_path(sample_frames)  # one shot of three frames, not saved yet
    return w


def texts(picker: QComboBox) -> list[str]:
    return [picker.itemText(i) for i in range(picker.count())]


def test_trainer_dock_and_menu(win, qtbot):
    dock = win.findChild(QDockWidget, "trainDock")
    assert dock is not None and dock.isAncestorOf(win.trainer) and win.trainer.objectName() == "trainerTab"
    assert dock in win.tabifiedDockWidgets(win.timeline_dock)
    shown = lambda w: not w.visibleRegion().isEmpty()  # noqa: E731 (a tabbed-away dock still says isVisible())
    assert shown(win.timeline) and not shown(win.trainer)  # the timeline is up front
    menus = {a.text().replace("&", ""): a.menu() for a in win.menuBar().actions()}
    assert win.act_train in menus["Tools"].actions() and win.act_train in menus["View"].actions()
    win.act_train.trigger()
    qtbot.waitUntil(lambda: shown(win.trainer))  # docked and grown, or floating when the window has no room
    qtbot.wait(50)
    assert shown(win.trainer) and (win.train_dock.isFloating() or win.train_dock.height() >= 380)
    assert not win.trainer.project_check.isEnabled()  # an unsaved project has no corrected/ folder yet


def test_version_picked_colorizes_persists_and_falls_back(win, qtbot, store, tmp_path, tiny_weights):
    picker = win.findChild(QComboBox, "modelPicker")
    assert texts(picker) == registry.names() and win.picked_model() == ("auto", None)

    # a version lands in the model folder (a finished run): listed, not yet in use
    v1 = store.add_version("auto", tiny(tmp_path / "ft_auto.safetensors", "auto"), {"name": "Show v1"})
    win.trainer.refresh_versions()
    win.trainer.versionsChanged.emit()
    assert "auto: Show v1" in texts(picker) and win.picked_model() == ("auto", None)

    # the artist picks it; Colorize uses its weights
    picker.setCurrentIndex(texts(picker).index("auto: Show v1"))
    assert win.picked_model() == ("auto", str(v1.weights)) and win.project.settings[VERSIONS_KEY] == {"auto": str(v1.weights)}
    calls, real = [], win.engine
    win.engine = lambda req, token: (calls.append(req), real(req, token))[1]
    frame = win.project.current_frame
    qtbot.mouseClick(win.findChild(QPushButton, "colorizeButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: frame.result is not None, timeout=60000)
    assert calls[-1].weights == str(v1.weights) and frame.result.model == "auto"
    assert [m.weights for m in win.session()._cache.values()] == [v1.weights]  # loaded from that file

    # a temporal version finishes (modelAdded): selected at once; the shot job uses it
    v2 = store.add_version("temporal", tiny(tmp_path / "ft_temporal.safetensors", "temporal"), {"name": "Show motion"})
    win.trainer.modelAdded.emit("temporal", str(v2.weights))
    assert picker.currentText() == "temporal: Show motion" and win.project.model == "temporal"
    assert win.make_request().weights == str(v2.weights)
    options, real_shot = [], win.shots.engine
    win.shots.engine = lambda *a: (options.append(a[5]), real_shot(*a))[1]
    assert win.shots.colorize_shot()
    qtbot.waitUntil(lambda: not win.shots.busy, timeout=60000)
    assert options[-1]["model"] == "temporal" and options[-1]["weights"] == str(v2.weights)
    assert all(f.result is not None for f in win.project.frames())

    # "Use this model" in the Train panel: v1 again; its bundled entry picks the bundled weights
    win.trainer.modelSelected.emit("auto", str(v1.weights))
    assert win.picked_model() == ("auto", str(v1.weights)) and win.project.model == "auto"
    win.trainer.modelSelected.emit("auto", str(store.bundled("auto").weights))
    assert win.picked_model() == ("auto", None) and win.make_request().weights == tiny_weights["auto"]
    win.trainer.modelSelected.emit("auto", str(v1.weights))

    # renamed in the panel: the picker follows, the selection stays
    tab = win.trainer
    item = next(tab.version_list.topLevelItem(i) for i in range(tab.version_list.topLevelItemCount())
                if tab.version_list.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole).weights == v1.weights)
    tab.version_list.setCurrentItem(item)
    tab.rename_selected("Show v1b")
    assert picker.currentText() == "auto: Show v1b" and win.picked_model() == ("auto", str(v1.weights))

    # saved with the project, and the Train panel sees the project folder
    folder = tmp_path / "Show.cpaint"
    assert win.save(folder, wait=True)
    assert win.trainer.project_dir == folder and win.trainer.project_check.isEnabled()
    assert win.open_path(folder)
    assert win.project.settings[VERSIONS_KEY] == {"auto": str(v1.weights), "temporal": str(v2.weights)}
    assert win.picked_model() == ("auto", str(v1.weights)) and win.trainer.project_dir == folder

    # deleted in the panel while in use: back to the bundled weights, the cached model dropped
    tab.version_list.setCurrentItem(next(tab.version_list.topLevelItem(i) for i in range(tab.version_list.topLevelItemCount())
                                         if tab.version_list.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole).weights == v1.weights))
    with qtbot.waitSignal(tab.modelRemoved):
        tab.delete_selected()
    assert win.picked_model() == ("auto", None) and "auto: Show v1b" not in texts(picker)
    assert win.project.settings[VERSIONS_KEY] == {"temporal": str(v2.weights)}
    assert win.make_request().weights == tiny_weights["auto"]
    assert all(m.weights != v1.weights for m in win.session()._cache.values())

    # a version deleted from the model folder: the project still has its own copy
    assert win.save(wait=True)
    store.delete(store.find(v2.weights))
    assert win.open_path(folder)
    copy = Path(win.project.settings[VERSIONS_KEY]["temporal"])
    assert copy.parent == (folder / "models").resolve() and copy.read_bytes()
    # and a project whose copy is gone too opens on the bundled weights
    win.project.settings[VERSIONS_KEY] = {}
    import shutil

    shutil.rmtree(folder / "models")
    assert win.open_path(folder)
    assert VERSIONS_KEY not in win.project.settings or not win.project.settings[VERSIONS_KEY]
    assert win.effective_weights() == tiny_weights and win.picked_model() == ("auto", None)
    qtbot.waitUntil(lambda: "missing" in win.statusBar().currentMessage())


def test_close_asks_while_training(win, monkeypatch):
    asked = []
    monkeypatch.setattr(win.trainer, "is_busy", lambda: True)
    win.prompts.stop_training = lambda: asked.append(True) or False
    win.close()
    assert asked and win.isVisible()  # the artist chose to keep training
    monkeypatch.undo()
    stopped = []
    monkeypatch.setattr(win.trainer, "shutdown", lambda *a: stopped.append(True))
    win.close()
    assert stopped and not win.isVisible()
