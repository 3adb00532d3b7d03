"""Pick the accelerator: CUDA, then Apple MPS, then CPU; overridable by flag or environment."""
from __future__ import annotations

import os

import torch

ENV = "COLORPAINT_DEVICE"


class DeviceError(RuntimeError):
    pass


def pick_device(requested: str | None = None) -> torch.device:
    """``requested``: 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; None reads $COLORPAINT_DEVICE."""
    req = (requested or os.environ.get(ENV) or "auto").lower()
    if req == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if req.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(f"device {req!r} requested but CUDA is not available on this machine")
    if req == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError("device 'mps' requested but Apple MPS is not available on this machine")
    if req not in ("cpu", "mps") and not req.startswith("cuda"):
        raise DeviceError(f"unknown device {req!r}; use auto, cpu, cuda or mps")
    return torch.device(req)


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"
