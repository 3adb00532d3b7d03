"""The painting tool the artist holds, without widgets: which tool, the brush's color, size
and opacity, and what a tablet pen's pressure changes.

One :class:`ToolState` per window: the canvas paints with it, the toolbar's color button,
size field and opacity slider show it, and every change of it is announced on
``events`` (no Qt here: a tiny callback list, like the project's).
"""
from __future__ import annotations

import math

from ..project.events import EmitterGroup
from ..project.strokes import MAX_SIZE, MIN_SIZE

TOOLS = ("brush", "erase", "eyedropper", "fill")
RGB = tuple[int, int, int]


class Checked:
    """A declared value of a :class:`ToolState`: ``rule(new, current)`` keeps what is set in
    range (or raises), and a real change is announced on ``events.<name>`` with ``value=``."""

    def __init__(self, rule) -> None:
        self.rule = rule

    def __set_name__(self, owner, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj, value) -> None:
        old = getattr(obj, self.slot, None)
        new = self.rule(value, old)
        if new != old:
            setattr(obj, self.slot, new)
            if hasattr(obj, "events"):
                getattr(obj.events, self.name)(value=new)


class ToolState:
    """The current tool and brush. Values are kept in range when set: ``size`` (brush
    diameter, image px) within [MIN_SIZE, MAX_SIZE], ``opacity`` within 0..1, ``color`` an
    (r, g, b) tuple of ints 0..255, ``tool`` one of :data:`TOOLS` (any other name raises
    ValueError); a size or opacity that is not a number leaves the value as it was.
    ``pressure_size`` / ``pressure_opacity``: a pen's pressure scales the brush's diameter /
    opacity.

    ``events.<name>.connect(callback)`` for ``tool``, ``color``, ``size``, ``opacity`` and
    ``pressure``: the callback gets ``value=`` the new value (for ``pressure``: the pair
    (pressure_size, pressure_opacity)); it is called only when the value really changed."""

    tool = Checked(lambda name, old: _known_tool(name))
    color = Checked(lambda color, old: _rgb(color))
    size = Checked(lambda size, old: _size(size, 12.0 if old is None else old))
    opacity = Checked(lambda v, old: _unit(v, 1.0 if old is None else old))

    def __init__(self, tool: str = "brush", color=(230, 60, 60), size: float = 12.0, opacity: float = 1.0,
                 pressure_size: bool = True, pressure_opacity: bool = False) -> None:
        self.tool, self.color, self.size, self.opacity = tool, color, size, opacity  # checked, before anyone listens
        self.events = EmitterGroup("tool", "color", "size", "opacity", "pressure")
        self._pressure = (bool(pressure_size), bool(pressure_opacity))

    # ------------------------------------------------------------------ values
    @property
    def pressure_size(self) -> bool:
        return self._pressure[0]

    @pressure_size.setter
    def pressure_size(self, on: bool) -> None:
        self._set_pressure(bool(on), self._pressure[1])

    @property
    def pressure_opacity(self) -> bool:
        return self._pressure[1]

    @pressure_opacity.setter
    def pressure_opacity(self, on: bool) -> None:
        self._set_pressure(self._pressure[0], bool(on))

    def _set_pressure(self, by_size: bool, by_opacity: bool) -> None:
        if (by_size, by_opacity) != self._pressure:
            self._pressure = (by_size, by_opacity)
            self.events.pressure(value=self._pressure)

    # ------------------------------------------------------------------ actions
    def grow(self, steps: int) -> None:
        """``[`` / ``]``: the brush about 15 % bigger (smaller) per step, at least one pixel."""
        s = self._size
        self.size = max(s + steps, s * 1.15 ** steps) if steps > 0 else min(s + steps, s * 1.15 ** steps)

    @property
    def paints(self) -> bool:
        """The tool draws strokes (brush or eraser), rather than picking or filling."""
        return self._tool in ("brush", "erase")


def _known_tool(name) -> str:
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r} (tools: {', '.join(TOOLS)})")
    return name


def _rgb(color) -> RGB:
    c = tuple(color)
    if len(c) != 3:
        raise ValueError(f"a color is (r, g, b), not {color!r}")
    return tuple(min(255, max(0, int(v))) for v in c)


def _size(size, otherwise: float) -> float:
    s = float(size)
    return otherwise if math.isnan(s) else float(min(MAX_SIZE, max(MIN_SIZE, s)))


def _unit(v, otherwise: float) -> float:
    v = float(v)
    return otherwise if math.isnan(v) else min(1.0, max(0.0, v))
