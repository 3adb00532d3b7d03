"""Atomic file writes: the one place a file is replaced safely.

``write(fh)`` fills a hidden temporary file in the destination folder; it is flushed,
fsynced and renamed over the destination, and the folder is fsynced so the rename is on
disk too. A kill -9, a full disk or a power cut at any moment leaves the old file or the
new one, never a torn one; a failed write removes its temporary file and re-raises.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # folders cannot be opened on Windows: the rename is enough there
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_copy(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Copy ``src``'s bytes to a temporary file beside ``dst`` and rename it into place:
    an existing ``dst`` (even a hard link to another file) is replaced, never written into."""

    def copy(out):
        with open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)

    return atomic_write(dst, copy)
