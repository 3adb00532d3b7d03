"""Make docs/screenshot_timeline.png: the window with a shot in the timeline, a key marked
and part of the shot colorized from it by the real shot job.

    xvfb-run -s "-screen 0 1400x900x24" python docs/make_timeline_screenshot.py [--weights FILE]

The shot is a validation shot of ../shared/data/sequences (never trained on), turned into
line art by XDoG; the key frame's colors are that frame's true colors, as an artist would
have painted them. The shot job is stopped after ``--colorize`` frames so the strip shows
every kind of badge. Weights: ``--weights``, else the bundled temporal weights, else
``--runs``' export (see _shots.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import _shots as shots
from _shots import ROOT, find_weights

SHOT = Path("/work/shared/data/sequences/toasttv_beach_surfing_s00")


def make_input_shot(src: Path, dst: Path, n: int, kind: str) -> list:
    """The first ``n`` frames of ``src`` as XDoG line art (or grayscale) into ``dst``; returns
    the true colors."""
    import numpy as np

    from colorpaint.core.frames import list_frames
    from colorpaint.core.imageio import load_image, save_image
    from colorpaint.core.color import rgb_to_luma
    from colorpaint.core.lineart import xdog_lines

    colors = []
    for p in list_frames(src)[:n]:
        c = load_image(p)
        g = xdog_lines(c) if kind == "lineart" else rgb_to_luma(c)
        save_image(dst / p.name, np.repeat(g[..., None], 3, axis=2))
        colors.append(c)
    return colors


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights")
    ap.add_argument("--runs", default="/work/runs", type=Path)
    ap.add_argument("--shot", default=str(SHOT), type=Path)
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--kind", default="gray", choices=["lineart", "gray"], help="the shot's input: XDoG line art or grayscale")
    ap.add_argument("--key", type=int, default=2, help="0-based index of the key frame")
    ap.add_argument("--colorize", type=int, default=6, help="stop the shot job after this many frames")
    ap.add_argument("--show", type=int, default=5, help="0-based index of the frame on the canvas")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot_timeline.png"))
    args = ap.parse_args()
    os.environ.setdefault("COLORPAINT_HOME", tempfile.mkdtemp())  # leave the user's preferences alone

    import numpy as np
    from PySide6.QtCore import QCoreApplication, QThread
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from colorpaint.core.color import rgb_to_luma
    from colorpaint.gui.main_window import MainWindow
    from colorpaint.gui.theme import apply_dark
    from colorpaint.project import FrameResult
    from colorpaint.project.appdata import Preferences

    apply_dark(app)
    weights, origin = find_weights("temporal", args.weights, args.runs)
    print(f"weights: {origin}")
    work = Path(tempfile.mkdtemp()) / args.shot.name
    colors = make_input_shot(args.shot, work, args.frames, args.kind)

    def wait(cond, timeout=600.0):
        shots.wait(app, cond, timeout)

    win = MainWindow(prefs=Preferences(autosave_minutes=0), weights={"temporal": weights} if weights else {})
    win.prompts.save_changes = lambda name: "discard"
    win.resize(1400, 900)
    win.show()
    if not win.shots.import_folder(work):
        print("cannot import the shot:", win.prompts.last_error)
        return 1
    p = win.project
    p.set_model("temporal")
    p.set_setting("input_kind", args.kind)
    shot = p.shots[0]
    k = args.key
    line = p.image(shot.frames[k])
    key_color = colors[k]
    if args.kind == "lineart":  # the composite the window would show: lines multiplied on the colors
        ink = rgb_to_luma(line).astype(np.float32)[..., None] / 255.0
        key_comp = (key_color.astype(np.float32) * ink + 0.5).astype(np.uint8)
    else:
        key_comp = key_color
    p.set_current(0, k)
    p.apply_result(FrameResult(key_color, key_comp, args.kind, "painted by the artist", rev=p.new_rev()))
    win.shots.mark_key(True)

    done = []
    p.events.result.connect(lambda frame: done.append(frame.id))

    def stop_early(**_):
        if len(done) >= args.colorize:
            win.shots.cancel()

    p.events.result.connect(stop_early)
    t0 = time.time()
    win.shots.colorize_shot()
    wait(lambda: not win.shots.busy)
    print(f"colorized {sum(f.result is not None for f in shot.frames) - 1} frames in {time.time() - t0:.1f} s")
    drifts = [f.drift for f in shot.frames]
    print("drift:", ", ".join("-" if d is None else f"{d:.1f}" for d in drifts))
    p.set_current(0, args.show)
    wait(win.shots.thumbnails_ready, 120)
    for _ in range(20):
        QCoreApplication.processEvents()
        QThread.msleep(20)
    win.canvas.fit()
    QCoreApplication.processEvents()
    img = win.grab().toImage()
    img.save(args.out)
    print(f"saved {args.out} ({img.width()}x{img.height()})")
    win.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
