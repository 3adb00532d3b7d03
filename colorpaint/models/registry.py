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

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch.nn as nn

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "models"


class ConfigError(ValueError):
    """A network config outside the family's limits (one line naming the key)."""


def _show(value) -> str:
    """A short description of a config value for a one-line message."""
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 200 else "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Int:
    """A whole number in ``lo..hi`` (JSON ``true``/``false`` are not numbers here)."""

    lo: int
    hi: int

    def problem(self, value) -> str | None:
        if type(value) is not int:
            return f"must be a whole number from {self.lo} to {self.hi}"
        return None if self.lo <= value <= self.hi else f"is out of range (allowed {self.lo}..{self.hi})"


@dataclass(frozen=True)
class Float:
    lo: float
    hi: float

    def problem(self, value) -> str | None:
        if type(value) not in (int, float):
            return f"must be a number from {self.lo:g} to {self.hi:g}"
        ok = math.isfinite(value) and self.lo <= value <= self.hi
        return None if ok else f"is out of range (allowed {self.lo:g}..{self.hi:g})"


@dataclass(frozen=True)
class Ints:
    """A list of ``min_len..max_len`` whole numbers, each in ``lo..hi`` (channel widths)."""

    min_len: int
    max_len: int
    lo: int
    hi: int

    def problem(self, value) -> str | None:
        if not isinstance(value, (list, tuple)):
            return f"must be a list of {self.min_len} to {self.max_len} whole numbers"
        if not self.min_len <= len(value) <= self.max_len:
            return f"has {len(value)} items (allowed {self.min_len}..{self.max_len})"
        for v in value:
            if type(v) is not int or not self.lo <= v <= self.hi:
                return f"holds {_show(v)} (each must be a whole number from {self.lo} to {self.hi})"
        return None


@dataclass(frozen=True)
class Bool:
    def problem(self, value) -> str | None:
        return None if isinstance(value, bool) else "must be true or false"


@dataclass(frozen=True)
class OneOf:
    choices: tuple

    def problem(self, value) -> str | None:
        return None if isinstance(value, str) and value in self.choices else f"must be one of {', '.join(self.choices)}"


# Limits shared by the families. A weights file's metadata says which network to build, so
# every config value is bounded before anything is built: the bounds keep building (even on
# the meta device) to a fraction of a second and are far above any network we train.
WIDTHS = Ints(1, 5, 1, 1024)  # U-Net levels: the pipeline pads to 32 px, enough for 5 levels
BLOCKS = Int(1, 16)
RADIUS = Int(0, 256)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    paper: str
    inputs: tuple[str, ...]
    builder: Callable[..., nn.Module]
    default_config: dict = field(default_factory=dict)
    tiny_config: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)  # config key -> Int / Float / Ints / Bool / OneOf

    @property
    def default_weights(self) -> Path:
        return RESOURCES / f"{self.name}.safetensors"


_REGISTRY: dict[str, ModelSpec] = {}


class UnknownModelError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def register(name: str, *, title: str, paper: str, inputs: tuple[str, ...], default_config: dict, tiny_config: dict, limits: dict):
    def deco(builder):
        _REGISTRY[name] = ModelSpec(name, title, paper, inputs, builder, default_config, tiny_config, limits)
        return builder

    return deco


def _load_families() -> None:
    from . import auto, color_apply, histogram_hint, temporal  # noqa: F401  (registers)
    from . import camizan  # noqa: F401  (registers last: no bundled weights)


def names() -> list[str]:
    _load_families()
    return list(_REGISTRY)


def spec(name: str) -> ModelSpec:
    _load_families()
    if name not in _REGISTRY:
        raise UnknownModelError(f"unknown model {name!r}; known models: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def check_config(name: str, config: dict | None = None, tiny: bool = False) -> dict:
    """The family's full config (missing keys take the defaults), every value checked
    against the family's limits. Raises :class:`ConfigError` naming the first bad key."""
    s = spec(name)
    if config is not None and not isinstance(config, dict):
        raise ConfigError(f"the {name!r} network config must be a JSON object, not {_show(config)}")
    cfg = dict(s.tiny_config if tiny else s.default_config)
    cfg.update(config or {})
    for key, value in cfg.items():
        limit = s.limits.get(key) if isinstance(key, str) else None
        if limit is None:
            raise ConfigError(f"unknown {name!r} config key {_show(key)} (known: {', '.join(s.limits)})")
        why = limit.problem(value)
        if why:
            shown = "" if isinstance(value, (list, tuple, dict)) else f" = {_show(value)}"
            raise ConfigError(f"{name!r} config key {key!r}{shown} {why}")
    return cfg


def build(name: str, config: dict | None = None, tiny: bool = False) -> nn.Module:
    """Build the family's network from a config (missing keys take the defaults); a config
    outside the family's limits raises :class:`ConfigError` before anything is built."""
    s = spec(name)
    cfg = check_config(name, config, tiny)
    net = s.builder(**cfg)
    net.family = name
    net.config = cfg
    return net
