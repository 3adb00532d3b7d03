"""Live mode latency in the real window: stroke release -> updated colors on screen.

Drives an offscreen MainWindow like the GUI tests do: opens line art of each size, turns
Live on, paints a stroke with synthetic mouse events and waits until the new result is in
the color layer and the canvas has repainted. Times: a full canvas repaint at fit zoom,
the synchronous part of a stroke (release -> hint layer on screen), release -> first
colors on screen (the quick small pass of a large page, or the result itself) and release
-> final colors on screen. Median of ``--repeat`` strokes after a warm-up. ``--hog N``
runs N busy processes beside it (a render, a compile, a browser) for the whole
measurement. Prints a markdown table; ``--out`` appends it.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_live.py [--sizes 512,2048,4096x2304] [--model auto]
        [--weights FILE | --runs /work/runs] [--repeat 5] [--hog 2] [--out benchmarks/RESULTS_live.md]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("COLORPAINT_HOME", tempfile.mkdtemp())
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2
import numpy as np


def lineart(w: int, h: int | None = None, seed: int = 0) -> np.ndarray:
    h = w if h is None else h
    rng = np.random.default_rng(seed)
    img = np.full((h, w), 255, np.uint8)
    m = min(w, h)
    for _ in range(25):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(img, c, int(rng.integers(m // 40, m // 6)), 0, max(2, m // 256), cv2.LINE_AA)
    return np.repeat(img[..., None], 3, 2)


def _spin(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10000))


def start_hog(n: int):
    """``n`` processes that keep a core busy each until the returned stop() is called."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # fresh interpreters: nothing of Qt or torch is forked
    stop = ctx.Event()
    procs = [ctx.Process(target=_spin, args=(stop,), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()

    def done():
        stop.set()
        for p in procs:
            p.join(5)
    return done


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="512,2048")
    ap.add_argument("--model", default="auto")
    ap.add_argument("--weights")
    ap.add_argument("--runs", type=Path, default=Path("/work/runs"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--hog", type=int, default=0, help="busy processes running beside the window")
    ap.add_argument("--out")
    args = ap.parse_args()
    stop_hog = start_hog(args.hog) if args.hog else None

    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    import torch

    from colorpaint.core.imageio import save_image
    from colorpaint.engine.weights import save_weights
    from colorpaint.gui.main_window import MainWindow
    from colorpaint.models import registry
    from colorpaint.project.appdata import Preferences

    weights, origin = args.weights, "given"
    if not weights:
        if registry.spec(args.model).default_weights.exists():
            origin = "bundled"
        elif (args.runs / args.model / f"{args.model}.safetensors").exists():
            weights, origin = str(args.runs / args.model / f"{args.model}.safetensors"), "training checkpoint"
        else:
            weights = str(save_weights(Path(tempfile.mkdtemp()) / "w.safetensors", registry.build(args.model, tiny=True)))
            origin = "tiny (not the real network size: times are too low)"
    win = MainWindow(prefs=Preferences(autosave_minutes=0, work_size=256), device="cpu", weights={args.model: weights} if weights else {})
    win.prompts.save_changes = lambda name: "discard"
    win.resize(1400, 900)
    win.show()
    tmp = Path(tempfile.mkdtemp())

    def wait(cond, timeout=120.0):
        t0 = time.perf_counter()
        while not cond():
            app.processEvents()
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError
            time.sleep(0.0005)

    shown = {}  # when the canvas last got a color layer (a preview or a result)
    set_layer = win.canvas.set_color_layer

    def spy(*a, **k):
        out = set_layer(*a, **k)
        shown.setdefault("t", time.perf_counter())
        return out
    win.canvas.set_color_layer = spy

    rows = []
    for spec in args.sizes.split(","):
        w, _, h = spec.partition("x")
        w, h = int(w), int(h or w)
        size = min(w, h)
        label = f"{w}²" if w == h else f"{w}x{h}"
        path = tmp / f"line_{w}x{h}.png"
        save_image(path, lineart(w, h))
        assert win.open_path(path)
        win.project.set_model(args.model)
        c = win.canvas
        c.fit()
        app.processEvents()
        repaint = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            c.viewport().repaint()
            repaint.append(time.perf_counter() - t0)
        frame = win.project.current_frame
        win.set_live(True)
        wait(lambda: not win.colorizing and frame.result is not None)  # warm-up: model load
        sync, total, engine, first = [], [], [], []
        for i in range(args.repeat + 1):
            before = frame.result
            y = h * (0.2 + 0.12 * (i % 6))
            pts = [c.mapFromScene(QPointF(w * x, y)) for x in (0.2, 0.35, 0.5)]
            vp = c.viewport()
            QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
            QTest.mouseMove(vp, pts[1])
            t0 = time.perf_counter()
            QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[2])
            vp.repaint()  # the hint is on screen
            t_sync = time.perf_counter() - t0
            shown.clear()
            wait(lambda: "t" in shown or (frame.result is not before and not win.colorizing))
            vp.repaint()  # the first colors are on screen
            t_first = time.perf_counter() - t0
            wait(lambda: frame.result is not before and not win.colorizing)
            vp.repaint()  # the final colors are on screen
            if i:  # the first stroke is a warm-up
                sync.append(t_sync)
                first.append(t_first)
                total.append(time.perf_counter() - t0)
                engine.append(frame.result.seconds)
        win.set_live(False)
        med = lambda v: statistics.median(v) * 1000
        rows.append(f"| {label} | {med(repaint):.0f} ms | {med(sync):.0f} ms | {med(first):.0f} ms | {med(engine):.0f} ms | {med(total):.0f} ms |")
        print(rows[-1], flush=True)
    win.close()
    load = os.getloadavg()[0]
    if stop_hog:
        stop_hog()

    beside = f"{args.hog} busy processes beside it" if args.hog else "nothing else asked for"
    table = "\n".join([
        f"\n## Live latency (`benchmarks/bench_live.py --hog {args.hog}`, {time.strftime('%Y-%m-%d')})\n",
        f"Model `{args.model}` ({origin}), working resolution 256, CPU with {torch.get_num_threads()} torch threads at the end "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores), offscreen Qt, {beside}; "
        f"load average {load:.1f} at the end. Median of {args.repeat} strokes after a warm-up.\n",
        "| frame | full repaint at fit | release → hint on screen | release → first colors | engine | release → final colors |",
        "|---|---|---|---|---|---|", *rows, ""])
    print(table)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
