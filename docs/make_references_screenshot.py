"""Make docs/screenshot_references.png: a character's line art colored from a colored
drawing of the same character in another pose, through the References dock.

The default pair is two poses of the Morevna project's Sita (CC0) from the data build of
``training/data/`` (``../data-built``): pose 00's line art colored from pose 09.

    xvfb-run -s "-screen 0 1400x900x24" python docs/make_references_screenshot.py \\
        [--target ../data-built/mv_6e0140722d_line.png] [--ref ../data-built/mv_0a7a100a94_color.png] [--flat]

docs/screenshot_references_closeup.png: the same target colored from a close-up of pose 09
(its head and torso, cut at the waist and drawn twice as large):

    ... make_references_screenshot.py --close-up 110,10,400,240 --flat \
        --out docs/screenshot_references_closeup.png
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _shots import ROOT, open_window, save_shot, wait_colorized


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=Path, default=ROOT.parent / "data-built" / "mv_6e0140722d_line.png")
    ap.add_argument("--ref", type=Path, default=ROOT.parent / "data-built" / "mv_0a7a100a94_color.png")
    ap.add_argument("--model", default="color-apply")
    ap.add_argument("--weights")
    ap.add_argument("--runs", default="/work/runs", type=Path)
    ap.add_argument("--flat", action="store_true", help="switch Flat colors on")
    ap.add_argument("--matches", action="store_true", help="tick Show matches")
    ap.add_argument("--close-up", help="x0,y0,x1,y1: use this part of --ref, drawn twice as large, as the sheet")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot_references.png"))
    args = ap.parse_args()
    for p in (args.target, args.ref):
        if not p.exists():
            print(f"{p}: not found (build the data with training/data/build.sh, or pass --target/--ref)")
            return 1
    if args.close_up:
        import tempfile

        import cv2

        from colorpaint.core.imageio import load_image

        x0, y0, x1, y1 = (int(v) for v in args.close_up.split(","))
        part = cv2.resize(load_image(args.ref)[y0:y1, x0:x1], None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        args.ref = Path(tempfile.mkdtemp()) / f"{args.ref.stem}_close-up.png"
        cv2.imwrite(str(args.ref), cv2.cvtColor(part, cv2.COLOR_RGB2BGR))
    app, win = open_window(args.model, args.weights, args.runs)
    if not win.open_path(args.target):
        print("cannot open the target:", win.prompts.last_error)
        return 1
    win.project.set_model(args.model)
    if win.add_references([args.ref]) != 1:
        print("reference refused:", win.prompts.last_error)
        return 1
    if args.flat:
        win.regions.panel.flat.setChecked(True)
    win.colorize()
    if not wait_colorized(app, win):
        return 1
    if args.matches:
        win.references_panel.matches.setChecked(True)
    win.references_dock.raise_()
    win.canvas.fit()
    return save_shot(app, win, args.out)


if __name__ == "__main__":
    sys.exit(main())
