"""Weights files: safetensors tensors plus JSON metadata in the safetensors header.

The header's ``__metadata__`` holds one key, ``colorpaint``, whose value is a JSON object:
``family``, ``format`` (this module's version), ``config`` (the network's constructor
arguments), ``input_kinds``, ``recipe``, ``metrics``, ``trained`` and free-form extras.
Nothing is ever unpickled: safetensors only holds raw tensors.
"""
from __future__ import annotations

import json
import math
import os
import struct
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from safetensors import safe_open

from ..core.atomic import atomic_write_file
from ..models import registry

if TYPE_CHECKING:
    import torch

# torch (and safetensors' torch part) is imported when tensors are first read, written or
# checked against a network, not when this module is: reading metadata and the error type
# need neither, so the window starts without torch

FORMAT = 1

# safetensors dtype -> (bytes per value, name shown to the user)
_DTYPES = {"F64": (8, "float64"), "F32": (4, "float32"), "F16": (2, "float16"), "BF16": (2, "bfloat16"),
           "F8_E4M3": (1, "float8_e4m3"), "F8_E5M2": (1, "float8_e5m2"), "I64": (8, "int64"), "I32": (4, "int32"),
           "I16": (2, "int16"), "I8": (1, "int8"), "U64": (8, "uint64"), "U32": (4, "uint32"), "U16": (2, "uint16"),
           "U8": (1, "uint8"), "BOOL": (1, "bool")}
_FLOATS = ("F32", "F16", "BF16", "F64")


@cache
def _torch_dtypes() -> tuple[dict, dict]:
    """(what a network tensor of each torch dtype may be stored as: floats load into any
    float parameter, the safetensors name of each torch dtype)."""
    import torch

    stored_as = {torch.float32: _FLOATS, torch.float16: _FLOATS, torch.bfloat16: _FLOATS, torch.float64: _FLOATS,
                 torch.int64: ("I64",)}
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int64: "I64",
             torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
    return stored_as, names


DIVERGED = "weights contain NaN/inf values — the training that wrote them diverged"


class WeightsError(ValueError):
    """A weights file that is missing, corrupt, or of the wrong family (one-line message)."""


def _first_line(e: BaseException, n: int = 120) -> str:
    text = str(e).splitlines()[0][:n] if str(e) else ""
    return text or e.__class__.__name__


