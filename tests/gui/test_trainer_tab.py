"""The trainer tab with real colorpaint-train child processes, a tiny model and tiny data:
start, progress, stop, resume, finish, the new version is added and colorizes; a run
that dies shows its error and leaves the model list alone."""
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from colorpaint.engine.model_store import ModelStore, ReadOnlyModelError
from colorpaint.training.finetune import TrainSettings
from tests.unit.helpers import drawing, tiny_weights, write_pairs

pytest.importorskip("pytestqt")
from colorpaint.gui.trainer_tab import TrainerTab  # noqa: E402

TRAIN_TIMEOUT = 180_000  # ms; the CPU is shared with other work, so be generous


@pytest.fixture
def store(tmp_path):
    tiny_weights("color-apply", tmp_path / "bundled" / "color-apply.safetensors")
    return ModelStore(tmp_path / "models", bundled_dir=tmp_path / "bundled")


@pytest.fixture
def project(tmp_path):
    """A saved project folder with six corrected 64x64 frames (drawn shapes)."""
    return write_pairs(tmp_path / "Show.cpaint" / "corrected", n=6, size=(64, 64)).parent


@pytest.fixture
def tab(qtbot, store, project):
    t = TrainerTab(store=store)
    qtbot.addWidget(t)
    t.resize(1200, 800)
    t.show()
    qtbot.waitExposed(t)
    t.set_project_dir(project)
    # 9 tiny steps, validated every 3: long enough to stop in the middle, short enough for a test
    t.set_settings(TrainSettings(steps=9, size=64, lr=1e-3, batch=2, device="cpu", val_every=3, val_items=2, scale=64))
    t.select_base("color-apply")
    yield t
    t.shutdown()


def click(qtbot, tab, name):
    b = tab.findChild(QPushButton, name)
    assert b is not None and b.isEnabled(), name
    qtbot.mouseClick(b, Qt.MouseButton.LeftButton)


def test_train_stop_resume_finish_and_use(qtbot, tab, store):
    assert tab.objectName() == "trainerTab"
    assert tab.data_sources() == [str(tab.project_dir)] and tab.project_check.isChecked()
    assert "6 corrected frames" in tab.project_label.text()
    assert tab.base_model()[1] == str(store.bundled("color-apply").weights)
    steps = []
    tab.trainingProgress.connect(steps.append)

    with qtbot.waitSignal(tab.trainingProgress, timeout=TRAIN_TIMEOUT):
        click(qtbot, tab, "startTrainingButton")
    assert tab.state == "training" and not tab.findChild(QPushButton, "startTrainingButton").isEnabled()
    assert tab.progress.value() >= 3 and "ETA" in tab.progress.format()
    assert tab.curve.point_count() > 0 and not tab.sample_preview.pixmap().isNull()
    assert steps[0]["losses"] and steps[0]["val"]["psnr"] > 0

    click(qtbot, tab, "stopTrainingButton")
    qtbot.waitUntil(lambda: tab.state == "stopped", timeout=TRAIN_TIMEOUT)
    stopped_at = steps[-1]["step"]
    assert stopped_at < 9 and (tab.run_dir / "checkpoint.pt").exists()
    assert [v.id for v in store.list_versions()] == ["bundled"]  # a stopped run adds no version

    with qtbot.waitSignal(tab.modelAdded, timeout=TRAIN_TIMEOUT) as added:
        click(qtbot, tab, "resumeTrainingButton")
    family, weights = added.args
    assert family == "color-apply" and Path(weights).exists()
    assert steps[-1]["step"] == 9 and min(s["step"] for s in steps if s["step"] > stopped_at) > stopped_at
    assert "resumed from step" in (tab.run_dir / "train.log").read_text()
    assert not (tab.run_dir / "checkpoint.pt").exists()  # finished: the resume state is not kept

    (new,) = [v for v in store.list_versions("color-apply") if not v.bundled]
    assert new.weights == Path(weights) and new.info["steps"] == 9
    assert new.info["base"]["name"].startswith("bundled") and new.info["heldout_items"] == 1
    for when in ("before", "after"):
        assert new.info["metrics"][when]["lineart"]["psnr"] > 0
    assert store.info_file(new, "comparison") and store.info_file(new, "log")
    assert tab.metrics_table.rowCount() == 6 and tab.metrics_table.item(0, 2).text()
    assert not tab.comparison_preview.pixmap().isNull()
    assert not tab.error_frame.isVisible()
    # the new version is in this tab's picker too, ready for another round of fine-tuning
    assert any(tab.model_picker.itemData(i).endswith(weights) for i in range(tab.model_picker.count()))

    # the new version is selected in the list: use it, then colorize with it
    assert tab.selected_version() == new
    with qtbot.waitSignal(tab.modelSelected) as used:
        click(qtbot, tab, "useModelButton")
    assert used.args == ["color-apply", weights]
    from colorpaint.engine import jobs
    from colorpaint.engine.pipeline import ColorizeRequest, colorize
    from colorpaint.engine.session import Session

    line, _ = drawing(64, 80, seed=11)
    res = jobs.run(colorize(Session("cpu"), ColorizeRequest(np.repeat(line[..., None], 3, 2), model="color-apply", weights=used.args[1])))
    assert res.composite.shape == (64, 80, 3) and res.composite.dtype == np.uint8

    # rename and delete the new version (the window's questions answered); the bundled one cannot be changed
    tab.prompts.ask_text = lambda title, label, text="": "Episode 4" if text else None
    click(qtbot, tab, "renameVersionButton")
    assert [v.name for v in store.list_versions("color-apply") if not v.bundled] == ["Episode 4"]
    tab.prompts.delete_version = lambda name, family: False  # the artist says No: nothing goes
    click(qtbot, tab, "deleteVersionButton")
    assert len(store.list_versions("color-apply")) == 2
    bundled_item = tab.version_list.topLevelItem(0)
    tab.version_list.setCurrentItem(bundled_item)
    assert tab.selected_version().bundled
    assert not tab.rename_button.isEnabled() and not tab.delete_button.isEnabled() and tab.use_button.isEnabled()
    with pytest.raises(ReadOnlyModelError):
        tab.delete_selected()
    tab.version_list.setCurrentItem(tab.version_list.topLevelItem(1))
    with qtbot.waitSignal(tab.modelRemoved) as removed:
        tab.delete_selected()
    assert removed.args == ["color-apply", weights]
    assert [v.id for v in store.list_versions()] == ["bundled"] and store.bundled("color-apply").weights.exists()


