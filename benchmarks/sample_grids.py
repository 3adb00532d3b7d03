"""Sample grids for docs/: each model on held-out val stills, line art and grayscale input.

Columns: line art | colorized from line art | grayscale | colorized from grayscale |
ground truth. For the hinted models the line-art column uses 20 simulated hints (shown
as dots on the input), as an artist would give a few strokes.

    python benchmarks/sample_grids.py --data ../shared/data/stills --n 6
    python benchmarks/sample_grids.py --data ../data-built --kind character --licences "CC0-1.0,Public domain" --suffix _characters

``--kind`` and ``--licences`` pick val items by the manifest's ``kind`` and ``license``
columns (the data build of ``training/data/`` writes both): the grids committed in docs/
show only items whose licence needs no attribution.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

from colorpaint.training.evaluate import _gray_input
from colorpaint.core.hints import simulate_hints
from colorpaint.core.imageio import load_image, save_image
from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize
from colorpaint.engine.session import Session
from colorpaint.models import registry


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/stills")
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--out", default="docs")
    ap.add_argument("--kind", default=None, help="only val items of this manifest kind (e.g. character)")
    ap.add_argument("--licences", default=None, help="only val items under these licences, comma-separated")
    ap.add_argument("--suffix", default="", help="added to each file name: samples_<model><suffix>.png")
    args = ap.parse_args()
    data = Path(args.data)
    with open(data / "manifest.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "val"]
    if args.kind:
        rows = [r for r in rows if r.get("kind") == args.kind]
    if args.licences:
        allowed = {x.strip() for x in args.licences.split(",")}
        rows = [r for r in rows if r.get("license") in allowed]
    rng = np.random.default_rng(3)
    picks = [rows[i]["id"] for i in rng.choice(len(rows), min(args.n, len(rows)), replace=False)]
    for r in rows:
        if r["id"] in picks:
            print(r["id"], r.get("title", ""), r.get("author", ""), r.get("license", ""), flush=True)
    session = Session()
    for name in registry.names():
        if not registry.spec(name).default_weights.exists():  # a family without bundled weights
            continue
        grid = []
        for pid in picks:
            gt = load_image(data / f"{pid}_color.png")
            line = load_image(data / f"{pid}_line.png")
            gray = _gray_input(gt)
            hints = simulate_hints(gt, 20, np.random.default_rng(1), sizes=(5, 9)) if name in ("histogram", "color-apply") else None
            a = jobs.run(colorize(session, ColorizeRequest(line, model=name, hints=hints, input_kind="lineart"))).composite
            b = jobs.run(colorize(session, ColorizeRequest(gray, model=name, input_kind="gray"))).composite
            shown = line.copy()
            if hints is not None:
                m = hints[..., 3] > 0
                shown[m] = hints[..., :3][m]
            cells = [shown, a, gray, b, gt]
            grid.append(np.concatenate([cv2.resize(c, (args.size, args.size), interpolation=cv2.INTER_AREA) for c in cells], 1))
        out = Path(args.out) / f"samples_{name}{args.suffix}.png"
        save_image(out, np.concatenate(grid, 0))
        print("wrote", out, flush=True)


if __name__ == "__main__":
    main()