def _expected(where, family: str, config) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Name -> (shape, dtype) of every tensor of the network ``family``/``config``
    (``where`` begins every error message: the file).

    The config is checked against the family's limits first (a weights file is untrusted:
    its metadata must not make us build a huge network), then the network is built on the
    meta device, which allocates nothing."""
    try:
        cfg = registry.check_config(family, config)
    except registry.ConfigError as e:
        raise WeightsError(f"{where}: bad network config in its metadata: {e}") from None
    except Exception as e:  # unknown family, ...
        raise WeightsError(f"{where}: cannot build model from its metadata ({_first_line(e)})") from None
    key = (family, json.dumps(cfg, sort_keys=True))
    if key not in _EXPECTED:
        import torch

        try:
            with torch.device("meta"):
                sd = registry.build(family, cfg).state_dict()
        except Exception as e:  # any constructor error from a bad config is a bad file
            raise WeightsError(f"{where}: cannot build model from its metadata ({e.__class__.__name__}: {_first_line(e)})") from None
        if len(_EXPECTED) >= 64:
            _EXPECTED.clear()
        _EXPECTED[key] = {k: (tuple(v.shape), v.dtype) for k, v in sd.items()}
    return _EXPECTED[key]


_EXPECTED: dict[tuple[str, str], dict] = {}


def save_weights(path: str | os.PathLike, net: torch.nn.Module, meta: dict | None = None) -> Path:
    """Atomically write ``net``'s state and metadata to ``path`` (a .safetensors file).

    Refuses (:class:`WeightsError`, nothing written) weights that could not be loaded
    back: NaN/inf values (the training diverged), or tensors that do not fit the network
    the metadata describes."""
    from safetensors.torch import save_file

    path = Path(path)
    info = {"family": net.family, "format": FORMAT, "config": net.config, "input_kinds": ["lineart", "gray"], "trained": False}
    info.update(meta or {})
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in net.state_dict().items()}
    stored = {k: (tuple(v.shape), _torch_dtypes()[1].get(v.dtype, str(v.dtype))) for k, v in state.items()}
    _check_tensors(f"{path}: not written", info["family"], info["config"], stored)
    bad = _not_finite(state.items())
    if bad:
        raise WeightsError(f"{path}: not written: weights contain NaN/inf values ({bad}) — the training diverged")
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_file(path, lambda tmp: save_file(state, tmp, metadata={"colorpaint": json.dumps(info)}))


def _not_finite(tensors) -> str | None:
    """The name of the first floating tensor holding NaN or inf, if any."""
    import torch

    for k, t in tensors:
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            return k
    return None


def _check_tensors(where, family: str, config, stored: dict) -> dict:
    """Check tensors ``stored`` (name -> (shape, safetensors dtype)) against the network
    ``family``/``config`` (built on the meta device); returns the expected tensors."""
    expected = _expected(where, family, config)
    stored_as, torch_names = _torch_dtypes()
    shapes = {k: v[0] for k, v in expected.items()}
    got = {k: v[0] for k, v in stored.items()}
    if got != shapes:
        missing, extra = sorted(set(shapes) - set(got)), sorted(set(got) - set(shapes))
        bad = sorted(k for k in set(shapes) & set(got) if shapes[k] != got[k])
        what = (f"missing {missing[0]}" if missing else f"unexpected {extra[0]}" if extra else f"{bad[0]} has shape {got[bad[0]]}, expected {shapes[bad[0]]}")
        raise WeightsError(f"{where}: tensors do not match the {family!r} network ({what})")
    for k, (_, dtype) in sorted(stored.items()):
        want = expected[k][1]
        if dtype not in stored_as.get(want, (torch_names.get(want),)):
            kind = "floating-point weights" if want.is_floating_point else f"{_DTYPES.get(torch_names.get(want), (0, str(want)))[1]} values"
            raise WeightsError(f"{where}: tensor {k} holds {_DTYPES.get(dtype, (0, str(dtype)))[1]} values, expected {kind}")
    return expected


def _check_header(path: Path, header: dict, data_len: int, meta: dict) -> None:
    """The header's tensor list fits the network its metadata describes (names, shapes,
    dtypes), and its data offsets fit the file: each tensor's bytes are exactly its shape's
    worth, the tensors follow one another and end where the file ends. Nothing is loaded
    and nothing is allocated, so this also bounds what loading the file will allocate."""
    stored, spans = {}, []
    for k, v in header.items():
        if k == "__metadata__":
            continue
        shape, dtype, offsets = (v.get("shape"), v.get("dtype"), v.get("data_offsets")) if isinstance(v, dict) else (None, None, None)
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            shape = None
        stored[k] = (tuple(shape) if shape is not None else None, dtype if isinstance(dtype, str) else None)
        spans.append((k, shape, dtype, offsets))
    _check_tensors(path, meta["family"], meta.get("config"), stored)
    starts = []
    for k, shape, dtype, offsets in spans:
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int and o >= 0 for o in offsets) and offsets[0] <= offsets[1]):
            raise WeightsError(f"{path}: corrupt weights (bad data offsets for {k})")
        need = math.prod(shape) * _DTYPES[dtype][0]
        if offsets[1] - offsets[0] != need:
            raise WeightsError(f"{path}: corrupt weights ({k} has {offsets[1] - offsets[0]} bytes of data, its shape needs {need})")
        starts.append((offsets[0], offsets[1], k))
    end = 0
    for begin, stop, k in sorted(starts):
        if begin != end:
            raise WeightsError(f"{path}: corrupt weights (the data of {k} {'overlaps another tensor' if begin < end else 'does not follow the previous tensor'})")
        end = stop
    if end > data_len:
        raise WeightsError(f"{path}: truncated weights (the tensors need {end} bytes of data, the file holds {max(data_len, 0)})")
    if end < data_len:
        raise WeightsError(f"{path}: corrupt weights ({data_len - end} unexpected bytes after the tensor data)")


def _read_header(path: Path) -> dict:
    """The safetensors JSON header of ``path`` (tensor names -> dtype/shape/offsets, ``__metadata__``)."""
    return _read(path)[0]


def _read(path: Path) -> tuple[dict, int]:
    """``_read_header``, and the length of the data part that follows the header."""
    if not path.exists():
        raise WeightsError(f"{path}: weights file not found")
    if path.is_dir():
        raise WeightsError(f"{path}: is a folder, not a weights file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise WeightsError(f"{path}: not a safetensors weights file (too short)")
            (n,) = struct.unpack("<Q", head)
            # the size of the file we opened, not of whatever sits at the path now: a save
            # renamed over it meanwhile must not make a sound file look corrupt
            size = os.fstat(fh.fileno()).st_size
            if n <= 0 or n > 100_000_000 or n > size - 8:
                raise WeightsError(f"{path}: not a safetensors weights file (bad header)")
            header = json.loads(fh.read(n))
            data_len = size - 8 - n
    except WeightsError:
        raise
    # a crafted header can be any JSON (a list, deep nesting, ...): every failure is one line
    except (ValueError, UnicodeDecodeError, OSError, RecursionError) as e:
        raise WeightsError(f"{path}: not a ColorPaint weights file ({e.__class__.__name__})") from None
    if not isinstance(header, dict):
        raise WeightsError(f"{path}: not a safetensors weights file (bad header)")
    return header, data_len


def _meta_of(path: Path, header: dict) -> dict:
    try:
        md = header.get("__metadata__") or {}
        meta = json.loads(md.get("colorpaint", "null")) if isinstance(md, dict) else None
    except (ValueError, TypeError, RecursionError) as e:
        raise WeightsError(f"{path}: not a ColorPaint weights file ({e.__class__.__name__})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("family"), str):
        raise WeightsError(f"{path}: safetensors file without ColorPaint metadata (not a ColorPaint model)")
    return meta


def read_metadata(path: str | os.PathLike) -> dict:
    """Read only the header's metadata (cheap: no tensors are loaded)."""
    path = Path(path)
    return _meta_of(path, _read_header(path))


