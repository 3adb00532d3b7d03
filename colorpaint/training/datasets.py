"""Training data: pair folders, sequence folders, videos and project corrections.

Only color is required: line art is synthesized when missing (XDoG or Canny with σ in
[1, 2.5]) and grayscale is computed from color. Items are grouped by source (author,
episode, sequence) so the train/val split never separates neighbouring frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..core.color import lab_to_net, lab_to_rgb, luma_to_L, L_to_net, rgb_to_lab, rgb_to_luma
from ..core.frames import is_video, list_frames, read_video, video_info
from ..core.hints import hint_inputs, hints_to_net, simulate_hints
from ..core.imageio import load_image
from ..core.lineart import synthesize_lines
from ..core.pairs import count_pairs, read_manifest, read_pairs
from ..core.pairs import split_of as _split_of  # the benchmarks import it from here
from ..core.palette import bin_of
from . import augment as A


@dataclass
class Still:
    color: np.ndarray  # HxWx3 uint8 RGB at training scale
    line: np.ndarray | None  # HxW uint8, or None (synthesized)
    group: str
    source: str = ""  # the --data folder it came from (for the even mix)
    subject: str = ""  # the ``kind`` column of its folder's manifest.csv (character, object, icon, scene), if any


@dataclass
class Shot:
    frames: list  # list of HxWx3 uint8 RGB
    group: str
    source: str = ""


def _fit(img: np.ndarray, long_side: int, interp=cv2.INTER_AREA) -> np.ndarray:
    h, w = img.shape[:2]
    s = long_side / max(h, w)
    if abs(s - 1) < 1e-6:
        return img
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=interp if s < 1 else cv2.INTER_LANCZOS4)


def _manifest_splits(folder: Path) -> dict[str, str]:
    """{shot name: split} from a shot folder's manifest.csv with ``id`` and ``split`` columns."""
    return {r["id"]: r["split"] for r in read_manifest(folder) or () if r.get("split")}


def sample_video_frames(n: int, rng: np.random.Generator, gap: int = 20, frac: float = 0.05) -> list[int]:
    """varga2017's rule: frames at least ``gap`` apart and at most ``frac`` of all frames."""
    k = max(1, int(n * frac))
    cand = list(rng.permutation(n))
    chosen: list[int] = []
    for c in cand:
        if all(abs(int(c) - x) >= gap for x in chosen):
            chosen.append(int(c))
        if len(chosen) >= k:
            break
    return sorted(chosen)


