"""Time ``regions.segment`` on a synthetic 2048x2048 line drawing.

The drawing: 300 random closed shapes (circles, ellipses, rectangles, polygons) and 200
open strokes (up to 1/6 of the image long), black on white, 1-2 px wide, anti-aliased.
Reports the median of 5 timed runs after one warm-up.

    python benchmarks/bench_regions.py [--size 2048] [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorpaint.core.regions import segment  # noqa: E402


def synthetic_lineart(size: int = 2048, n_shapes: int = 300, n_strokes: int = 200,
                      seed: int = 0) -> np.ndarray:
    """``size x size uint8`` gray line art: black anti-aliased 1-2 px lines on white."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size), 255, np.uint8)

    def pt():
        return tuple(int(v) for v in rng.integers(0, size, 2))

    for _ in range(n_shapes):
        kind, t = rng.integers(4), int(rng.integers(1, 3))
        c, r = pt(), int(rng.integers(8, size // 10))
        if kind == 0:
            cv2.circle(img, c, r, 0, t, cv2.LINE_AA)
        elif kind == 1:
            axes = (r, int(rng.integers(4, r + 1)))
            cv2.ellipse(img, c, axes, float(rng.uniform(0, 180)), 0, 360, 0, t, cv2.LINE_AA)
        elif kind == 2:
            cv2.rectangle(img, c, (c[0] + r, c[1] + int(rng.integers(8, r + 9))), 0, t, cv2.LINE_AA)
        else:
            poly = (np.array(c) + rng.integers(-r, r + 1, (int(rng.integers(3, 7)), 2))).astype(np.int32)
            cv2.polylines(img, [poly], True, 0, t, cv2.LINE_AA)
    for _ in range(n_strokes):  # open strokes up to ~1/6 of the image long
        a = pt()
        b = tuple(int(v) for v in np.array(a) + rng.integers(-size // 6, size // 6 + 1, 2))
        cv2.line(img, a, b, 0, int(rng.integers(1, 3)), cv2.LINE_AA)
    return img


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--gap-close", type=int, default=2)
    args = ap.parse_args()

    img = synthetic_lineart(args.size)
    _, n = segment(img, args.gap_close)  # warm-up
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        segment(img, args.gap_close)
        times.append((time.perf_counter() - t0) * 1000.0)
    print(f"segment {args.size}x{args.size}, gap_close={args.gap_close}: {n} regions, "
          f"median {statistics.median(times):.1f} ms over {args.runs} runs "
          f"(min {min(times):.1f}, max {max(times):.1f}; cv2 threads {cv2.getNumThreads()})")


if __name__ == "__main__":
    main()
