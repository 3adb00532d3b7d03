"""Nothing the artist made is overwritten or deleted: fine-tune ``prepare`` never writes
through a link or deletes what it did not make, a save over another project writes exactly
this project, and a killed save never leaves the training data out of step."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from colorpaint.core.imageio import load_image, save_image
from colorpaint.project import FrameResult, Project, load_project, save_project
from colorpaint.training import finetune

from .helpers import drawing, write_pairs

ROOT = Path(__file__).resolve().parents[2]


def _color(seed: int, size=(48, 64)) -> np.ndarray:
    return drawing(*size, seed=seed)[1]


def _snapshot_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ fine-tune prepare
def test_prepare_keeps_same_stem_frames_apart_and_sources_untouched(tmp_path):
    shot = tmp_path / "shot"
    shot.mkdir()
    for i in range(4):
        save_image(shot / f"frame_{i:03d}.png", _color(i))
    save_image(shot / "frame_002.jpg", _color(9))  # the same stem as a PNG frame
    before = _snapshot_bytes(shot)
    res = finetune.prepare([shot], tmp_path / "run" / "data")
    assert _snapshot_bytes(shot) == before  # nothing written through a link into a source
    assert res["train"] + res["heldout"] == 5
    pairs = tmp_path / "run" / "data" / "pairs"
    colors = sorted(pairs.glob("*_color.png"))
    assert len(colors) == 5 and len({p.name for p in colors}) == 5
    # each prepared frame is its own source's picture (the JPEG's frame is not the PNG's)
    stems = {p.name[: -len("_color.png")] for p in colors}
    assert {"s0_shot-frame_002", "s0_shot-frame_002~2"} <= stems
    a, b = (load_image(pairs / f"{s}_color.png").astype(int) for s in ("s0_shot-frame_002", "s0_shot-frame_002~2"))
    assert np.abs(a - b).mean() > 5


def test_prepare_keeps_colliding_shot_names_apart(tmp_path):
    shots = tmp_path / "shots"
    for d, name, seed in (("sc1-a", "01.png", 1), ("sc1-a", "00.png", 2), ("sc1", "a-01.png", 3), ("sc1", "a-00.png", 4)):
        (shots / d).mkdir(parents=True, exist_ok=True)
        save_image(shots / d / name, _color(seed))
    before = _snapshot_bytes(shots)
    res = finetune.prepare([shots], tmp_path / "data")
    assert _snapshot_bytes(shots) == before
    assert res["train"] + res["heldout"] == 4
    assert len(list((tmp_path / "data" / "pairs").glob("*_color.png"))) == 4


def test_link_never_writes_into_an_existing_file(tmp_path, monkeypatch):
    src_a, src_b = tmp_path / "a.png", tmp_path / "b.png"
    save_image(src_a, _color(1))
    save_image(src_b, _color(2))
    a_bytes = src_a.read_bytes()
    dst = tmp_path / "set" / "x_color.png"
    dst.parent.mkdir()
    finetune._link(src_a, dst)  # a hard link to the artist's file
    with pytest.raises(FileExistsError):
        finetune._link(src_b, dst)
    assert src_a.read_bytes() == a_bytes

    def no_links(*a, **k):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)  # another file system: copies instead
    dst2 = tmp_path / "set" / "y_color.png"
    finetune._link(src_b, dst2)
    assert dst2.read_bytes() == src_b.read_bytes() and src_a.read_bytes() == a_bytes


def test_prepare_never_deletes_what_it_did_not_make(tmp_path):
    src = write_pairs(tmp_path / "pairs", n=4, size=(48, 64))
    before = _snapshot_bytes(src)
    for out in (src, src / "sub", tmp_path):  # the source, inside it, or around it
        with pytest.raises(ValueError, match="outside the sources"):
            finetune.prepare([src], out)
        assert _snapshot_bytes(src) == before
    own = tmp_path / "mine"
    own.mkdir()
    (own / "notes.txt").write_text("the artist's notes")
    with pytest.raises(ValueError, match="not empty"):
        finetune.prepare([src], own)
    assert (own / "notes.txt").read_text() == "the artist's notes"
    # through the command the trainer runs: an error event and exit status 1, nothing deleted
    r = subprocess.run([sys.executable, "-m", "colorpaint.training.finetune", "prepare", "--out", str(src), str(src)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and json.loads(r.stdout.splitlines()[-1])["event"] == "error"
    assert _snapshot_bytes(src) == before
    # a folder prepare made is cleared and made again
    out = tmp_path / "run" / "data"
    finetune.prepare([src], out)
    (out / "pairs" / "stale_color.png").write_bytes(b"old")
    finetune.prepare([src], out)
    assert not (out / "pairs" / "stale_color.png").exists() and _snapshot_bytes(src) == before


# ------------------------------------------------------------------ save over another project
def _bmp_project(tmp_path: Path, name: str, seed: int, color) -> Project:
    src = tmp_path / name / "line.bmp"
    src.parent.mkdir(parents=True)
    line = np.full((48, 64, 3), 255, np.uint8)
    cv2.circle(line, (20 + 4 * seed, 24), 12, (0, 0, 0), 2)
    save_image(src, line)  # BMP: two projects' frames have the same byte size
    p = Project.from_images([src])
    f = p.current_frame
    col = np.empty_like(line)
    col[:] = color
    p.apply_result(FrameResult(col, (col * (line / 255.0)).astype(np.uint8), "lineart", "auto", 0.1, "CPU", p.new_rev()))
    p.set_flags(f, corrected=True)
    return p


def test_saving_over_another_project_writes_exactly_this_one(tmp_path):
    a = _bmp_project(tmp_path, "a", 0, (200, 30, 30))
    folder = save_project(a, tmp_path / "Show.cpaint")
    b = _bmp_project(tmp_path, "b", 3, (30, 30, 200))  # same frame id, same revision, same file size
    assert b.current_frame.id == a.current_frame.id and b.current_frame.result.rev == a.current_frame.result.rev
    b_line = load_image(b.current_frame.source)
    save_project(b, folder)
    q = load_project(folder)
    g = q.current_frame
    assert np.array_equal(q.image(g), b_line)  # B's line art, not A's
    assert tuple(g.result.color[0, 0]) == (30, 30, 200)  # B's result, not A's
    assert tuple(load_image(folder / "corrected" / f"{g.id}_color.png")[5, 5]) == (30, 30, 200)
    assert np.array_equal(load_image(folder / "corrected" / f"{g.id}_line.png"), b_line)


# ------------------------------------------------------------------ killed saves
CHILD = r"""
import sys, time
import numpy as np
from colorpaint.project import FrameResult, load_project, save_project
folder = sys.argv[1]
p = load_project(folder)
print("ready", flush=True)
i = 0
while True:
    i += 1
    for k, f in enumerate(p.frames()):
        img = p.image(f)
        col = np.empty_like(img)
        col[:] = ((i * 37 + k * 11) % 256, (i * 91) % 256, (k * 53) % 256)
        p.apply_result(FrameResult(col, (col * (img / 255.0)).astype(np.uint8), "lineart", "auto", 0.1, "CPU", p.new_rev()), f)
        p.set_flags(f, corrected=(i + k) % 3 != 0)
    save_project(p)
