"""Make docs/screenshot_tolerance.png: the Regions panel's fill Tolerance next to Gap, on the
sample shot, with the bucket's fill preview over one region.

    xvfb-run -s "-screen 0 1400x900x24" python docs/make_tolerance_screenshot.py [--tolerance 80]

Weights: ``--weights``, else the bundled file, else ``--runs``' export (see _shots.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _shots import ROOT, open_sample, open_window, save_shot

FILLS = [((120, 185), (236, 150, 60)), ((224, 98), (236, 150, 60)), ((180, 196), (250, 226, 190)),
         ((99, 151), (200, 110, 40))]  # body, head, belly, tail (image pixels, RGB)
HOVER = (150, 40)  # the fill preview shows over the sky
HOVER_COLOR = (150, 200, 240)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="color-apply")
    ap.add_argument("--weights")
    ap.add_argument("--runs", default="/work/runs", type=Path)
    ap.add_argument("--tolerance", type=int, default=80)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot_tolerance.png"))
    args = ap.parse_args()
    app, win = open_window(args.model, args.weights, args.runs)
    if not open_sample(win, args.model):
        return 1
    win.regions.set_tolerance(args.tolerance)
    win.set_tool("fill")
    for (x, y), color in FILLS:
        win.set_color(color)
        win._on_fill(x, y)  # as a bucket click does, with the panel's Gap and Tolerance
    win.canvas.fit()
    win.set_color(HOVER_COLOR)
    win.regions.preview_fill(*HOVER)
    return save_shot(app, win, args.out)


if __name__ == "__main__":
    sys.exit(main())
