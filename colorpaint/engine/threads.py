"""How many CPU threads an interactive colorize should use right now.

Spinning OpenMP threads fight for busy cores: measured beside other work (load ~6 on 2
cores), one 512² ``auto`` colorize took a median of 1,020 ms with 2 torch threads and 471 ms
with 1. So before each interactive colorize the engine looks at how busy the other
processes kept the cores since the last look (``/proc/stat`` minus this process's own
time) and leaves them the cores they use: ``threads = cores - busy cores`` (at least 1).
Where /proc is missing (macOS, Windows) every core is used, as before.
"""
from __future__ import annotations

import os
import time

_last: tuple[float, float, float] | None = None  # (wall time, all cores' busy seconds, own CPU seconds)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _busy_seconds() -> float | None:
    """Seconds all cores spent busy since boot (``/proc/stat``), or None without /proc."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            f = fh.readline().split()
    except OSError:
        return None
    if not f or f[0] != "cpu":
        return None
    v = [int(x) for x in f[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def others_busy_cores() -> float | None:
    """How many cores other processes kept busy, on average, since the last call (None on
    the first call or without /proc)."""
    global _last
    busy = _busy_seconds()
    if busy is None:
        return None
    now, own = time.monotonic(), time.process_time()
    prev, _last = _last, (now, busy, own)
    if prev is None or now - prev[0] < 0.05:
        return None
    return max(0.0, ((busy - prev[1]) - (own - prev[2])) / (now - prev[0]))


def fit_threads(minimum: int = 1) -> int:
    """Set torch's thread count to the cores others leave free; returns it. Call it only
    when no other thread of this process is running torch (changing the count under a
    running parallel region is not safe); OpenCV's count is left alone for the same reason."""
    import torch

    n = _cores()
    others = others_busy_cores()
    if others is None:  # no measurement yet: look again shortly, and use every core meanwhile
        time.sleep(0.05)
        others = others_busy_cores()
    k = n if others is None else max(minimum, min(n, int(round(n - others))))
    if torch.get_num_threads() != k:
        torch.set_num_threads(k)
    return k
