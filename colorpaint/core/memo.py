"""A small thread-safe memory of the last few results, keyed by image contents.

Painting recolors the same drawing stroke after stroke, and a shot's frame comes back as
the next frame's previous one: what depends only on the pixels need not be computed again.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

import numpy as np

T = TypeVar("T")


def pixels_key(a: np.ndarray) -> tuple:
    """A key for an array's contents: a 128-bit hash of its bytes, its shape and dtype."""
    return hashlib.blake2b(np.ascontiguousarray(a).data, digest_size=16).digest(), a.shape, a.dtype.str


def _nbytes(value) -> int:
    """Bytes held by the arrays in ``value`` (an array, or a tuple/list of them and others)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return 0


class Recent:
    """The last ``size`` values computed, least recently used dropped first; with
    ``max_bytes``, older values are dropped too while the arrays kept exceed it (the newest
    is always kept: a page of 8000x8000 pixels has 256 MB of region labels)."""

    def __init__(self, size: int, max_bytes: int | None = None):
        self.size = size
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value remembered for ``key``, else ``compute()`` (run outside the lock) remembered."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            if self.max_bytes is not None:
                while len(self._items) > 1 and sum(_nbytes(v) for v in self._items.values()) > self.max_bytes:
                    self._items.popitem(last=False)
        return value
