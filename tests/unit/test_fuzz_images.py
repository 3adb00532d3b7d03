"""Fuzzing hint images and frame folders for a bounded time: bad bytes give ImageError, nothing else.

* ``load_rgba`` (hint images): returns ``HxWx4 uint8`` or raises :class:`ImageError`;
* ``open_frames`` on a folder (frames, their sizes from the header and their pixels):
  returns frames of the size the header gave, or raises :class:`ImageError`.

Seeds are the valid files of test_fuzz.py, hint images with alpha, and files whose headers
declare huge sizes (a PNG's IHDR patched to 60000x60000 with its CRC recomputed, a JPEG's
SOF, a GIF's screen, a BMP's header), mutated by flipping, truncating, inserting and
overwriting bytes. Free memory is reported as 1.5 GB, so a header claiming a big canvas is
refused by the memory estimate rather than allocated here.
"""
from __future__ import annotations

import io
import os
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from colorpaint.core import imageio
from colorpaint.core.frames import open_frames
from colorpaint.core.imageio import ImageError, load_rgba

from .test_fuzz import SEEDS, _encode, mutated

FUZZ = settings(max_examples=min(150, int(os.environ.get("COLORPAINT_FUZZ_EXAMPLES", "150"))), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


def _rgba_png(**kw) -> bytes:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, (17, 23, 4), dtype=np.uint8)
    a[..., 3] = np.where(a[..., 3] > 128, 255, 0)
    b = io.BytesIO()
    Image.fromarray(a, "RGBA").save(b, "PNG", **kw)
    return b.getvalue()


def _patch_png(data: bytes, w: int, h: int) -> bytes:
    """``data`` with its IHDR width/height set to ``w`` x ``h`` and the chunk's CRC recomputed."""
    assert data[12:16] == b"IHDR"
    ihdr = struct.pack(">II", w, h) + data[24:29]
    return data[:16] + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF) + data[33:]


def _patch_jpeg(data: bytes, w: int, h: int) -> bytes:
    i = 2
    while i + 9 < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return data[:i + 5] + struct.pack(">HH", h, w) + data[i + 9:]
        i += 2 + length
    raise AssertionError("no SOF marker")


def _patch_gif(data: bytes, w: int, h: int) -> bytes:
    return data[:6] + struct.pack("<HH", w, h) + data[10:]


def _patch_bmp(data: bytes, w: int, h: int) -> bytes:
    return data[:18] + struct.pack("<ii", w, h) + data[26:]


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))  # (x0, y0, dx, dy)


def _interlaced_png(w: int = 23, h: int = 17) -> bytes:
    """An Adam7-interlaced RGBA PNG (Pillow does not write them)."""
    a = np.random.default_rng(4).integers(0, 256, (h, w, 4), dtype=np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for x0, y0, dx, dy in ADAM7 for row in a[y0::dy, x0::dx] if row.size)
    chunk = lambda tag, d: struct.pack(">I", len(d)) + tag + d + struct.pack(">I", zlib.crc32(tag + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 1))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


RGBA_SEEDS = [
    _interlaced_png(),
    _rgba_png(),
    _rgba_png(optimize=True),
    _encode("PNG", "LA"),
    _encode("PNG", "P", transparency=0),
    _encode("WEBP", "RGBA", lossless=True),
    _encode("TIFF", "RGBA"),
]
_png_rgb, _png_rgba, _jpg, _gif, _bmp = _encode("PNG"), RGBA_SEEDS[0], _encode("JPEG"), SEEDS[-1], _encode("BMP")
HUGE_SEEDS = [
    _patch_png(_png_rgba, 60_000, 60_000),
    _patch_png(_png_rgb, 60_000, 60_000),
    _patch_png(_png_rgba, 60_000, 1),
    _patch_png(_png_rgba, 9_000, 9_000),
    _patch_png(_png_rgb, 3_000, 3_000),
    _patch_jpeg(_jpg, 60_000, 60_000),
    _patch_jpeg(_jpg, 9_000, 9_000),
    _patch_gif(_gif, 60_000, 60_000),
    _patch_bmp(_bmp, 60_000, 60_000),
    _patch_bmp(_bmp, 9_000, -9_000),
]


@pytest.fixture
def little_memory(monkeypatch):
    monkeypatch.setattr(imageio, "available_memory", lambda: 1_500_000_000, raising=False)


def _one_line(e: ImageError, *paths) -> None:
    msg = str(e)
    assert msg and "\n" not in msg and any(str(p) in msg for p in paths), msg


def test_huge_seeds_are_refused(tmp_path, little_memory):
    for i, data in enumerate(HUGE_SEEDS):
        p = tmp_path / f"huge{i}.png"
        p.write_bytes(data)
        with pytest.raises(ImageError) as e:
            load_rgba(p)
        _one_line(e.value, p)


def _check_hints(tmp_path, data: bytes, ext: str):
    p = tmp_path / f"hints{ext}"
    p.write_bytes(data)
    try:
        a = load_rgba(p)
    except ImageError as e:
        _one_line(e, p)
        return
    assert isinstance(a, np.ndarray) and a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 4
    assert a.shape[0] >= 1 and a.shape[1] >= 1


@FUZZ
@given(data=st.one_of(mutated(RGBA_SEEDS + HUGE_SEEDS), mutated(SEEDS), st.binary(max_size=1024)),
       ext=st.sampled_from([".png", ".jpg", ".webp"]))
def test_load_rgba_fuzz(tmp_path, little_memory, data, ext):
    _check_hints(tmp_path, data, ext)


@FUZZ
@given(bad=st.one_of(mutated(SEEDS + HUGE_SEEDS), st.sampled_from(HUGE_SEEDS), st.binary(max_size=512)),
       ext=st.sampled_from([".png", ".jpg", ".gif", ".bmp", ".tif"]), first=st.booleans())
def test_open_frames_fuzz(tmp_path, little_memory, bad, ext, first):
    folder = tmp_path / "shot"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    good = folder / "f1.png"
    good.write_bytes(SEEDS[0])
    badp = folder / (("f0" if first else "f2") + ext)
    badp.write_bytes(bad)
    try:
        names, frames = open_frames(folder)
    except ImageError as e:
        _one_line(e, folder, badp)
        return
    assert names == sorted(q.stem for q in folder.iterdir() if q.suffix in imageio.IMAGE_EXTS)
    for i in range(len(frames)):
        try:
            w, h = frames.size(i)
            f = frames[i]
        except ImageError as e:  # the bad frame, or the good one when the bad one's header set the shot's size
            _one_line(e, badp, good)
            continue
        assert f.dtype == np.uint8 and f.shape == (h, w, 3)


@pytest.mark.parametrize("w, h", [(23, 17), (1, 1), (3, 9), (8, 8), (9, 2)])
def test_interlaced_png_loads_whole_and_refused_cut(tmp_path, w, h):
    """The completeness check counts Adam7 passes right: a whole file loads, a short one is refused."""
    data = _interlaced_png(w, h)
    p = tmp_path / "i.png"
    p.write_bytes(data)
    a = load_rgba(p)
    assert a.shape == (h, w, 4)
    ref = np.random.default_rng(4).integers(0, 256, (h, w, 4), dtype=np.uint8)
    assert np.array_equal(a, ref)
    if w * h > 1:
        q = tmp_path / "cut.png"
        q.write_bytes(_patch_png(data, w, h + 8))  # the same data, 8 more rows declared
        with pytest.raises(ImageError, match="truncated"):
            load_rgba(q)
