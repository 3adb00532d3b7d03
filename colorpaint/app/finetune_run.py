"""A fine-tune run of the Train panel, without widgets: its data, its state machine, the
version it saves.

Every heavy step runs in a child process speaking JSON lines (see
:mod:`colorpaint.training.finetune`), so a crash there never takes the window down::

    prepare  (finetune prepare: split the data, hold out the last 20 % of each source)
      -> train    (colorpaint-train --progress json; Stop = SIGTERM + RUN/STOP, checkpoint kept;
                   Resume = --resume on the same run)
      -> compare  (finetune compare: held-out metrics before/after + comparison image)
      -> ModelStore.add_version(...)

``RUN`` is a fresh folder under ``ModelStore.runs_dir``; every line the children print goes
to ``RUN/train.log``. A failed run changes no model version. After a successful one the
version folder keeps the weights, info.json, comparison.png and log, and the run's
checkpoint and data links are removed.

:class:`FineTuneRun` starts children through a ``spawn`` function (the Train panel's makes
a QProcess; a test's can be a fake) and announces what happens on :attr:`FineTuneRun.events`.
No Qt here.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Callable

from ..core.pairs import count_pairs
from ..engine.model_store import ModelStore, ModelVersion
from ..models import registry
from ..project.events import EmitterGroup
from ..training import finetune
from ..training.finetune import TrainSettings

METRICS = (("psnr", "PSNR (dB)", True), ("ssim", "SSIM", True), ("de00", "ΔE00", False))  # key, label, higher is better


class RunState(str, Enum):
    """Where a run is (equal to its name as a string: ``RunState.TRAINING == "training"``)."""

    IDLE = "idle"
    PREPARING = "preparing"
    TRAINING = "training"
    STOPPING = "stopping"
    STOPPED = "stopped"
    COMPARING = "comparing"
    DONE = "done"
    FAILED = "failed"

    @property
    def busy(self) -> bool:
        """A child process works for this state (the run's inputs are locked meanwhile)."""
        return self in (RunState.PREPARING, RunState.TRAINING, RunState.STOPPING, RunState.COMPARING)

    @property
    def stoppable(self) -> bool:
        return self in (RunState.PREPARING, RunState.TRAINING, RunState.STOPPING)

    def __str__(self) -> str:
        return self.value


def gpu_available() -> bool:
    """Whether torch sees a CUDA device (imports torch: call it on a worker)."""
    import torch

    return bool(torch.cuda.is_available())


def fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else (f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s")


def headline(rep) -> float | None:
    """PSNR of a metrics report: line art first, else gray."""
    if not isinstance(rep, dict):
        return None
    for kind in ("lineart", "gray"):
        if isinstance(rep.get(kind), dict) and "psnr" in rep[kind]:
            return float(rep[kind]["psnr"])
    return None


# ====================================================================== the data
class TrainingData:
    """What a run trains on: the open project's corrected frames (when chosen) and the
    folders and videos added, in that order."""

    def __init__(self) -> None:
        self.project_dir: Path | None = None  # the saved project's folder (NAME.cpaint), if any
        self.use_project = True
        self.extra: list[tuple[str, str]] = []  # (path, label) of each folder or video added

    def project_count(self) -> int:
        """Corrected frames in the project's ``corrected/`` folder."""
        d = self.project_dir / "corrected" if self.project_dir else None
        return count_pairs(d) if d and d.is_dir() else 0

    def project_text(self) -> str:
        if not self.project_dir:
            return "No saved project is open"
        n = self.project_count()
        hint = "" if n else " (mark frames as corrected and save to add them)"
        return f"{n} corrected frame{'s' * (n != 1)} in {self.project_dir.name}{hint}"

    def add(self, path) -> str | None:
        """Add a folder or video; its label, or None when it was already added. Raises
        ValueError or OSError (one line) when it holds nothing usable."""
        path = Path(path)
        kind = finetune.source_kind(path)
        n = finetune.count_items(path)
        if any(p == str(path) for p, _ in self.extra):
            return None
        noun = {"video": "sampled frames", "sequence": "frames", "sequences": "frames"}.get(kind, "pairs" if kind == "pairs" else "frames")
        label = f"{path.name}  ({kind}, {n} {noun})"
        self.extra.append((str(path), label))
        return label

    def remove(self, paths) -> None:
        gone = {str(p) for p in paths}
        self.extra = [(p, label) for p, label in self.extra if p not in gone]

    def sources(self) -> list[str]:
        """The sources a run would train on, in order: the project first (when chosen)."""
        out = [str(self.project_dir)] if self.project_dir and self.use_project and self.project_count() else []
        return out + [p for p, _ in self.extra]

    def split_preview(self, holdout: float) -> tuple[int, int]:
        """(training frames, held-out frames) the sources and ``holdout`` share (0..1) will give."""
        train = held = 0
        for src in self.sources():
            try:
                n = finetune.count_items(src)
            except (ValueError, OSError):
                continue
            k = finetune.split_holdout(n, holdout)
            train, held = train + n - k, held + k
        return train, held

    def split_text(self, holdout: float) -> str:
        """What the split will be, said before starting ("" without sources)."""
        if not self.sources():
            return ""
        train, held = self.split_preview(holdout)
        if held:
            return (f"{train} frame{'s' * (train != 1)} to train on; the last {held} "
                    f"(by name order) held out to compare before and after.")
        return (f"{train} frame{'s' * (train != 1)} to train on and none to hold out: every source needs "
                "two or more frames (and a hold-out share above 0) for an honest before/after comparison. "
                "The run trains, and its numbers are on the training frames.")


# ====================================================================== versions
@dataclass(frozen=True)
class BaseChoice:
    """A model a run can start from: ``weights`` of ``family``, or None to train from scratch."""

    label: str
    family: str
    weights: str | None


def base_choices(versions: list[ModelVersion]) -> list[BaseChoice]:
    """Every listed version, then each family that has no weights yet (trained from scratch)."""
    out = [BaseChoice(v.label, v.family, str(v.weights)) for v in versions]
    have = {v.family for v in versions}
    out += [BaseChoice(f"{fam}: no weights yet (train from scratch)", fam, None) for fam in registry.names() if fam not in have]
    return out


@dataclass(frozen=True)
class VersionRow:
    """A version as the version list shows it."""

    version: ModelVersion
    name: str
    family: str
    psnr: str  # "before → after" of a fine-tuned version's held-out PSNR, else ""
    tooltip: str


def version_rows(versions: list[ModelVersion]) -> list[VersionRow]:
    rows = []
    for v in versions:
        m = v.info.get("metrics") or {}
        psnr = ""
        if not v.bundled and isinstance(m.get("after"), dict):
            b, a = headline(m.get("before")), headline(m.get("after"))
            psnr = f"{b:.2f} → {a:.2f}" if b is not None and a is not None else ""
        base = (v.info.get("base") or {}).get("name", "")
        tip = [f"{v.family}: {v.name}", f"{v.info.get('steps', '?')} steps, {v.info.get('date', '')}"]
        tip += [f"fine-tuned from {base}"] if base else []
        tip += [f"held-out PSNR before → after: {psnr} dB"] if psnr else []
        tip += [str(v.weights)]
        rows.append(VersionRow(v, v.name + ("  (read-only)" if v.bundled else ""), v.family, psnr, "\n".join(tip)))
    return rows


def metric_rows(metrics: dict) -> list[tuple[str, str, float | None, float | None, bool]]:
    """The before/after table: (row label, kind, before, after, higher is better) per metric
    of each input kind the run was scored on."""
    before, after = metrics.get("before") or {}, metrics.get("after") or {}
    return [(f"{'line art' if kind == 'lineart' else 'gray'} {label}", kind, (before.get(kind) or {}).get(key),
             (after.get(kind) or {}).get(key), hib)
            for kind in ("lineart", "gray") if kind in after for key, label, hib in METRICS]


# ====================================================================== the run
Spawn = Callable[[list, Path, Callable[[dict], None], Callable[[str], None]], object]


class FineTuneRun:
    """The state machine of one fine-tune run at a time (see the module docstring).

    ``spawn(args, log_path, on_record, on_end)`` makes a child process running
    ``python ARGS`` and returns its handle (not started): ``start()``, ``running()``,
    ``terminate()``, ``kill()``, ``wait(ms)`` and ``error_message`` (the child's ``error``
    event). It calls ``on_record(dict)`` for each JSON line and ``on_end(message)`` once
    ('' on success).

    Events (keyword arguments): ``state(state)``; ``status(text)``; ``progress(text, value,
    maximum)`` (None: unchanged; maximum 0: busy); ``started(steps)`` a new run began;
    ``log(text)``; ``step(rec)`` each colorpaint-train step; ``sample(path)``;
    ``error(message, log, title)`` (``log``: about the run, its log has more);
    ``error_cleared()``; ``results(metrics, comparison, held)``; ``caption(held)``;
    ``version(version)`` saved.
    """

    def __init__(self, store: ModelStore, spawn: Spawn) -> None:
        self.store, self.spawn = store, spawn
        self.state = RunState.IDLE
        self.run_dir: Path | None = None
        self.job: dict = {}
        self.proc = None
        self.last_step: dict = {}
        self.last_error = ""
        self.last_version: ModelVersion | None = None
        self.stop_requested = False
        self._done_rec: dict = {}
        self._last_val: dict = {}
        self._compare: dict = {}
        self.events = EmitterGroup("state", "status", "progress", "started", "log", "step", "sample", "error", "error_cleared",
                                   "results", "caption", "version")

    # ------------------------------------------------------------------ reading
    @property
    def log_path(self) -> Path | None:
        return self.run_dir / "train.log" if self.run_dir else None

    def is_busy(self) -> bool:
        """A child process is running."""
        return self.proc is not None and self.proc.running()

    def can_resume(self) -> bool:
        return (not self.state.busy and self.run_dir is not None and (self.run_dir / "checkpoint.pt").exists()
                and self.state in (RunState.STOPPED, RunState.FAILED))

    # ------------------------------------------------------------------ steps
    def _set_state(self, state: RunState) -> None:
        self.state = state
        self.events.state(state=state)

    def _status(self, text: str) -> None:
        self.events.status(text=text)

    def _progress(self, text: str, value: int | None = None, maximum: int | None = None) -> None:
        self.events.progress(text=text, value=value, maximum=maximum)

    def _spawn(self, args: list[str], on_record, on_end) -> None:
        self.proc = self.spawn(args, self.log_path, on_record, on_end)
        self.proc.start()

    def start(self, family: str, base: str | None, settings: TrainSettings, sources: list[str], project_dir: Path | None) -> bool:
        """Start a new run on ``sources`` from ``base`` weights of ``family`` (None: from
        scratch): prepare the data, then train. False when one is running or there are no
        sources (with an error event saying so)."""
        if self.is_busy():
            return False
        if not sources:
            self.last_error = "Choose training data first: this project's corrected frames, a folder or a video."
            self.events.error(message=self.last_error, log=False, title="")
            return False
        s = settings
        self.run_dir = self.store.new_run_dir(family)
        base_v = self.store.find(base) if base else None
        self.job = {"family": family, "base": base or None, "base_name": base_v.name if base_v else "", "sources": sources,
                    "settings": asdict(s), "project": str(project_dir) if project_dir else None,
                    "started": time.strftime("%Y-%m-%d %H:%M")}
        (self.run_dir / "job.json").write_text(json.dumps(self.job, indent=2))
        self.last_error, self.last_step, self.last_version = "", {}, None
        self._last_val = {}
        self.events.error_cleared()
        self.events.started(steps=s.steps)
        self._progress("preparing…", maximum=0)  # busy until the first step
        self._status(f"Preparing the data ({len(sources)} source{'s' * (len(sources) != 1)})…")
        self.stop_requested = False
        args = ["-m", "colorpaint.training.finetune", "prepare", *sources, "--out", str(self.run_dir / "data"),
                "--holdout", f"{s.holdout:g}"] + (["--max-items", str(s.max_items)] if s.max_items else [])
        self._set_state(RunState.PREPARING)
        self._spawn(args, self._on_record, self._prepared)
        return True

    def _prepared(self, error: str) -> None:
        if self.stop_requested:
            self._status("Stopped before training began.")
            self._progress("stopped", 0, 1)
            self._set_state(RunState.IDLE)
            return
        if error:
            return self._fail(error)
        split = json.loads((self.run_dir / "data" / "split.json").read_text())
        self.job["split"] = {k: split[k] for k in ("pairs", "shots", "train", "heldout")}
        (self.run_dir / "job.json").write_text(json.dumps(self.job, indent=2))
        self._train(resume=False)

    def _train(self, resume: bool) -> None:
        j = self.job
        s = TrainSettings(**j["settings"])
        data = [j["split"]["pairs"]] + ([j["split"]["shots"]] if j["split"].get("shots") else [])
        args = ["-m", "colorpaint.training.cli", *finetune.train_argv(j["family"], data, self.run_dir, s, j["base"], resume)]
        held = j["split"]["heldout"]
        n = j["split"]["train"]
        self._status(f"{'Resuming' if resume else 'Training'} {j['family']} on {n} frame{'s' * (n != 1)} "
                     f"({f'{held} held out' if held else 'none held out: the numbers are on training frames'})… starting")
        self.events.caption(held=bool(held))
        self._progress("starting…", self.last_step.get("step", 0) if resume else 0, s.steps)
        self.stop_requested = False
        self._done_rec = {}
        self.events.error_cleared()
        self._set_state(RunState.TRAINING)
        self._spawn(args, self._on_record, self._trained)

    def resume(self) -> bool:
        """Continue the stopped (or crashed) run from its last checkpoint."""
        if self.is_busy() or not self.run_dir or not (self.run_dir / "checkpoint.pt").exists():
            return False
        self._train(resume=True)
        return True

    def stop(self) -> None:
        """Ask the running step to stop: training saves a checkpoint and exports its weights
        (Resume continues it). Asking again while it winds down kills the process."""
        if not self.is_busy():
            return
        if self.state == RunState.STOPPING:
            self.proc.kill()
            return
        self.stop_requested = True
        if self.state == RunState.TRAINING:
            from ..training import STOP_FILE

            self._set_state(RunState.STOPPING)
            self._status("Stopping after the current batch…")
            (self.run_dir / STOP_FILE).touch()  # what Windows sees: terminate() is no signal there
            self.proc.terminate()
        else:
            self.proc.kill()

    def _on_record(self, rec: dict) -> None:
        ev = rec.get("event")
        if ev == "log":
            self.events.log(text=str(rec.get("message", "")))
        elif ev == "step":
            self.last_step = rec
            step, total = int(rec.get("step", 0)), int(rec.get("total", 1))
            self._progress(f"step {step} / {total}  ·  ETA {fmt_eta(rec.get('eta'))}", step, total)
            val = self._last_val = rec.get("val") or self._last_val
            which = "held-out" if self.job.get("split", {}).get("heldout") else "training-frame"
            extra = f"  ·  {which} PSNR {val['psnr']:.2f} dB, ΔE00 {val['de00']:.2f}" if "psnr" in val and "de00" in val else ""
            self._status(f"Training {self.job.get('family')}: step {step} of {total}, {fmt_eta(rec.get('elapsed'))} elapsed{extra}")
            if rec.get("sample"):
                self.events.sample(path=rec["sample"])
            self.events.step(rec=rec)
        elif ev == "done":
            self._done_rec = rec
            if rec.get("sample"):
                self.events.sample(path=rec["sample"])

    def _trained(self, error: str) -> None:
        weights = self.run_dir / f"{self.job['family']}.safetensors"
        done = self._done_rec
        early = not error and done.get("step", 0) < done.get("total", 0)  # SIGTERM from elsewhere, e.g. a logout
        if (self.stop_requested and not self.proc.error_message) or early:
            step = done.get("step") or self.last_step.get("step", 0)
            self._status(f"Stopped at step {step}. The checkpoint is kept: Resume continues from it.")
            self._progress(f"stopped at step {step}")
            self._set_state(RunState.STOPPED)
            return
        if error:
            return self._fail(error)
        if not self.job["split"]["heldout"]:  # nothing held out: no comparison to make, and none is faked
            self._compare = {}
            return self._compared("", compared=False)
        self._status("Training finished. Scoring the held-out frames before and after…")
        self._progress("comparing before and after…", value=-1)  # -1: full
        self._set_state(RunState.COMPARING)
        j = self.job
        args = ["-m", "colorpaint.training.finetune", "compare", "--family", j["family"], "--before", j["base"] or "",
                "--after", str(weights), "--data", j["split"]["pairs"], "--out", str(self.run_dir), "--device", j["settings"]["device"]]
        self._compare = {}
        self._spawn(args, self._on_compare_record, self._compared)

    def _on_compare_record(self, rec: dict) -> None:
        if rec.get("event") == "log":
            self.events.log(text=str(rec.get("message", "")))
        elif rec.get("event") == "done":
            self._compare = rec

    def _compared(self, error: str, compared: bool = True) -> None:
        j = self.job
        weights = self.run_dir / f"{j['family']}.safetensors"
        rec = self._compare if not error else {}
        info = self.version_info(rec, error, compared)
        try:
            v = self.store.add_version(j["family"], weights, info, files={"comparison": rec.get("comparison"), "log": self.log_path})
        except (ValueError, OSError) as e:
            return self._fail(f"the trained weights could not be saved as a model version: {e}")
        self.last_version = v
        # the version folder now holds what is kept; the bulky resume state and data links go
        (self.run_dir / "checkpoint.pt").unlink(missing_ok=True)
        shutil.rmtree(self.run_dir / "data", ignore_errors=True)
        self.events.version(version=v)
        if compared:
            self.events.results(metrics=info["metrics"], comparison=self.store.info_file(v, "comparison"))
        self._progress("done")
        if error:
            self.last_error = f"{error}. The new version was saved without it."
            self.events.error(message=self.last_error, log=True, title="The before/after comparison failed")
            self._status(f"Saved “{v.name}” without a comparison.")
        elif not compared:
            self._status(f"Done: saved “{v.name}”. No frames were held out, so there is no before/after comparison.")
        else:
            self._status(f"Done: saved “{v.name}”. Use it from the model picker or with “Use this model”.")
        self._set_state(RunState.DONE)

    def version_info(self, compare: dict, error: str = "", compared: bool = True) -> dict:
        """info.json of the version this run saves: its name, base, data, steps, metrics."""
        j = self.job
        weights = self.run_dir / f"{j['family']}.safetensors"
        steps = self.last_step.get("step") or j["settings"]["steps"]
        try:
            from ..engine.weights import read_metadata

            steps = read_metadata(weights).get("steps", steps)
        except ValueError:
            pass
        date = time.strftime("%Y-%m-%d %H:%M")
        who = Path(j["project"]).stem if j.get("project") and j["project"] in j["sources"] else j["family"]
        info = {"name": f"{who} {date}", "family": j["family"], "date": date, "steps": steps,
                "base": {"weights": j["base"], "name": j.get("base_name") or ("from scratch" if not j["base"] else Path(j["base"]).name)},
                "data": j["sources"], "train_items": j["split"]["train"], "heldout_items": j["split"]["heldout"], "settings": j["settings"],
                "metrics": {"before": compare.get("before", {}), "after": compare.get("after", {})}, "run": str(self.run_dir)}
        if error:
            info["comparison_error"] = error
        if not compared:
            info["comparison"] = "none: no frames were held out"
        return info

    def original_paths(self, message: str) -> str:
        """``message`` with the run's linked data files replaced by the artist's own files."""
        try:
            origins = json.loads((self.run_dir / "data" / "split.json").read_text())["origins"]
        except (OSError, ValueError, KeyError, TypeError):
            return message
        pairs = self.run_dir / "data" / "pairs"
        for name, origin in origins.items():
            message = message.replace(str(pairs / name), origin)
        return message

    def _fail(self, message: str) -> None:
        self.last_error = message = self.original_paths(message)
        self._status("Training failed. The model list is unchanged.")
        self._progress("failed", 0, 1)
        self.events.error(message=message, log=True, title="Training failed")
        self._set_state(RunState.FAILED)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop any child process (training keeps its checkpoint)."""
        if self.is_busy():
            self.stop_requested = True
            self.proc.terminate()
            if not self.proc.wait(timeout_ms):
                self.proc.kill()
                self.proc.wait(3000)
