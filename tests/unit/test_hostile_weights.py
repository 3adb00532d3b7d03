"""Weights files and model versions are untrusted input.

* a crafted network config is refused at once, naming the key and the file;
* NaN/inf weights, and int or bool tensors where the network has float weights, are
  refused on load, and a training run refuses to export NaN/inf weights;
* the model store refuses to add a file that does not load, and lists every good version
  even when another version's weights or info.json are broken.
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import struct
import time

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

from colorpaint import cli
from colorpaint.engine.model_store import ModelStore
from colorpaint.engine.weights import WeightsError, load_weights, save_weights
from colorpaint.models import registry

from .helpers import drawing, tiny_weights

FUZZ = settings(max_examples=min(150, int(os.environ.get("COLORPAINT_FUZZ_EXAMPLES", "150"))), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


@contextlib.contextmanager
def _deadline(seconds: float):
    """Fail (instead of hanging the test run) when the block takes longer than ``seconds``."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _split(data: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def _pack(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def _with_config(good, out, **config):
    """``good`` with its metadata's network config changed (the tensors stay as they are)."""
    header, body = _split(good.read_bytes())
    meta = json.loads(header["__metadata__"]["colorpaint"])
    meta["config"] = dict(meta["config"], **config)
    header["__metadata__"]["colorpaint"] = json.dumps(meta)
    out.write_bytes(_pack(header, body))
    return out


def _with_tensors(family, out, change):
    """A tiny ``family`` file written straight by safetensors (as a broken exporter would),
    after ``change(state)`` edits the state dict."""
    net = registry.build(family, tiny=True)
    state = {k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}
    change(state)
    meta = {"family": family, "format": 1, "config": net.config, "input_kinds": ["lineart", "gray"], "trained": True}
    save_file(state, str(out), metadata={"colorpaint": json.dumps(meta)})
    return out


def _first_weight(state):
    return sorted(k for k, v in state.items() if v.is_floating_point() and v.dim() > 1)[0]


def _poison(value):
    def change(state):
        state[_first_weight(state)].view(-1)[3] = value
    return change


def _as_dtype(dtype):
    def change(state):
        k = _first_weight(state)
        state[k] = (state[k] * 1000).to(dtype) if dtype != torch.bool else state[k] > 0
    return change


