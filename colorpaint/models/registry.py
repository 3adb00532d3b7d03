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

Each family is declared at the end of this file (name, inputs, configs and their limits)
without torch, so the window lists the families before torch is loaded; its network lives
in its own file, imported when a network is first built (``builder``: ``"module:function"``
in this package). Adding a family: write its file with a ``build_NAME(**config)`` function,
then declare it here.
"""
from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
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
    builder: str  # "module:function" in this package, imported when a network is built (torch)
    default_config: dict = field(default_factory=dict)
    tiny_config: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)  # config key -> Int / Float / Ints / Bool / OneOf
    size_multiple: int = 32  # the network's input sides must be multiples of this
    palette_hook: bool = False  # the network can be told a palette's histogram bins (set_palette)

    @property
    def takes_hints(self) -> bool:
        """The network reads hint strokes (a hint channel)."""
        return "hints" in self.inputs

    @property
    def takes_previous_frame(self) -> bool:
        """The network is conditioned on the previous frame's colors: the shot job runs it."""
        return "previous frame" in self.inputs

    @property
    def default_weights(self) -> Path:
        return RESOURCES / f"{self.name}.safetensors"

    def network_builder(self) -> Callable[..., nn.Module]:
        """The function that builds this family's network (imports its file, and torch)."""
        module, _, function = self.builder.partition(":")
        return getattr(importlib.import_module(f"{__package__}.{module}"), function)


_REGISTRY: dict[str, ModelSpec] = {}


class UnknownModelError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def _declare(name: str, *, builder: str, title: str, paper: str, inputs: tuple[str, ...], default_config: dict, tiny_config: dict,
             limits: dict, size_multiple: int = 32, palette_hook: bool = False) -> None:
    _REGISTRY[name] = ModelSpec(name, title, paper, inputs, builder, default_config, tiny_config, limits, size_multiple, palette_hook)


def names() -> list[str]:
    return list(_REGISTRY)


def spec(name: str) -> ModelSpec:
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
    net = s.network_builder()(**cfg)
    net.family = name
    net.config = cfg
    return net


# ---------------------------------------------------------------- the families, in the order they are listed
_declare(
    "auto",
    builder="auto:build_auto",
    title="Automatic (two-CNN ab classification)",
    paper="varga2017-automatic-cartoon-colorization-cnn",
    inputs=("luminance",),
    default_config={"widths": [16, 32, 64, 128], "blocks": 2, "temperature": 0.38},
    tiny_config={"widths": [8, 8, 8, 8], "blocks": 1, "temperature": 0.38},
    limits={"widths": WIDTHS, "blocks": BLOCKS, "temperature": Float(0.01, 100.0)},
)


_declare(
    "color-apply",
    builder="color_apply:build_color_apply",
    title="Color & apply",
    paper="webtoon-color-and-apply-network",
    inputs=("luminance", "hints"),
    default_config={"coloring_widths": [16, 32, 64, 128], "applier_widths": [24, 48, 96, 128], "blocks": 2},
    tiny_config={"coloring_widths": [8, 8, 8, 8], "applier_widths": [8, 8, 8, 8], "blocks": 1},
    limits={"coloring_widths": WIDTHS, "applier_widths": WIDTHS, "blocks": BLOCKS, "stride": Int(1, 256), "override_radius": RADIUS},
)


_declare(
    "histogram",
    builder="histogram_hint:build_histogram",
    title="Histogram-hinted GAN",
    paper="fu-wang-liu-histogram-hint-lineart-gan",
    inputs=("luminance", "hints"),
    default_config={"generator": "unet", "widths": [24, 48, 96, 128], "blocks": 2, "hint_widths": [16, 32, 64, 96], "hint_count": 48},
    tiny_config={"generator": "unet", "widths": [8, 8, 8, 8], "blocks": 1, "hint_widths": [8, 8, 8, 8], "hint_count": 4},
    limits={"generator": OneOf(("unet", "resnet34", "cnn")), "widths": WIDTHS, "blocks": BLOCKS, "width": Float(0.01, 4.0),
            "hint_widths": WIDTHS, "hint_count": Int(1, 4096), "override_radius": RADIUS},
    palette_hook=True,
)


_declare(
    "temporal",
    builder="temporal:build_temporal",
    title="Previous-frame conditioned (temporal)",
    paper="thasarathan2019-temporally-coherent-lineart-tcvc",
    inputs=("luminance", "previous frame", "hints"),
    default_config={"ngf": 32, "n_res": 8, "use_hints": True, "warp_prev": True},
    tiny_config={"ngf": 4, "n_res": 2, "use_hints": True, "warp_prev": True},
    limits={"ngf": Int(1, 256), "n_res": Int(1, 64), "use_hints": Bool(), "warp_prev": Bool(), "prev_confidence": Bool()},
)


_declare(
    "camizan",
    builder="camizan:build_camizan",
    title="Cross-domain GAN (U-Net / ResNet34 U-Net)",
    paper="camizan-cross-domain-gan-unet-resnet34",
    inputs=("luminance",),
    default_config={"generator": "resnet34", "width": 0.5},
    tiny_config={"generator": "resnet34", "width": 0.125},
    limits={"generator": OneOf(("resnet34", "unet")), "width": Float(0.01, 4.0), "widths": WIDTHS, "blocks": BLOCKS},
)
