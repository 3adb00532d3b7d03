"""The one engine session of a window, made on first use (loading torch and models is slow,
so it happens on a worker), shared by every lane, thread-safe, and dropped when the device
changes. No Qt here."""
from __future__ import annotations

import threading


class SessionHolder:
    """``get()`` the session (made on first call, on whatever thread asks first)."""

    def __init__(self, device: str | None = None, session=None) -> None:
        self.device = device
        self._session = session
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._session is None:
                from ..engine.session import Session

                self._session = Session(None if self.device in (None, "auto") else self.device)
            return self._session

    def set_device(self, device: str | None) -> None:
        """The next colorize loads its models on ``device``."""
        with self._lock:
            self.device = device
            self._session = None

    def forget(self, weights) -> None:
        """A weights file is gone: never colorize with a cached copy of it."""
        with self._lock:
            if self._session is not None:
                self._session.forget(weights)

    @property
    def loaded(self):
        """The session if one was made, else None (nothing is loaded to ask it)."""
        return self._session