def _bad_offsets(good, out):
    header, body = _split(good.read_bytes())
    first = min((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
    header[first]["data_offsets"][1] -= 4  # a gap in the data: not what safetensors wrote
    out.write_bytes(_pack(header, body))
    return out


def _wrong_shape(family, out):
    def change(state):
        k = _first_weight(state)
        state[k] = torch.zeros(3, 5)
    return _with_tensors(family, out, change)


def _truncated(good, out):
    data = good.read_bytes()
    out.write_bytes(data[: len(data) - 100])
    return out


def _one_line(e, path, *words):
    msg = str(e.value) if hasattr(e, "value") else str(e)
    assert str(path) in msg and "\n" not in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    return {n: tiny_weights(n, d / f"{n}.safetensors") for n in ("auto", "color-apply", "temporal", "histogram")}


def _cli(capfd, *argv) -> tuple[int, list[str]]:
    capfd.readouterr()
    rc = cli.main([str(a) for a in argv])
    return rc, [l for l in capfd.readouterr().err.splitlines() if l.strip()]


def _line_png(tmp_path):
    import cv2

    line, _ = drawing(48, 64)
    p = tmp_path / "page.png"
    cv2.imwrite(str(p), line)
    return p


# ============================================================ 4: hostile network configs
@pytest.mark.parametrize("family,key,value", [
    ("auto", "blocks", 10**9), ("auto", "blocks", 1000), ("color-apply", "blocks", 1000),
    ("temporal", "n_res", 10**9), ("temporal", "ngf", 10**7), ("auto", "widths", [8] * 100_000),
    ("histogram", "hint_count", 10**12), ("histogram", "width", 1e300), ("auto", "temperature", float("nan")),
])
def test_hostile_config_is_refused_at_once(tmp_path, good, family, key, value):
    p = _with_config(good[family], tmp_path / "crafted.safetensors", **{key: value})
    t = time.perf_counter()
    with _deadline(10), pytest.raises(WeightsError) as e:
        load_weights(p)
    took = time.perf_counter() - t
    _one_line(e, p, repr(key))
    assert took < 0.5, f"took {took:.2f} s"


def test_hostile_config_in_the_cli_exits_with_one_line(tmp_path, good, capfd):
    p = _with_config(good["auto"], tmp_path / "crafted.safetensors", blocks=10**9)
    t = time.perf_counter()
    with _deadline(20):
        rc, errs = _cli(capfd, "colorize", _line_png(tmp_path), "-o", tmp_path / "out", "--model", "auto", "--weights", p)
    assert rc == 2 and len(errs) == 1 and p.name in errs[0] and "blocks" in errs[0], errs
    assert time.perf_counter() - t < 10
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_good_configs_still_load(good):
    for family, p in good.items():
        net, meta = load_weights(p, family=family)
        assert meta["family"] == family and net.config == registry.spec(family).tiny_config
    # the shipped default and the ResNet34 option are inside the limits
    for family in registry.names():
        registry.build(family)
    registry.build("histogram", {"generator": "resnet34", "width": 0.125}, tiny=True)


# ============================================================ 5: NaN/inf, int and bool tensors
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_or_inf_weights_refused_on_load(tmp_path, value):
    p = _with_tensors("auto", tmp_path / "diverged.safetensors", _poison(value))
    with pytest.raises(WeightsError) as e:
        load_weights(p)
    _one_line(e, p, "NaN/inf", "diverged")


def test_nan_weights_in_the_cli_exit_2_without_output(tmp_path, capfd):
    p = _with_tensors("auto", tmp_path / "diverged.safetensors", _poison(float("nan")))
    rc, errs = _cli(capfd, "colorize", _line_png(tmp_path), "-o", tmp_path / "out", "--model", "auto", "--weights", p)
    assert rc == 2 and len(errs) == 1 and p.name in errs[0] and "NaN/inf" in errs[0], errs
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("dtype,word", [(torch.int64, "int64"), (torch.int32, "int32"), (torch.bool, "bool"), (torch.uint8, "uint8")])
def test_int_and_bool_tensors_refused(tmp_path, dtype, word):
    p = _with_tensors("color-apply", tmp_path / f"{word}.safetensors", _as_dtype(dtype))
    with pytest.raises(WeightsError) as e:
        load_weights(p)
    _one_line(e, p, word)


def test_half_precision_weights_still_load(tmp_path):
    p = _with_tensors("temporal", tmp_path / "half.safetensors", lambda s: s.update({k: v.half() for k, v in s.items()}))
    net, _ = load_weights(p)
    assert all(v.dtype == torch.float32 for v in net.state_dict().values())


def test_save_weights_refuses_nan(tmp_path):
    net = registry.build("auto", tiny=True)
    with torch.no_grad():
        next(net.parameters()).view(-1)[0] = float("nan")
    p = tmp_path / "auto.safetensors"
    with pytest.raises(WeightsError) as e:
        save_weights(p, net)
    _one_line(e, p, "NaN/inf")
    assert not p.exists() and not list(tmp_path.iterdir())


def test_training_export_refuses_diverged_weights(tmp_path):
    from colorpaint.training.loop import TrainConfig, Trainer

    t = Trainer(TrainConfig(model="temporal", data=[], out=str(tmp_path / "run"), device="cpu", tiny=True))
    t.net, t.ema, t.base = registry.build("temporal", tiny=True), None, {}
    assert t.export(3, {}, []).exists()  # finite weights export as before
    before = (tmp_path / "run" / "temporal.safetensors").read_bytes()
    with torch.no_grad():
        next(t.net.parameters()).view(-1)[0] = float("inf")
    with pytest.raises(WeightsError) as e:
        t.export(7, {}, [])
    msg = _one_line(e, tmp_path / "run" / "temporal.safetensors", "NaN/inf", "step 7")
    assert "diverged" in msg
    assert (tmp_path / "run" / "temporal.safetensors").read_bytes() == before  # the last good export is kept
    assert t.net.training  # the network is left as it was


# ============================================================ 5: the model store
@pytest.fixture
def store(tmp_path, good):
    (tmp_path / "bundled").mkdir()
    (tmp_path / "bundled" / "auto.safetensors").write_bytes(good["auto"].read_bytes())
    return ModelStore(tmp_path / "models", bundled_dir=tmp_path / "bundled")


def _broken_files(tmp_path, good):
    d = tmp_path / "broken"
    d.mkdir(exist_ok=True)
    return {
        "truncated": _truncated(good["auto"], d / "truncated.safetensors"),
        "wrong shape": _wrong_shape("auto", d / "shape.safetensors"),
        "bad offsets": _bad_offsets(good["auto"], d / "offsets.safetensors"),
        "nan": _with_tensors("auto", d / "nan.safetensors", _poison(float("nan"))),
        "int64": _with_tensors("auto", d / "int.safetensors", _as_dtype(torch.int64)),
        "huge config": _with_config(good["auto"], d / "config.safetensors", blocks=10**9),
    }


def test_store_refuses_to_add_a_file_that_does_not_load(store, tmp_path, good):
    for what, p in _broken_files(tmp_path, good).items():
        with _deadline(10), pytest.raises(WeightsError) as e:
            store.add_version("auto", p, {"name": what})
        _one_line(e, p)
    assert [v.id for v in store.list_versions()] == ["bundled"]
    assert not (store.root / "auto").exists() or not list((store.root / "auto").iterdir())


def test_store_skips_broken_versions_and_lists_the_others(store, tmp_path, good, caplog):
    first = store.add_version("auto", good["auto"], {"name": "first"})
    broken = {}
    for what, p in _broken_files(tmp_path, good).items():
        v = store.add_version("auto", good["auto"], {"name": what})
        v.weights.write_bytes(p.read_bytes())  # damaged after it was added (disk, a hand copy...)
        broken[what] = v
    last = store.add_version("auto", good["auto"], {"name": "last"})
    with _deadline(10), caplog.at_level(logging.WARNING, logger="colorpaint.engine.model_store"):
        vs = store.list_versions()
    assert [v.name for v in vs] == ["bundled test", "first", "last"]
    assert len(store.problems) == len(broken) and len(caplog.records) == len(broken)
    for v in broken.values():
        assert sum(p.startswith(f"{v.folder}: ") for p in store.problems) == 1, store.problems
    assert all("\n" not in p for p in store.problems)
    assert store.find(last.weights) == last and first in vs


# ============================================================ 6: info.json in the model list
BAD_INFO = {
    "nested 100k deep": '{"name": "deep", "metrics": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "1e999": '{"name": "overflow", "steps": 1e999}',
    "-1e999 in metrics": '{"name": "overflow", "metrics": {"after": {"psnr": -1e999}}}',
    "NaN": '{"name": "nan", "metrics": {"before": {"psnr": NaN}}}',
    "Infinity": '{"name": "inf", "steps": Infinity}',
    "4000-digit int": '{"name": "big", "steps": ' + "9" * 4000 + "}",
    "not an object": "[1, 2, 3]",
    "not utf-8": b'{"name": "\xff\xfe"}',
}


def test_bad_info_json_is_skipped_and_the_others_listed(store, good, caplog):
    first = store.add_version("auto", good["auto"], {"name": "first", "steps": 12, "metrics": {"after": {"psnr": 20.5}}})
    broken = []
    for what, text in BAD_INFO.items():
        v = store.add_version("auto", good["auto"], {"name": what})
        (v.folder / "info.json").write_bytes(text if isinstance(text, bytes) else text.encode())
        broken.append(v)
    last = store.add_version("auto", good["auto"], {"name": "last"})
    with _deadline(10), caplog.at_level(logging.WARNING, logger="colorpaint.engine.model_store"):
        vs = store.list_versions("auto")
    assert [v.name for v in vs] == ["bundled test", "first", "last"]
    assert vs[1].info["steps"] == 12 and vs[1].info["metrics"]["after"]["psnr"] == 20.5
    assert len(store.problems) == len(broken)
    for v in broken:
        assert sum(p.startswith(f"{v.folder}: ") and "info.json" in p for p in store.problems) == 1, store.problems
    assert store.find(last.weights) == last


def _sane(value, depth=0) -> bool:
    """What the window and the CLI do with info values works: format, compare, dump."""
    if depth > 64:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _sane(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_sane(v, depth + 1) for v in value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, (int, float)):
        f"{value:.3f}", f"{value:,}"
        return math.isfinite(value)
    return False


_HOSTILE_JSON = [
    "[" * 5000 + "]" * 5000, "{\"a\": " * 3000 + "1" + "}" * 3000, "1e999", "-1e999", "1e308", "NaN", "-Infinity",
    "9" * 4300, "9" * 4301, "-" + "9" * 400, "0." + "0" * 5000 + "1", '"' + "x" * 10_000 + '"', "[]", "{}", "true", "null",
]


@st.composite
def info_texts(draw):
    """info.json text whose values are declared huge, deep or non-finite, or mutated bytes."""
    base = {"name": "fuzz", "steps": 40, "date": "2026-01-01 10:00", "metrics": {"before": {"psnr": 11.0}, "after": {"psnr": 15.5}},
            "base": {"name": "bundled"}}
    kind = draw(st.sampled_from(["value", "mutate", "deep"]))
    if kind == "value":
        keys = draw(st.lists(st.sampled_from(["name", "steps", "date", "metrics", "base", "comparison", "extra"]), min_size=1, max_size=3))
        text = json.dumps(base)
        for k in keys:
            v = draw(st.sampled_from(_HOSTILE_JSON))
            text = text[:-1] + f', "{k}": {v}' + "}"
        return text.encode()
    if kind == "deep":
        depth = draw(st.integers(10, 200_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"x":', "}")]))
        return ('{"name": "deep", "metrics": ' + opener * depth + "0" + closer * depth + "}").encode()
    data = bytearray(json.dumps(base).encode())
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        data[pos:pos] = draw(st.sampled_from([b"1e999", b"NaN", b"[" * 2000, b"9" * 5000, b"\xff", b"-", b"}"]))
    return bytes(data)


def test_info_json_fuzz(tmp_path, good):
    (tmp_path / "bundled").mkdir()
    st_ = ModelStore(tmp_path / "models", bundled_dir=tmp_path / "bundled")
    keep = st_.add_version("auto", good["auto"], {"name": "keep", "steps": 3})
    fuzzed = st_.add_version("auto", good["auto"], {"name": "fuzzed"})

    @FUZZ
    @given(text=info_texts())
    def run(text):
        (fuzzed.folder / "info.json").write_bytes(text)
        with _deadline(10):
            vs = st_.list_versions()
        assert keep in vs
        others = [v for v in vs if v.id == fuzzed.id]
        if others:  # listed: every value in it is usable
            assert _sane(others[0].info) and isinstance(others[0].name, str) and not st_.problems
            json.dumps(others[0].info, allow_nan=False)
        else:  # skipped: one line naming the folder and the file
            assert len(st_.problems) == 1 and st_.problems[0].startswith(f"{fuzzed.folder}: ") and "info.json" in st_.problems[0]
            assert "\n" not in st_.problems[0]

    run()


def test_a_diverged_run_keeps_its_last_good_checkpoint(tmp_path):
    from colorpaint.training.loop import TrainConfig, Trainer

    t = Trainer(TrainConfig(model="temporal", data=[], out=str(tmp_path / "run"), device="cpu", tiny=True))
    net = registry.build("temporal", tiny=True)
    opt = torch.optim.Adam(net.parameters())

    class Obj:
        def modules(self):
            return {"G": net}

        def optimizers(self):
            return {"opt_G": opt}

    t.obj, t.net, t.ema = Obj(), net, None
    t.out.mkdir(parents=True, exist_ok=True)
    t.save_checkpoint(5, [])
    good = t.ckpt_path.read_bytes()
    with torch.no_grad():
        next(net.parameters()).view(-1)[0] = float("nan")
    with pytest.raises(ValueError, match="diverged by step 9"):
        t.save_checkpoint(9, [])
    assert t.ckpt_path.read_bytes() == good  # resuming starts from step 5's finite weights
