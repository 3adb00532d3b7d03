"""Fine-tuning helpers the trainer tab drives: the held-out split, colorpaint-train's
arguments, and stopping a run with OUT/STOP (how a stop reaches it where SIGTERM cannot)."""
import json
import os
import subprocess
import sys

import pytest

from colorpaint.training import finetune
from colorpaint.training.finetune import TrainSettings

from .helpers import write_pairs, write_sequence


def test_finetune_split_holds_out_the_latest_frames(tmp_path):
    """The data split the trainer tab uses: the last 20 % of each source, never all of it."""
    proj = tmp_path / "Show.cpaint"
    write_pairs(proj / "corrected", n=10, size=(64, 64))
    write_sequence(tmp_path / "shots" / "s1", n=5, size=(64, 64))
    write_sequence(tmp_path / "shots" / "s2", n=5, size=(64, 64))
    one = write_pairs(tmp_path / "one", n=1, size=(64, 64))
    res = finetune.prepare([proj, tmp_path / "shots", one], tmp_path / "data")
    rows = json.loads((tmp_path / "data" / "split.json").read_text())["items"]
    held = [r["id"] for r in rows if r["split"] == "val"]
    assert held == ["s0_p08", "s0_p09", "s1_s2-frame_003", "s1_s2-frame_004"]
    assert res["train"] == 8 + 8 + 1 and res["heldout"] == 4
    pairs = tmp_path / "data" / "pairs"
    # held-out items get fixed line art and gray inputs; training items stay color (+ their own lines)
    assert (pairs / "s1_s2-frame_004_line.png").exists() and (pairs / "s1_s2-frame_004_gray.png").exists()
    assert not (pairs / "s1_s2-frame_000_line.png").exists()
    # whole training shots for the temporal model, marked train for colorpaint-train
    from colorpaint.training.datasets import scan

    _, _, shots, vshots = scan([tmp_path / "data" / "shots"], scale=64, log=lambda m: None)
    assert sorted(s.group for s in shots) == ["s1_s1", "s1_s2"] and not vshots
    assert finetune.split_holdout(1) == 0 and finetune.split_holdout(2) == 1 and finetune.split_holdout(100) == 20
    with pytest.raises(ValueError, match="no training frames"):
        (tmp_path / "Empty.cpaint" / "corrected").mkdir(parents=True)
        finetune.prepare([tmp_path / "Empty.cpaint"], tmp_path / "d2")


def test_train_argv():
    s = TrainSettings(steps=40, size=96, lr=5e-5, batch=2, device="cpu")
    argv = finetune.train_argv("temporal", ["d/pairs", "d/shots"], "run", s, init="base.safetensors")
    assert argv[argv.index("--data") + 1: argv.index("--data") + 3] == ["d/pairs", "d/shots"]
    assert argv[argv.index("--val-every") + 1] == "2" and argv[argv.index("--scale") + 1] == "256"
    assert argv[argv.index("--lr") + 1] == "5e-05" and "--tiny" not in argv and "--resume" not in argv
    argv = finetune.train_argv("auto", ["d"], "run", TrainSettings(tiny=True), resume=True)
    assert "--tiny" in argv and "--resume" in argv and "--init" not in argv
    assert finetune.default_settings(gpu=True).batch > finetune.default_settings(gpu=False).batch


def test_stop_file_stops_training_with_a_checkpoint(tmp_path):
    data = write_pairs(tmp_path / "pairs", n=4, size=(64, 64))
    out = tmp_path / "run"
    out.mkdir()
    (out / "STOP").touch()  # a stale file from an earlier stop must not stop the next run at once
    argv = [sys.executable, "-m", "colorpaint.training.cli", "--model", "auto", "--tiny", "--data", str(data), "--steps", "500",
            "--size", "64", "--scale", "64", "--batch", "2", "--val-every", "2", "--val-items", "2", "--out", str(out), "--progress", "json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    recs = []
    try:
        for line in proc.stdout:
            recs.append(json.loads(line))
            if recs[-1]["event"] == "step":
                (out / "STOP").touch()
        proc.wait(timeout=120)
    finally:
        proc.kill()
    done = recs[-1]
    assert proc.returncode == 0 and done["event"] == "done", recs[-3:]
    assert 2 <= done["step"] < 500 and (out / "checkpoint.pt").exists() and (out / "auto.safetensors").exists()
