"""Make docs/screenshot_window.png: the real window on the sample shot, with hint strokes
and a colorize done (the bottom dock shows the Timeline, with the Train panel as the tab
beside it).

    xvfb-run -s "-screen 0 1400x900x24" python docs/make_screenshots.py [--model auto] [--weights FILE]

Weights: ``--weights``, else the bundled file, else ``--runs``' export (see _shots.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _shots import ROOT, open_sample, open_window, settle, wait_colorized

# hint strokes on the sample cat (frame 1), image pixels: (kind, points, color, size)
STROKES = [
    ("fill", [(120, 185)], (236, 150, 60), 0),  # body: orange
    ("fill", [(224, 98)], (236, 150, 60), 0),  # head
    ("brush", [(120, 170), (150, 160), (200, 158)], (236, 150, 60), 10),
    ("fill", [(180, 196)], (250, 226, 190), 0),  # belly: cream
    ("fill", [(99, 151)], (200, 110, 40), 0),  # tail: darker
    ("brush", [(150, 40), (240, 30), (290, 100)], (130, 190, 240), 10),  # sky
    ("brush", [(20, 120), (60, 150)], (130, 190, 240), 10),
    ("fill", [(336, 50)], (250, 210, 70), 0),  # sun
    ("brush", [(30, 268), (200, 272), (360, 266)], (120, 180, 90), 10),  # grass
    ("fill", [(62, 240)], (80, 150, 70), 0),  # bush
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="auto")
    ap.add_argument("--weights")
    ap.add_argument("--runs", default="/work/runs", type=Path)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot_window.png"))
    ap.add_argument("--canvas-only", help="also save the canvas alone to this file")
    args = ap.parse_args()
    app, win = open_window(args.model, args.weights, args.runs)
    from colorpaint.project import Stroke

    if not open_sample(win, args.model):
        return 1
    p = win.project
    for kind, pts, color, size in STROKES:
        p.add_stroke(Stroke(kind, tuple(pts), color, size or 8))
    win.colorize()
    if not wait_colorized(app, win, 120):
        return 1
    win.set_color((236, 150, 60))
    win.canvas.fit()
    settle(app)
    win.grab().save(args.out)
    if args.canvas_only:
        win.canvas.grab().save(args.canvas_only)
    print(f"wrote {args.out}; {win.statusBar().currentMessage()}")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
