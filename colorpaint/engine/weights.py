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


def read_metadata(path: str | os.PathLike) -> dict:
    """Read only the header's metadata (cheap: no tensors are loaded)."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: weights file not found")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise WeightsError(f"{path}: not a safetensors weights file (too short)")
            (n,) = struct.unpack("<Q", head)
            if n <= 0 or n > 100_000_000 or n > path.stat().st_size - 8:
                raise WeightsError(f"{path}: not a safetensors weights file (bad header)")
            header = json.loads(fh.read(n))
        meta = json.loads(header.get("__metadata__", {}).get("colorpaint", "null"))
    except WeightsError:
        raise
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise WeightsError(f"{path}: not a ColorPaint weights file ({e.__class__.__name__})") from None
    if not isinstance(meta, dict) or "family" not in meta:
        raise WeightsError(f"{path}: safetensors file without ColorPaint metadata (not a ColorPaint model)")
    return meta


def load_weights(path: str | os.PathLike, family: str | None = None, map_location: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """Build the network the file describes and load its tensors.

    Raises :class:`WeightsError` (one line: the file and what is wrong) when the file is
    missing, corrupt, truncated, of another family than ``family``, or does not fit.
    """
    path = Path(path)
    meta = read_metadata(path)
    if family is not None and meta["family"] != family:
        raise WeightsError(f"{path}: holds a {meta['family']!r} model, not {family!r}")
    try:
        net = registry.build(meta["family"], meta.get("config"))
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{path}: cannot build model from its metadata ({e})") from None
    try:
        state = load_file(str(path), device=map_location)
    except Exception as e:  # safetensors raises its own error types for truncated files
        raise WeightsError(f"{path}: corrupt or truncated weights ({str(e).splitlines()[0][:120]})") from None
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise WeightsError(f"{path}: tensors do not match the {meta['family']!r} network ({str(e).splitlines()[0][:160]})") from None
    net.meta = meta
    return net, meta
