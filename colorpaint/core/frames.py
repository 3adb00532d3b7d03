"""Frame sources: a folder of frames (natural sort) or a video file."""
from __future__ import annotations

import itertools
import os
import re
from collections import OrderedDict
from pathlib import Path

# FFmpeg prints its own complaints about a bad video straight to stderr; ours is one line.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np

from .imageio import IMAGE_EXTS, MAX_PIXELS, SHOT_BYTES_PER_PIXEL, ImageError, check_memory, image_size, load_image, path_problem

VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".gif"}


def natural_key(p: Path):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


def list_frames(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS and not p.name.startswith(".")]
    return sorted(files, key=natural_key)


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTS


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as e:
        raise ImageError(path_problem(path, e)) from None


def _open_video(path: str | Path) -> cv2.VideoCapture:
    path = Path(path)
    st = _stat(path)
    if not path.is_file():
        raise ImageError(f"{path}: not a regular file" + (" (a named pipe)" if path.is_fifo() else ""))
    if st.st_size == 0:
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


def _frame_source(src: str | Path) -> tuple[Path, list[Path] | None]:
    """``src`` checked as a source of frames: (src, its frame files in order) for a folder,
    (src, None) for a video; anything else, or a folder without frames, raises ImageError."""
    src = Path(src)
    _stat(src)
    if src.is_dir():
        paths = list_frames(src)
        if not paths:
            raise ImageError(f"{src}: folder holds no image frames")
        return src, paths
    if is_video(src):
        return src, None
    raise ImageError(f"{src}: not a folder of frames or a video file")


def _video_frame_name(i: int) -> str:
    return f"frame_{i:05d}"


def load_frames(src: str | Path) -> tuple[list[str], list[np.ndarray]]:
    """(names, frames) from a folder or a video. Frames are HxWx3 uint8 RGB."""
    src, paths = _frame_source(src)
    if paths is not None:
        return [p.stem for p in paths], [load_image(p) for p in paths]
    names, frames = [], []
    for i, f in read_video(src):
        names.append(_video_frame_name(i))
        frames.append(f)
    return names, frames


def write_video(path: str | Path, frames, fps: float = 24.0) -> Path:
    """Write HxWx3 uint8 RGB frames (any iterable: they are encoded as they come, so a
    generator keeps a long shot out of memory) as an MP4 video, atomically: H.264 (yuv420p,
    what browsers and editors play) through PyAV, or MPEG-4 Part 2 through OpenCV where
    PyAV or its H.264 encoder is missing."""
    path = Path(path)
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise ValueError("no frames to write")
    try:
        import av

        av.codec.Codec("libx264", "w")
    except Exception:  # no PyAV, or a build without the encoder: the OpenCV writer
        return _write_mp4v(path, first, it, fps)
    return _write_h264(path, first, it, fps)


def _write_h264(path: Path, first: np.ndarray, it, fps: float) -> Path:
    from fractions import Fraction

    import av

    from .atomic import atomic_write_file

    h, w = first.shape[:2]
    H, W = h + h % 2, w + w % 2  # yuv420p wants even sides: the last row/column is repeated

    def encode(tmp: str) -> None:
        with av.open(tmp, "w", format="mp4") as out:
            s = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            s.width, s.height, s.pix_fmt = W, H, "yuv420p"
            s.options = {"crf": "18", "preset": "medium"}
            for n, f in enumerate(itertools.chain([first], it)):
                if f.shape[:2] != (h, w):
                    raise ImageError(f"{path}: frame {n + 1} is {f.shape[1]}x{f.shape[0]} but the video is {w}x{h}")
                f = np.ascontiguousarray(f[..., :3])
                if (H, W) != (h, w):
                    f = np.pad(f, ((0, H - h), (0, W - w), (0, 0)), mode="edge")
                for pkt in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                    out.mux(pkt)
            for pkt in s.encode():
                out.mux(pkt)

    return atomic_write_file(path, encode)


