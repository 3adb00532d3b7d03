"""Make docs/screenshot_flat.png: the window in flat mode with the palette lock on, on the
sample shot, with the bucket's fill preview over one region.

    xvfb-run -s "-screen 0 1400x900x24" python docs/make_flat_screenshot.py [--model color-apply] [--weights FILE] [--overlay]

Weights: ``--weights``, else the bundled resources/models/<model>.safetensors, else a
training run's checkpoint ``--runs DIR/<model>/<model>.safetensors`` (copied first: the
run may rewrite it), else tiny untrained weights. ``--overlay`` shows the region overlay
instead of the fill preview.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def find_weights(model: str, explicit: str | None, runs: Path) -> tuple[str | None, str]:
    from colorpaint.models import registry

    if explicit:
        return explicit, "given"
    if registry.spec(model).default_weights.exists():
        return None, "bundled"
    ckpt = runs / model / f"{model}.safetensors"
    if ckpt.exists():
        copy = Path(tempfile.mkdtemp()) / ckpt.name
        shutil.copyfile(ckpt, copy)  # read-only use of a live run: never hold its file open
        return str(copy), f"training checkpoint {ckpt}"
    from colorpaint.engine.weights import save_weights

    tiny = Path(tempfile.mkdtemp()) / f"{model}.safetensors"
    save_weights(tiny, registry.build(model, tiny=True), {"trained": False})
    return str(tiny), "tiny untrained weights"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="color-apply")
    ap.add_argument("--weights")
    ap.add_argument("--runs", default="/work/runs", type=Path)
    ap.add_argument("--overlay", action="store_true", help="show the region overlay instead of the fill preview")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot_flat.png"))
    args = ap.parse_args()
    os.environ.setdefault("COLORPAINT_HOME", tempfile.mkdtemp())  # leave the user's preferences alone

    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from colorpaint.core.palette import write_gpl
    from colorpaint.gui.main_window import SAMPLE, MainWindow
    from colorpaint.gui.theme import apply_dark
    from colorpaint.project import Stroke
    from colorpaint.project.appdata import Preferences

    apply_dark(app)
    weights, origin = find_weights(args.model, args.weights, args.runs)
    print(f"weights: {origin}")
    win = MainWindow(prefs=Preferences(autosave_minutes=0), weights={args.model: weights} if weights else {})
    win.prompts.save_changes = lambda name: "discard"
    win.resize(1400, 900)
    win.show()
    if not win.open_path(SAMPLE):
        print("cannot open the sample:", win.prompts.last_error)
        return 1
    p = win.project
    p.set_model(args.model)
    gpl = Path(tempfile.mkdtemp()) / "sample_show.gpl"
    write_gpl(gpl, PALETTE, "Sample show")
    win.regions.load_palette(gpl)
    win.regions.set_lock(True)  # turns flat colors on too
    named = dict(PALETTE)
    for kind, pts, color in STROKES:
        win.set_color(named[color] if isinstance(color, str) else color)  # as the artist picks it (snapped when locked)
        p.add_stroke(Stroke(kind, tuple(pts), win.canvas.brush_color, 10))
    win.colorize()
    t0 = time.time()
    while (win.colorizing or p.current_frame.result is None) and time.time() - t0 < 180:
        app.processEvents()
        time.sleep(0.02)
        if win.prompts.last_error:
            print("colorize failed:", win.prompts.last_error)
            return 1
    win.canvas.fit()
    if args.overlay:
        win.regions.panel.overlay.setChecked(True)
        t0 = time.time()
        while win.canvas.overlay("regions") is None and time.time() - t0 < 30:
            app.processEvents()
            time.sleep(0.02)
    else:
        win.set_tool("fill")
        win.set_color(named[HOVER_COLOR])
        win.regions.preview_fill(*HOVER)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    win.grab().save(args.out)
    print(f"wrote {args.out}; {win.statusBar().currentMessage()}")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
