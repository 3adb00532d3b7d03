"""Fuzzing the loaders for a bounded time: bad bytes give the loader's own error, nothing else.

* ``load_image``: returns ``HxWx3 uint8`` or raises :class:`ImageError`;
* ``read_gpl``: returns a list of ``(name, (r, g, b))`` or raises ``ValueError``;
* ``read_metadata`` / ``load_weights``: raise :class:`WeightsError` on anything but a good file.

Seeds are random bytes and valid PNG/JPEG/GIF/TIFF/BMP/WebP files, palettes and weights
files made here, mutated by flipping, truncating, inserting and overwriting bytes.
"""
from __future__ import annotations

import io
import json
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from colorpaint.core.imageio import ImageError, load_image
from colorpaint.core.palette import read_gpl
from colorpaint.engine.weights import WeightsError, load_weights, read_metadata

from .helpers import tiny_weights

FUZZ = settings(max_examples=int(os.environ.get("COLORPAINT_FUZZ_EXAMPLES", "150")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


def _encode(fmt: str, mode: str = "RGB", size=(23, 17), **kw) -> bytes:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    im = Image.fromarray(a).convert(mode)
    if fmt == "JPEG" and "exif" not in kw:
        ex = Image.Exif()
        ex[0x0112] = 6  # rotated: the EXIF path is fuzzed too
        kw["exif"] = ex.tobytes()
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def _gif() -> bytes:
    frames = [Image.new("P", (9, 7), i) for i in range(3)]
    b = io.BytesIO()
    frames[0].save(b, "GIF", save_all=True, append_images=frames[1:], transparency=0)
    return b.getvalue()


SEEDS = [
    _encode("PNG"),
    _encode("PNG", "RGBA"),
    _encode("PNG", "P", transparency=0),
    _encode("PNG", "I;16"),
    _encode("PNG", "1"),
    _encode("JPEG"),
    _encode("JPEG", "CMYK"),
    _encode("JPEG", "L", progressive=True),
    _encode("TIFF", "RGB", compression="tiff_lzw"),
    _encode("BMP"),
    _encode("WEBP"),
    _gif(),
]


@st.composite
def mutated(draw, seeds):
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "overwrite", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            data = data[:pos]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[pos:pos + len(chunk)] = chunk
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
    return bytes(data)


def _check_image(tmp_path, data: bytes, ext: str):
    p = tmp_path / f"fuzz{ext}"
    p.write_bytes(data)
    try:
        img = load_image(p)
    except ImageError as e:
        msg = str(e)
        assert msg and "\n" not in msg and str(p) in msg
        return
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert img.shape[0] >= 1 and img.shape[1] >= 1


@FUZZ
@given(data=st.binary(max_size=2048), ext=st.sampled_from([".png", ".jpg", ".gif", ".tif", ".bin"]))
def test_load_image_random_bytes(tmp_path, data, ext):
    _check_image(tmp_path, data, ext)


@FUZZ
@given(data=mutated(SEEDS), ext=st.sampled_from([".png", ".jpg"]))
def test_load_image_mutated_files(tmp_path, data, ext):
    _check_image(tmp_path, data, ext)


# ----------------------------------------------------------------------------- palettes
GPL = ("GIMP Palette\nName: Skin\nColumns: 4\n#\n255 224 189\tlight\n 10  20  30\n"
       "# comment\n\n0 0 0 ink line\n").encode()


@FUZZ
@given(data=st.one_of(mutated([GPL]), st.binary(max_size=512),
                      st.text(max_size=300).map(lambda t: ("GIMP Palette\n" + t).encode("utf-8", "surrogatepass"))))
def test_read_gpl_fuzz(tmp_path, data):
    p = tmp_path / "fuzz.gpl"
    p.write_bytes(data)
    try:
        entries = read_gpl(p)
    except ValueError as e:  # UnicodeDecodeError is a ValueError too
        assert str(e)
        return
    for name, rgb in entries:
        assert isinstance(name, str) and len(rgb) == 3 and all(0 <= v <= 255 for v in rgb)


# ----------------------------------------------------------------------------- weights files
@pytest.fixture(scope="module")
def weights_seed(tmp_path_factory):
    return tiny_weights("temporal", tmp_path_factory.mktemp("fw") / "t.safetensors").read_bytes()


def _header_variants(good: bytes) -> list[bytes]:
    """Valid-looking safetensors files whose JSON header is hostile."""
    (n,) = struct.unpack("<Q", good[:8])
    header, body = json.loads(good[8:8 + n]), good[8 + n:]

    def pack(h) -> bytes:
        raw = h if isinstance(h, bytes) else json.dumps(h).encode()
        return struct.pack("<Q", len(raw)) + raw + body

    meta = json.loads(header["__metadata__"]["colorpaint"])
    out = [pack(b"[]"), pack(b"[" * 100_000 + b"]" * 100_000), pack({"__metadata__": []}),
           pack({"__metadata__": {"colorpaint": 5}}), pack(dict(header, __metadata__={"colorpaint": json.dumps(dict(meta, family=["x"]))}))]
    for cfg in ({"ngf": 1_000_000, "n_res": 1000}, {"ngf": -4}, {"ngf": "wide"}, [1, 2], {"bogus": 1}):
        out.append(pack(dict(header, __metadata__={"colorpaint": json.dumps(dict(meta, config=cfg))})))
    return out


def test_hostile_weights_headers(tmp_path, weights_seed):
    for i, data in enumerate(_header_variants(weights_seed)):
        p = tmp_path / f"h{i}.safetensors"
        p.write_bytes(data)
        with pytest.raises(WeightsError) as e:
            load_weights(p)
        assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_weights_fuzz(tmp_path, weights_seed):
    @FUZZ
    @given(data=st.one_of(mutated([weights_seed]), st.binary(max_size=256)))
    def run(data):
        p = tmp_path / "fuzz.safetensors"
        p.write_bytes(data)
        for fn in (read_metadata, load_weights):
            try:
                fn(p)
            except WeightsError as e:
                assert str(e) and "\n" not in str(e)

    run()