def _write_mp4v(path: Path, first: np.ndarray, it, fps: float) -> Path:
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
    Every frame goes through :func:`~colorpaint.core.imageio.load_image`; the first one
    read also checks that a shot of its size fits in memory (``bytes_per_pixel``).
    """

    def __init__(self, paths: list[Path], cache: int = 4, bytes_per_pixel: int = SHOT_BYTES_PER_PIXEL):
        self.paths = list(paths)
        self._cache: dict[int, np.ndarray] = {}
        self._keep = cache
        self._bpp = bytes_per_pixel
        self._shape: tuple[int, int] | None = None

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> np.ndarray:
        if i < 0:
            i += len(self.paths)
        if i not in self._cache:
            if len(self._cache) >= self._keep:
                self._cache.pop(next(iter(self._cache)))
            img = load_image(self.paths[i], bytes_per_pixel=0 if self._shape else self._bpp)
            if self._shape is None:
                self._shape = img.shape[:2]
            elif img.shape[:2] != self._shape:
                raise ImageError(f"{self.paths[i]}: frame is {img.shape[1]}x{img.shape[0]} but the shot is "
                                 f"{self._shape[1]}x{self._shape[0]}; every frame of a shot must be the same size")
            self._cache[i] = img
        return self._cache[i]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def size(self, i: int) -> tuple[int, int]:
        """(width, height) of frame ``i`` as it loads (EXIF orientation applied), from its
        header, without decoding it; raises ImageError naming the file when it cannot be
        read. The first frame asked for also checks the shot fits in memory."""
        w, h = image_size(self.paths[i], bytes_per_pixel=0 if self._shape else self._bpp)
        if self._shape is None:
            self._shape = (h, w)
        return w, h

    def close(self) -> None:
        self._cache.clear()


class VideoFrames:
    """A video's frames, decoded on demand: a long video never sits in memory whole.

    Behaves as a read-only sequence of ``HxWx3 uint8 RGB`` frames (``len``, indexing), like
    :class:`FolderFrames`. Reading forward decodes each frame once; a frame behind the
    decoder (a shot colored backward from a key) restarts it from the top and keeps a
    block of the frames just before, so walking backward costs one pass per block.
    At most ``cache_bytes`` of decoded frames are held (4 to 16 frames).
    """

    def __init__(self, path: str | Path, cache_bytes: int = 256 * 1024 * 1024, bytes_per_pixel: int = SHOT_BYTES_PER_PIXEL):
        self.path = Path(path)
        cap = _open_video(self.path)
        try:  # count the frames without converting or keeping them
            ok, first = cap.read()
            if not ok:
                raise ImageError(f"{self.path}: video has no frames")
            n = 1
            while cap.grab():
                n += 1
        finally:
            cap.release()
        h, w = first.shape[:2]
        if w * h > MAX_PIXELS:
            raise ImageError(f"{self.path}: video frames too large ({w}x{h} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels)")
        check_memory(self.path, w, h, bytes_per_pixel)
        self._n, self._wh = n, (w, h)
        self._keep = max(4, min(16, cache_bytes // max(first.nbytes, 1)))
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cap: cv2.VideoCapture | None = None
        self._pos = 0  # index of the frame the open decoder gives next
        self._put(0, cv2.cvtColor(first, cv2.COLOR_BGR2RGB))

    def __len__(self) -> int:
        return self._n

    def size(self, i: int = 0) -> tuple[int, int]:
        """(width, height) of every frame."""
        return self._wh

    def _put(self, i: int, f: np.ndarray) -> None:
        f.setflags(write=False)
        self._cache[i] = f
        self._cache.move_to_end(i)
        while len(self._cache) > self._keep:
            self._cache.popitem(last=False)

    def __getitem__(self, i: int) -> np.ndarray:
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"frame {i} of {self._n}")
        if i in self._cache:
            self._cache.move_to_end(i)
            return self._cache[i]
        first = i
        if self._cap is None or i < self._pos:
            if self._cap is not None:
                self._cap.release()
            self._cap, self._pos = _open_video(self.path), 0
            # behind the decoder: keep the frames just before this one too (room left for
            # the two or three frames a shot job holds on to: the previous one and a key)
            first = max(0, i - max(1, self._keep - 3) + 1)
        while self._pos <= i:
            keep = self._pos >= first and self._pos not in self._cache
            ok = self._cap.grab()  # frames skipped over are decoded but not converted or kept
            if ok and keep:
                ok, bgr = self._cap.retrieve()
            if not ok:
                self.close()
                raise ImageError(f"{self.path}: cannot read frame {self._pos} of the video (it held {self._n} frames when opened)")
            if keep:
                self._put(self._pos, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            self._pos += 1
        self._cache.move_to_end(i)
        return self._cache[i]

    def __iter__(self):
        return (self[i] for i in range(self._n))

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._pos = 0

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def open_frames(src: str | Path):
    """(names, frames) like :func:`load_frames`, but frames load lazily: a folder's frame by
    frame (:class:`FolderFrames`), a video's as it is decoded (:class:`VideoFrames`)."""
    src, paths = _frame_source(src)
    if paths is not None:
        return [p.stem for p in paths], FolderFrames(paths)
    frames = VideoFrames(src)
    return [_video_frame_name(i) for i in range(len(frames))], frames
