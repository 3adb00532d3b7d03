"""Memory and time of one large page, finished in strips (the default above
``pipeline.TILE_PIXELS``) against finished whole.

Each case runs in a fresh process that generates a page (line art of closed shapes, or the
same page as a grayscale ramp), colorizes it with ``auto`` (or ``--model``) through the
pipeline the window and ``colorpaint-cli colorize`` use, and reports its peak RSS (VmHWM)
and seconds. "whole" sets ``TILE_PIXELS`` out of reach, as before strips existed.

    python benchmarks/bench_large_page.py [--sizes 4000,8000] [--model auto] [--out benchmarks/RESULTS.md]
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def reset_peak() -> None:
    """Start VmHWM afresh at the current RSS (Linux: writing 5 to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def peak_rss() -> int:
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmHWM:"))


def page(size: int, kind: str):
    import cv2
    import numpy as np

    img = np.full((size, size, 3), 255, np.uint8)
    rng = np.random.default_rng(0)
    t = max(2, size // 800)
    for _ in range(60):  # closed shapes of many sizes, some overlapping
        c = tuple(int(v) for v in rng.integers(0, size, 2))
        r = int(rng.integers(size // 60, size // 8))
        if rng.random() < 0.5:
            cv2.circle(img, c, r, (0, 0, 0), t, cv2.LINE_AA)
        else:
            cv2.rectangle(img, (c[0] - r, c[1] - r // 2), (c[0] + r, c[1] + r // 2), (0, 0, 0), t, cv2.LINE_AA)
    if kind == "gray":
        ramp = np.linspace(40, 230, size, dtype=np.float32)[None, :, None]
        img = np.clip(img * np.float32(0.4) + ramp * np.float32(0.6), 0, 255).astype(np.uint8)
    hints = None
    if kind == "lineart+hints":
        hints = np.zeros((size, size, 4), np.uint8)
        for _ in range(20):
            y, x = (int(v) for v in rng.integers(0, size - 40, 2))
            hints[y:y + 24, x:x + 24] = (*rng.integers(0, 255, 3), 255)
    return img, hints


def case(args) -> dict:
    import colorpaint.engine.pipeline as pl
    from colorpaint.engine.jobs import run
    from colorpaint.engine.session import Session

    img, hints = page(args.size, args.kind)
    session = Session()
    session.get(args.model)
    if args.mode == "whole":
        pl.TILE_PIXELS = 10 ** 12
    reset_peak()
    before = peak_rss()
    t = time.perf_counter()
    kind = "gray" if args.kind == "gray" else "lineart"
    run(pl.colorize(session, pl.ColorizeRequest(image=img, model=args.model, hints=hints, input_kind=kind)))
    return {"size": args.size, "kind": args.kind, "mode": args.mode, "before": before, "peak": peak_rss(),
            "seconds": time.perf_counter() - t}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, default=8000, help=argparse.SUPPRESS)
    ap.add_argument("--kind", default="lineart", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="strips", help=argparse.SUPPRESS)
    ap.add_argument("--sizes", default="4000,8000")
    ap.add_argument("--kinds", default="lineart,lineart+hints,gray")
    ap.add_argument("--model", default="auto")
    ap.add_argument("--out", default=None, help="append the markdown table to this file")
    args = ap.parse_args()
    if args.case:
        print(json.dumps(case(args)))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for kind in args.kinds.split(","):
            for mode in ("strips", "whole"):
                cmd = [sys.executable, __file__, "--case", "--size", str(size), "--kind", kind, "--mode", mode, "--model", args.model]
                r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
                if r.returncode:
                    rows.append({"size": size, "kind": kind, "mode": mode, "error": r.stderr.strip().splitlines()[-1:]})
                else:
                    rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
                print(rows[-1], flush=True)
    gb = 1024 ** 3
    lines = [f"Run {time.strftime('%Y-%m-%d %H:%M')} on {platform.processor() or platform.machine()}, model `{args.model}`, "
             "peak RSS of the whole process while the page is colorized (weights, libraries and the page itself included).", "",
             "| page | input | strips: peak RSS (GB) | strips: s | whole: peak RSS (GB) | whole: s | bytes per pixel, strips → whole |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for i in range(0, len(rows), 2):
        s, w = rows[i], rows[i + 1]
        if "error" in s or "error" in w:
            lines.append(f"| {s['size']}² | {s['kind']} | {s.get('error', '')} | | {w.get('error', '')} | | |")
            continue
        px = s["size"] ** 2
        bpp = lambda r: (r["peak"] - r["before"]) / px
        lines.append(f"| {s['size']}² | {s['kind']} | {s['peak'] / gb:.2f} | {s['seconds']:.1f} | {w['peak'] / gb:.2f} | "
                     f"{w['seconds']:.1f} | {bpp(s):.0f} → {bpp(w):.0f} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write("\n\n### Large pages in strips (`benchmarks/bench_large_page.py`)\n\n" + text + "\n")


if __name__ == "__main__":
    main()
