"""The options of a colorize request, typed, each with its one default.

``ColorizeRequest.options`` carries them as a plain dict (it crosses threads and goes into
cache keys as it is); a key left out takes the default declared here. Read them with
:meth:`ColorizeOptions.of`; build them with :meth:`ColorizeOptions.request_dict`. No torch
here: the project and the window import this without loading the engine.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping

DEFAULT_GAP = 2  # px: line breaks up to this wide still close a region
MAX_GAP = 16  # px: the widest break gap closing seals (the Regions panel and colorpaint-cli --gap offer 0..16)
# fill tolerance: how light a pixel may be and still count as line, in percent of white
# (1..100; 0 = Auto, the level picked from the drawing by Otsu, as before the setting existed)
AUTO_TOLERANCE = 0
MAX_TOLERANCE = 100
# how far still areas keep the previous frame's colors in a shot (0..1). On the 9 val
# shots with a key, 0 -> 0.5 -> 0.8 -> 0.95 raised PSNR 25.3 -> 26.5 -> 27.7 -> 28.3 dB and
# lowered |flicker| 1.09 -> 0.97 -> 0.83 -> 0.74 (benchmarks/temporal_consistency.py).
STEADY = 0.95
ANCHOR = 0.5  # how strongly a shot's frames lean on their nearest key (0..1; colorpaint-cli sequence --anchor)


def check_gap(gap) -> int:
    """``gap`` as an int in 0..:data:`MAX_GAP`, else ValueError saying so."""
    try:
        g = int(gap)
    except (TypeError, ValueError):
        raise ValueError(f"gap must be a whole number of pixels, got {gap!r}") from None
    if not 0 <= g <= MAX_GAP:
        raise ValueError(f"gap must be between 0 and {MAX_GAP} pixels, got {gap}")
    return g


def ink_level(tolerance) -> int | None:
    """The gray level (0..254) at or below which a pixel is line, for a fill ``tolerance``
    (percent of white, 1..:data:`MAX_TOLERANCE`); None for Auto (0: picked from the drawing).
    Raising the tolerance makes lighter lines (pencil, anti-aliased gray) stop fills; paper
    white (255) never counts as line."""
    t = min(MAX_TOLERANCE, max(0, int(tolerance or 0)))
    return None if t == AUTO_TOLERANCE else min(254, int(round(t * 255 / 100)))


@dataclass(frozen=True)
class ColorizeOptions:
    """What a colorize request asks for beyond its image, hints, palette and model.

    ``flat``: one color per closed line-art region (:mod:`.flat`). ``gap``: line breaks up
    to this many px still close a region, for fills, flat colors and the hint rules.
    ``tolerance``: how light a pixel may be and still count as line for those regions
    (percent of white, :func:`ink_level`; 0 = Auto).
    ``calibrate``: grayscale colors fade toward gray where the network is unsure.
    ``cel``: line art without hints gets one color per region and a white page.
    ``hint_regions``: ``"agreeing"`` (a region whose hints agree takes their color),
    ``"all"`` (every hinted region, each pixel its nearest hint) or False (networks only).
    ``hint_reach``: ``"regions"`` (regions without a hint keep their no-hint colors) or
    ``"network"``. ``ignore_slips``: a stroke's small slip across an outline is dropped.
    ``warp_prev``: the previous frame is carried onto this one by optical flow.
    Shots: ``steady`` (0..1, how far still areas keep the previous frame's colors) and
    ``carry`` (line art carries colors along reliable flow)."""

    flat: bool = False
    gap: int = DEFAULT_GAP
    tolerance: int = AUTO_TOLERANCE
    calibrate: bool = True
    cel: bool = True
    hint_regions: str | bool = "agreeing"
    hint_reach: str = "regions"
    ignore_slips: bool = True
    warp_prev: bool = True
    steady: float = STEADY
    carry: bool = True

    @classmethod
    def of(cls, options: Mapping | ColorizeOptions | None) -> ColorizeOptions:
        """The options a request's ``options`` dict stands for (keys left out: the defaults;
        keys this version does not know: ignored)."""
        if isinstance(options, ColorizeOptions):
            return options
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (options or {}).items() if k in known})

    def request_dict(self, *always: str) -> dict:
        """``ColorizeRequest.options`` for these options: the keys named in ``always`` and
        every option that is not at its default (the engine reads the rest as defaults)."""
        base = ColorizeOptions()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in always or getattr(self, f.name) != getattr(base, f.name)}
