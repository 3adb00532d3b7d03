"""Make docs/screenshot_carried.png: a line-art shot colorized from its colored key, with the
timeline's Carried tint on: green shapes were carried from the key along the motion,
orange ones the network colored on its own.

The default shot is the animated Saha (side view) of the Morevna project (CC0) made by
``training/data/morevna_shots.py`` (``../morevna-shots``): its first 12 line-art frames,
frame 0's colors as the key.

    xvfb-run -s "-screen 0 1400x900x24" python docs/make_carried_screenshot.py [--shot ../morevna-shots/mv_saha-side_00] [--frame 8]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from _shots import ROOT, open_window, save_shot, wait


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shot", type=Path, default=ROOT.parent / "morevna-shots" / "mv_saha-side_00")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--frame", type=int, default=8, help="the frame shown")
    ap.add_argument("--runs", default="/work/runs", type=Path)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot_carried.png"))
    args = ap.parse_args()
    lines = sorted((args.shot / "line").glob("frame_*.png"))[:args.frames]
    if not lines:
        print(f"{args.shot}: no line/frame_*.png (make it with training/data/morevna_shots.py)")
        return 1
    folder = Path(tempfile.mkdtemp()) / args.shot.name
    folder.mkdir()
    for p in lines:
        shutil.copy(p, folder / p.name)
    app, win = open_window("temporal", None, args.runs)
    from colorpaint.core.imageio import load_image
    from colorpaint.project import FrameResult

    if not win.shots.import_folder(folder):
        print("cannot import the shot:", win.prompts.last_error)
        return 1
    wait(app, win.shots.thumbnails_ready, 60)
    p = win.project
    p.set_current(len(p.shots) - 1, 0)
    key = load_image(args.shot / "color" / lines[0].name)
    p.apply_result(FrameResult(key, key, "lineart", "artist", 0.0, "cpu", p.new_rev()), p.current_frame)
    win.act_key.trigger()
    win.shots.colorize_shot()
    wait(app, lambda: not win.shots.busy, 900)
    p.set_current(len(p.shots) - 1, min(args.frame, len(lines) - 1))
    win.timeline.carried_toggle.setChecked(True)
    win.canvas.fit()
    return save_shot(app, win, args.out)


if __name__ == "__main__":
    sys.exit(main())
