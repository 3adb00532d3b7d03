"""Bad input gets a clear one-line message, never a crash (issue 8).

Images, weights files, videos, folders and output locations an artist might hand us. The
loaders raise their own error (``ImageError`` / ``WeightsError``) with one line naming the
file; ``colorpaint-cli`` prints that line on stderr, carries on with the other inputs and
exits with status 2. Files are made here; test_engine_cli.py already covers the 0-byte and
truncated PNG through the CLI, CMYK / 16-bit gray / palette loading, a missing path and
wrong-family weights in the CLI.
"""
from __future__ import annotations

import errno
import io
import os
import pickle
import struct
import types
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from colorpaint import cli
from colorpaint.core import frames as _frames  # noqa: F401  (first: it quiets FFmpeg before any video is touched)
from colorpaint.core import atomic, imageio
from colorpaint.core.imageio import ImageError, load_image, save_image
from colorpaint.engine.session import Session
from colorpaint.engine.weights import WeightsError, load_weights, read_metadata

from .helpers import drawing, tiny_weights, write_sequence

FAMILIES = ("auto", "histogram", "color-apply", "temporal")


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    d = tmp_path_factory.mktemp("w")
    return {n: tiny_weights(n, d / f"{n}.safetensors") for n in FAMILIES}


def _png(rgb: np.ndarray, **kw) -> bytes:
    b = io.BytesIO()
    Image.fromarray(rgb).save(b, "PNG", **kw)
    return b.getvalue()


def _jpg(rgb: np.ndarray, **kw) -> bytes:
    b = io.BytesIO()
    Image.fromarray(rgb).save(b, "JPEG", quality=95, **kw)
    return b.getvalue()


def _color(h=48, w=64) -> np.ndarray:
    _, color = drawing(h, w)
    return color


def _err_lines(text: str) -> list[str]:
    return [l for l in text.splitlines() if l.strip()]


def _cli(capfd, *argv) -> tuple[int, list[str]]:
    """Run colorpaint-cli in this process; (exit status, stderr lines). capfd also sees
    what native libraries (FFmpeg, libpng) would print straight to file descriptor 2."""
    capfd.readouterr()
    rc = cli.main([str(a) for a in argv])
    return rc, _err_lines(capfd.readouterr().err)


