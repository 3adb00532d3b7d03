"""Speed: per-model latency at 256² and 512² input (line art, and grayscale at 512²), a 24-frame sequence, peak RSS.

Runs the full engine pipeline (pre-processing, network, guided upsampling, compositing)
on line art of the given size, with the default working resolution (256) and with the
hint-preview one (192). The first call of each configuration is a warm-up and is not
counted. Prints a markdown table; ``--out`` appends it to a results file.

    python benchmarks/bench_speed.py [--models auto,...] [--repeat 7] [--out benchmarks/RESULTS.md]
"""
from __future__ import annotations

import argparse
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize
from colorpaint.engine.sequence import colorize_sequence
from colorpaint.engine.session import Session
from colorpaint.engine.weights import save_weights
from colorpaint.models import registry


def lineart(size: int, seed: int = 0, shift: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((size, size), 255, np.uint8)
    for _ in range(25):
        c = (int(rng.integers(0, size)) + shift, int(rng.integers(0, size)))
        cv2.circle(img, c, int(rng.integers(size // 40, size // 6)), 0, max(1, size // 256), cv2.LINE_AA)
    return np.repeat(img[..., None], 3, 2)


def flops(net, work: int) -> float:
    """Multiply-adds x2 of the convolutions at a work x work input (forward hooks)."""
    total = [0]

    def hook(m, i, o):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total[0] += 2 * k * o.numel() * 1

    hs = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.inference_mode():
        net(torch.zeros(1, 1, work, work), torch.zeros(1, 1, 1, 1), torch.zeros(1, 8, work, work), torch.zeros(1, 4, work, work))
    for h in hs:
        h.remove()
    return total[0]


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(registry.names()))
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--weights-dir", default=None, help="use <dir>/<model>.safetensors (default: bundled, else untrained)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    session = Session()
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for name in args.models.split(","):
        w = Path(args.weights_dir) / f"{name}.safetensors" if args.weights_dir else registry.spec(name).default_weights
        if not w.exists():
            w = save_weights(tmp / f"{name}.safetensors", registry.build(name))
        net = session.get(name, str(w)).net
        gf = flops(net, 256) / 1e9
        row = {"model": name, "gflop": gf}
        for size, work, key in ((256, 256, "256"), (512, 256, "512"), (512, 192, "512 preview")):
            img = lineart(size)
            req = ColorizeRequest(img, model=name, weights=str(w), work_size=work)
            jobs.run(colorize(session, req))  # warm-up
            ts = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                jobs.run(colorize(session, req))
                ts.append(time.perf_counter() - t)
            row[key] = statistics.median(ts) * 1000
        # a grayscale 512² frame: calibrated chroma runs the regressors twice (mirror image)
        g = cv2.GaussianBlur(lineart(512, seed=2), (0, 0), 6)
        req = ColorizeRequest(g, model=name, weights=str(w), input_kind="gray")
        jobs.run(colorize(session, req))
        ts = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            jobs.run(colorize(session, req))
            ts.append(time.perf_counter() - t)
        row["512 gray"] = statistics.median(ts) * 1000
        # a 24-frame shot at 512², each frame conditioned on the previous result
        frames = [lineart(512, seed=1, shift=3 * t) for t in range(24)]
        base = ColorizeRequest(frames[0], model=name, weights=str(w))
        t = time.perf_counter()
        jobs.run(colorize_sequence(session, frames, base))
        row["fps"] = 24 / (time.perf_counter() - t)
        # network-only time at the working resolution, to report the share of peak
        L, k, h, p = torch.zeros(1, 1, 256, 256), torch.zeros(1, 1, 1, 1), torch.zeros(1, 8, 256, 256), torch.zeros(1, 4, 256, 256)
        with torch.inference_mode():
            net(L.contiguous(memory_format=torch.channels_last), k, h, p)
            ts = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                net(L.contiguous(memory_format=torch.channels_last), k, h, p)
                ts.append(time.perf_counter() - t)
        row["net_ms"] = statistics.median(ts) * 1000
        row["gflops"] = gf / (row["net_ms"] / 1000)
        rows.append(row)
        print(row, flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"### {time.strftime('%Y-%m-%d')} — {cpu_name()}, {torch.get_num_threads()} threads, torch {torch.__version__}, device {session.device_name}",
        "",
        "| model | GFLOP @256² | 256² in (ms) | 512² in (ms) | 512² gray in (ms) | 512² preview, work 192 (ms) | 24-frame shot @512² (fps) | network alone @256² (ms) | GFLOP/s (share of 265 peak) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(f"| {r['model']} | {r['gflop']:.2f} | {r['256']:.0f} | {r['512']:.0f} | {r['512 gray']:.0f} | {r['512 preview']:.0f} | {r['fps']:.1f} | {r['net_ms']:.0f} | {r['gflops']:.0f} ({r['gflops'] / 265:.0%}) |")
    lines += ["", f"Peak RSS of the whole run (all models loaded in turn): {rss:.0f} MB.", ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
