"""Hostile images, frame folders and arguments: one clear line, exit 2, nothing overwritten.

Hint images and frames go through the same loader as every other image (size limit,
memory estimate, truncation check, regular files only); video shots are read frame by
frame; outputs never collide or land in the shot's own folder; odd paths and arguments
get a message that says what is wrong. Files are made here and stay small: memory limits
are tested by replacing the available-memory probe, never by allocating.
"""
from __future__ import annotations

import io
import os
import struct
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile

from colorpaint import cli
from colorpaint.core import frames as frames_mod
from colorpaint.core import imageio
from colorpaint.core.imageio import ImageError, load_image, load_rgba

from .helpers import drawing, tiny_weights, write_sequence


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    d = tmp_path_factory.mktemp("w")
    return {n: tiny_weights(n, d / f"{n}.safetensors") for n in ("auto", "temporal")}


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _png_header_only(w: int, h: int, color_type: int = 0, rows: int = 0) -> bytes:
    """A well-formed PNG declaring ``w`` x ``h`` whose complete zlib stream holds only ``rows`` rows
    (a truncated file that still ends in IEND); ``rows=0``: a few bytes of data."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    raw = (b"\x00" * (1 + w * channels)) * rows if rows else b"\x00" * 64
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def _png(a: np.ndarray, mode: str | None = None) -> bytes:
    b = io.BytesIO()
    Image.fromarray(a, mode).save(b, "PNG")
    return b.getvalue()


def _hints(h: int, w: int) -> bytes:
    a = np.zeros((h, w, 4), np.uint8)
    a[h // 3: h // 2, w // 3: w // 2] = (255, 0, 0, 255)
    return _png(a, "RGBA")


def _cli(capfd, *argv) -> tuple[int, list[str]]:
    capfd.readouterr()
    rc = cli.main([str(a) for a in argv])
    return rc, [l for l in capfd.readouterr().err.splitlines() if l.strip()]


def _one_line(rc, errs, *words):
    assert rc == 2, errs
    assert len(errs) == 1 and errs[0].startswith("colorpaint-cli: error: "), errs
    for w in words:
        assert w in errs[0], (w, errs)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


class _Unblock:
    """Watchdog for a FIFO: if the code under test is still blocked opening it after
    ``after`` seconds, open its write end so the reader sees end-of-file (the test then
    fails instead of hanging)."""

    def __init__(self, fifos, after=20.0):
        self.fifos, self.after, self.fired, self._done = fifos, after, False, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        if self._done.wait(self.after):
            return
        self.fired = True
        while not self._done.is_set():
            for f in self.fifos:
                try:
                    os.close(os.open(f, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass
            time.sleep(0.05)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._t.join()


def _line_png(tmp_path: Path, name="page.png", h=48, w=64) -> Path:
    line, _ = drawing(h, w)
    p = tmp_path / name
    p.write_bytes(_png(line))
    return p


# ====================================================== 7. hint images and frame folders
def test_7_hint_bomb_is_refused_like_an_image(tmp_path, weights, capfd):
    src = _line_png(tmp_path)
    bomb = tmp_path / "bomb_hints.png"
    bomb.write_bytes(_png_header_only(60_000, 60_000, color_type=6))
    rc, errs = _cli(capfd, "colorize", src, "-o", tmp_path / "o", "--model", "auto", "--weights", weights["auto"], "--hints", bomb)
    _one_line(rc, errs, "bomb_hints.png", "too large")
    assert not (tmp_path / "o").exists()


def test_7_hint_bomb_in_hints_dir_is_refused(tmp_path, weights, capfd):
    shot = write_sequence(tmp_path / "shot", n=3, size=(48, 64))
    hd = tmp_path / "hints"
    hd.mkdir()
    (hd / "frame_001.png").write_bytes(_png_header_only(60_000, 60_000, color_type=6))
    rc, errs = _cli(capfd, "sequence", shot, "-o", tmp_path / "o", "--model", "temporal", "--weights", weights["temporal"],
                    "--hints-dir", hd)
    _one_line(rc, errs, "frame_001.png", "too large")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_7_hint_between_the_limits_is_refused_before_decoding(tmp_path):
    """Over MAX_PIXELS but under twice Pillow's own limit: refused from the header alone."""
    p = tmp_path / "big_hints.png"
    side = int((imageio.MAX_PIXELS * 1.05) ** 0.5) + 1  # ~141 MP
    p.write_bytes(_png_header_only(side, side, color_type=0))  # gray: little memory even where it is decoded
    with pytest.raises(ImageError) as e:
        load_rgba(p)
    assert str(p) in str(e.value) and "too large" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_7_fifo_hint_is_refused_at_once(tmp_path, weights, capfd):
    src = _line_png(tmp_path)
    fifo = tmp_path / "hints.png"
    os.mkfifo(fifo)
    with _Unblock([fifo]) as w:
        rc, errs = _cli(capfd, "colorize", src, "-o", tmp_path / "o", "--model", "auto", "--weights", weights["auto"], "--hints", fifo)
    assert not w.fired, "blocked opening a named pipe"
    _one_line(rc, errs, "hints.png", "named pipe")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_7_fifo_frame_and_fifo_hint_in_a_shot_are_refused(tmp_path, weights, capfd):
    shot = write_sequence(tmp_path / "shot", n=3, size=(48, 64))
    os.mkfifo(shot / "frame_003.png")
    w = ["--model", "temporal", "--weights", weights["temporal"]]
    with _Unblock([shot / "frame_003.png"]) as wd:
        rc, errs = _cli(capfd, "sequence", shot, "-o", tmp_path / "o1", *w)
    assert not wd.fired, "blocked opening a named pipe"
    _one_line(rc, errs, "frame_003.png", "named pipe")
    (shot / "frame_003.png").unlink()
    hd = tmp_path / "hints"
    hd.mkdir()
    os.mkfifo(hd / "frame_001.png")
    with _Unblock([hd / "frame_001.png"]) as wd:
        rc, errs = _cli(capfd, "sequence", shot, "-o", tmp_path / "o2", *w, "--hints-dir", hd)
    assert not wd.fired, "blocked opening a named pipe"
    _one_line(rc, errs, "frame_001.png", "named pipe")


