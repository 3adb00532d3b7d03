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


class Recent:
    """The last ``size`` values computed, least recently used dropped first."""

    def __init__(self, size: int):
        self.size = size
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
        return value
