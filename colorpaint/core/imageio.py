"""Reading and writing images: the one place files become ``HxWx3 uint8 RGB`` arrays.

Every failure is an :class:`ImageError` whose message names the file and the problem, so
the CLI can print one line and the window can show one dialog.
"""
from __future__ import annotations

import errno
import os
import stat
import struct
import warnings
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MAX_PIXELS = 16384 * 16384 // 2  # ~134 MP: beyond this a file is refused (decompression bombs)
# One limit: Pillow warns above it (and refuses above twice it) exactly where we refuse.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}

# Peak memory the pipeline needs per pixel of an input, in bytes. Pages above
# pipeline.TILE_PIXELS are finished in strips: peak RSS growth per pixel at 4000² (auto,
# benchmarks/bench_large_page.py) line art 31, with hints 35, gray 19; colorize --flat 42
# (before strips: 62, 76, 49 and 70-77). A 3-frame shot (1 -> 4 MP) 110, with --flat 133.
# Rounded up.
COLORIZE_BYTES_PER_PIXEL = 48
SHOT_BYTES_PER_PIXEL = 140
_GB = 1024 ** 3


class ImageError(ValueError):
    pass


def available_memory() -> int | None:
    """Bytes this process can still allocate, or None when it cannot be told.

    psutil's ``available`` when installed, else ``MemAvailable`` from /proc/meminfo; lowered
    to what a cgroup memory limit or an address-space limit (``ulimit -v``) leaves."""
    avail = None
    try:
        import psutil

        avail = int(psutil.virtual_memory().available)
    except Exception:  # not installed, or no answer on this system
        try:
            with open("/proc/meminfo") as fh:
                for line in fh:
                    if line.startswith("MemAvailable:"):
                        avail = int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            pass
    rooms = []
    try:  # cgroup v2, as seen from inside a container
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            rooms.append(int(limit) - int(Path("/sys/fs/cgroup/memory.current").read_text()))
    except (OSError, ValueError):
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/status") as fh:
                vm = next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmSize:"))
            rooms.append(soft - vm)
    except (ImportError, OSError, ValueError, StopIteration):
        pass
    for room in rooms:
        avail = room if avail is None else min(avail, room)
    return None if avail is None else max(avail, 0)


def check_memory(path, w: int, h: int, bytes_per_pixel: int = COLORIZE_BYTES_PER_PIXEL) -> None:
    """Raise :class:`ImageError` when a ``w`` x ``h`` input would need more memory than this
    machine has free (``bytes_per_pixel``: the pipeline's peak per input pixel; 0: no check)."""
    if bytes_per_pixel <= 0:
        return
    need, avail = w * h * bytes_per_pixel, available_memory()
    if avail is not None and need > avail:
        raise ImageError(f"{path}: too large for this machine's memory ({w}x{h}, {w * h / 1e6:.0f} megapixels, needs about "
                         f"{need / _GB:.1f} GB; {avail / _GB:.1f} GB is available)")


def path_problem(path, e: OSError) -> str:
    """``path: what is wrong`` for an OSError met opening ``path`` (one line, in words)."""
    path = Path(path)
    if e.errno == errno.ELOOP:
        return f"{path}: symbolic link loop (the link never reaches a file)"
    if e.errno == errno.ENOENT:
        if os.path.islink(path):
            return f"{path}: broken symbolic link (it points to {os.readlink(path)}, which does not exist)"
        return f"{path}: no such file"
    if e.errno == errno.ENOTDIR:
        return f"{path}: no such file (a part of the path is not a folder)"
    if e.errno in (errno.EACCES, errno.EPERM):
        return f"{path}: permission denied"
    if e.errno == errno.ENXIO:
        return f"{path}: not a regular file (a socket or a device without a reader)"
    return f"{path}: cannot open ({e.strerror or e.__class__.__name__})"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not an image"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not an image file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not an image file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not an image file"
    return "is not a regular file"