# ====================================================== 9. video shots are streamed
def _video(path: Path, n: int, h=48, w=64) -> Path:
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 24.0, (w, h))
    assert vw.isOpened()
    _, color = drawing(h, w, seed=3)
    for t in range(n):
        vw.write(cv2.cvtColor(np.roll(color, 2 * t, axis=1), cv2.COLOR_RGB2BGR))
    vw.release()
    return path


def test_9_video_frames_are_read_on_demand(tmp_path):
    n, h, w = 60, 64, 96
    p = _video(tmp_path / "shot.mp4", n, h, w)
    want = [f for _, f in frames_mod.read_video(p)]
    frame_bytes = h * w * 3
    tracemalloc.start()
    try:
        names, frames = frames_mod.open_frames(p)
        assert len(frames) == n and names[0] == "frame_00000" and names[-1] == f"frame_{n - 1:05d}"
        # forward, then backward from a key in the middle, as a shot job reads them
        for i in list(range(30, n)) + list(range(29, -1, -1)):
            assert np.array_equal(frames[i], want[i]), i
            assert np.array_equal(frames[30], want[30])  # the key stays at hand
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * frame_bytes, f"{peak / frame_bytes:.0f} frames held at once"
    assert frames.size(0) == (w, h)


def test_9_video_shot_gives_the_same_frames_as_its_folder(tmp_path, weights):
    """The streamed video and a folder of its decoded frames give identical outputs (key in the middle)."""
    p = _video(tmp_path / "shot.mp4", 6)
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in frames_mod.read_video(p):
        cv2.imwrite(str(folder / f"frame_{i:05d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    key = tmp_path / "key.png"
    key.write_bytes(_png(drawing(48, 64, seed=9)[1]))
    w = ["--model", "temporal", "--weights", str(weights["temporal"]), "--key", f"frame_00003={key}"]
    assert cli.main(["sequence", str(p), "-o", str(tmp_path / "ov"), *w]) == 0
    assert cli.main(["sequence", str(folder), "-o", str(tmp_path / "of"), *w]) == 0
    assert _snapshot(tmp_path / "ov") == _snapshot(tmp_path / "of")


# ====================================================== 10. outputs never collide or land on inputs
def test_10_two_inputs_with_one_stem_are_not_written_over_each_other(tmp_path, weights, capfd):
    line, _ = drawing(48, 64)
    (tmp_path / "a.png").write_bytes(_png(line))
    Image.fromarray(line).save(tmp_path / "a.jpg", quality=95)
    out = tmp_path / "out"
    rc, errs = _cli(capfd, "colorize", tmp_path / "a.png", tmp_path / "a.jpg", "-o", out, "--model", "auto", "--weights", weights["auto"])
    _one_line(rc, errs, "a.jpg", "a.png")
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]


def test_10_sequence_never_writes_into_the_shot_folder(tmp_path, weights, capfd):
    shot = tmp_path / "shot"
    shot.mkdir()
    for t in range(3):
        Image.fromarray(np.roll(drawing(48, 64)[1], 3 * t, axis=1)).save(shot / f"f{t}.jpg", quality=95)
    before = _snapshot(shot)
    rc, errs = _cli(capfd, "sequence", shot, "-o", shot, "--model", "temporal", "--weights", weights["temporal"])
    _one_line(rc, errs, "shot")
    assert _snapshot(shot) == before


def test_10_sequence_never_writes_over_its_hints(tmp_path, weights, capfd):
    shot = write_sequence(tmp_path / "shot", n=3, size=(48, 64))
    hd = tmp_path / "hints"
    hd.mkdir()
    (hd / "frame_001.png").write_bytes(_hints(48, 64))
    before = _snapshot(hd)
    rc, errs = _cli(capfd, "sequence", shot, "-o", hd, "--model", "temporal", "--weights", weights["temporal"], "--hints-dir", hd)
    _one_line(rc, errs, "hints")
    assert _snapshot(hd) == before


def test_10_two_frames_with_one_name_in_a_shot_are_refused(tmp_path, weights, capfd):
    shot = write_sequence(tmp_path / "shot", n=3, size=(48, 64))
    Image.open(shot / "frame_001.png").convert("RGB").save(shot / "frame_001.jpg", quality=95)
    out = tmp_path / "o"
    rc, errs = _cli(capfd, "sequence", shot, "-o", out, "--model", "temporal", "--weights", weights["temporal"])
    _one_line(rc, errs, "frame_001.png", "frame_001.jpg")
    assert not out.exists() or not any(out.iterdir())


# ====================================================== 11. EXIF-rotated frame in a shot
def test_11_exif_rotated_frame_is_named(tmp_path, weights, capfd):
    shot = tmp_path / "shot"
    shot.mkdir()
    _, color = drawing(120, 160)
    for t in range(4):
        f = np.roll(color, 3 * t, axis=1)
        kw = {}
        if t == 2:  # stored 160x120 like the others, shown 120x160
            ex = Image.Exif()
            ex[0x0112] = 6
            kw["exif"] = ex.tobytes()
        Image.fromarray(f).save(shot / f"frame_{t:03d}.jpg", quality=95, **kw)
    out = tmp_path / "o"
    rc, errs = _cli(capfd, "sequence", shot, "-o", out, "--model", "temporal", "--weights", weights["temporal"])
    _one_line(rc, errs, "frame_002.jpg", "120x160", "160x120")
    assert not out.exists() or not any(out.iterdir())


# ====================================================== 12. memory limits
def test_12_pillow_limit_and_max_pixels_are_one_number(tmp_path):
    assert Image.MAX_IMAGE_PIXELS == imageio.MAX_PIXELS
    # ~95 MP: over Pillow's default 89.5 MP, under MAX_PIXELS: not refused for its size
    # (this one is refused as truncated, from its data, before anything is decoded)
    p = tmp_path / "mid.png"
    p.write_bytes(_png_header_only(9_800, 9_800, rows=2))
    with pytest.raises(ImageError) as e:
        load_image(p)
    assert "too large" not in str(e.value) and "truncated" in str(e.value)


def test_12_truncated_png_declaring_a_big_size_is_refused(tmp_path, capfd, weights):
    """A complete zlib stream that stops after two rows: Pillow alone fills the rest and says nothing."""
    p = tmp_path / "short.png"
    p.write_bytes(_png_header_only(3_000, 3_000, rows=2))
    assert p.stat().st_size < 1000
    with pytest.raises(ImageError) as e:
        load_image(p)
    assert str(p) in str(e.value) and "truncated" in str(e.value)
    rc, errs = _cli(capfd, "colorize", p, "-o", tmp_path / "o", "--model", "auto", "--weights", weights["auto"])
    _one_line(rc, errs, "short.png", "truncated")


def test_12_truncated_files_stay_errors_when_pillow_is_told_otherwise(tmp_path, monkeypatch):
    b = io.BytesIO()
    Image.fromarray(drawing(96, 128)[1]).save(b, "JPEG", quality=95)
    p = tmp_path / "half.jpg"
    p.write_bytes(b.getvalue()[: len(b.getvalue()) // 2])
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(ImageError, match="truncated"):
        load_image(p)


def test_12_too_large_for_this_machine(tmp_path, monkeypatch, capfd, weights):
    src = _line_png(tmp_path, h=200, w=300)
    monkeypatch.setattr(imageio, "available_memory", lambda: 2_000_000)  # 2 MB left
    with pytest.raises(ImageError) as e:
        load_image(src)
    msg = str(e.value)
    assert str(src) in msg and "memory" in msg and "\n" not in msg, msg
    rc, errs = _cli(capfd, "colorize", src, "-o", tmp_path / "o", "--model", "auto", "--weights", weights["auto"])
    _one_line(rc, errs, "page.png", "memory")
    monkeypatch.setattr(imageio, "available_memory", lambda: None)  # unknown: no refusal
    assert load_image(src).shape == (200, 300, 3)


def test_12_available_memory_reads_the_machine():
    avail = imageio.available_memory()
    assert avail is None or avail > 0


# ====================================================== 13. messages
@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_13_symlink_loop_is_named_as_such(tmp_path, weights, capfd):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    os.symlink(b, a)
    os.symlink(a, b)
    with pytest.raises(ImageError, match="symbolic link loop"):
        load_image(a)
    with pytest.raises(ImageError, match="symbolic link loop"):
        load_rgba(a)
    rc, errs = _cli(capfd, "colorize", a, "-o", tmp_path / "o", "--model", "auto", "--weights", weights["auto"])
    _one_line(rc, errs, "a.png", "symbolic link loop")


def test_13_evaluate_missing_data_folder(tmp_path, capfd):
    rc, errs = _cli(capfd, "evaluate", "--model", "none", "--data", tmp_path / "missing")
    _one_line(rc, errs, "missing")


def test_13_evaluate_json_in_a_missing_folder(tmp_path, capfd):
    from .helpers import write_pairs

    pairs = write_pairs(tmp_path / "pairs", n=2, size=(48, 64))
    rc, errs = _cli(capfd, "evaluate", "--model", "none", "--data", pairs, "--split", "", "--json", tmp_path / "missing" / "x.json")
    _one_line(rc, errs, "x.json")


def test_13_gap_is_bounded(tmp_path, capfd, weights):
    src = _line_png(tmp_path)
    with pytest.raises(SystemExit) as e:
        cli.main(["colorize", str(src), "-o", str(tmp_path / "o"), "--flat", "--gap", "100000000"])
    assert e.value.code == 2
    err = capfd.readouterr().err
    assert "--gap" in err and "100000000" in err
    with pytest.raises(SystemExit):
        cli.main(["sequence", str(tmp_path), "-o", str(tmp_path / "o"), "--flat", "--gap", "-1"])
    # the engine refuses it too, with words, not an OpenCV error
    from colorpaint.engine.flat import flatten
    from colorpaint.engine.pipeline import ColorizeResult

    img = load_image(src)
    res = ColorizeResult(composite=img, color=img, kind="lineart", model="auto", seconds=0.0, device="cpu")
    with pytest.raises(ValueError, match="gap"):
        flatten(img, res, gap=100_000_000)


def test_13_train_batch_must_be_positive(tmp_path, capfd):
    from colorpaint.training import cli as train_cli

    for opt in ("--batch", "--steps", "--size", "--val-every"):
        with pytest.raises(SystemExit) as e:
            train_cli.main(["--model", "auto", "--data", str(tmp_path / "nothing"), "--tiny", "--out", str(tmp_path / "run"), opt, "0"])
        assert e.value.code == 2
        assert opt in capfd.readouterr().err


def test_13_float_tiff_with_nan_is_refused(tmp_path, capfd, weights):
    a = np.linspace(0, 1, 40 * 50, dtype=np.float32).reshape(40, 50)
    a[10:20, 10:20] = np.nan
    p = tmp_path / "nan.tif"
    Image.fromarray(a, "F").save(p)
    with pytest.raises(ImageError) as e:
        load_image(p)
    assert str(p) in str(e.value) and "NaN" in str(e.value)
    rc, errs = _cli(capfd, "colorize", p, "-o", tmp_path / "o", "--model", "auto", "--weights", weights["auto"])
    _one_line(rc, errs, "nan.tif", "NaN")