def scan(dirs, scale: int = 256, val_frac: float = 0.1, max_items: int | None = None, seed: int = 0, log=print):
    """Load every source into memory at training scale (long side ``scale``).

    Returns (train_stills, val_stills, train_shots, val_shots).
    """
    rng = np.random.default_rng(seed)
    out = {"train": ([], []), "val": ([], [])}
    for d in dirs:
        src = str(d)
        d = Path(d)
        if not d.exists():
            raise FileNotFoundError(f"{d}: training data not found")
        if d.is_file() and is_video(d):
            n, _ = video_info(d)
            picks = set(sample_video_frames(n, rng))
            frames = {i: f for i, f in read_video(d) if i in picks}
            for i, f in frames.items():
                g = d.stem
                out[_split_of(g, val_frac)][0].append(Still(_fit(f, scale), None, g, src))
            continue
        if (d / "corrected").is_dir():  # a ColorPaint project's corrected frames
            d = d / "corrected"
        if count_pairs(d):
            subjects = {r["id"]: (r.get("kind") or "").strip().lower() for r in read_manifest(d) or () if r.get("kind")}
            if subjects:
                counts: dict[str, int] = {}
                for k in subjects.values():
                    counts[k] = counts.get(k, 0) + 1
                log(f"{d}: kinds " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
            # the manifest's split, else a hash of the name group (see colorpaint.core.pairs)
            for p in read_pairs(d, val_frac=val_frac, limit=max_items, log=log):
                color = _fit(load_image(p.color), scale)
                line = None
                if p.input is not None:  # its _line.png
                    line = rgb_to_luma(load_image(p.input))
                    line = _fit(line, scale)
                out[p.split if p.split in out else "train"][0].append(Still(color, line, p.group, src, p.subject))
            continue
        seq_dirs = [d] if list_frames(d) else sorted(p for p in d.iterdir() if p.is_dir())
        shot_split = _manifest_splits(d)  # e.g. the trainer tab's own split
        for sd in seq_dirs[: max_items or None]:
            sub = sd / "color" if (sd / "color").is_dir() else sd
            paths = list_frames(sub)
            if len(paths) < 2:
                continue
            frames = [_fit(load_image(p), scale) for p in paths]
            split = shot_split.get(sd.name) or _split_of(sd.name, val_frac)
            out[split if split in out else "train"][1].append(Shot(frames, sd.name, src))
    tr, va = out["train"], out["val"]
    log(f"data: {len(tr[0])} train stills, {len(va[0])} val stills, {len(tr[1])} train shots, {len(va[1])} val shots")
    return tr[0], va[0], tr[1], va[1]


# ------------------------------------------------------------------ samples


def random_affine(h: int, w: int, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """A small random affine (rotate ±5°, scale ±5 %, translate ±10 px per frame at 512)."""
    ang = rng.uniform(-5, 5) * strength
    sc = 1 + rng.uniform(-0.05, 0.05) * strength
    m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, sc)
    m[:, 2] += rng.uniform(-10, 10, 2) * strength * max(h, w) / 512
    return m


def warp_pair(color: np.ndarray, line: np.ndarray, m: np.ndarray):
    h, w = line.shape
    c = cv2.warpAffine(color, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    l2 = cv2.warpAffine(line, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    return c, l2


def _crop(arrs, size: int, rng: np.random.Generator):
    h, w = arrs[0].shape[:2]
    if h < size or w < size:
        ph, pw = max(0, size - h), max(0, size - w)
        arrs = [np.pad(a, ((0, ph), (0, pw)) + ((0, 0),) * (a.ndim - 2), mode="constant", constant_values=255) for a in arrs]
        h, w = arrs[0].shape[:2]
    y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    return [a[y:y + size, x:x + size] for a in arrs]


def rotate_hue(rgb: np.ndarray, theta: float) -> np.ndarray:
    """``HxWx3 uint8`` RGB with every color turned by ``theta`` radians about the grey axis of
    CIE Lab (lightness and chroma kept, out-of-gamut colors clipped)."""
    lab = rgb_to_lab(rgb)
    c, s = np.cos(theta), np.sin(theta)
    a, b = lab[..., 1].copy(), lab[..., 2].copy()
    lab[..., 1], lab[..., 2] = c * a - s * b, s * a + c * b
    return lab_to_rgb(lab)


def _jitter_line(line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r = rng.random()
    if r < 0.15:
        return cv2.erode(line, np.ones((2, 2), np.uint8))  # thicker dark lines
    if r < 0.25:
        return cv2.dilate(line, np.ones((2, 2), np.uint8))  # thinner
    return line


def hint_count(rng: np.random.Generator, area_frac: float = 1.0, p_zero: float = 0.25) -> int:
    """How many point hints a training crop gets.

    An artist's hints are counted on the whole frame (evaluation gives 0-50 per frame), so
    a count is drawn for the frame (geometric, mean 16, at most 100) and each hint lands in
    the crop with the probability ``area_frac`` (crop area / frame area). Drawing the count
    for the crop itself made a 128² crop of a 256² frame four times as densely hinted as the
    frames the hints are meant for.
    """
    if rng.random() < p_zero:
        return 0
    n = int(min(100, rng.geometric(1 / 16)))
    if area_frac < 1.0:
        n = int(rng.binomial(n, area_frac))
    return n


def carried_condition(prev_rgb: np.ndarray, prev_line: np.ndarray, cur_line: np.ndarray):
    """The previous frame as a keyed line-art shot hands it to the network: its colors with
    its lines taken out, carried along DIS flow, the current frame's lines multiplied on top;
    and the flow's forward-backward confidence (HxW float32). All uint8, HxW(x3)."""
    from ..core import flow as cflow
    from ..core.color import multiply_lines
    from ..core.regions import line_mask
    from ..engine.sequence import FB_TOLERANCE

    maps, cover = cflow.flow_with_confidence(prev_line, cur_line, tolerance=FB_TOLERANCE)
    fill = cflow.warp(cflow.without_lines(prev_rgb, line_mask(prev_line)), maps)
    return multiply_lines(fill, cur_line), cover


class Sampler:
    """Makes training batches as dicts of float32 arrays (channels first, network scaling)."""

    def __init__(self, stills, shots, size: int, family: str, rng: np.random.Generator, p_gray: float = 0.4, warp_prev: bool = True,
                 hue_jitter: float = 0.0, even_sources: bool = False, augment=None, kind_weights=None,
                 prev_confidence: bool = False):
        self.stills, self.shots, self.size, self.family, self.rng = stills, shots, size, family, rng
        # line art: the previous frame as a keyed shot hands it over (its colors without its
        # lines carried along flow, the frame's own lines on top) with the flow's
        # forward-backward confidence in its fourth channel (engine/sequence.py's carry)
        self.prev_confidence = prev_confidence
        # even mix (camizan): a still is drawn from a --data folder picked uniformly, so a
        # small folder weighs as much as a large one; else every still is equally likely
        self.by_source: list[list] | None = None
        if even_sources:
            groups: dict[str, list] = {}
            for st in stills:
                groups.setdefault(st.source, []).append(st)
            self.by_source = list(groups.values())
        # studio-look input augmentations ({name: share of samples}, augment.augment_settings)
        self.augment = A.augment_settings(augment)
        # character weighting: stills whose manifest gives a ``kind`` are drawn in proportion to
        # kind_weights[kind] (a kind not listed, or none, weighs 1); None or no kinds: uniform
        self.kind_weights = kind_weights
        pools = self.by_source if self.by_source is not None else [stills]
        self._cum = [self._cumulative(pool) for pool in pools]
        self.p_gray = p_gray
        self.warp_prev = warp_prev
        # share of line-art samples whose colors (and previous frame's, alike) are turned to a
        # random hue: a drawing's hue is then only known from hints or the previous frame, so
        # the network learns to copy it from there and to stay muted where nothing tells it.
        # Grayscale samples keep their hues: a gray level does say something about its hue.
        self.hue_jitter = hue_jitter

    def _cumulative(self, pool) -> np.ndarray | None:
        """Cumulative draw weights of a pool of stills, or None to draw it uniformly."""
        kw = self.kind_weights
        if not kw or not any(st.subject for st in pool):
            return None
        w = np.array([kw.get(st.subject, 1.0) if st.subject else 1.0 for st in pool], np.float64)
        if w.sum() <= 0 or np.all(w == w[0]):
            return None
        return np.cumsum(w)

    def _pick(self, pool, cum):
        rng = self.rng
        if cum is None:
            return pool[rng.integers(len(pool))]
        return pool[min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(pool) - 1)]

    def _inputs(self, color, line, kind):
        if kind == "gray":
            return L_to_net(luma_to_L(rgb_to_luma(color)))
        return L_to_net(luma_to_L(line))

    def _augmented(self, color, line, kind, region_line, seed):
        """The input image (HxW uint8, as the engine reads it) after the studio-look
        augmentations drawn from ``seed``: line art for ``kind`` lineart, else the gray."""
        rng = np.random.default_rng(seed)
        if kind == "lineart":
            return A.to_input(A.augment_lineart(line, color, rng, self.augment))
        return A.augment_gray(rgb_to_luma(color), color, region_line, rng, self.augment)

    def item(self, temporal: bool | None = None):
        rng = self.rng
        temporal = self.family == "temporal" if temporal is None else temporal
        use_shot = temporal and self.shots and rng.random() < 0.3
        if use_shot:
            sh = self.shots[rng.integers(len(self.shots))]
            t = int(rng.integers(1, len(sh.frames)))
            prev_c, color = sh.frames[t - 1], sh.frames[t]
            kind = "gray" if rng.random() < 0.6 else "lineart"
            line = synthesize_lines(color, rng) if kind == "lineart" else rgb_to_luma(color)
            prev_line = synthesize_lines(prev_c, rng) if kind == "lineart" else rgb_to_luma(prev_c)
        else:
            if self.by_source:
                i = rng.integers(len(self.by_source))
                st = self._pick(self.by_source[i], self._cum[i])
            else:
                st = self._pick(self.stills, self._cum[0])
            color = st.color
            line = st.line if st.line is not None and rng.random() < 0.9 else synthesize_lines(color, rng)
            kind = "gray" if rng.random() < self.p_gray else "lineart"
            if rng.random() < 0.5:
                color, line = color[:, ::-1].copy(), line[:, ::-1].copy()
            if temporal:
                m = random_affine(*line.shape, rng, strength=rng.uniform(0.3, 1.5))
                prev_c, prev_line = warp_pair(color, line, m)
        if kind == "lineart" and self.hue_jitter > 0 and rng.random() < self.hue_jitter:
            theta = rng.uniform(0.5, 2 * np.pi - 0.5)
            color = rotate_hue(color, theta)
            if temporal:
                prev_c = rotate_hue(prev_c, theta)
        if kind == "lineart":
            line = _jitter_line(line, rng)
        arrs = [color, line] + ([prev_c, prev_line] if temporal else [])
        frame_area = color.shape[0] * color.shape[1]
        arrs = _crop(arrs, self.size, rng)
        color, line = np.ascontiguousarray(arrs[0]), np.ascontiguousarray(arrs[1])
        # studio look (off unless asked for): only the input changes, never the target; the
        # previous frame's input gets the same draws (same seed), as a shot is drawn alike
        aug_seed = None
        if A.any_on(self.augment, A.LINE_AUGMENTS if kind == "lineart" else A.GRAY_AUGMENTS):
            aug_seed = int(rng.integers(2**63))
            region_line = None if use_shot else line  # a shot's "line" is its gray: Canny regions instead
            inp = self._augmented(color, line, kind, region_line, aug_seed)
            if kind == "lineart":
                line = inp
            L = L_to_net(luma_to_L(inp))[None]
        else:
            L = self._inputs(color, line, kind)[None]
        target = lab_to_net(rgb_to_lab(color)).transpose(2, 0, 1)
        n = hint_count(rng, min(1.0, self.size * self.size / frame_area))
        hints_rgba = simulate_hints(color, n, rng)
        item = {"L": L, "kind": np.full((1, 1, 1), 0.0 if kind == "lineart" else 1.0, np.float32), "target": target,
                "hints": hint_inputs(line if kind == "lineart" else None, hints_to_net(hints_rgba, self.size, self.size)), "line": (line.astype(np.float32) / 255.0)[None],
                "rgb_small": cv2.resize(color, (self.size // 8, self.size // 8), interpolation=cv2.INTER_AREA).transpose(2, 0, 1).astype(np.int64)}
        prev = np.zeros((4, self.size, self.size), np.float32)
        if temporal and rng.random() >= 0.5:  # blank previous frame half of the time
            pc, pl = np.ascontiguousarray(arrs[2]), np.ascontiguousarray(arrs[3])
            pc = self._degrade(pc)
            conf = 1.0
            if self.warp_prev:
                from ..engine.pipeline import warp_previous

                cur_in = rgb_to_luma(color) if kind == "gray" else line
                prev_in = rgb_to_luma(arrs[2]) if kind == "gray" else pl
                if aug_seed is not None:  # the flow is found between the inputs the engine would see
                    cur_in = line if kind == "lineart" else inp
                    prev_in = self._augmented(np.ascontiguousarray(arrs[2]), pl, kind, None if use_shot else pl, aug_seed)
                prev_in, cur_in = np.ascontiguousarray(prev_in), np.ascontiguousarray(cur_in)
                if self.prev_confidence and kind == "lineart":
                    pc, conf = carried_condition(pc, prev_in, cur_in)
                else:
                    pc = warp_previous(pc, prev_in, cur_in)
            prev[:3] = lab_to_net(rgb_to_lab(pc)).transpose(2, 0, 1)
            prev[3] = conf
        item["prev"] = prev
        return item

    def _degrade(self, rgb):
        """Previous outputs are imperfect: blur and shift colors a little so errors do not compound."""
        rng = self.rng
        if rng.random() < 0.5:
            rgb = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.5, 2.0))
        if rng.random() < 0.3:
            lab = rgb_to_lab(rgb)
            lab[..., 1:] *= rng.uniform(0.7, 1.1)
            lab[..., 1:] += rng.normal(0, 4, 2)
            from ..core.color import lab_to_rgb

            rgb = lab_to_rgb(lab)
        return rgb

    def source_counts(self) -> dict[str, int]:
        """{--data folder: stills drawn from it}."""
        counts: dict[str, int] = {}
        for st in self.stills:
            counts[st.source] = counts.get(st.source, 0) + 1
        return counts

    def batch(self, n: int) -> dict:
        items = [self.item() for _ in range(n)]
        return {k: np.stack([it[k] for it in items]) for k in items[0]}


def dataset_stats(stills, max_items: int = 400):
    """(ab grid counts 22*22, rgb histogram counts 512, rgb sums 512x3) over training colors."""
    from ..models.auto import GRID_N, grid_index

    ab_counts = np.zeros(GRID_N * GRID_N)
    h_counts = np.zeros(512)
    h_sums = np.zeros((512, 3))
    for st in stills[:max_items]:
        c = st.color[::2, ::2]
        ab = rgb_to_lab(c)[..., 1:].reshape(-1, 2)
        ab_counts += np.bincount(grid_index(ab), minlength=GRID_N * GRID_N)
        rgb = c.reshape(-1, 3).astype(np.int64)
        b = bin_of(rgb)
        h_counts += np.bincount(b, minlength=512)
        for ch in range(3):
            h_sums[:, ch] += np.bincount(b, weights=rgb[:, ch], minlength=512)
    return ab_counts, h_counts, h_sums