def test_killed_training_shows_error_and_keeps_models(qtbot, tab, store):
    before = store.list_versions()
    with qtbot.waitSignal(tab.trainingProgress, timeout=TRAIN_TIMEOUT):
        click(qtbot, tab, "startTrainingButton")
    qtbot.waitUntil(lambda: (tab.run_dir / "checkpoint.pt").exists(), timeout=TRAIN_TIMEOUT)  # written just after the record
    tab.proc.kill()  # as if it ran out of memory
    qtbot.waitUntil(lambda: tab.state == "failed", timeout=TRAIN_TIMEOUT)
    assert tab.error_frame.isVisible() and "killed" in tab.error_label.text()
    assert tab.findChild(QPushButton, "openLogButton").isVisible()
    log = tab.log_path.read_text()
    assert "colorpaint.training.cli" in log and '"event": "step"' in log
    assert store.list_versions() == before
    assert tab.start_button.isEnabled() and tab.resume_button.isEnabled()  # the last checkpoint can be resumed


def test_bad_data_fails_with_its_message(qtbot, tab, store, tmp_path):
    before = store.list_versions()
    bad = write_pairs(tmp_path / "old_episode", n=3, size=(64, 64))
    (bad / "p00_color.png").write_bytes(b"this is not a PNG")  # a training frame: the trainer reads it
    tab.project_check.setChecked(False)
    assert not tab.start_button.isEnabled()  # no data chosen yet
    assert not tab.add_data_source(tmp_path / "missing")  # refused up front, with a message
    assert tab.error_frame.isVisible()
    assert tab.add_data_source(bad)
    assert tab.data_sources() == [str(bad)]
    click(qtbot, tab, "startTrainingButton")
    qtbot.waitUntil(lambda: tab.state == "failed", timeout=TRAIN_TIMEOUT)
    # the message names the artist's file, not the run's link to it
    assert str(bad / "p00_color.png") in tab.last_error and "p00_color.png" in tab.error_label.text()
    assert "p00_color.png" in tab.log_path.read_text()
    assert store.list_versions() == before


def test_one_frame_trains_honestly_without_a_fake_comparison(qtbot, store, tmp_path):
    """One corrected frame: the tab says before starting that nothing can be held out,
    labels its numbers as training-frame numbers, and finishes without an error box."""
    proj = write_pairs(tmp_path / "One.cpaint" / "corrected", n=1, size=(64, 64)).parent
    t = TrainerTab(store=store)
    qtbot.addWidget(t)
    t.resize(1200, 800)
    t.show()
    t.set_project_dir(proj)
    t.set_settings(TrainSettings(steps=3, size=64, lr=1e-3, batch=2, device="cpu", val_every=3, val_items=2, scale=64))
    t.select_base("color-apply")
    try:
        assert "none to hold out" in t.split_label.text() and "1 frame to train on" in t.split_label.text()
        click(qtbot, t, "startTrainingButton")
        qtbot.waitUntil(lambda: t.state in ("done", "failed"), timeout=TRAIN_TIMEOUT)
        assert t.state == "done", t.last_error
        assert not t.error_frame.isVisible()
        assert "training-frame" in t.sample_caption.text()
        assert "no before/after comparison" in t.status_label.text()
        (v,) = [v for v in store.list_versions("color-apply") if not v.bundled]
        assert v.info["comparison"].startswith("none") and not v.info["metrics"]["after"]
    finally:
        t.shutdown()


def test_eight_frames_of_one_name_group_still_train(tmp_path):
    """s0_color.png … s7_color.png hash into one group; the split still leaves frames to train on."""
    from colorpaint.training.datasets import scan

    d = write_pairs(tmp_path / "pairs", n=8, size=(64, 64))
    for i, p in enumerate(sorted(d.glob("p*_color.png"))):
        p.rename(d / f"s{i}_color.png")
    for p in d.glob("p*_line.png"):
        p.unlink()
    tr, va, _, _ = scan([d], scale=64, log=lambda m: None)
    assert len(tr) == 7 and len(va) == 1
