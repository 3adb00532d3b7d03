"""Screenshot of the trainer tab mid-training (docs/screenshot_trainer.png).

Runs a short real fine-tuning in a throw-away model folder and grabs the window once the
loss curve and a sample preview are showing::

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_trainer_screenshot.py \\
        --base resources/models/color-apply.safetensors

``--base`` defaults to the bundled weights of ``--model``; without any, a tiny network is
trained from scratch (the curve shows, the samples are noise). ``--finish`` also waits for
the before/after comparison and saves docs/screenshot_trainer_done.png.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="color-apply")
    p.add_argument("--base", help="weights to fine-tune (default: the bundled ones)")
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "stills"))
    p.add_argument("--max-items", type=int, default=40)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--size", type=int, default=96)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--val-every", type=int, default=10)
    p.add_argument("--grab-at", type=float, default=0.6, help="grab when this fraction of the steps is done")
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshot_trainer.png"))
    p.add_argument("--finish", action="store_true", help="also grab the finished run (metrics and comparison)")
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="colorpaint-shot-"))
    os.environ["COLORPAINT_MODEL_DIR"] = str(tmp / "models")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QTabWidget

    from colorpaint.engine.model_store import ModelStore
    from colorpaint.gui.trainer_tab import TrainerTab
    from colorpaint.models import registry
    from colorpaint.training.finetune import TrainSettings

    base = Path(args.base) if args.base else registry.spec(args.model).default_weights
    bundled = tmp / "bundled"
    bundled.mkdir()
    if base.exists():  # a copy: the screenshot run never touches the real weights
        shutil.copyfile(base, bundled / f"{args.model}.safetensors")
    store = ModelStore(tmp / "models", bundled_dir=bundled)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    win = QMainWindow()
    win.setWindowTitle("ColorPaint")
    tabs = QTabWidget()
    tabs.addTab(QLabel("(canvas)"), "Paint")
    tab = TrainerTab(store=store)
    tabs.addTab(tab, "Train")
    tabs.setCurrentWidget(tab)
    win.setCentralWidget(tabs)
    win.resize(1440, 900)
    win.show()

    tab.set_project_dir(None)
    if not tab.add_data_source(args.data):
        print(tab.error_label.text(), file=sys.stderr)
        return 1
    tab.select_base(args.model)
    tab.set_settings(TrainSettings(steps=args.steps, size=args.size, lr=1e-4, batch=args.batch, device="cpu", val_every=args.val_every,
                                   val_items=4, max_items=args.max_items, tiny=not base.exists()))
    state = {"grabbed": False, "code": 0}

    def grab(path: str) -> None:
        app.processEvents()
        win.grab().save(path)
        print(f"saved {path}", flush=True)

    def on_progress(rec: dict) -> None:
        print(f"step {rec['step']}/{rec['total']} eta {rec.get('eta')} s", flush=True)
        if not state["grabbed"] and rec["step"] >= args.grab_at * rec["total"] and not tab.sample_preview.pixmap().isNull():
            state["grabbed"] = True
            QTimer.singleShot(300, lambda: (grab(args.out), None if args.finish else finish()))

    def on_state(s: str) -> None:
        print("state:", s, flush=True)
        if s == "failed":
            print(tab.last_error, file=sys.stderr)
            state["code"] = 1
            finish()
        elif s == "done":
            QTimer.singleShot(500, lambda: (grab(str(Path(args.out).with_name(Path(args.out).stem + "_done.png"))), finish()))

    def finish() -> None:
        tab.shutdown()
        app.quit()

    tab.trainingProgress.connect(on_progress)
    tab.stateChanged.connect(on_state)
    QTimer.singleShot(500, tab.start_training)
    app.exec()
    shutil.rmtree(tmp, ignore_errors=True)
    return state["code"] if state["grabbed"] else 1


if __name__ == "__main__":
    sys.exit(main())
