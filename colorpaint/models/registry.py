"""The registry of network families: one name per family, one file per family.

Every family's network has the same call signature, so the engine pipeline treats them
alike::

    net(L, kind, hints, prev) -> lab      # all Bx?xHxW float32, network scaling (color.py)

* ``L``: Bx1xHxW luminance in [-1, 1] (line art or grayscale);
* ``kind``: Bx1x1x1, 0 for line art, 1 for grayscale;
* ``hints``: Bx8xHxW: the artist's hints as Lab (network scaling) times their mask, then
  the mask; then the same for the hints spread over their closed line-art regions
  (``core.hints.hint_inputs``; empty for grayscale input);
* ``prev``: Bx4xHxW, the previous colored frame in Lab (network scaling), then a plane
  that is 1 when a previous frame is given and 0 for the blank frame;
* ``lab``: Bx3xHxW predicted Lab (network scaling).

Families that do not use an input ignore it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch.nn as nn

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "models"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    paper: str
    inputs: tuple[str, ...]
    builder: Callable[..., nn.Module]
    default_config: dict = field(default_factory=dict)
    tiny_config: dict = field(default_factory=dict)

    @property
    def default_weights(self) -> Path:
        return RESOURCES / f"{self.name}.safetensors"


_REGISTRY: dict[str, ModelSpec] = {}


class UnknownModelError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def register(name: str, *, title: str, paper: str, inputs: tuple[str, ...], default_config: dict, tiny_config: dict):
    def deco(builder):
        _REGISTRY[name] = ModelSpec(name, title, paper, inputs, builder, default_config, tiny_config)
        return builder

    return deco


def _load_families() -> None:
    from . import auto, color_apply, histogram_hint, temporal  # noqa: F401  (registers)


def names() -> list[str]:
    _load_families()
    return list(_REGISTRY)


def spec(name: str) -> ModelSpec:
    _load_families()
    if name not in _REGISTRY:
        raise UnknownModelError(f"unknown model {name!r}; known models: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def build(name: str, config: dict | None = None, tiny: bool = False) -> nn.Module:
    """Build the family's network from a config (missing keys take the defaults)."""
    s = spec(name)
    cfg = dict(s.tiny_config if tiny else s.default_config)
    cfg.update(config or {})
    net = s.builder(**cfg)
    net.family = name
    net.config = cfg
    return net
