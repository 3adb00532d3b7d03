"""Reading and writing images: the one place files become ``HxWx3 uint8 RGB`` arrays.

Every failure is an :class:`ImageError` whose message names the file and the problem, so
the CLI can print one line and the window can show one dialog.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 16384 * 16384 // 2  # ~134 MP: beyond this a file is refused (decompression bombs)
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}


class ImageError(ValueError):
    pass


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


_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"BM", "BMP"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))


def _sniff(path: Path) -> str | None:
    """The image format whose signature ``path`` starts with, if any."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((fmt for sig, fmt in _SIGNATURES if head.startswith(sig)), None)


def load_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as ``HxWx3 uint8 RGB`` (EXIF orientation applied).

    16-bit files are scaled to 8 bits, CMYK converted, transparency composited on white,
    animated files give their first frame. Raises :class:`ImageError` with a clear message.
    """
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Pillow warns about damaged metadata (corrupt EXIF, odd TIFF tags) it then skips:
            # the pixels are fine, and the CLI's stderr stays one line per bad file
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise ImageError(f"{path}: image too large ({w}x{h} pixels; the limit is {max_pixels // 1_000_000} megapixels)")
                if w < 1 or h < 1:
                    raise ImageError(f"{path}: image has no pixels")
                im.seek(0)
                im.load()
                im = ImageOps.exif_transpose(im)
                return _to_rgb8(im, path)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: image too large (refused as a possible decompression bomb)") from None
    except UnidentifiedImageError:
        fmt = _sniff(path)
        if fmt:  # the signature of an image format, but not a readable file: say so
            raise ImageError(f"{path}: corrupt or truncated {fmt} file") from None
        raise ImageError(f"{path}: not an image file, or a format ColorPaint cannot read") from None
    except (OSError, SyntaxError, ValueError) as e:
        msg = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise ImageError(f"{path}: corrupt or truncated image ({msg})") from None


def load_rgba(path: str | os.PathLike) -> np.ndarray:
    """Read a hint image as ``HxWx4 uint8 RGBA`` (no alpha -> fully transparent white is NOT assumed:
    an opaque image without alpha is refused, since every pixel would be a hint)."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ("RGBA", "LA", "PA") and not (im.mode == "P" and "transparency" in im.info):
                raise ImageError(f"{path}: hint image needs an alpha channel (RGBA PNG; alpha > 0 marks a hint)")
            return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"{path}: cannot read hint image ({str(e).splitlines()[0] if str(e) else e.__class__.__name__})") from None


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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=ext + ".tmp", dir=path.parent)
    except OSError as e:
        raise ImageError(f"{path}: cannot write here ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            Image.fromarray(np.ascontiguousarray(img), mode).save(fh, fmt)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ImageError(f"{path}: could not save ({e.strerror or e})") from None
    return path
