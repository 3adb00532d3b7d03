"""The engine session: loads, caches and switches models, and owns the accelerator.

One lock serialises use of the device. Switching to another model frees the old one; if
the new one fails to load, the old one stays (IOPaint's model manager does the same).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..models import registry
from .device import describe, pick_device
from .weights import WeightsError, load_weights


@dataclass
class LoadedModel:
    name: str
    net: torch.nn.Module
    meta: dict
    weights: Path
    device: torch.device
    dtype: torch.dtype

    @property
    def multiple(self) -> int:
        return registry.spec(self.name).size_multiple

    @property
    def device_name(self) -> str:
        return describe(self.device)

    def set_palette(self, palette) -> None:
        """Restrict generated hints to a palette's histogram bins (histogram family only)."""
        if not registry.spec(self.name).palette_hook:
            return
        if not palette:
            self.net.allowed_bins = None
            return
        from ..core.palette import bin_of

        bins = bin_of(np.asarray(palette, np.int64).reshape(-1, 3))
        mask = torch.zeros(512, dtype=torch.bool)
        mask[torch.from_numpy(bins)] = True
        self.net.allowed_bins = mask.to(self.device)


class Session:
    """Holds at most ``capacity`` loaded models on one device."""

    def __init__(self, device: str | None = None, capacity: int = 2):
        self.device = pick_device(device)
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.capacity = capacity
        self.lock = threading.RLock()
        self._cache: dict[tuple[str, str], LoadedModel] = {}

    @property
    def device_name(self) -> str:
        return describe(self.device)

    def weights_path(self, name: str, weights: str | None = None) -> Path:
        if weights:
            return Path(weights)
        return registry.spec(name).default_weights

    def get(self, name: str, weights: str | None = None) -> LoadedModel:
        """The loaded model ``name`` (bundled weights unless ``weights`` is given)."""
        registry.spec(name)  # unknown names fail here, listing the known ones
        path = self.weights_path(name, weights)
        key = (name, str(Path(path).resolve()) if Path(path).exists() else str(path))
        with self.lock:
            if key in self._cache:
                m = self._cache.pop(key)
                self._cache[key] = m  # most recently used last
                return m
            if not Path(path).exists() and weights is None:
                raise WeightsError(f"{path}: model {name!r} has no bundled weights; train them with colorpaint-train --model {name}")
            net, meta = load_weights(path, family=name)
            net = net.to(self.device).eval()
            if self.device.type != "cpu":
                net = net.to(self.dtype)
            net = net.to(memory_format=torch.channels_last)
            loaded = LoadedModel(name, net, meta, Path(path), self.device, self.dtype)
            while len(self._cache) >= self.capacity:
                old_key = next(iter(self._cache))
                del self._cache[old_key]
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
            self._cache[key] = loaded
            return loaded

    def forget(self, weights: str | Path) -> None:
        """Drop any cached model loaded from ``weights`` (after it was replaced on disk)."""
        with self.lock:
            for k in [k for k, m in self._cache.items() if m.weights == Path(weights)]:
                del self._cache[k]