# ============================================================================ images
def _bomb_png(w: int, h: int) -> bytes:
    """A valid-looking PNG a few dozen bytes long that claims to be ``w`` x ``h``."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _bomb_gif(w: int, h: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", w, h) + b"\x00\x00\x00" + b"," + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00\x02\x02\x44\x01\x00;"


BAD_IMAGES = {
    # name: (bytes maker, words the message must hold)
    "trunc_half.png": (lambda: _png(_color())[: len(_png(_color())) // 2], "truncated"),
    "trunc_header.png": (lambda: _png(_color())[:30], "truncated"),
    "trunc_half.jpg": (lambda: _jpg(_color())[: len(_jpg(_color())) // 2], "truncated"),
    "trunc_header.jpg": (lambda: _jpg(_color())[:12], "truncated"),
    "empty.png": (lambda: b"", "empty file"),
    "notes.png": (lambda: "just some text, not a picture\n".encode(), "not an image"),
    "bomb.png": (lambda: _bomb_png(100_000, 100_000), "too large"),
    "bomb_between.png": (lambda: _bomb_png(12_000, 12_000), "too large"),  # over our limit, under PIL's hard one
    "bomb.gif": (lambda: _bomb_gif(65_535, 65_535), "too large"),
}


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_bad_image_gives_one_line(tmp_path, name):
    make, words = BAD_IMAGES[name]
    p = tmp_path / name
    p.write_bytes(make())
    with pytest.raises(ImageError) as e:
        load_image(p)
    msg = str(e.value)
    assert str(p) in msg and words in msg and "\n" not in msg, msg


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    p = tmp_path / "bomb.png"
    p.write_bytes(_bomb_png(60_000, 60_000))
    assert p.stat().st_size < 200
    # a lower limit is honoured too (the check reads the header, not the pixels)
    q = tmp_path / "big.png"
    q.write_bytes(_png(np.zeros((100, 100, 3), np.uint8)))
    with pytest.raises(ImageError, match="too large"):
        load_image(q, max_pixels=5_000)
    assert load_image(q).shape == (100, 100, 3)


def test_png_named_jpg_just_loads(tmp_path):
    c = _color()
    p = tmp_path / "really_a_png.jpg"
    p.write_bytes(_png(c))
    assert np.array_equal(load_image(p), c)
    q = tmp_path / "really_a_jpeg.png"
    q.write_bytes(_jpg(c))
    assert np.abs(load_image(q).astype(int) - c).mean() < 4


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_16bit_png_scaled_to_8bit(tmp_path, channels):
    rng = np.random.default_rng(channels)
    a = rng.integers(0, 65536, (20, 30, channels)).astype(np.uint16)
    if channels == 4:
        a[..., 3] = 65535
    p = tmp_path / "deep.png"
    cv2.imwrite(str(p), a if channels > 1 else a[..., 0])  # OpenCV writes 16-bit PNGs
    img = load_image(p)
    ref = np.round(a[..., :3][..., ::-1] / 257.0) if channels > 1 else np.round(np.repeat(a, 3, 2) / 257.0)
    assert img.shape == (20, 30, 3) and img.dtype == np.uint8
    assert np.abs(img.astype(int) - ref).max() <= 1


def test_dark_16bit_png_stays_dark(tmp_path):
    """A 16-bit file whose values are all <= 255 is nearly black, not an 8-bit image."""
    a = np.full((10, 10), 200, np.uint16)
    p = tmp_path / "dark16.png"
    cv2.imwrite(str(p), a)
    assert load_image(p).max() <= 1


def test_cmyk_jpeg_colors(tmp_path):
    c = np.zeros((40, 60, 3), np.uint8)
    c[:20] = (200, 30, 40)
    c[20:] = (20, 160, 220)
    p = tmp_path / "cmyk.jpg"
    Image.fromarray(c).convert("CMYK").save(p, quality=95)
    assert Image.open(p).mode == "CMYK"
    img = load_image(p)
    assert np.abs(img[5:15, 5:55].astype(int) - (200, 30, 40)).mean() < 6
    assert np.abs(img[25:35, 5:55].astype(int) - (20, 160, 220)).mean() < 6


def test_palette_png_transparency_is_white(tmp_path):
    a = np.zeros((16, 16), np.uint8)
    a[4:12, 4:12] = 1
    im = Image.fromarray(a, "P")
    im.putpalette([0, 0, 0, 250, 10, 10] + [0] * 762)
    p = tmp_path / "pal.png"
    im.save(p, transparency=0)  # index 0 (black) is fully transparent
    img = load_image(p)
    assert (img[0, 0] == 255).all() and tuple(img[8, 8]) == (250, 10, 10)


@pytest.mark.parametrize("orientation, turn", [(6, -1), (8, 1), (3, 2)])
def test_exif_rotated_jpeg(tmp_path, weights, capfd, orientation, turn):
    c = _color(56, 72)
    ex = Image.Exif()
    ex[0x0112] = orientation
    p = tmp_path / "rot.jpg"
    Image.fromarray(c).save(p, quality=95, exif=ex.tobytes())
    img = load_image(p)
    ref = np.rot90(c, turn)
    assert img.shape == ref.shape
    assert np.abs(img.astype(int) - ref).mean() < 6
    rc, errs = _cli(capfd, "colorize", p, "-o", tmp_path / "o", "--model", "auto", "--weights", weights["auto"])
    assert rc == 0 and not errs
    assert load_image(tmp_path / "o" / "rot.png").shape == ref.shape


def test_corrupt_exif_loads_quietly(tmp_path, weights, capfd):
    """Damaged metadata is skipped without a warning: the pixels are fine."""
    ex = Image.Exif()
    ex[0x0112] = 6
    ex[0x010F] = "Camera maker name long"
    p = tmp_path / "badexif.jpg"
    Image.fromarray(_color()).save(p, exif=ex.tobytes()[:14])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(p).shape == (48, 64, 3)
    rc, errs = _cli(capfd, "colorize", p, "-o", tmp_path / "o", "--model", "auto", "--weights", weights["auto"])
    assert rc == 0 and not errs


def test_animated_gif_gives_first_frame(tmp_path, weights, capfd):
    frames = [Image.new("RGB", (40, 30), c) for c in [(250, 0, 0), (0, 250, 0), (0, 0, 250)]]
    p = tmp_path / "anim.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=80, loop=0)
    assert Image.open(p).n_frames == 3
    img = load_image(p)
    assert img.shape == (30, 40, 3)
    assert img[..., 0].mean() > 200 and img[..., 1:].mean() < 30
    rc, errs = _cli(capfd, "colorize", p, "-o", tmp_path / "o", "--model", "temporal", "--weights", weights["temporal"])
    assert rc == 0 and not errs and load_image(tmp_path / "o" / "anim.png").shape == (30, 40, 3)


@pytest.mark.parametrize("model", FAMILIES)
def test_one_pixel_image_colorizes(tmp_path, weights, capfd, model):
    p = tmp_path / "dot.png"
    p.write_bytes(_png(np.full((1, 1, 3), 90, np.uint8)))
    rc, errs = _cli(capfd, "colorize", p, "-o", tmp_path / "o", "--model", model, "--weights", weights[model], "--prev", p)
    assert rc == 0 and not errs
    out = load_image(tmp_path / "o" / "dot.png")
    assert out.shape == (1, 1, 3) and out.dtype == np.uint8


def test_non_ascii_paths(tmp_path, weights, capfd):
    d = tmp_path / "フォルダ ü"
    d.mkdir()
    src = d / "線画_été.png"
    line, _ = drawing(50, 70)
    src.write_bytes(_png(line))
    out = tmp_path / "出力_ñ"
    rc, errs = _cli(capfd, "colorize", src, "-o", out, "--model", "color-apply", "--weights", weights["color-apply"])
    assert rc == 0 and not errs
    assert load_image(out / "線画_été.png").shape == (50, 70, 3)
    missing = d / "なし_è.png"
    rc, errs = _cli(capfd, "colorize", missing, "-o", out, "--model", "color-apply", "--weights", weights["color-apply"])
    assert rc == 2 and len(errs) == 1 and "なし_è.png" in errs[0] and "no such file" in errs[0]


def test_cli_mixed_batch_one_line_per_bad_file(tmp_path, weights, capfd):
    """Every bad file in one batch gets its own line; the good files are all still done."""
    bad = {}
    for name, (make, words) in BAD_IMAGES.items():
        (tmp_path / name).write_bytes(make())
        bad[name] = words
    (tmp_path / "folder.png").mkdir()
    bad["folder.png"] = "folder"
    good = []
    for i, (name, data) in enumerate([("a.png", _png(_color())), ("b.jpg", _jpg(_color())), ("c_png_named.jpg", _png(_color()))]):
        (tmp_path / name).write_bytes(data)
        good.append(name)
    inputs = [tmp_path / n for n in sorted(bad) + good]
    rc, errs = _cli(capfd, "colorize", *inputs, "-o", tmp_path / "out", "--model", "histogram", "--weights", weights["histogram"])
    assert rc == 2
    assert len(errs) == len(bad), "\n".join(errs)
    for name, words in bad.items():
        line = [l for l in errs if f"{name}:" in l]
        assert len(line) == 1 and words in line[0] and line[0].startswith("colorpaint-cli: error: "), (name, errs)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "c_png_named.png"]


def test_cli_bad_hints_and_palette(tmp_path, weights, capfd):
    line, _ = drawing(48, 48)
    src = tmp_path / "s.png"
    src.write_bytes(_png(line))
    (tmp_path / "hints.png").write_text("not an image")
    (tmp_path / "opaque.png").write_bytes(_png(_color(48, 48)))
    (tmp_path / "bad.gpl").write_bytes(b"\xff\xfe garbage")
    w = ["--model", "color-apply", "--weights", weights["color-apply"]]
    for extra, words in [(["--hints", tmp_path / "hints.png"], "hints.png"), (["--hints", tmp_path / "opaque.png"], "alpha"),
                         (["--palette-file", tmp_path / "bad.gpl"], "bad.gpl"), (["--palette-file", tmp_path / "none.gpl"], "none.gpl"),
                         (["--palette", "#12345,nope"], "#12345")]:
        rc, errs = _cli(capfd, "colorize", src, "-o", tmp_path / "o", *w, *extra)
        assert rc == 2 and len(errs) == 1 and words in errs[0], errs


# ==================================================================== output folders
def test_source_line_art_is_never_overwritten(tmp_path, weights, capfd):
    line, _ = drawing(48, 56)
    src = tmp_path / "sketch.png"
    src.write_bytes(_png(line))
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "second.png").write_bytes(_png(line))
    before = src.read_bytes()
    rc, errs = _cli(capfd, "colorize", src, other / "second.png", "-o", tmp_path, "--model", "auto", "--weights", weights["auto"])
    assert rc == 2 and len(errs) == 1 and "overwrite" in errs[0] and "sketch.png" in errs[0]
    assert src.read_bytes() == before
    assert load_image(tmp_path / "second.png").shape == (48, 56, 3)  # the other input is still done


class _OsProxy(types.SimpleNamespace):
    """``os`` as seen by colorpaint.core.imageio, with some calls replaced."""

    def __getattr__(self, name):
        return getattr(os, name)


class _FullDiskFile:
    """A file that takes ``budget`` bytes and then fails like a full disk."""

    def __init__(self, fh, budget):
        self._fh, self._left = fh, budget

    def write(self, b):
        if len(b) > self._left:
            self._fh.write(bytes(b[: self._left]))
            self._left = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._left -= len(b)
        return self._fh.write(b)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def _full_disk(monkeypatch, budget=200, at="write"):
    def fdopen(fd, *a, **k):
        return _FullDiskFile(os.fdopen(fd, *a, **k), budget if at == "write" else 10**12)

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    proxy = _OsProxy(fdopen=fdopen, **({"fsync": fsync} if at == "fsync" else {}))
    monkeypatch.setattr(atomic, "os", proxy)  # where every file is written


def _litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("at", ["write", "fsync"])
def test_full_disk_keeps_previous_file(tmp_path, monkeypatch, at):
    dst = tmp_path / "result.png"
    save_image(dst, _color())
    before = dst.read_bytes()
    _full_disk(monkeypatch, at=at)
    with pytest.raises(ImageError) as e:
        save_image(dst, np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8))
    assert "No space left on device" in str(e.value) and str(dst) in str(e.value) and "\n" not in str(e.value)
    assert dst.read_bytes() == before  # byte-identical
    assert _litter(tmp_path) == []  # the partial temporary file is removed


def test_cli_full_disk(tmp_path, weights, monkeypatch, capfd):
    line, _ = drawing(64, 64)
    srcs = []
    for n in ("one", "two"):
        srcs.append(tmp_path / f"{n}.png")
        srcs[-1].write_bytes(_png(line))
    out = tmp_path / "out"
    rc, _ = _cli(capfd, "colorize", *srcs, "-o", out, "--model", "auto", "--weights", weights["auto"])
    assert rc == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _full_disk(monkeypatch, budget=50)
    rc, errs = _cli(capfd, "colorize", *srcs, "-o", out, "--model", "temporal", "--weights", weights["temporal"])
    assert rc == 2 and len(errs) == 2 and all("No space left on device" in l for l in errs)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def _writes_blocked(folder: Path) -> bool:
    try:
        probe = folder / ".probe"
        probe.write_bytes(b"x")
        probe.unlink()
        return False
    except OSError:
        return True


def test_read_only_output_folder_real(tmp_path, weights, capfd):
    line, _ = drawing(48, 48)
    src = tmp_path / "s.png"
    src.write_bytes(_png(line))
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "s.png").write_bytes(b"previous result")
    ro.chmod(0o555)
    try:
        if not _writes_blocked(ro):
            pytest.skip("running as root (or on a filesystem ignoring modes): chmod does not block writes here; "
                        "test_read_only_output_folder_simulated covers the same path")
        rc, errs = _cli(capfd, "colorize", src, "-o", ro, "--model", "auto", "--weights", weights["auto"])
        assert rc == 2 and len(errs) == 1 and "Permission denied" in errs[0] and str(ro) in errs[0]
        assert (ro / "s.png").read_bytes() == b"previous result"
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("where", ["mkstemp", "replace"])
def test_read_only_output_folder_simulated(tmp_path, weights, monkeypatch, capfd, where):
    line, _ = drawing(48, 48)
    src = tmp_path / "s.png"
    src.write_bytes(_png(line))
    out = tmp_path / "out"
    out.mkdir()
    (out / "s.png").write_bytes(b"previous result")

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    if where == "mkstemp":
        monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    else:
        monkeypatch.setattr(atomic, "os", _OsProxy(replace=denied))
    rc, errs = _cli(capfd, "colorize", src, "-o", out, "--model", "auto", "--weights", weights["auto"])
    assert rc == 2 and len(errs) == 1 and "Permission denied" in errs[0] and "s.png" in errs[0], errs
    assert (out / "s.png").read_bytes() == b"previous result" and _litter(out) == []


def test_unsupported_output_format(tmp_path):
    with pytest.raises(ImageError, match="unsupported output format"):
        save_image(tmp_path / "x.xyz", _color())


# ============================================================================ weights
def test_weights_of_every_other_family(tmp_path, weights):
    s = Session("cpu")
    for want in FAMILIES:
        for have in FAMILIES:
            if want == have:
                continue
            with pytest.raises(WeightsError) as e:
                s.get(want, str(weights[have]))
            msg = str(e.value)
            assert str(weights[have]) in msg and repr(have) in msg and repr(want) in msg and "\n" not in msg


def test_truncated_weights_at_every_boundary(tmp_path, weights):
    data = weights["histogram"].read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    for cut in (0, 4, 8, 9, 8 + n // 2, 8 + n - 1, 8 + n, 8 + n + 1, len(data) // 2, len(data) - 1):
        p = tmp_path / f"cut{cut}.safetensors"
        p.write_bytes(data[:cut])
        with pytest.raises(WeightsError) as e:
            load_weights(p, family="histogram")
        assert str(p) in str(e.value) and "\n" not in str(e.value), (cut, e.value)


def test_random_bytes_and_foreign_safetensors(tmp_path):
    rnd = tmp_path / "random.safetensors"
    rnd.write_bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    from safetensors.torch import save_file

    foreign = tmp_path / "other_app.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign), metadata={"format": "pt"})
    unknown = tmp_path / "unknown_family.safetensors"
    save_file({"w": torch.zeros(3)}, str(unknown), metadata={"colorpaint": '{"family": "stylegan", "config": {}}'})
    for p, words in [(rnd, "not a"), (foreign, "without ColorPaint metadata"), (unknown, "unknown model")]:
        with pytest.raises(WeightsError) as e:
            load_weights(p)
        assert str(p) in str(e.value) and words in str(e.value) and "\n" not in str(e.value), e.value
    with pytest.raises(WeightsError, match="folder"):
        load_weights(tmp_path)


class _Trap:
    """Unpickling this creates ``marker`` (it stands in for any code a hostile pickle runs)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickles_renamed_safetensors_are_never_unpickled(tmp_path, weights, capfd):
    control, marker = tmp_path / "control_marker", tmp_path / "MARKER_unpickled"
    # the trap works: unpickling it really does create its marker
    pickle.loads(pickle.dumps(_Trap(control)))
    assert control.exists()
    files = []
    for proto in (0, 2, 5):
        p = tmp_path / f"model_p{proto}.safetensors"
        p.write_bytes(pickle.dumps({"state_dict": _Trap(marker)}, protocol=proto))
        files.append(p)
    zp = tmp_path / "torch_zip.safetensors"  # a torch.save() .pt (zip + pickle), renamed
    torch.save({"weight": torch.zeros(2), "evil": _Trap(marker)}, zp)
    files.append(zp)
    legacy = tmp_path / "torch_legacy.safetensors"
    torch.save({"evil": _Trap(marker)}, legacy, _use_new_zipfile_serialization=False)
    files.append(legacy)
    for p in files:
        for fn in (read_metadata, load_weights, lambda q: Session("cpu").get("auto", str(q))):
            with pytest.raises(WeightsError) as e:
                fn(p)
            assert str(p) in str(e.value) and "\n" not in str(e.value)
        line, _ = drawing(48, 48)
        (tmp_path / "in.png").write_bytes(_png(line))
        rc, errs = _cli(capfd, "colorize", tmp_path / "in.png", "-o", tmp_path / "o", "--model", "auto", "--weights", p)
        assert rc == 2 and len(errs) == 1 and p.name in errs[0]
        assert not marker.exists(), f"{p.name} was unpickled"


