"""Make docs/screenshot_flat.png: the window in flat mode with the palette lock on, on the
sample shot, with the bucket's fill preview over one region.

    xvfb-run -s "-screen 0 1400x900x24" python docs/make_flat_screenshot.py [--model color-apply] [--weights FILE] [--overlay]

Weights: ``--weights``, else the bundled file, else ``--runs``' export (see _shots.py).
``--overlay`` shows the region overlay instead of the fill preview.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _shots import ROOT, open_sample, open_window, save_shot, wait, wait_colorized

# the show's palette (a model sheet for the sample cat)
PALETTE = [("cat orange", (236, 150, 60)), ("cat cream", (250, 226, 190)), ("tail brown", (200, 110, 40)),
           ("sky", (150, 200, 240)), ("cloud", (245, 248, 252)), ("sun", (250, 210, 70)), ("grass", (120, 180, 90)),
           ("bush", (80, 150, 70)), ("eye white", (255, 255, 255)), ("nose pink", (240, 150, 160))]
# bucket fills and strokes on frame 1, image pixels: (kind, points, palette name)
STROKES = [
    ("fill", [(120, 185)], "cat orange"),  # body
    ("fill", [(224, 98)], "cat orange"),  # head
    ("fill", [(180, 196)], "cat cream"),  # belly
    ("fill", [(99, 151)], "tail brown"),  # tail
    ("fill", [(150, 40)], "sky"),  # the sky around the drawing
    ("fill", [(336, 50)], "sun"),
    ("fill", [(90, 48)], "cloud"),
    ("fill", [(60, 50)], "cloud"),
    ("fill", [(117, 50)], "cloud"),
    ("fill", [(205, 112)], "eye white"),
    ("fill", [(241, 112)], "eye white"),
    ("fill", [(62, 240)], "bush"),
    ("fill", [(26, 239)], "bush"),
    ("brush", [(30, 268), (200, 272), (360, 266)], (110, 185, 80)),  # grass: a color near "grass" (the lock snaps it)
]
HOVER = (91, 239)  # the fill preview shows over the last bush, in the brush color
HOVER_COLOR = "bush"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="color-apply")
    ap.add_argument("--weights")
    ap.add_argument("--runs", default="/work/runs", type=Path)
    ap.add_argument("--overlay", action="store_true", help="show the region overlay instead of the fill preview")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot_flat.png"))
    args = ap.parse_args()
    app, win = open_window(args.model, args.weights, args.runs)
    from colorpaint.core.palette import write_gpl
    from colorpaint.project import Stroke

    if not open_sample(win, args.model):
        return 1
    p = win.project
    gpl = Path(tempfile.mkdtemp()) / "sample_show.gpl"
    write_gpl(gpl, PALETTE, "Sample show")
    win.regions.load_palette(gpl)
    win.regions.set_lock(True)  # turns flat colors on too
    named = dict(PALETTE)
    for kind, pts, color in STROKES:
        win.set_color(named[color] if isinstance(color, str) else color)  # as the artist picks it (snapped when locked)
        p.add_stroke(Stroke(kind, tuple(pts), win.canvas.brush_color, 10))
    win.colorize()
    if not wait_colorized(app, win, 180):
        return 1
    win.canvas.fit()
    if args.overlay:
        win.regions.panel.overlay.setChecked(True)
        wait(app, lambda: win.canvas.overlay("regions") is not None, 30)
    else:
        win.set_tool("fill")
        win.set_color(named[HOVER_COLOR])
        win.regions.preview_fill(*HOVER)
    return save_shot(app, win, args.out)


if __name__ == "__main__":
    sys.exit(main())
