"""Nothing the artist made is lost when a process dies mid-write (issue 8).

* A save killed at any moment leaves the previous file byte-identical (temporary file,
  flush, fsync, rename): the child process is killed with SIGKILL while a slowed-down
  writer is halfway through, or dies just before the rename.
* A training run killed with SIGKILL (several times, at varying moments) resumes from its
  last checkpoint, and its exported weights file loads at every moment we look.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from colorpaint.core.imageio import load_image, save_image
from colorpaint.engine.weights import load_weights

from .helpers import write_pairs

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(r"""
    import os, sys, time
    import numpy as np
    from colorpaint.core import atomic, imageio

    dst, mode, ready = sys.argv[1], sys.argv[2], sys.argv[3]

    class SlowFile:
        # writes the first chunk, tells the parent, then hangs: the parent kills us mid-write
        def __init__(self, fh):
            self.fh, self.n = fh, 0
        def write(self, b):
            self.fh.write(b)
            self.n += len(b)
            if self.n > 4096:
                self.fh.flush()
                if mode == "exit-mid-write":
                    os._exit(9)
                open(ready, "w").close()
                time.sleep(600)
            return len(b)
        def __getattr__(self, k):
            return getattr(self.fh, k)
        def __enter__(self):
            return self
        def __exit__(self, *a):
            self.fh.close()

    class Os:
        def __getattr__(self, k):
            return getattr(os, k)
        def fdopen(self, fd, *a, **k):
            fh = os.fdopen(fd, *a, **k)
            return SlowFile(fh) if mode.endswith("mid-write") else fh
        def replace(self, a, b):
            if mode == "exit-before-rename":
                os._exit(9)  # the new file is complete and fsynced, but never renamed
            return os.replace(a, b)

    atomic.os = Os()  # where every file is written
    big = np.random.default_rng(1).integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    imageio.save_image(dst, big)
    print("saved", flush=True)
""")


@pytest.mark.parametrize("mode", ["kill-mid-write", "exit-mid-write", "exit-before-rename"])
def test_killed_save_keeps_previous_file(tmp_path, mode):
    dst = tmp_path / "shot_0001.png"
    old = np.zeros((120, 160, 3), np.uint8)
    old[:, :80] = (200, 40, 40)
    save_image(dst, old)
    before = dst.read_bytes()
    ready = tmp_path / "ready"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(dst), mode, str(ready)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if mode == "kill-mid-write":
            deadline = time.time() + 60
            while not ready.exists() and child.poll() is None and time.time() < deadline:
                time.sleep(0.02)
            assert ready.exists(), child.stderr.read() if child.poll() is not None else "child never started writing"
            child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode in (-signal.SIGKILL, 9), err
    assert "saved" not in out
    # the destination is the previous file, byte for byte, and still loads
    assert dst.read_bytes() == before
    assert np.array_equal(load_image(dst), old)
    # the interrupted write is only a hidden temporary file (frame lists skip dot files)
    leftovers = [p for p in tmp_path.iterdir() if p.name not in (dst.name, "ready")]
    assert leftovers and all(p.name.startswith(".") and p.name.endswith(".tmp") for p in leftovers)
    assert all(p.stat().st_size > 0 for p in leftovers)  # it really died mid-save
    # and a later save still works
    new = np.full((10, 10, 3), 7, np.uint8)
    save_image(dst, new)
    assert np.array_equal(load_image(dst), new)


# ------------------------------------------------------------------------ training
def _train_cmd(data: Path, out: Path, steps: int, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "colorpaint.training.cli", "--model", "color-apply", "--data", str(data), "--tiny",
           "--steps", str(steps), "--size", "64", "--scale", "64", "--batch", "2", "--val-every", "5", "--val-items", "2",
           "--threads", "1", "--out", str(out), "--progress", "json"]
    return cmd + (["--resume"] if resume else [])


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _ckpt_step(out: Path) -> int:
    state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)
    return int(state["step"])


def _check_model_files(out: Path) -> int:
    """Every *.safetensors in the run folder loads (what a model list would show); returns how many."""
    files = sorted(out.glob("*.safetensors"))
    for f in files:
        _, meta = load_weights(f, family="color-apply")
        assert meta["trained"] and meta["steps"] > 0
    return len(files)


def test_killed_training_resumes_from_checkpoint(tmp_path):
    data = write_pairs(tmp_path / "pairs", n=6, size=(64, 64))
    out = tmp_path / "run"
    rng = np.random.default_rng(0)
    last_step, observed = 0, 0
    for round_ in range(3):
        proc = subprocess.Popen(_train_cmd(data, out, 200, resume=round_ > 0), env=_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            # wait for a checkpoint newer than the one we resumed from, checking the exported
            # weights every time we look, then kill -9 at a slightly random moment
            deadline = time.time() + 120
            while time.time() < deadline and proc.poll() is None:
                observed += _check_model_files(out) if out.exists() else 0
                if (out / "checkpoint.pt").exists() and _ckpt_step(out) > last_step:
                    break
                time.sleep(0.05)
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(float(rng.uniform(0.0, 0.6)))
            proc.send_signal(signal.SIGKILL)
            stdout, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        recs = [json.loads(l) for l in stdout.splitlines() if l.startswith("{")]
        assert not any(r["event"] in ("done", "error") for r in recs)
        if round_ > 0:
            assert any(f"resumed from step {last_step}" in r.get("message", "") for r in recs), recs[:3]
        # after the kill: the checkpoint and the exported weights are whole
        step = _ckpt_step(out)
        assert step > last_step
        assert _check_model_files(out) == 1
        last_step = step
    assert observed > 0
    # a last resume runs to the end from the checkpoint's step
    target = last_step + 6
    r = subprocess.run(_train_cmd(data, out, target, resume=True), env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    recs = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert any(f"resumed from step {last_step}" in x.get("message", "") for x in recs)
    steps = [x["step"] for x in recs if x["event"] == "step"]
    assert steps and steps[0] > last_step and steps[-1] == target
    assert recs[-1]["event"] == "done"
    _, meta = load_weights(out / "color-apply.safetensors", family="color-apply")
    assert meta["steps"] == target
    assert json.loads((out / "config.json").read_text())["model"] == "color-apply"
