"""Frame sources: a folder of frames (natural sort) or a video file."""
from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

# FFmpeg prints its own complaints about a bad video straight to stderr; ours is one line.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np

from .imageio import IMAGE_EXTS, ImageError, load_image

VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".gif"}


def natural_key(p: Path):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


def list_frames(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS and not p.name.startswith(".")]
    return sorted(files, key=natural_key)


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTS


def _open_video(path: str | Path) -> cv2.VideoCapture:
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise ImageError(f"{path}: cannot open video (not a video ColorPaint can read, or it holds no frames)")
    return cap


def video_info(path: str | Path) -> tuple[int, float]:
    """(frame count, fps) of a video; raises ImageError if it cannot be opened or has no frames."""
    cap = _open_video(path)
    try:
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or 24.0
        ok, _ = cap.read()
        if not ok:
            raise ImageError(f"{path}: video has no frames")
        return max(n, 1), fps
    finally:
        cap.release()


def read_video(path: str | Path, start: int = 0, stop: int | None = None, step: int = 1):
    """Yield (index, HxWx3 uint8 RGB) frames of a video; raises ImageError when it has none."""
    cap = _open_video(path)
    got = False
    try:
        i = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            if i >= start and (stop is None or i < stop) and (i - start) % step == 0:
                got = True
                yield i, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            i += 1
            if stop is not None and i >= stop:
                break
    finally:
        cap.release()
    if not got:
        raise ImageError(f"{path}: video has no frames" + (" in the requested range" if start or stop else ""))


def load_frames(src: str | Path) -> tuple[list[str], list[np.ndarray]]:
    """(names, frames) from a folder or a video. Frames are HxWx3 uint8 RGB."""
    src = Path(src)
    if not src.exists():
        raise ImageError(f"{src}: no such file or folder")
    if src.is_dir():
        paths = list_frames(src)
        if not paths:
            raise ImageError(f"{src}: folder holds no image frames")
        return [p.stem for p in paths], [load_image(p) for p in paths]
    if is_video(src):
        names, frames = [], []
        for i, f in read_video(src):
            names.append(f"frame_{i:05d}")
            frames.append(f)
        return names, frames
    raise ImageError(f"{src}: not a folder of frames or a video file")


def write_video(path: str | Path, frames, fps: float = 24.0) -> Path:
    """Write HxWx3 uint8 RGB frames (any iterable: they are encoded as they come, so a
    generator keeps a long shot out of memory) as an MP4 (mp4v) video, atomically."""
    path = Path(path)
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise ValueError("no frames to write")
    h, w = first.shape[:2]
    tmp = path.with_name(".tmp-" + path.name)
    vw = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not vw.isOpened():
        raise ImageError(f"{path}: cannot write video")
    try:
        for n, f in enumerate(itertools.chain([first], it)):
            if f.shape[:2] != (h, w):
                raise ImageError(f"{path}: frame {n + 1} is {f.shape[1]}x{f.shape[0]} but the video is {w}x{h}")
            vw.write(cv2.cvtColor(np.ascontiguousarray(f[..., :3]), cv2.COLOR_RGB2BGR))
    except BaseException:
        vw.release()
        tmp.unlink(missing_ok=True)
        raise
    vw.release()
    tmp.replace(path)
    return path


class FolderFrames:
    """A folder's frames, loaded on demand: a long shot never sits in memory whole.

    Behaves as a read-only sequence of ``HxWx3 uint8 RGB`` frames (``len``, indexing);
    the last few frames read are cached, since a shot job reads each frame about twice.
    """

    def __init__(self, paths: list[Path], cache: int = 4):
        self.paths = list(paths)
        self._cache: dict[int, np.ndarray] = {}
        self._keep = cache

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> np.ndarray:
        if i < 0:
            i += len(self.paths)
        if i not in self._cache:
            if len(self._cache) >= self._keep:
                self._cache.pop(next(iter(self._cache)))
            self._cache[i] = load_image(self.paths[i])
        return self._cache[i]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def size(self, i: int) -> tuple[int, int]:
        """(width, height) of frame ``i`` from its header, without decoding it."""
        from PIL import Image

        try:
            with Image.open(self.paths[i]) as im:
                return im.size
        except Exception:
            return self[i].shape[1], self[i].shape[0]  # load_image gives the clear error


def open_frames(src: str | Path):
    """(names, frames) like :func:`load_frames`, but a folder's frames load lazily."""
    src = Path(src)
    if src.is_dir():
        paths = list_frames(src)
        if not paths:
            raise ImageError(f"{src}: folder holds no image frames")
        return [p.stem for p in paths], FolderFrames(paths)
    return load_frames(src)