def test_resume_never_unpickles_a_checkpoint(tmp_path):
    from colorpaint.training.loop import TrainConfig, Trainer

    marker = tmp_path / "MARKER_ckpt"
    t = Trainer(TrainConfig(model="auto", data=[], out=str(tmp_path / "run"), device="cpu"))
    torch.save({"step": 5, "evil": _Trap(marker)}, t.ckpt_path)
    with pytest.raises(ValueError) as e:
        t.load_checkpoint()
    assert "checkpoint.pt" in str(e.value) and "\n" not in str(e.value)
    assert not marker.exists()


# ============================================================================ sequences
def _empty_video(path: Path, fourcc="mp4v") -> Path:
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 24.0, (64, 48))
    assert vw.isOpened()
    vw.release()  # a container with zero frames
    return path


def _seq_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "empty.mp4").write_bytes(b"")
    noimg = tmp_path / "no_images"
    noimg.mkdir()
    (noimg / "notes.txt").write_text("hello")
    (noimg / ".hidden.png").write_bytes(_png(_color()))
    mixed = write_sequence(tmp_path / "mixed", n=3, size=(48, 64))
    (mixed / "frame_003.png").write_bytes(_png(_color(56, 72)))
    badframe = write_sequence(tmp_path / "badframe", n=3, size=(48, 64))
    (badframe / "frame_001.png").write_bytes(b"")
    (tmp_path / "garbage.mp4").write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    return {
        "0-byte mp4": (tmp_path / "empty.mp4", "empty file"),
        "zero-frame mp4": (_empty_video(tmp_path / "zero.mp4"), "cannot open video"),
        "zero-frame avi": (_empty_video(tmp_path / "zero.avi", "MJPG"), "no frames"),
        "garbage mp4": (tmp_path / "garbage.mp4", "cannot open video"),
        "folder without images": (noimg, "no image frames"),
        "missing": (tmp_path / "nope", "no such file"),
        "mixed sizes": (mixed, "same size"),
        "bad frame": (badframe, "frame_001.png"),
    }


