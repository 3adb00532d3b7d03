"""The Train panel's fine-tune run and the timeline's shot run, driven without a display: a
fake child process stands in for colorpaint-train, a scripted job for the shot engine."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from colorpaint.app.finetune_run import (FineTuneRun, RunState, TrainingData, base_choices, fmt_eta, headline, metric_rows,
                                         version_rows)
from colorpaint.engine.model_store import ModelStore
from colorpaint.training.finetune import TrainSettings

from .helpers import tiny_weights, write_pairs


class FakeProcess:
    """A child process the test ends by hand: ``end('')`` or ``end('message')``."""

    def __init__(self, args, log_path, on_record, on_end):
        self.args, self.log_path, self.on_record, self.on_end = args, log_path, on_record, on_end
        self.error_message = ""
        self.alive = False
        self.terminated = self.killed = False

    def start(self):
        self.alive = True

    def running(self):
        return self.alive

    def terminate(self):
        self.terminated = True

    def kill(self):
        self.killed = True

    def wait(self, ms):
        return True

    def end(self, error=""):
        self.alive = False
        self.on_end(error)


@pytest.fixture
def run(tmp_path):
    store = ModelStore(tmp_path / "models", bundled_dir=tmp_path / "bundled")
    procs = []

    def spawn(args, log_path, on_record, on_end):
        procs.append(FakeProcess(args, log_path, on_record, on_end))
        return procs[-1]

    r = FineTuneRun(store, spawn)
    r.procs = procs
    r.seen = {"state": [], "status": [], "error": []}
    r.events.state.connect(lambda state: r.seen["state"].append(state))
    r.events.status.connect(lambda text: r.seen["status"].append(text))
    r.events.error.connect(lambda message, log, title: r.seen["error"].append(message))
    return r


def _prepared(run, heldout=1):
    """What ``finetune prepare`` leaves in the run folder."""
    data = run.run_dir / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "split.json").write_text(json.dumps({"pairs": str(data / "pairs"), "shots": None, "train": 5, "heldout": heldout,
                                                 "origins": {"p00_color.png": "/art/p00_color.png"}}))


def _start(run, tmp_path, steps=9):
    src = write_pairs(tmp_path / "Show.cpaint" / "corrected", n=6, size=(48, 48)).parent
    assert run.start("color-apply", None, TrainSettings(steps=steps, tiny=True), [str(src)], src)
    return src


def test_states_compare_equal_to_their_names():
    assert RunState.TRAINING == "training" and str(RunState.DONE) == "done" and RunState("stopped") is RunState.STOPPED
    assert [s for s in RunState if s.busy] == [RunState.PREPARING, RunState.TRAINING, RunState.STOPPING, RunState.COMPARING]


def test_no_data_is_refused_with_a_message(run):
    assert not run.start("color-apply", None, TrainSettings(), [], None)
    assert run.state == RunState.IDLE and "training data" in run.seen["error"][0] and not run.procs


def test_prepare_train_stop_resume_compare_and_save(run, tmp_path):
    _start(run, tmp_path)
    prepare = run.procs[-1]
    assert run.state == RunState.PREPARING and prepare.args[:3] == ["-m", "colorpaint.training.finetune", "prepare"]
    assert json.loads((run.run_dir / "job.json").read_text())["family"] == "color-apply"
    _prepared(run)
    prepare.end()
    train = run.procs[-1]
    assert run.state == RunState.TRAINING and train.args[:2] == ["-m", "colorpaint.training.cli"] and "--resume" not in train.args
    steps = []
    run.events.step.connect(lambda rec: steps.append(rec["step"]))
    train.on_record({"event": "step", "step": 3, "total": 9, "eta": 75, "elapsed": 5, "val": {"psnr": 20.5, "de00": 7.25}})
    assert steps == [3] and "step 3 of 9" in run.seen["status"][-1] and "held-out PSNR 20.50 dB" in run.seen["status"][-1]

    run.stop()
    assert run.state == RunState.STOPPING and train.terminated and (run.run_dir / "STOP").exists()
    run.stop()  # again while it winds down: killed
    assert train.killed
    (run.run_dir / "checkpoint.pt").write_bytes(b"state")
    train.on_record({"event": "done", "step": 3, "total": 9})
    train.end()
    assert run.state == RunState.STOPPED and run.can_resume() and "Stopped at step 3" in run.seen["status"][-1]

    assert run.resume()
    train = run.procs[-1]
    assert run.state == RunState.TRAINING and "--resume" in train.args
    tiny_weights("color-apply", run.run_dir / "color-apply.safetensors")  # what colorpaint-train exports
    train.on_record({"event": "step", "step": 9, "total": 9})
    train.on_record({"event": "done", "step": 9, "total": 9})
    train.end()
    compare = run.procs[-1]
    assert run.state == RunState.COMPARING and compare.args[2] == "compare"
    added = []
    run.events.version.connect(lambda version: added.append(version))
    metrics = {"lineart": {"psnr": 20.0, "ssim": 0.8, "de00": 8.0}}
    compare.on_record({"event": "done", "before": metrics, "after": {"lineart": {"psnr": 21.0, "ssim": 0.85, "de00": 7.0}}})
    compare.end()
    assert run.state == RunState.DONE and added == [run.last_version]
    v = run.last_version
    assert v.info["name"].startswith("Show ") and v.info["steps"] == 9 and v.info["heldout_items"] == 1
    assert v.info["base"]["name"] == "from scratch" and v.info["metrics"]["after"]["lineart"]["psnr"] == 21.0
    assert not (run.run_dir / "checkpoint.pt").exists() and not (run.run_dir / "data").exists()
    assert [s for s in run.seen["state"]] == ["preparing", "training", "stopping", "stopped", "training", "comparing", "done"]


def test_nothing_held_out_saves_without_a_comparison(run, tmp_path):
    _start(run, tmp_path, steps=3)
    _prepared(run, heldout=0)
    run.procs[-1].end()
    tiny_weights("color-apply", run.run_dir / "color-apply.safetensors")
    run.procs[-1].on_record({"event": "done", "step": 3, "total": 3})
    run.procs[-1].end()
    assert run.state == RunState.DONE and len(run.procs) == 2  # no compare process
    assert run.last_version.info["comparison"].startswith("none") and "no before/after comparison" in run.seen["status"][-1]


def test_a_failed_step_names_the_artist_s_file_and_keeps_the_models(run, tmp_path):
    _start(run, tmp_path)
    _prepared(run)
    run.procs[-1].end()
    run.procs[-1].end(f"cannot read {run.run_dir / 'data' / 'pairs' / 'p00_color.png'}")
    assert run.state == RunState.FAILED and run.last_error == "cannot read /art/p00_color.png"
    assert run.store.list_versions() == [] and not run.can_resume()


def test_stop_while_preparing_goes_back_to_idle(run, tmp_path):
    _start(run, tmp_path)
    run.stop()
    assert run.procs[-1].killed and run.stop_requested
    run.procs[-1].end("killed")
    assert run.state == RunState.IDLE and "before training began" in run.seen["status"][-1]


def test_training_data_and_version_rows(tmp_path):
    d = TrainingData()
    assert d.sources() == [] and d.project_text() == "No saved project is open" and d.split_text(0.2) == ""
    proj = write_pairs(tmp_path / "Show.cpaint" / "corrected", n=5, size=(48, 48)).parent
    d.project_dir = proj
    assert d.project_count() == 5 and "5 corrected frames in Show.cpaint" in d.project_text()
    label = d.add(write_pairs(tmp_path / "old", n=3, size=(48, 48)))
    assert label == "old  (pairs, 3 pairs)" and d.add(tmp_path / "old") is None
    assert d.sources() == [str(proj), str(tmp_path / "old")] and d.split_preview(0.2) == (6, 2)
    d.use_project = False
    assert d.sources() == [str(tmp_path / "old")]
    d.remove([str(tmp_path / "old")])
    assert d.sources() == []
    with pytest.raises((ValueError, OSError)):
        d.add(tmp_path / "missing")

    store = ModelStore(tmp_path / "models", bundled_dir=tmp_path / "bundled")
    tiny_weights("auto", tmp_path / "bundled" / "auto.safetensors")
    v = store.add_version("auto", tiny_weights("auto", tmp_path / "ft.safetensors"), {
        "name": "Show v1", "metrics": {"before": {"lineart": {"psnr": 20.0}}, "after": {"lineart": {"psnr": 21.5}}}})
    versions = store.list_versions()
    choices = base_choices(versions)
    assert [(c.family, c.weights) for c in choices[:2]] == [("auto", str(versions[0].weights)), ("auto", str(v.weights))]
    assert choices[2].weights is None and "train from scratch" in choices[2].label
    rows = version_rows(versions)
    assert rows[0].name.endswith("(read-only)") and rows[1].psnr == "20.00 → 21.50" and "Show v1" in rows[1].tooltip
    assert headline({"gray": {"psnr": 3}}) == 3.0 and fmt_eta(3725) == "1 h 02 min" and fmt_eta(None) == ""
    assert metric_rows(v.info["metrics"])[0][:4] == ("line art PSNR (dB)", "lineart", 20.0, 21.5)


def test_a_shot_run_puts_frames_into_the_project_and_ends_as_one_undo_step(tmp_path):
    from colorpaint.app.shot_run import ShotRun
    from colorpaint.core.imageio import save_image
    from colorpaint.engine.jobs import Progress
    from colorpaint.engine.pipeline import ColorizeResult
    from colorpaint.project import FrameResult, Project

    from .helpers import drawing

    for i in range(3):
        save_image(tmp_path / "shot" / f"f{i}.png", drawing(seed=i)[0])
    p = Project()
    shot = p.add_folder_shot(tmp_path / "shot")
    key = np.full((96, 128, 3), 200, np.uint8)
    p.apply_result(FrameResult(key, key, "lineart", "painted", rev=p.new_rev()), shot.frames[0])
    p.set_flags(shot.frames[0], key=True)
    run = ShotRun.prepare(p, shot, {"model": "temporal", "anchor": 0.5})
    assert list(run.keys) == [0] and run.keys[0] is not None and run.pending == {f.id for f in shot.frames[1:]}
    assert run.is_pending(p, shot.frames[1].id) and not run.is_pending(Project(), shot.frames[1].id)

    calls = []

    def engine(session_factory, sources, names, keys, hints, options, cancel):
        calls.append((names, options["model"]))
        for i in (1, 2):
            col = np.full((96, 128, 3), 50 * i, np.uint8)
            yield Progress(i / 2, f"frame {i}", index=i, frame=ColorizeResult(col, col, "lineart", "temporal", 0.1, "CPU"),
                           drift=20.0 * i)

    job = run.job(engine, lambda: None)(None)
    for prog in job:
        run.take(prog, threshold=30.0)
    assert calls == [(["f0", "f1", "f2"], "temporal")] and not run.pending and run.flagged == 1
    assert shot.frames[2].result is not None and shot.frames[2].drift == 40.0
    msg = run.finish("finished", 30.0)
    assert msg == "Colorized 2 frames of 'shot'; 1 flagged for review (drift > 30.0)"
    assert p.history.texts()[-1] == "Colorize shot shot (2 frames)"
    p.undo()
    assert shot.frames[1].result is None and shot.frames[0].result is not None
