"""Memory: a long shot stays flat, and a 4K frame fits (issue 8).

1. ``sequence``: a synthetic shot of ``--frames`` frames (default 500) at ``--size``² (512)
   through the temporal model, fed lazily: each frame is drawn when it is needed, colored
   conditioned on the previous result (flow-warped, as ``engine.sequence.colorize_sequence``
   does for a shot without keys, drift score included) and written to disk at once, so
   nothing accumulates. Peak RSS (VmHWM) and current RSS are read from /proc/self/status
   every 50 frames; the target is peak RSS at the last frame within 10 % of frame 50.
2. ``4k``: one 3840x2160 line-art frame colorized by each model, each in a fresh process,
   reporting the process's peak RSS (target <= 1.5 GB).

Each part runs in its own subprocess so one part's peak does not hide another's. Weights
are the bundled ones when present, else untrained full-size networks saved here (memory
does not depend on what a network learned).

    python benchmarks/bench_memory.py [--frames 500] [--size 512] [--models auto,...] [--out benchmarks/RESULTS.md]

``colorize_sequence`` itself takes a list of frames and returns every result, so a 500-frame
512² shot held that way costs 2 x 500 x 0.79 MB = ~790 MB on top of the flat figure here;
see the streaming proposal in the issue 8 report.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GB = 1024 ** 3


def proc_status() -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of this process, in bytes."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0]) * 1024
    return out


def weights_for(name: str, tmp: Path) -> Path:
    from colorpaint.engine.weights import save_weights
    from colorpaint.models import registry

    w = registry.spec(name).default_weights
    if w.exists():
        return w
    w = tmp / f"{name}.safetensors"
    if not w.exists():
        save_weights(w, registry.build(name), {"trained": False, "version": "untrained-benchmark"})
    return w


def lineart_canvas(size: int, seed: int = 0):
    """A large line-art canvas (HxW uint8) that frames are cut from while the camera pans."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    img = np.full((size, size), 255, np.uint8)
    for _ in range(size // 12):
        c = (int(rng.integers(0, size)), int(rng.integers(0, size)))
        cv2.circle(img, c, int(rng.integers(size // 60, size // 10)), 0, max(1, size // 512), cv2.LINE_AA)
    return img


def shot_frame(canvas, t: int, size: int):
    """Frame ``t`` of the synthetic shot: a slow pan over the canvas plus a bouncing ball."""
    import cv2
    import numpy as np

    span = canvas.shape[0] - size
    x = int(abs((t * 3) % (2 * span) - span))
    f = canvas[x // 2: x // 2 + size, x: x + size].copy()
    cy = int(size / 2 + size / 3 * np.sin(t / 9))
    cv2.circle(f, (size // 2 + (t * 5) % (size // 3), cy), size // 12, 0, 2, cv2.LINE_AA)
    return np.repeat(f[..., None], 3, 2)


def part_sequence(args) -> dict:
    import torch

    from colorpaint.core.imageio import save_image
    from colorpaint.engine import jobs
    from colorpaint.engine.pipeline import ColorizeRequest, colorize
    from colorpaint.engine.sequence import drift_score
    from colorpaint.engine.session import Session

    tmp = Path(tempfile.mkdtemp(prefix="bench_mem_"))
    w = weights_for("temporal", tmp)
    session = Session("cpu")
    canvas = lineart_canvas(args.size * 2)
    first = shot_frame(canvas, 0, args.size)
    base = ColorizeRequest(first, model="temporal", weights=str(w))
    out = tmp / "frames"
    prev = prev_in = None
    marks, t0 = [], time.perf_counter()
    start = proc_status()
    for i in range(args.frames):
        frame = shot_frame(canvas, i, args.size)  # lazily: one frame in memory at a time
        req = replace(base, image=frame, prev=prev, prev_image=prev_in)
        res = jobs.run(colorize(session, req))
        drift = drift_score(prev_in, frame, prev, res.composite) if prev is not None else 0.0
        save_image(out / f"frame_{i:04d}.png", res.composite)  # written as it goes
        prev, prev_in = res.composite, frame
        if (i + 1) % 50 == 0 or i + 1 == args.frames:
            st = proc_status()
            marks.append({"frame": i + 1, "peak_rss": st["VmHWM"], "rss": st["VmRSS"], "drift": drift,
                          "seconds": time.perf_counter() - t0})
            print(json.dumps({"progress": marks[-1]}), file=sys.stderr, flush=True)
    for p in out.iterdir():
        p.unlink()
    out.rmdir()
    return {"part": "sequence", "frames": args.frames, "size": args.size, "start_rss": start["VmRSS"], "marks": marks,
            "threads": torch.get_num_threads()}


def part_4k(args) -> dict:
    import cv2
    import numpy as np

    from colorpaint.engine import jobs
    from colorpaint.engine.pipeline import ColorizeRequest, colorize
    from colorpaint.engine.session import Session

    tmp = Path(tempfile.mkdtemp(prefix="bench_mem_"))
    name = args.model
    w = weights_for(name, tmp)
    session = Session("cpu")
    session.get(name, str(w))
    h, wd = 2160, 3840
    canvas = lineart_canvas(wd)[:h]
    img = np.repeat(canvas[..., None], 3, 2)
    hints = None
    if name in ("histogram", "color-apply"):
        hints = np.zeros((h, wd, 4), np.uint8)
        cv2.circle(hints, (wd // 3, h // 2), 20, (230, 120, 40, 255), -1)
    before = proc_status()
    t0 = time.perf_counter()
    res = jobs.run(colorize(session, ColorizeRequest(img, model=name, weights=str(w), hints=hints)))
    secs = time.perf_counter() - t0
    assert res.composite.shape == img.shape
    after = proc_status()
    return {"part": "4k", "model": name, "before_rss": before["VmRSS"], "peak_rss": after["VmHWM"], "seconds": secs}


def run_part(extra: list[str]) -> dict:
    env = dict(os.environ)
    r = subprocess.run([sys.executable, __file__, *extra], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"part {extra} failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GB
    return f"{os.cpu_count()}-core {cpu}, {mem:.0f} GiB, {platform.system()} {platform.release()}; Python {platform.python_version()}, PyTorch {torch.__version__}, {torch.get_num_threads()} threads"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["sequence", "4k"], help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--models", default=None, help="models for the 4K part (default: all)")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: sequence,4k")
    ap.add_argument("--out", default=None, help="append the markdown results to this file")
    args = ap.parse_args()
    if args.part == "sequence":
        print(json.dumps(part_sequence(args)))
        return
    if args.part == "4k":
        print(json.dumps(part_4k(args)))
        return

    from colorpaint.models import registry

    lines = [f"## Memory (`benchmarks/bench_memory.py`)", "", f"Machine: {machine()}.", f"Run {time.strftime('%Y-%m-%d %H:%M')}; "
             "weights: bundled where present, else untrained full-size networks (memory does not depend on training).", ""]
    skip = set(filter(None, args.skip.split(",")))
    if "sequence" not in skip:
        seq = run_part(["--part", "sequence", "--frames", str(args.frames), "--size", str(args.size)])
        m = {x["frame"]: x for x in seq["marks"]}
        first, last = m[min(50, args.frames)], m[args.frames]
        growth = last["peak_rss"] / first["peak_rss"] - 1
        lines += [f"### {args.frames}-frame shot at {args.size}², temporal model, frames fed lazily and written as they go", "",
                  "| frame | peak RSS (VmHWM) | RSS | elapsed |", "| ---: | ---: | ---: | ---: |"]
        for x in seq["marks"]:
            lines.append(f"| {x['frame']} | {x['peak_rss'] / 2**20:.0f} MiB | {x['rss'] / 2**20:.0f} MiB | {x['seconds']:.0f} s |")
        ok = "meets" if abs(growth) <= 0.10 else "misses"
        lines += ["", f"Peak RSS at frame {args.frames} vs frame {first['frame']}: {growth * 100:+.1f} % ({ok} the ±10 % target); "
                  f"{last['seconds'] / args.frames * 1000:.0f} ms per frame including flow warping, drift score and the PNG write.", ""]
    if "4k" not in skip:
        names = args.models.split(",") if args.models else registry.names()
        lines += ["### One 3840x2160 line-art frame, each model in a fresh process (default working size 256)", "",
                  "| model | RSS before (model loaded) | peak RSS | time |", "| --- | ---: | ---: | ---: |"]
        worst = 0
        for name in names:
            r = run_part(["--part", "4k", "--model", name])
            worst = max(worst, r["peak_rss"])
            lines.append(f"| {name} | {r['before_rss'] / 2**20:.0f} MiB | {r['peak_rss'] / 2**20:.0f} MiB | {r['seconds']:.1f} s |")
        lines += ["", f"Largest peak RSS {worst / GB:.2f} GiB ({'meets' if worst <= 1.5 * GB else 'misses'} the ≤ 1.5 GB target).", ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
