"""Weights files: safetensors tensors plus JSON metadata in the safetensors header.

The header's ``__metadata__`` holds one key, ``colorpaint``, whose value is a JSON object:
``family``, ``format`` (this module's version), ``config`` (the network's constructor
arguments), ``input_kinds``, ``recipe``, ``metrics``, ``trained`` and free-form extras.
Nothing is ever unpickled: safetensors only holds raw tensors.
"""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..models import registry

FORMAT = 1


class WeightsError(ValueError):
    """A weights file that is missing, corrupt, or of the wrong family (one-line message)."""


def save_weights(path: str | os.PathLike, net: torch.nn.Module, meta: dict | None = None) -> Path:
    """Atomically write ``net``'s state and metadata to ``path`` (a .safetensors file)."""
    path = Path(path)
    info = {"family": net.family, "format": FORMAT, "config": net.config, "input_kinds": ["lineart", "gray"], "trained": False}
    info.update(meta or {})
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in net.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata={"colorpaint": json.dumps(info)})
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def _read_header(path: Path) -> dict:
    """The safetensors JSON header of ``path`` (tensor names -> dtype/shape/offsets, ``__metadata__``)."""
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
            if n <= 0 or n > 100_000_000 or n > path.stat().st_size - 8:
                raise WeightsError(f"{path}: not a safetensors weights file (bad header)")
            header = json.loads(fh.read(n))
    except WeightsError:
        raise
    # a crafted header can be any JSON (a list, deep nesting, ...): every failure is one line
    except (ValueError, UnicodeDecodeError, OSError, RecursionError) as e:
        raise WeightsError(f"{path}: not a ColorPaint weights file ({e.__class__.__name__})") from None
    if not isinstance(header, dict):
        raise WeightsError(f"{path}: not a safetensors weights file (bad header)")
    return header


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


def load_weights(path: str | os.PathLike, family: str | None = None, map_location: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """Build the network the file describes and load its tensors.

    Raises :class:`WeightsError` (one line: the file and what is wrong) when the file is
    missing, corrupt, truncated, of another family than ``family``, or does not fit.
    """
    path = Path(path)
    header = _read_header(path)
    meta = _meta_of(path, header)
    if family is not None and meta["family"] != family:
        raise WeightsError(f"{path}: holds a {meta['family']!r} model, not {family!r}")
    # Check the metadata's network against the file's tensor list on the meta device first
    # (no memory), so a crafted config cannot make us allocate a huge network.
    try:
        with torch.device("meta"):
            shapes = {k: tuple(v.shape) for k, v in registry.build(meta["family"], meta.get("config")).state_dict().items()}
    except Exception as e:  # any constructor error from a bad config is a bad file
        raise WeightsError(f"{path}: cannot build model from its metadata ({e.__class__.__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})") from None
    stored = {k: tuple(v.get("shape", ())) if isinstance(v, dict) and isinstance(v.get("shape"), list) else None
              for k, v in header.items() if k != "__metadata__"}
    if stored != shapes:
        missing, extra = sorted(set(shapes) - set(stored)), sorted(set(stored) - set(shapes))
        bad = sorted(k for k in set(shapes) & set(stored) if shapes[k] != stored[k])
        what = (f"missing {missing[0]}" if missing else f"unexpected {extra[0]}" if extra else f"{bad[0]} has shape {stored[bad[0]]}, expected {shapes[bad[0]]}")
        raise WeightsError(f"{path}: tensors do not match the {meta['family']!r} network ({what})")
    try:
        net = registry.build(meta["family"], meta.get("config"))
    except Exception as e:
        raise WeightsError(f"{path}: cannot build model from its metadata ({e.__class__.__name__})") from None
    try:
        state = load_file(str(path), device=map_location)
    except Exception as e:  # safetensors raises its own error types for truncated files
        raise WeightsError(f"{path}: corrupt or truncated weights ({str(e).splitlines()[0][:120] if str(e) else e.__class__.__name__})") from None
    try:
        net.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, TypeError) as e:
        raise WeightsError(f"{path}: tensors do not match the {meta['family']!r} network ({str(e).splitlines()[0][:160]})") from None
    net.meta = meta
    return net, meta