def open_regular(path):
    """Open ``path`` for reading as a binary file object, refusing anything but a regular,
    non-empty file with a one-line :class:`ImageError`. Never blocks: a named pipe is refused
    before anything is read from it."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # refused before opening: opening a device can do things
            raise ImageError(f"{path}: {_kind(st.st_mode)}")
        fd = os.open(path, flags)
    except OSError as e:
        raise ImageError(path_problem(path, e)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ImageError(f"{path}: {_kind(st.st_mode)}")
        if st.st_size == 0:
            raise ImageError(f"{path}: empty file (0 bytes)")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _to_rgb8(im: Image.Image, path: Path) -> np.ndarray:
    """Any PIL mode -> HxWx3 uint8 RGB; transparency is composited over white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float64)
        # a 16-bit file is scaled by 65535 even when it is dark (all values <= 255)
        peak = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
        g = np.clip(a / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(g[..., None], 3, axis=2)
    if im.mode == "F":
        a = np.asarray(im, dtype=np.float64)
        bad = int(np.isnan(a).sum())
        if bad:
            raise ImageError(f"{path}: floating-point image with {bad} NaN (not a number) pixel{'s' if bad > 1 else ''}; "
                             "their brightness is unknown")
        peak = 1.0 if a.max() <= 1.0 else 255.0
        g = np.clip(a / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(g[..., None], 3, axis=2)
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    if im.mode == "CMYK":
        im = im.convert("RGB")
    if im.mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im, dtype=np.uint8).copy()


def _to_rgba8(im: Image.Image, path: Path) -> np.ndarray:
    """A hint image -> HxWx4 uint8 RGBA; an image without alpha is refused (every pixel would be a hint)."""
    if im.mode not in ("RGBA", "LA", "PA") and not (im.mode == "P" and "transparency" in im.info):
        raise ImageError(f"{path}: hint image needs an alpha channel (RGBA PNG; alpha > 0 marks a hint)")
    return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()


_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"BM", "BMP"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))


def _sniff(fh) -> str | None:
    """The image format whose signature the open file ``fh`` starts with, if any."""
    try:
        fh.seek(0)
        head = fh.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((fmt for sig, fmt in _SIGNATURES if head.startswith(sig)), None)


