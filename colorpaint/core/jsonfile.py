"""Reading JSON files that may be hand-edited, truncated or hostile.

:func:`read_json` reads the JSON files ColorPaint keeps between runs (project.json,
preferences, recovery notes). Whatever the bytes, it returns the parsed value or raises
:class:`JSONFileError` with a one-line message naming the file:

* files over ``max_bytes`` are refused before they are read whole;
* nesting deeper than ``max_depth`` is refused by a bracket count before parsing (Python's
  parser would hit the recursion limit at about a thousand levels);
* integers longer than :data:`MAX_INT_DIGITS` digits are read as floats, so no integer is
  too long to convert or print;
* ``NaN``, ``Infinity`` and numbers too large for a float (``1e999``) are refused, unless
  ``allow_nonfinite`` asks for them as float values, for a caller that checks every number
  it uses and would rather repair one field than refuse the whole file.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np

MAX_BYTES = 64 << 20
MAX_DEPTH = 64
MAX_INT_DIGITS = 40

_CHUNK = 1 << 20


class JSONFileError(ValueError):
    """A JSON file that cannot be read (one-line message naming the file)."""


def nesting_depth(data: bytes) -> int:
    """The deepest ``[``/``{`` nesting of JSON text ``data`` (brackets inside strings do not
    count). Exact for valid JSON; for broken JSON exact up to the first error, which is as
    far as a parser gets. Vectorized, in 1 MB chunks: about a second for 64 MB."""
    top = depth = inside = run = 0  # run: backslashes just before the chunk
    for i in range(0, len(data), _CHUNK):
        c = np.frombuffer(data, np.uint8, min(_CHUNK, len(data) - i), i)
        at = np.arange(len(c))
        last = np.maximum.accumulate(np.where(c == 0x5C, -1, at))  # last index <= i that is no backslash
        q = np.flatnonzero(c == 0x22)
        prev = last[np.maximum(q - 1, 0)]
        escapes = np.where(q == 0, run, np.where(prev < 0, q + run, q - 1 - prev))  # backslashes before each quote
        toggle = np.zeros(len(c), np.int32)
        toggle[q[escapes % 2 == 0]] = 1
        par = (np.cumsum(toggle) + inside) & 1  # 1 inside a string (and on its opening quote)
        step = (c == 0x5B).astype(np.int32) + (c == 0x7B) - (c == 0x5D) - (c == 0x7D)
        step[par == 1] = 0
        levels = np.cumsum(step, dtype=np.int64) + depth
        top, depth, inside = max(top, int(levels.max())), int(levels[-1]), int(par[-1])
        run = run + len(c) if last[-1] < 0 else len(c) - 1 - int(last[-1])
    return top


def read_json(path, what: str = "JSON file", *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
              allow_nonfinite: bool = False):
    """The value in the JSON file ``path`` (``what`` names it in messages: "project file").

    Raises :class:`JSONFileError` for a file that cannot be read, is too large, is not
    UTF-8, is not JSON, nests deeper than ``max_depth`` or (unless ``allow_nonfinite``)
    holds NaN, Infinity or a number beyond the float range.
    """
    p = os.fspath(path)
    try:
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as e:
        raise JSONFileError(f"{p}: cannot read {what} ({e.strerror or e.__class__.__name__})") from None
    if len(data) > max_bytes:
        raise JSONFileError(f"{p}: {what} too large (over {max_bytes >> 20} MB)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise JSONFileError(f"{p}: {what} is not UTF-8 text (bad byte at offset {e.start})") from None
    depth = nesting_depth(data)
    if depth > max_depth:
        raise JSONFileError(f"{p}: {what} nests too deeply ({depth} levels; the limit is {max_depth})")

    def number(s: str) -> float:
        v = float(s)
        if not (allow_nonfinite or math.isfinite(v)):
            raise ValueError(f"number {s[:20]}{'...' if len(s) > 20 else ''} is out of range")
        return v

    def constant(s: str) -> float:
        if not allow_nonfinite:
            raise ValueError(f"{s} is not a number JSON allows")
        return float(s)

    def integer(s: str):
        return int(s) if len(s.lstrip("-")) <= MAX_INT_DIGITS else number(s)

    try:
        return json.loads(text, parse_float=number, parse_int=integer, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise JSONFileError(f"{p}: broken {what} (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except (ValueError, RecursionError, OverflowError, MemoryError) as e:
        msg = " ".join(str(e).split()) or e.__class__.__name__
        raise JSONFileError(f"{p}: broken {what} ({msg})") from None
