"""Make docs/screenshot_window.png: the real window on the sample shot, with hint strokes
and a colorize done (the bottom dock shows the Timeline, with the Train panel as the tab
beside it).

    xvfb-run -s "-screen 0 1400x900x24" python docs/make_screenshots.py [--model auto] [--weights FILE]

Weights: ``--weights``, else the bundled resources/models/<model>.safetensors, else a
training run's checkpoint ``--runs DIR/<model>/<model>.safetensors``, else tiny untrained
weights (the picture then shows the window, not the model's quality).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def find_weights(model: str, explicit: str | None, runs: Path) -> tuple[str | None, str]:
    from colorpaint.models import registry

    if explicit:
        return explicit, "given"
    if registry.spec(model).default_weights.exists():
        return None, "bundled"
    ckpt = runs / model / f"{model}.safetensors"
    if ckpt.exists():
        return str(ckpt), f"training checkpoint {ckpt}"
    from colorpaint.engine.weights import save_weights

    tiny = Path(tempfile.mkdtemp()) / f"{model}.safetensors"
    save_weights(tiny, registry.build(model, tiny=True), {"trained": False})
    return str(tiny), "tiny untrained weights"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="auto")
    ap.add_argument("--weights")
    ap.add_argument("--runs", default="/work/runs", type=Path)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot_window.png"))
    ap.add_argument("--canvas-only", help="also save the canvas alone to this file")
    args = ap.parse_args()
    os.environ.setdefault("COLORPAINT_HOME", tempfile.mkdtemp())  # leave the user's preferences alone
    os.environ.setdefault("COLORPAINT_MODEL_DIR", tempfile.mkdtemp())  # and their fine-tuned versions out of the picker

    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
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
    for kind, pts, color, size in STROKES:
        p.add_stroke(Stroke(kind, tuple(pts), color, size or 8))
    win.colorize()
    t0 = time.time()
    while (win.colorizing or p.current_frame.result is None) and time.time() - t0 < 120:
        app.processEvents()
        time.sleep(0.02)
        if win.prompts.last_error:
            print("colorize failed:", win.prompts.last_error)
            return 1
    win.set_color((236, 150, 60))
    win.canvas.fit()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    win.grab().save(args.out)
    if args.canvas_only:
        win.canvas.grab().save(args.canvas_only)
    print(f"wrote {args.out}; {win.statusBar().currentMessage()}")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
