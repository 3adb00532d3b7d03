"""Colors from a reference drawing: share of the target's regions that get the right color.

Targets are val stills (exact vector line art, and the grayscale of the color image) and
frames of shots; the reference is the same still strongly deformed (affine: rotate ±25°,
scale 0.6-1.2 with ±15 % anisotropy, shear ±0.15, shifted; then an elastic warp of up to
~12 px; mirrored half of the time; drawn on a canvas of another size), or for shots a
frame at least 10 frames away in the same shot. The reference's regions come from its
colors (:func:`colorpaint.core.reference.color_regions`), as for an artist's model sheet;
grayscale targets too. A target region counts as right when the color it is given is
within ΔE00 < 5 of its own true (median) color; an unmatched region counts as wrong (the
scoring of ``benchmarks/region_matching.py``).

Methods: the two non-learned peers, (a) nearest position inside the figure boxes and
(b) one Hungarian assignment on shape + position, and ColorPaint's matcher with its
steps switched on one by one. ``accepted`` is the matcher as the engine uses it: pairs
over the confidence threshold are left to the model and count as wrong here.

    python benchmarks/reference_matching.py --data ../shared/data [--split val] [--json out.json]
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import cv2
import numpy as np

from colorpaint.core import reference as refm
from colorpaint.core.color import rgb_to_lab, rgb_to_luma
from colorpaint.core.imageio import load_image
from colorpaint.core.metrics import delta_e2000
from colorpaint.core.regions import region_median, segment


def deform(color: np.ndarray, rng: np.random.Generator, strength: float = 1.0, labels: np.ndarray | None = None):
    """A strongly deformed copy of ``color`` (HxWx3 uint8 RGB) on a white canvas of another size.
    With ``labels`` (HxW int region ids) returns ``(copy, labels moved the same way)``, -1
    where no region lands."""
    h, w = color.shape[:2]
    oh, ow = int(h * rng.uniform(0.75, 1.25)), int(w * rng.uniform(0.75, 1.25))
    ang = np.deg2rad(rng.uniform(-25, 25) * strength)
    s = rng.uniform(0.6, 1.2)
    an = 1 + rng.uniform(-0.15, 0.15) * strength
    sh = rng.uniform(-0.15, 0.15) * strength
    a = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]]) @ np.array([[s * an, sh * s], [0, s / an]])
    if rng.random() < 0.5:
        a = a @ np.diag([-1.0, 1.0])
    c_src = np.array([w / 2, h / 2])
    c_dst = np.array([ow / 2, oh / 2]) + rng.uniform(-0.08, 0.08, 2) * np.array([ow, oh]) * strength
    m = np.hstack([a, (c_dst - a @ c_src)[:, None]])
    inv = cv2.invertAffineTransform(m)
    gx, gy = np.meshgrid(np.arange(ow, dtype=np.float32), np.arange(oh, dtype=np.float32))
    sx = inv[0, 0] * gx + inv[0, 1] * gy + inv[0, 2]
    sy = inv[1, 0] * gx + inv[1, 1] * gy + inv[1, 2]
    amp, sig = 12.0 * strength * max(h, w) / 512, 40.0 * max(h, w) / 512
    for g in (sx, sy):
        f = cv2.GaussianBlur(rng.uniform(-1, 1, (oh, ow)).astype(np.float32), (0, 0), sig)
        g += (f / (np.abs(f).max() + 1e-9) * amp).astype(np.float32)
    out = cv2.remap(color, sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))
    if labels is None:
        return out
    moved = cv2.remap(labels.astype(np.float32), sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_NEAREST,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
    return out, moved.astype(np.int64)


def close_up(ref: np.ndarray, moved: np.ndarray, labels_n: int, rng: np.random.Generator):
    """A close-up sheet cut from the deformed reference ``ref``: a window of 35-60 % of the
    figure's height and 45-100 % of its width (the top of the figure half of the time, as
    a head close-up; elsewhere otherwise), framed tightly so the figure runs off its edges,
    and drawn 1.2-2x larger. Returns ``(sheet, shown)``: ``shown[i]`` says whether target
    region ``i`` shows in it (at least half of its pixels in the deformed reference)."""
    fig = (ref < 245).any(-1)
    ys, xs = np.nonzero(fig)
    fx0, fx1, fy0, fy1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    fw, fh = fx1 - fx0, fy1 - fy0
    ww, wh = int(fw * rng.uniform(0.45, 1.0)), int(fh * rng.uniform(0.35, 0.6))
    x0 = fx0 + int(rng.uniform(0, fw - ww + 1))
    y0 = fy0 if rng.random() < 0.5 else fy0 + int(rng.uniform(0, fh - wh + 1))
    crop, crop_l = ref[y0:y0 + wh, x0:x0 + ww], moved[y0:y0 + wh, x0:x0 + ww]
    z = rng.uniform(1.2, 2.0)
    sheet = cv2.resize(crop, (round(ww * z), round(wh * z)), interpolation=cv2.INTER_CUBIC)
    n = int(labels_n) + 1
    whole = np.bincount(moved[moved >= 0].ravel(), minlength=n)
    part = np.bincount(crop_l[crop_l >= 0].ravel(), minlength=n)
    return sheet, (whole > 0) & (part >= 0.5 * whole)


METHODS = {
    "(a) nearest position": lambda t, r, L: refm.nearest_position(t, r),
    "(b) Hungarian, shape + position": lambda t, r, L: refm.hungarian_shape_position(t, r),
    "(b') (b) + lightness": lambda t, r, L: refm.hungarian_shape_position(t, r, use_L=L),
    "(c) (b') + affine refit": lambda t, r, L: refm.match_regions_to_reference(t, r, L, context=False, share=False, final="assign"),
    "(d) (c) + neighbour context": lambda t, r, L: refm.match_regions_to_reference(t, r, L, share=False, final="assign"),
    "(e) (c) + lowest-cost pick, no context": lambda t, r, L: refm.match_regions_to_reference(t, r, L, context=False),
    "(f) (d) + lowest-cost pick": lambda t, r, L: refm.match_regions_to_reference(t, r, L),
    "(g) (f) from the silhouette alignment": lambda t, r, L: refm.match_regions_to_reference(t, r, L, align=True),
    "(h) (g) + colors read through the map": lambda t, r, L, img=None: refm.match_regions_to_reference(t, r, L, align=True, ref_rgb=img, close_ups=False),
    "(i) (h) + close-ups placed on their part (ColorPaint)": lambda t, r, L, img=None: refm.match_regions_to_reference(t, r, L, align=True, ref_rgb=img),
}


ONLY: set[str] = set()  # method letters to run (--methods); empty: all


def score(labels, n, truth_rgb, target_in, ref_rgb, kind, tot, shown=None):
    lab_t = rgb_to_lab(truth_rgb)
    truth, cnt = region_median(labels, lab_t, n)
    ids = np.arange(1, n + 1)
    ids = ids[cnt[ids] > 0]
    gray = kind != "lineart" and target_in is not None  # gray stills and gray shot frames
    t = refm.describe(labels, n, rgb_to_lab(target_in) if gray else None)
    rl, rn = refm.color_regions(ref_rgb)
    r = refm.describe(rl, rn, rgb_to_lab(ref_rgb), with_color=True)
    for name, fn in METHODS.items():
        if ONLY and name[1] not in ONLY:
            continue
        t0 = time.perf_counter()
        m = fn(t, r, gray, ref_rgb) if name.startswith(("(h)", "(i)")) else fn(t, r, gray)
        dt = time.perf_counter() - t0
        for variant, ok_m in ((name, m.ref_id >= 0), (name + ", accepted", m.accepted()) if name.startswith(("(h)", "(i)")) else (None, None)):
            if variant is None:
                continue
            pred = m.colors(r.color, "lab")
            good = delta_e2000(pred[ids], truth[ids]) < 5
            right = ok_m[ids] & good
            if shown is not None:  # a close-up: a region it does not show is right when left to the model
                seen = shown[ids]
                right = np.where(seen, right, ~ok_m[ids] | good)
                harm = ~seen & ok_m[ids] & ~good
                d = tot.setdefault(kind, {}).setdefault(variant, np.zeros(9))
                d += (len(ids), right.sum(), cnt[ids].sum(), cnt[ids][right].sum(), dt,
                      seen.sum(), (right & seen).sum(), (~seen).sum(), harm.sum())
                continue
            d = tot.setdefault(kind, {}).setdefault(variant, np.zeros(5))
            d += (len(ids), right.sum(), cnt[ids].sum(), cnt[ids][right].sum(), dt)


def stills(root: Path, split: str, limit: int | None, rng, tot):
    with open(root / "stills" / "manifest.csv", newline="") as fh:
        ids = [r["id"] for r in csv.DictReader(fh) if r["split"] == split]
    ids = ids[:limit] if limit else ids
    for pid in ids:
        color = load_image(root / "stills" / f"{pid}_color.png")
        line = load_image(root / "stills" / f"{pid}_line.png")[..., 0]
        ref = deform(color, rng)
        labels, n = segment(line, gap_close=2, min_area=None)
        score(labels, n, color, None, ref, "lineart", tot)
        gray = np.repeat(rgb_to_luma(color)[..., None], 3, 2)
        labels, n = refm.color_regions(gray)
        score(labels, n, color, gray, ref, "gray", tot)
    return len(ids)


def crops(root: Path, split: str, limit: int | None, tot):
    """Val stills referenced by a close-up of a part of themselves (:func:`close_up` of the
    deformed still): the parts it shows must take its colors, the others are left to the model."""
    with open(root / "stills" / "manifest.csv", newline="") as fh:
        ids = [r["id"] for r in csv.DictReader(fh) if r["split"] == split]
    ids = ids[:limit] if limit else ids
    rng = np.random.default_rng(1)
    for pid in ids:
        color = load_image(root / "stills" / f"{pid}_color.png")
        line = load_image(root / "stills" / f"{pid}_line.png")[..., 0]
        labels, n = segment(line, gap_close=2, min_area=None)
        ref, moved = deform(color, rng, labels=labels)
        sheet, shown = close_up(ref, moved, n, rng)
        score(labels, n, color, None, sheet, "close-ups, line art", tot, shown=shown)
        gray = np.repeat(rgb_to_luma(color)[..., None], 3, 2)
        gl, gn = refm.color_regions(gray)
        ref, moved = deform(color, rng, labels=gl)
        sheet, shown = close_up(ref, moved, gn, rng)
        score(gl, gn, color, gray, sheet, "close-ups, gray", tot, shown=shown)
    return len(ids)


def shots(root: Path, gap: int, tot, per_shot: int | None = None, xdog: bool = True):
    """Every sprite and cartoon shot with more than ``gap`` frames, of both splits (nothing
    here is learned): each frame, referenced by the frame ``gap`` before it (or after it,
    for the first ``gap`` frames; frames with neither are left out)."""
    from colorpaint.core.frames import list_frames
    from colorpaint.core.lineart import xdog_lines
    from colorpaint.training.datasets import _split_of

    done = []
    for d in sorted(p for p in (root / "sequences").iterdir() if p.is_dir()):
        if not d.name.startswith(("sprite_", "toasttv_")):
            continue  # the film shots are not cel-colored
        paths = list_frames(d)
        if len(paths) <= gap:
            continue
        frames = [load_image(p) for p in paths]
        pick = set(np.linspace(0, len(frames) - 1, per_shot).round().astype(int)) if per_shot else set(range(len(frames)))
        for t, color in enumerate(frames):
            if t not in pick or (t < gap and t + gap >= len(frames)):
                continue  # no frame far enough on either side
            ref = frames[t - gap] if t >= gap else frames[t + gap]
            gray = np.repeat(rgb_to_luma(color)[..., None], 3, 2)
            labels, n = refm.color_regions(gray)
            score(labels, n, color, gray, ref, "shots", tot)
            val = _split_of(d.name, 0.1) == "val"
            if val:
                score(labels, n, color, gray, ref, "shots (val split only)", tot)
            if xdog:  # line art of the frame (XDoG), segmented as the hint rules do
                labels, n = segment(xdog_lines(color), gap_close=2, min_area=None)
                score(labels, n, color, None, ref, "shots, XDoG line art", tot)
                if val:
                    score(labels, n, color, None, ref, "shots, XDoG line art (val split only)", tot)
        done.append(d.name)
    return done


def poses(root: Path, tot, split: str | None = None):
    """Characters drawn in several poses (the data build's Morevna characters: titles
    ``<character> (poseNN)``): each pose's line art (and gray) referenced by every other
    pose of the same character, colored. Real pose changes, not synthetic warps."""
    import re

    with open(root / "manifest.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if (split is None or r["split"] == split)]
    groups: dict[str, list[str]] = {}
    for r in rows:
        m = re.match(r"(.+) \(pose\d+\)$", r.get("title", ""))
        if m:
            groups.setdefault(m.group(1), []).append(r["id"])
    pairs = 0
    for name, ids in sorted(groups.items()):
        ids = sorted(ids)
        colors = {i: load_image(root / f"{i}_color.png") for i in ids}
        for i in ids:
            line = load_image(root / f"{i}_line.png")[..., 0]
            labels, n = segment(line, gap_close=2, min_area=None)
            gray = np.repeat(rgb_to_luma(colors[i])[..., None], 3, 2)
            gl, gn = refm.color_regions(gray)
            for j in ids:
                if j == i:
                    continue
                score(labels, n, colors[i], None, colors[j], "poses, line art", tot)
                score(gl, gn, colors[i], gray, colors[j], "poses, gray", tot)
                pairs += 1
    return pairs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--split", default="val", help="stills split (tuning was done on train)")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--gap", type=int, default=10, help="frames between a shot's target and its reference")
    ap.add_argument("--no-shots", action="store_true")
    ap.add_argument("--no-stills", action="store_true")
    ap.add_argument("--max-shot-frames", type=int, default=None, help="targets per shot (evenly spaced)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--poses", default=None, help="a pair folder with characters in several poses (the data build)")
    ap.add_argument("--crops", action="store_true", help="also close-up references of part of each still")
    ap.add_argument("--poses-split", default=None, help="only this split of --poses")
    ap.add_argument("--methods", default="", help="only these method letters, e.g. ah")
    args = ap.parse_args()
    ONLY.update(args.methods)
    root = Path(args.data)
    rng = np.random.default_rng(0)
    tot: dict = {}
    t0 = time.time()
    n_stills = 0 if args.no_stills else stills(root, args.split, args.limit, rng, tot)
    shot_names = [] if args.no_shots else shots(root, args.gap, tot, args.max_shot_frames)
    n_crops = crops(root, args.split, args.limit, tot) if args.crops else 0
    n_poses = poses(Path(args.poses), tot, args.poses_split) if args.poses else 0
    out = {"stills": n_stills, "split": args.split, "shots": shot_names, "gap": args.gap, "pose_pairs": n_poses, "close_ups": n_crops, "results": {}}
    for kind, d in tot.items():
        print(f"\n{kind}: {int(next(iter(d.values()))[0])} regions")
        for name, v in d.items():
            row = out["results"].setdefault(kind, {})[name] = {
                "regions": int(v[0]), "region_share": float(v[1] / v[0]), "pixel_share": float(v[3] / v[2]), "match_seconds": float(v[4])}
            extra = ""
            if len(v) > 5:  # close-ups: the shown regions, and the hidden ones given a wrong color
                row.update(shown=int(v[5]), shown_right=float(v[6] / max(v[5], 1)), hidden=int(v[7]), hidden_wrong=float(v[8] / max(v[7], 1)))
                extra = f"  shown right {100 * row['shown_right']:5.1f} %  hidden colored wrong {100 * row['hidden_wrong']:5.1f} %"
            print(f"  {name:40s} regions right {100 * v[1] / v[0]:5.1f} %  pixels right {100 * v[3] / v[2]:5.1f} %{extra}  ({v[4]:.1f} s)")
    print(f"{time.time() - t0:.0f} s")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
