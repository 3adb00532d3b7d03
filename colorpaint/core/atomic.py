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


def _umask() -> int:
    if os.name != "posix":
        return 0
    m = os.umask(0)  # the only way to read it; set straight back (the main thread sets it once at start)
    os.umask(m)
    return m


_UMASK = _umask()


def _replace_with(path: str | os.PathLike, fill: Callable[[int, str], object]) -> Path:
    """Make a hidden temporary file beside ``path``, let ``fill(fd, tmp_name)`` write it and
    fsync it, give it the umask's permissions and rename it over ``path``; on any failure
    the temporary file is removed and the error re-raised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        fill(fd, tmp)
        if os.name == "posix":
            os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)
    return path


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Fill ``path`` through ``write(fh)`` atomically. The file gets the permissions a new
    file gets from the user's umask (a temporary file alone would be private, 0600)."""

    def fill(fd: int, tmp: str) -> None:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())

    return _replace_with(path, fill)


def atomic_write_file(path: str | os.PathLike, write_to: Callable[[str], object]) -> Path:
    """Like :func:`atomic_write` for writers that want a file name (``write_to(tmp_path)``,
    e.g. safetensors' ``save_file``)."""

    def fill(fd: int, tmp: str) -> None:
        os.close(fd)
        write_to(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())

    return _replace_with(path, fill)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_copy(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Copy ``src``'s bytes to a temporary file beside ``dst`` and rename it into place:
    an existing ``dst`` (even a hard link to another file) is replaced, never written into."""

    def copy(out):
        with open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)

    return atomic_write(dst, copy)
