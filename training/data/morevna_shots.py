"""Animated shots with exact line art from the Morevna project's Synfig characters (CC0).

Each shot moves one character through its rig: every arm, leg, head and body bone of the
"stickman" skeleton turns from a seeded random start angle to a seeded random end angle
(at most ``max_turn`` degrees from the drawing's own pose; head and body 0.4 of that),
eased in and out over the shot, while the whole figure drifts a few pixels (the crop
box moves: the page is white, so that is the same as moving the figure). Every frame is
rendered twice by Synfig, in color and as line art (the same rewrite of the file as
:mod:`morevna_synfig`), so color and lines line up exactly, as an animator's cleaned
lines and the painted frame do. All frames of a shot are cropped by one box (the union of
the drawn extents), so the camera does not jump.

Output, the sequence layout ``colorpaint-cli evaluate`` and ``benchmarks/temporal_consistency.py``
read::

    OUT/<shot>/color/frame_000.png ...   the colored frames (SIZE x SIZE, white page)
    OUT/<shot>/line/frame_000.png ...    the exact line art of the same frames
    OUT/manifest.csv                     shot, character, frames, seed, licence

    python training/data/morevna_shots.py --raw ../shared/data/raw/morevna --out ../morevna-shots \
        [--frames 40] [--shots-per-view 1] [--size 512] [--max-turn 25]

Needs the Debian ``synfig`` package. A frame takes ~4 s to render on one core (960x540).
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import random
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import morevna_synfig as M  # noqa: E402

LICENCE = "CC0-1.0 (../shared/data/raw/morevna/*/LICENSE; morevnaproject/characters)"


def bone_angles(data: bytes) -> dict[str, float]:
    """The rig's exported bone angles (``(stk)-<bone>``), as drawn."""
    out = {}
    defs = ET.fromstring(data).find("defs")
    for el in (defs if defs is not None else ()):
        i = el.get("id") or ""
        if el.tag == "angle" and i.startswith("(stk)-") and i[6:] in M.BONES:
            out[i] = float(el.get("value"))
    return out


def posed(data: bytes, angles: dict[str, float]) -> bytes:
    """The document with its bones at ``angles``."""
    root = ET.fromstring(data)
    defs = root.find("defs")
    for el in (defs if defs is not None else ()):
        i = el.get("id") or ""
        if i in angles:
            el.set("value", "%.6f" % angles[i])
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def ease(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * t)


def shot_angles(base: dict[str, float], frames: int, rng: random.Random, max_turn: float) -> list[dict[str, float]]:
    """Per frame, each bone between a random start and end offset, eased."""
    start, end = {}, {}
    for k, v in base.items():
        turn = max_turn * (0.4 if k[6:] in ("head-t", "body-t") else 1.0)
        start[k], end[k] = v + rng.uniform(-turn, turn), v + rng.uniform(-turn, turn)
    out = []
    for f in range(frames):
        t = ease(f / max(1, frames - 1))
        out.append({k: start[k] + (end[k] - start[k]) * t for k in base})
    return out


def fit_box(rgba: list[Image.Image], margin: float = 0.04) -> tuple[int, int, int, int]:
    """One crop box for the whole shot: the union of the frames' drawn extents, squared, with a margin."""
    xs0, ys0, xs1, ys1 = [], [], [], []
    for im in rgba:
        a = np.asarray(im)[..., 3] >= 8
        ys, xs = np.nonzero(a)
        if len(xs):
            xs0.append(xs.min()), ys0.append(ys.min()), xs1.append(xs.max() + 1), ys1.append(ys.max() + 1)
    if not xs0:
        raise ValueError("nothing drawn")
    x0, y0, x1, y1 = min(xs0), min(ys0), max(xs1), max(ys1)
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (int(round(cx - side / 2)), int(round(cy - side / 2)), int(round(cx + side / 2)), int(round(cy + side / 2)))


def crop_to(im: Image.Image, box, size: int, mode: str) -> Image.Image:
    bg = Image.new("RGBA", (box[2] - box[0], box[3] - box[1]), (255, 255, 255, 255))
    bg.alpha_composite(im.crop(box))  # crop() pads outside the image with transparent pixels
    return bg.convert("RGB").resize((size, size), Image.LANCZOS).convert(mode)


def make_shots(raw: Path, out: Path, frames: int = 40, shots_per_view: int = 1, size: int = 512, max_turn: float = 25.0,
               seed: int = 0, render_w: int = 960, render_h: int = 540, drift: float = 0.04, log=print) -> list[dict]:
    rows = []
    out.mkdir(parents=True, exist_ok=True)
    for sif in sorted(raw.glob("character-*/*.sif")):
        base = sif.read_bytes()
        angles0 = bone_angles(base)
        if not angles0:
            log(f"{sif.name}: no stickman bones; skipped")
            continue
        with tempfile.TemporaryDirectory(prefix="mvshot_") as tmp:
            color_dir, line_dir = os.path.join(tmp, "color"), os.path.join(tmp, "line")
            shutil.copytree(sif.parent, color_dir)
            M.line_tree(str(sif.parent), line_dir)
            for k in range(shots_per_view):
                rng = random.Random(f"{seed}:{sif.name}:{k}")
                name = f"mv_{sif.stem.lstrip('0-')}_{k:02d}"
                per_frame = shot_angles(angles0, frames, rng, max_turn)
                dx, dy = rng.uniform(-drift, drift), rng.uniform(-drift, drift)
                colors, lines = [], []
                for ang in per_frame:
                    data = posed(base, ang)
                    cp, lp = os.path.join(color_dir, "_v.sif"), os.path.join(line_dir, "_v.sif")
                    Path(cp).write_bytes(data)
                    Path(lp).write_bytes(M.lineart_sif(data)[0])
                    colors.append(M.synfig_render(cp, os.path.join(tmp, "c.png"), render_w, render_h))
                    lines.append(M.synfig_render(lp, os.path.join(tmp, "l.png"), render_w, render_h))
                box = fit_box(colors)
                side = box[2] - box[0]
                (out / name / "color").mkdir(parents=True, exist_ok=True)
                (out / name / "line").mkdir(parents=True, exist_ok=True)
                for f, (c, ln) in enumerate(zip(colors, lines)):
                    t = ease(f / max(1, frames - 1))
                    ox, oy = round(-dx * t * side), round(-dy * t * side)  # the figure drifts by (dx, dy) of the box
                    b = (box[0] + ox, box[1] + oy, box[2] + ox, box[3] + oy)
                    crop_to(c, b, size, "RGB").save(out / name / "color" / f"frame_{f:03d}.png")
                    crop_to(ln, b, size, "L").save(out / name / "line" / f"frame_{f:03d}.png")
                rows.append({"shot": name, "character": sif.stem, "frames": frames, "seed": f"{seed}:{sif.name}:{k}",
                             "max_turn": max_turn, "license": LICENCE})
                log(f"{name}: {frames} frames")
    with open(out / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["shot"])
        w.writeheader()
        w.writerows(rows)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("../shared/data/raw/morevna"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--shots-per-view", type=int, default=1)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--max-turn", type=float, default=25.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if shutil.which("synfig") is None:
        print("synfig is not installed (apt-get install -y synfig)", file=sys.stderr)
        return 2
    if not a.raw.is_dir():
        print(f"{a.raw}: no such folder", file=sys.stderr)
        return 2
    rows = make_shots(a.raw, a.out, a.frames, a.shots_per_view, a.size, a.max_turn, a.seed)
    print(f"{len(rows)} shots in {a.out}")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
