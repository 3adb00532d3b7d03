"""Sample grids for docs/: each model on held-out val stills, line art and grayscale input.

Columns: line art | colorized from line art | grayscale | colorized from grayscale |
ground truth. For the hinted models the line-art column uses 20 simulated hints (shown
as dots on the input), as an artist would give a few strokes.

    python benchmarks/sample_grids.py --data ../shared/data/stills --n 6
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
    args = ap.parse_args()
    data = Path(args.data)
    with open(data / "manifest.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "val"]
    rng = np.random.default_rng(3)
    picks = [rows[i]["id"] for i in rng.choice(len(rows), args.n, replace=False)]
    session = Session()
    for name in registry.names():
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
        save_image(Path(args.out) / f"samples_{name}.png", np.concatenate(grid, 0))
        print("wrote", Path(args.out) / f"samples_{name}.png", flush=True)


if __name__ == "__main__":
    main()
