"""Threads for an interactive colorize: 1, every core, or fitted to the cores other programs
leave free (colorpaint.engine.threads.fit_threads, what the window uses), idle and beside
a CPU hog (``--hog N`` busy-looping processes started here).

Median wall time of a 512² line-art ``auto`` colorize (the bundled weights), after one
warm-up, ``--repeat`` times per setting. The window's colorize runs on one worker thread,
as here.

    python benchmarks/bench_threads.py [--hog 0] [--hog 4] [--repeat 9] [--out benchmarks/RESULTS_threads.md]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import time

import torch

from bench_speed import lineart
from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize
from colorpaint.engine.session import Session
from colorpaint.engine.threads import fit_threads


def _spin(stop) -> None:
    while not stop.is_set():
        pass


def run(session, req, threads: str) -> float:
    if threads == "fitted":
        import cv2

        k = fit_threads()
        cv2.setNumThreads(k)  # as the fixed settings do (the window leaves OpenCV's count alone)
    else:
        import cv2

        k = int(threads)
        torch.set_num_threads(k)
        cv2.setNumThreads(k)
    t0 = time.perf_counter()
    jobs.run(colorize(session, req))
    return (time.perf_counter() - t0) * 1000, k


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hog", type=int, action="append", help="busy processes beside (repeatable; default 0 and 4)")
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    session = Session("cpu")
    req = ColorizeRequest(lineart(a.size), model="auto", input_kind="lineart")
    jobs.run(colorize(session, req))  # warm-up: model loaded, caches filled
    cores = len(os.sched_getaffinity(0))
    lines = [f"\n## Threads for one {a.size}² `auto` colorize ({platform.processor() or platform.machine()}, {cores} cores, "
             f"torch {torch.__version__}, {time.strftime('%Y-%m-%d')})\n",
             "| beside | threads (torch and OpenCV) | median ms | min ms | threads used |", "| --- | --- | --- | --- | --- |"]
    for hog in a.hog or [0, 4]:
        stop = mp.Event()
        procs = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(hog)]
        for p in procs:
            p.start()
        time.sleep(1.5)  # let the load settle
        fit_threads()  # starts the measurement the fitted runs read
        try:
            for threads in ("1", str(cores), "fitted"):
                got = [run(session, req, threads) for _ in range(a.repeat)]
                ms = [g[0] for g in got]
                ks = sorted({g[1] for g in got})
                load = "idle" if not hog else f"{hog} busy processes"
                lines.append(f"| {load} (loadavg {os.getloadavg()[0]:.1f}) | {threads} | {statistics.median(ms):.0f} | "
                             f"{min(ms):.0f} | {','.join(map(str, ks))} |")
                print(lines[-1], flush=True)
        finally:
            stop.set()
            for p in procs:
                p.join()
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "a", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