_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _png_complete(fh) -> bool | None:
    """Whether a PNG's image data (its IDAT chunks) inflates to every row its header
    declares. Pillow stops quietly where the compressed stream ends, leaving the rest of
    a big declared canvas blank. None when the file is not one this check understands
    (Pillow then decides). Reads the compressed data once, keeping none of it."""
    pos = fh.tell()
    try:
        fh.seek(8)
        head = fh.read(8 + 13)
        if len(head) < 21 or head[4:8] != b"IHDR":
            return None
        w, h = int.from_bytes(head[8:12], "big"), int.from_bytes(head[12:16], "big")
        depth, ctype, interlace = head[16], head[17], head[20]
        channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
        if channels is None or interlace > 1:
            return None
        bits = depth * channels
        rowbytes = lambda cols: 1 + (cols * bits + 7) // 8
        if interlace:
            need = 0
            for x0, y0, dx, dy in _ADAM7:
                cols, rows = max(0, (w - x0 + dx - 1) // dx), max(0, (h - y0 + dy - 1) // dy)
                if cols and rows:
                    need += rows * rowbytes(cols)
        else:
            need = h * rowbytes(w)
        z, got = zlib.decompressobj(), 0
        fh.seek(8)
        while got < need and not z.eof:
            hdr = fh.read(8)
            if len(hdr) < 8:
                break
            length, tag = int.from_bytes(hdr[:4], "big"), hdr[4:]
            if tag == b"IEND":
                break
            if tag != b"IDAT":
                fh.seek(length + 4, os.SEEK_CUR)
                continue
            left = length
            while left > 0 and got < need and not z.eof:
                data = fh.read(min(left, 1 << 20))
                if not data:
                    return False
                left -= len(data)
                while data and got < need:
                    got += len(z.decompress(data, 1 << 22))
                    data = z.unconsumed_tail
            fh.seek(left + 4, os.SEEK_CUR)
        return got >= need
    except zlib.error:
        return None  # damaged data: Pillow says so in its own words
    except OSError:
        return None
    finally:
        fh.seek(pos)


def _oriented(im: Image.Image) -> tuple[int, int]:
    """(width, height) of ``im`` once its EXIF orientation is applied, from the header alone."""
    w, h = im.size
    if im.format == "PNG" and "exif" not in im.info:
        return w, h  # asking Pillow would decode the whole image to look for a late eXIf chunk
    try:
        orientation = im.getexif().get(0x0112)
    except Exception:  # damaged metadata: load_image skips it too
        return w, h
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


@contextmanager
def _opened(path: Path, max_pixels: int, bytes_per_pixel: int, decode: bool = True):
    """Yield ``path`` as a PIL image (loaded and EXIF-transposed when ``decode``), after the
    guards every image read goes through: a regular non-empty file, at most ``max_pixels``,
    room in memory for the pipeline, complete data. Pillow's errors become ImageError."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # a damaged file is never read as if whole
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    fh = open_regular(path)
    try:
        with warnings.catch_warnings():
            # Pillow warns about damaged metadata (corrupt EXIF, odd TIFF tags) it then skips:
            # the pixels are fine, and the CLI's stderr stays one line per bad file
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size check below is ours
            with Image.open(fh) as im:
                w, h = im.size
                if w < 1 or h < 1:
                    raise ImageError(f"{path}: image has no pixels")
                if w * h > max_pixels:
                    raise ImageError(f"{path}: image too large ({w}x{h} pixels; the limit is {max_pixels // 1_000_000} megapixels)")
                check_memory(path, w, h, bytes_per_pixel)
                if not decode:
                    yield im
                    return
                if im.format == "PNG" and _png_complete(fh) is False:
                    raise ImageError(f"{path}: corrupt or truncated PNG file (its image data ends before the {w}x{h} pixels it declares)")
                im.seek(0)
                im.load()
                yield ImageOps.exif_transpose(im)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: image too large (over {2 * Image.MAX_IMAGE_PIXELS // 1_000_000} megapixels; "
                         "refused before decoding)") from None
    except UnidentifiedImageError:
        fmt = _sniff(fh)
        if fmt:  # the signature of an image format, but not a readable file: say so
            raise ImageError(f"{path}: corrupt or truncated {fmt} file") from None
        raise ImageError(f"{path}: not an image file, or a format ColorPaint cannot read") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as e:
        msg = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise ImageError(f"{path}: corrupt or truncated image ({msg})") from None
    except MemoryError:
        raise ImageError(f"{path}: too large for this machine's memory (ran out while decoding)") from None
    finally:
        fh.close()


def load_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS, bytes_per_pixel: int = COLORIZE_BYTES_PER_PIXEL) -> np.ndarray:
    """Read an image file as ``HxWx3 uint8 RGB`` (EXIF orientation applied).

    16-bit files are scaled to 8 bits, CMYK converted, transparency composited on white,
    animated files give their first frame. Refused with a one-line :class:`ImageError`: a
    path that is not a regular non-empty file, more than ``max_pixels`` pixels, more
    pixels than free memory allows at ``bytes_per_pixel`` (0: no memory check), a
    truncated or damaged file, a floating-point image holding NaN.
    """
    path = Path(path)
    with _opened(path, max_pixels, bytes_per_pixel) as im:
        return _to_rgb8(im, path)


def load_rgba(path: str | os.PathLike, max_pixels: int = MAX_PIXELS, bytes_per_pixel: int = COLORIZE_BYTES_PER_PIXEL) -> np.ndarray:
    """Read a hint image as ``HxWx4 uint8 RGBA``, with the guards of :func:`load_image`.

    An opaque image without alpha is refused (fully transparent white is NOT assumed: every
    pixel would be a hint)."""
    path = Path(path)
    with _opened(path, max_pixels, bytes_per_pixel) as im:
        return _to_rgba8(im, path)


def image_size(path: str | os.PathLike, max_pixels: int = MAX_PIXELS, bytes_per_pixel: int = 0) -> tuple[int, int]:
    """(width, height) :func:`load_image` will give for ``path`` (EXIF orientation applied),
    read from the header without decoding; the same refusals for the file, its size and
    (with ``bytes_per_pixel``) memory."""
    path = Path(path)
    with _opened(path, max_pixels, bytes_per_pixel, decode=False) as im:
        return _oriented(im)


def save_image(path: str | os.PathLike, img: np.ndarray) -> Path:
    """Atomically write ``HxWx3 uint8 RGB`` or ``HxWx4 RGBA`` (temporary file, flush, fsync, rename)."""
    path = Path(path)
    ext = path.suffix.lower()
    fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP"}.get(ext)
    if fmt is None:
        raise ImageError(f"{path}: unsupported output format {ext!r} (use .png, .jpg, .webp, .tif or .bmp)")
    mode = "RGBA" if img.ndim == 3 and img.shape[2] == 4 else ("L" if img.ndim == 2 else "RGB")
    if mode == "RGBA" and fmt == "JPEG":
        img, mode = img[..., :3], "RGB"
    from .atomic import atomic_write

    try:
        atomic_write(path, lambda fh: Image.fromarray(np.ascontiguousarray(img), mode).save(fh, fmt))
    except OSError as e:
        raise ImageError(f"{path}: could not save ({e.strerror or e})") from None
    return path
