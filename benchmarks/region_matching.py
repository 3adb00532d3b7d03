"""Region color carried from the previous frame: share of regions and pixels right.

For consecutive frames (t-1, t), the line art of both is split into closed regions, each
region of t-1 takes its true (median) color, and :func:`colorpaint.core.regions.match_regions`
carries those colors to the regions of t. A region counts as right when its carried
color is within ΔE00 < 5 of its own true median color; unmatched regions count as wrong.

Two sets: (1) synthetic shots from the val stills (exact vector line art; each frame a
small random affine move of the previous: rotate ±5°, scale ±5 %, shift ±10 px, as the
data README suggests); (2) the val sequences (no line art: XDoG lines of the frames).

    python benchmarks/region_matching.py --data ../shared/data [--json out.json]
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import cv2
import numpy as np

from colorpaint.training.evaluate import _sequences
from colorpaint.core.color import rgb_to_lab
from colorpaint.core.imageio import load_image
from colorpaint.core.lineart import xdog_lines
from colorpaint.core.metrics import delta_e2000
from colorpaint.core.regions import match_regions, region_median, segment
from colorpaint.training.datasets import random_affine, warp_pair


FLOW = True
MIN_AREA = None


def score_pair(line0, color0, line1, color1, gap=2):
    l0, n0 = segment(line0, gap_close=gap, min_area=MIN_AREA)
    l1, n1 = segment(line1, gap_close=gap, min_area=MIN_AREA)
    c0, _ = region_median(l0, rgb_to_lab(color0), n0)
    c1, cnt1 = region_median(l1, rgb_to_lab(color1), n1)
    carried, matched = match_regions(l0, c0, l1, line0, line1) if FLOW else match_regions(l0, c0, l1)
    ids = np.arange(1, n1 + 1)
    ids = ids[cnt1[ids] > 0]
    ok = matched[ids] & (delta_e2000(np.nan_to_num(carried[ids]), c1[ids]) < 5)
    return len(ids), int(ok.sum()), int(cnt1[ids].sum()), int(cnt1[ids][ok].sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--json", default=None)
    ap.add_argument("--frames", type=int, default=4, help="synthetic frames per still")
    ap.add_argument("--no-flow", action="store_true", help="match with a global shift only")
    ap.add_argument("--min-area", type=int, default=None, help="regions below this are ink (default: auto, 0: keep all)")
    args = ap.parse_args()
    global FLOW, MIN_AREA
    FLOW = not args.no_flow
    MIN_AREA = args.min_area
    root = Path(args.data)
    rng = np.random.default_rng(0)
    out = {}
    with open(root / "stills" / "manifest.csv", newline="") as fh:
        val = [r["id"] for r in csv.DictReader(fh) if r["split"] == "val"]
    tot = np.zeros(4, np.int64)
    t0 = time.time()
    for pid in val:
        color = load_image(root / "stills" / f"{pid}_color.png")
        line = load_image(root / "stills" / f"{pid}_line.png")[..., 0]
        for _ in range(args.frames):
            m = random_affine(*line.shape, rng)
            c2, l2 = warp_pair(color, line, m)
            l2 = np.where(l2 < 128, 0, 255).astype(np.uint8)  # re-threshold the warped line
            tot += score_pair(line, color, l2, c2)
            color, line = c2, l2
    out["synthetic val shots"] = {"regions": int(tot[0]), "region_share": tot[1] / tot[0], "pixel_share": tot[3] / tot[2]}
    print("synthetic:", out["synthetic val shots"], f"{time.time() - t0:.0f} s", flush=True)
    tot = np.zeros(4, np.int64)
    for name, cpaths, _, _ in _sequences(root / "sequences", "val"):
        frames = [load_image(p) for p in cpaths]
        lines = [xdog_lines(f) for f in frames]
        for t in range(1, len(frames)):
            tot += score_pair(lines[t - 1], frames[t - 1], lines[t], frames[t])
    out["val sequences (XDoG lines)"] = {"regions": int(tot[0]), "region_share": tot[1] / tot[0], "pixel_share": tot[3] / tot[2]}
    print("sequences:", out["val sequences (XDoG lines)"], flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