def test_sequence_bad_sources(tmp_path, weights, capfd):
    for case, (src, words) in _seq_cases(tmp_path).items():
        out = tmp_path / "out"
        rc, errs = _cli(capfd, "sequence", src, "-o", out, "--model", "temporal", "--weights", weights["temporal"])
        assert rc == 2, case
        assert len(errs) == 1 and errs[0].startswith("colorpaint-cli: error: ") and words in errs[0], (case, errs)
        assert src.name in errs[0], (case, errs)
        assert not out.exists() or not any(out.iterdir()), case


def test_sequence_bad_key_and_output(tmp_path, weights, monkeypatch, capfd):
    shot = write_sequence(tmp_path / "shot", n=3, size=(48, 64))
    w = ["--model", "temporal", "--weights", weights["temporal"]]
    (tmp_path / "small_key.png").write_bytes(_png(np.zeros((20, 20, 3), np.uint8)))
    rc, errs = _cli(capfd, "sequence", shot, "-o", tmp_path / "o1", *w, "--key", f"frame_000={tmp_path / 'small_key.png'}")
    assert rc == 2 and len(errs) == 1 and "20x20" in errs[0]
    rc, errs = _cli(capfd, "sequence", shot, "-o", tmp_path / "o2", *w, "--key", f"frame_000={tmp_path / 'missing.png'}")
    assert rc == 2 and len(errs) == 1 and "no such file" in errs[0]
    rc, errs = _cli(capfd, "sequence", shot, "-o", tmp_path / "o2", *w, "--flat", "--palette-file", tmp_path / "none.gpl")
    assert rc == 2 and len(errs) == 1 and "none.gpl" in errs[0]
    before = {p.name: p.read_bytes() for p in shot.iterdir()}
    rc, errs = _cli(capfd, "sequence", shot, "-o", shot, *w)  # would overwrite the artist's frames
    assert rc == 2 and len(errs) == 1 and "overwrite" in errs[0]
    assert {p.name: p.read_bytes() for p in shot.iterdir()} == before
    _full_disk(monkeypatch, budget=10)
    rc, errs = _cli(capfd, "sequence", shot, "-o", tmp_path / "o3", *w)
    assert rc == 2 and len(errs) == 1 and "No space left on device" in errs[0]
    assert _litter(tmp_path / "o3") == []


def test_video_sequence_works(tmp_path, weights, capfd):
    """The good path next to the bad ones: a real 3-frame video is colorized frame by frame."""
    p = tmp_path / "shot.mp4"
    vw = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"mp4v"), 24.0, (64, 48))
    for t in range(3):
        vw.write(cv2.cvtColor(np.roll(_color(48, 64), 3 * t, axis=1), cv2.COLOR_RGB2BGR))
    vw.release()
    rc, errs = _cli(capfd, "sequence", p, "-o", tmp_path / "o", "--model", "temporal", "--weights", weights["temporal"])
    assert rc == 0 and not errs
    assert sorted(q.name for q in (tmp_path / "o").iterdir()) == [f"frame_{i:05d}.png" for i in range(3)]


def test_sequence_of_tiny_frames(tmp_path, weights):
    shot = tmp_path / "tiny"
    shot.mkdir()
    for t in range(3):
        (shot / f"f{t}.png").write_bytes(_png(np.full((1, 1, 3), 40 * t, np.uint8)))
    assert cli.main(["sequence", str(shot), "-o", str(tmp_path / "o"), "--model", "temporal", "--weights", str(weights["temporal"])]) == 0
    assert load_image(tmp_path / "o" / "f2.png").shape == (1, 1, 3)
