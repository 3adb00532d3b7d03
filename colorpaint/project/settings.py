"""A project's settings, typed, each declared once with its default and what it may hold.

``Project.settings`` is the dict saved in project.json (a key left out takes its default;
keys a newer version wrote are kept as they are). :class:`ProjectSettings` reads it with
types and defaults (``project.typed_settings.gap``); :func:`clean_settings` checks a file's
settings against the same declarations. No Qt here.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from typing import Mapping

from ..engine.options import ANCHOR, MAX_GAP, MAX_TOLERANCE, ColorizeOptions

INPUT_KINDS = ("auto", "lineart", "gray")
NEW_PROJECT_KEYS = ("input_kind", "use_palette")  # written into every new project's settings


def _setting(default, *rule, factory=None):
    """A setting's default and its rule: ("choice", values) | ("bool",) | ("int"/"float", lo, hi)
    | ("names",) a {name: str} mapping | ("rgb",) three 0..255 ints. Ranges are the widgets'
    (Regions panel, timeline) and colorpaint-cli's."""
    if factory is not None:
        return field(default_factory=factory, metadata={"rule": rule})
    return field(default=default, metadata={"rule": rule})


@dataclass(frozen=True)
class ProjectSettings:
    """The settings of a project, as the window and its shot and frame requests read them."""

    input_kind: str = _setting("auto", "choice", INPUT_KINDS)
    use_palette: bool = _setting(False, "bool")  # snap to the project's palette
    flat: bool = _setting(ColorizeOptions.flat, "bool")  # one color per closed region
    gap: int = _setting(ColorizeOptions.gap, "int", 0, MAX_GAP)  # line breaks up to this many px close a region
    # fills (and the regions of flat colors and hints): pixels up to this light, in percent
    # of white, are line; 0 = Auto (from the drawing)
    tolerance: int = _setting(ColorizeOptions.tolerance, "int", 0, MAX_TOLERANCE)
    anchor: float = _setting(ANCHOR, "float", 0.0, 1.0)  # a shot's frames lean on their nearest key
    steady: float = _setting(ColorizeOptions.steady, "float", 0.0, 1.0)  # still areas keep the previous frame's colors
    drift_threshold: float = _setting(12.0, "float", 0.5, 100.0)  # a shot frame drifting more is flagged for review
    model_versions: dict = _setting(None, "names", factory=dict)  # {family: weights file of the fine-tuned version in use}
    live: bool = _setting(False, "bool")  # the window's Live toggle, as the artist left it
    brush_color: tuple | None = _setting(None, "rgb")  # the brush color, as the artist left it

    @classmethod
    def of(cls, settings: Mapping | None) -> ProjectSettings:
        """The typed settings a project's settings dict stands for (values already checked by
        :func:`clean_settings` or set by the window; a key left out takes its default)."""
        settings = settings or {}
        values = {}
        for f in fields(cls):
            if settings.get(f.name) is None:
                continue
            v, kind = settings[f.name], f.metadata["rule"][0]
            values[f.name] = (bool(v) if kind == "bool" else int(v) if kind == "int" else float(v) if kind == "float"
                              else dict(v) if kind == "names" else tuple(int(c) for c in v) if kind == "rgb" else v)
        return cls(**values)


SETTING_RULES = {f.name: f.metadata["rule"] for f in fields(ProjectSettings)}
DEFAULT_SETTINGS = {f.name: f.default for f in fields(ProjectSettings) if f.name in NEW_PROJECT_KEYS and f.default is not MISSING}


def clean_settings(raw, warn=None) -> dict:
    """Project settings read from a file, checked against :data:`SETTING_RULES`: a number out
    of range is clamped, any other bad value goes back to its default (a key without one in
    :data:`DEFAULT_SETTINGS` is left out, so its reader's default applies). Each repair is
    told to ``warn(message)``. Keys this version does not know are kept as they are."""
    tell = warn or (lambda msg: None)
    out = dict(DEFAULT_SETTINGS)
    if raw is None:
        return out
    if not isinstance(raw, dict):
        tell("settings: not an object; defaults used")
        return out
    for key, v in raw.items():
        rule = SETTING_RULES.get(key)
        if rule is None:
            out[key] = v
            continue
        kind, ok = rule[0], v
        if kind == "choice":
            ok = v if v in rule[1] else None
        elif kind == "bool":
            ok = v if isinstance(v, bool) else None
        elif kind == "rgb":
            ok = [int(c) for c in v] if (isinstance(v, (list, tuple)) and len(v) == 3 and all(
                isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in v)) else None
        elif kind == "names":
            ok = {k: w for k, w in v.items() if isinstance(w, str)} if isinstance(v, dict) else None
            if ok is not None and len(ok) != len(v):
                tell(f"settings: {key}: entries that are not file names left out")
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v):
            ok = min(rule[2], max(rule[1], v))
            ok = int(round(ok)) if kind == "int" else float(ok)
            if ok != v:
                tell(f"settings: {key} {v!r} changed to {ok} (allowed: {rule[1]} to {rule[2]})")
        else:
            ok = None
        if ok is None:
            default = DEFAULT_SETTINGS.get(key)
            shown = repr(v[:40]) if isinstance(v, str) else repr(v) if isinstance(v, (int, float, type(None))) else f"({type(v).__name__})"
            tell(f"settings: {key}: bad value {shown}; {'the default' if default is None else repr(default)} used")
            out.pop(key, None)
            if default is not None:
                out[key] = default
        else:
            out[key] = ok
    return out