def _checked_meta(path: Path, family: str | None) -> dict:
    """The file's metadata, once its header passed every check: the family (when given),
    then the metadata's network against the file's tensor list and size, on the meta
    device (no memory), so a crafted file cannot make us build or allocate more than it holds."""
    header, data_len = _read(path)
    meta = _meta_of(path, header)
    if family is not None and meta["family"] != family:
        raise WeightsError(f"{path}: holds a {meta['family']!r} model, not {family!r}")
    _check_header(path, header, data_len, meta)
    return meta


def check_weights(path: str | os.PathLike, family: str | None = None, data: bool = True) -> dict:
    """Check that ``path`` would load, without building the network; returns its metadata.

    The header is checked against the network on the meta device (names, shapes, dtypes,
    data offsets: see :func:`load_weights`); with ``data``, every value is read and checked
    to be finite. A file that passed the data check is remembered (by path, size, inode
    and modification times), so checking an unchanged file again only reads its header.
    Raises :class:`WeightsError` like :func:`load_weights`."""
    path = Path(path)
    meta = _checked_meta(path, family)
    if data:
        try:
            st = path.stat()
            key = (str(path.resolve()), st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
        except OSError as e:
            raise WeightsError(f"{path}: cannot read weights ({_first_line(e)})") from None
        if key not in _FINITE:
            try:
                with safe_open(str(path), framework="pt") as f:
                    bad = _not_finite((k, f.get_tensor(k)) for k in f.keys())
            except Exception as e:  # safetensors raises its own error types
                raise WeightsError(f"{path}: corrupt or truncated weights ({_first_line(e)})") from None
            if bad:
                raise WeightsError(f"{path}: {DIVERGED} ({bad})")
            if len(_FINITE) >= 256:
                _FINITE.clear()
            _FINITE.add(key)
    return meta


_FINITE: set[tuple] = set()


def load_weights(path: str | os.PathLike, family: str | None = None, map_location: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """Build the network the file describes and load its tensors.

    Raises :class:`WeightsError` (one line: the file and what is wrong) when the file is
    missing, corrupt, truncated, of another family than ``family``, asks for a network
    outside the family's limits, does not fit, holds integer or boolean tensors where the
    network has floating-point weights, or holds NaN/inf values.
    """
    from safetensors.torch import load_file

    path = Path(path)
    meta = _checked_meta(path, family)
    try:
        state = load_file(str(path), device=map_location)
    except Exception as e:  # safetensors raises its own error types for truncated files
        raise WeightsError(f"{path}: corrupt or truncated weights ({_first_line(e)})") from None
    bad = _not_finite(state.items())
    if bad:
        raise WeightsError(f"{path}: {DIVERGED} ({bad})")
    try:
        net = registry.build(meta["family"], meta.get("config"))
    except Exception as e:
        raise WeightsError(f"{path}: cannot build model from its metadata ({e.__class__.__name__})") from None
    try:
        net.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, TypeError) as e:
        raise WeightsError(f"{path}: tensors do not match the {meta['family']!r} network ({_first_line(e, 160)})") from None
    net.meta = meta
    return net, meta