"""


def _check_agrees(folder: Path) -> None:
    q = load_project(folder)  # opening settles what a killed save left
    doc = json.loads((folder / "project.json").read_text())
    marked = {fe["id"]: fe for s in doc["shots"] for fe in s["frames"] if fe["corrected"] and fe["result"]}
    corrected = folder / "corrected"
    ids = {p.name.split("_")[0] for p in corrected.glob("*.png")} if corrected.is_dir() else set()
    assert ids == set(marked), "corrected/ holds other frames than the project marks"
    for fid, fe in marked.items():
        assert np.array_equal(load_image(corrected / f"{fid}_color.png"), load_image(folder / fe["result"]["composite"])), \
            f"{fid}: the training example is not the project's result"
        assert (corrected / f"{fid}_line.png").exists()
    assert not [p for p in folder.rglob(".*.tmp")], "temporary files left behind"
    assert not [p for p in folder.iterdir() if p.name.startswith(".corrected-")]
    assert all(f.corrected == (f.id in marked) for f in q.frames())


def test_killed_saves_never_leave_the_training_data_out_of_step(tmp_path):
    srcs = []
    for i in range(4):
        p = tmp_path / "src" / f"f{i}.png"
        line = np.full((160, 200, 3), 255, np.uint8)
        cv2.circle(line, (60 + 10 * i, 80), 40, (0, 0, 0), 2)
        save_image(p, line)
        srcs.append(p)
    proj = Project.from_images(srcs)
    folder = save_project(proj, tmp_path / "Kill.cpaint")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rng = random.Random(0)
    for round_ in range(12):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder)], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
            time.sleep(rng.uniform(0.05, 0.6))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        _check_agrees(folder)


def test_marked_between_saves_then_killed_opens_as_saved(tmp_path):
    """A frame marked corrected (its example written at once) but never saved: the next
    open brings corrected/ back to what project.json says."""
    from colorpaint.project.io import write_corrected

    a = _bmp_project(tmp_path, "a", 0, (200, 30, 30))
    a.set_flags(a.current_frame, corrected=False)
    folder = save_project(a, tmp_path / "P.cpaint")
    f = a.current_frame
    write_corrected(folder, f.id, f.source, f.result.composite, "lineart")  # what Corrected does at once
    assert (folder / "corrected" / f"{f.id}_color.png").exists()
    _check_agrees(folder)  # the project was never saved with the mark: the example goes
    assert not (folder / "corrected" / f"{f.id}_color.png").exists()


def test_saved_files_follow_the_users_umask(tmp_path):
    """Exports and saves are shared with the studio: not private 0600 temporary files."""
    from colorpaint.core import atomic

    a = _bmp_project(tmp_path, "a", 0, (200, 30, 30))
    folder = save_project(a, tmp_path / "Share.cpaint")
    png = save_image(tmp_path / "export.png", _color(1))
    want = 0o666 & ~atomic._UMASK
    for p in (png, folder / "project.json", *folder.rglob("*.png"), *folder.rglob("*.bmp")):
        assert p.stat().st_mode & 0o777 == want, p


def test_fine_tuned_weights_travel_with_the_project(tmp_path):
    """A project that uses a fine-tuned version opens with it on another machine: the
    weights are copied into the project; where the model folder still has them, those are used."""
    import shutil

    from colorpaint.app.model_choice import VERSIONS_KEY, ModelChoice

    from .helpers import tiny_weights

    store = tmp_path / "models" / "auto" / "ep4"
    w = tiny_weights("auto", store / "auto.safetensors")
    a = _bmp_project(tmp_path, "a", 0, (200, 30, 30))
    a.set_setting(VERSIONS_KEY, {"auto": str(w)})
    folder = save_project(a, tmp_path / "Show.cpaint")
    doc = json.loads((folder / "project.json").read_text())
    rel = doc["settings"][VERSIONS_KEY]["auto"]
    assert not Path(rel).is_absolute() and (folder / rel).read_bytes() == w.read_bytes()
    assert load_project(folder).settings[VERSIONS_KEY]["auto"] == str(w)  # this machine: the model folder's file
    moved = tmp_path / "other machine" / "Show.cpaint"
    shutil.copytree(folder, moved)
    shutil.rmtree(tmp_path / "models")  # the model folder is not there
    q = load_project(moved)
    assert Path(q.settings[VERSIONS_KEY]["auto"]) == (moved / rel).resolve()
    assert ModelChoice().attach(q) is None  # nothing reported missing: the copy is used


def test_mp4_export_is_h264_that_players_read(tmp_path):
    """Browsers and editors play H.264; odd sizes are padded, every frame is there."""
    import av

    from colorpaint.core.frames import read_video, write_video

    frames = [np.full((45, 61, 3), (20 * t, 100, 200 - 20 * t), np.uint8) for t in range(6)]
    p = write_video(tmp_path / "shot.mp4", iter(frames), fps=12)
    with av.open(str(p)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert (s.codec_context.width, s.codec_context.height) == (62, 46)
    back = [f for _, f in read_video(p)]
    assert len(back) == 6 and abs(int(back[3][10, 10, 0]) - 60) < 8
    assert p.stat().st_mode & 0o777 == 0o666 & ~__import__("colorpaint.core.atomic", fromlist=["_UMASK"])._UMASK
    assert not [q for q in tmp_path.iterdir() if q.name.startswith(".")]
