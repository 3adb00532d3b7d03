"""Colors on screen sooner on a large page: time to the preview (the page colorized at 512
long side, scaled up) and to the full-size result, against the full-size pass alone.
One hinted ``color-apply`` colorize of generated line art, after a warm-up; median of
``--repeat``. The engine job the window runs (colorpaint.engine.progressive).

    python benchmarks/bench_progressive.py [--sizes 2048,4096x2304] [--repeat 5] [--out benchmarks/RESULTS_live.md]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import cv2
import numpy as np

from bench_speed import lineart
from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize
from colorpaint.engine.progressive import colorize_progressive
from colorpaint.engine.session import Session


def page(w: int, h: int) -> np.ndarray:
    return cv2.resize(lineart(1024), (w, h), interpolation=cv2.INTER_NEAREST)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2048,4096x2304")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--model", default="color-apply")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    s = Session("cpu")
    lines = [f"\n## Progressive colorize ({a.model}, one stroke, {os.cpu_count()} cores, loadavg {os.getloadavg()[0]:.1f}, "
             f"{time.strftime('%Y-%m-%d')})\n", "| page | preview on screen ms | full result ms | full pass alone ms |",
             "| --- | --- | --- | --- |"]
    for spec in a.sizes.split(","):
        w, h = (int(v) for v in spec.split("x")) if "x" in spec else (int(spec), int(spec))
        img = page(w, h)
        hints = np.zeros((h, w, 4), np.uint8)
        cv2.line(hints, (w // 3, h // 2), (w // 3 + w // 20, h // 2), (220, 60, 60, 255), max(3, w // 200))
        req = ColorizeRequest(img, model=a.model, hints=hints, input_kind="lineart")
        jobs.run(colorize(s, req))  # warm-up
        first, full, alone = [], [], []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            job = colorize_progressive(s, req)
            got = None
            while True:
                try:
                    p = next(job)
                except StopIteration:
                    break
                if p.preview is not None and got is None:
                    got = time.perf_counter() - t0
            full.append(time.perf_counter() - t0)
            first.append(got)
            t0 = time.perf_counter()
            jobs.run(colorize(s, req))
            alone.append(time.perf_counter() - t0)
        ms = lambda v: f"{statistics.median(v) * 1000:.0f}"
        lines.append(f"| {w}x{h} | {ms(first)} | {ms(full)} | {ms(alone)} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "a", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
