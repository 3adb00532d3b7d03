"""Colorizing with a reference against without, for every model; and the speed of it.

Quality: the first ``--limit`` val stills, line art and grayscale input (ITU-601 luma),
each model at the default working size, without a reference and with one reference: the
same still strongly deformed (``benchmarks/reference_matching.py``'s ``deform``, seed 0).
PSNR and ΔE00 against the true colors.

Speed (``--speed``, run it in a fresh process: peak RSS is the process's; ``on_screen``:
until the window's quick small pass, which the canvas shows first, is ready): one 2048²
line-art target (a val still scaled up) and one 512-px reference; the reference step
alone (regions, descriptors, matching, hints) and the whole colorize, with and without
the reference, median of 3 after a warm-up.

    python benchmarks/reference_quality.py [--limit 30] [--models auto,temporal] [--json out.json]
    python benchmarks/reference_quality.py --speed [--json out.json]
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from reference_matching import close_up, deform  # noqa: E402

from colorpaint.core import metrics  # noqa: E402
from colorpaint.core.color import rgb_to_luma  # noqa: E402
from colorpaint.core.imageio import load_image  # noqa: E402
from colorpaint.engine import jobs  # noqa: E402
from colorpaint.engine.pipeline import ColorizeRequest, colorize  # noqa: E402
from colorpaint.engine.reference import Reference, apply_references  # noqa: E402
from colorpaint.engine.session import Session  # noqa: E402

MODELS = ("auto", "histogram", "color-apply", "temporal")


def val_ids(root: Path) -> list[str]:
    with open(root / "stills" / "manifest.csv", newline="") as fh:
        return [r["id"] for r in csv.DictReader(fh) if r["split"] == "val"]


def quality(root: Path, limit: int, models=MODELS) -> dict:
    rng = np.random.default_rng(0)
    items = []
    for pid in val_ids(root)[:limit]:
        color = load_image(root / "stills" / f"{pid}_color.png")
        line = load_image(root / "stills" / f"{pid}_line.png")
        gray = np.repeat(rgb_to_luma(color)[..., None], 3, 2)
        items.append((color, line, gray, deform(color, rng)))
    session = Session("cpu")
    out = {}
    for model in models:
        for kind in ("lineart", "gray"):
            acc = {"without": [], "with": []}
            matched = []
            for color, line, gray, ref in items:
                img = line if kind == "lineart" else gray
                for tag, refs in (("without", None), ("with", (Reference(ref),))):
                    res = jobs.run(colorize(session, ColorizeRequest(img, model=model, input_kind=kind, references=refs)))
                    acc[tag].append((metrics.psnr(res.composite, color), metrics.mean_delta_e2000(res.composite, color)))
                    if refs:
                        matched.append(float(res.references.matched[1:].mean()))
            r = {tag: {"psnr": float(np.mean([a for a, _ in v])), "de00": float(np.mean([b for _, b in v]))} for tag, v in acc.items()}
            r["regions_from_reference"] = float(np.mean(matched))
            out.setdefault(model, {})[kind] = r
            print(f"{model:12s} {kind:8s} PSNR {r['without']['psnr']:.2f} -> {r['with']['psnr']:.2f} dB  "
                  f"ΔE00 {r['without']['de00']:.2f} -> {r['with']['de00']:.2f}  regions from the reference {100 * r['regions_from_reference']:.0f} %", flush=True)
    return out


def speed(root: Path) -> dict:
    pid = val_ids(root)[3]
    color = load_image(root / "stills" / f"{pid}_color.png")
    line = cv2.resize(load_image(root / "stills" / f"{pid}_line.png"), (2048, 2048), interpolation=cv2.INTER_LINEAR)
    ref = deform(color, np.random.default_rng(0))
    refs = (Reference(ref),)
    session = Session("cpu")
    req = ColorizeRequest(line, model="color-apply", input_kind="lineart", references=refs)

    def timed(fn, n=3):
        fn()
        ts = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return float(np.median(ts))

    from colorpaint.engine import reference as eref

    def step(r):
        def go():
            eref._REFS._items.clear()  # the reference is described again each time (a new sheet)
            apply_references(r, "lineart")
        return go

    out = {"target": "2048x2048 line art", "reference": f"{ref.shape[1]}x{ref.shape[0]}",
           "reference_step_s": timed(step(req)),
           "colorize_without_s": timed(lambda: jobs.run(colorize(session, ColorizeRequest(line, model="color-apply", input_kind="lineart")))),
           "colorize_with_s": timed(lambda: jobs.run(colorize(session, req)))}
    res = jobs.run(colorize(session, req))
    out["regions_from_reference"] = float(res.references.matched[1:].mean())
    # a close-up sheet of part of the figure (searched over the drawing at several scales)
    big, moved = deform(color, np.random.default_rng(0), labels=np.zeros(color.shape[:2], np.int64))
    sheet, _ = close_up(big, moved, 0, np.random.default_rng(0))
    req_cu = ColorizeRequest(line, model="color-apply", input_kind="lineart", references=(Reference(sheet),))

    from colorpaint.engine.progressive import colorize_progressive

    def first_colors(r):  # the window's Colorize on a large page: a quick small pass is shown first
        def go():
            eref._REFS._items.clear()  # a new sheet: described again
            job = colorize_progressive(session, r)
            next(job)  # the preview the canvas shows
            job.close()
        return go

    out["on_screen_with_s"] = timed(first_colors(req))
    out["close_up"] = f"{sheet.shape[1]}x{sheet.shape[0]}"
    out["on_screen_with_close_up_s"] = timed(first_colors(req_cu))
    out["close_up_reference_step_s"] = timed(step(req_cu))
    out["colorize_with_close_up_s"] = timed(lambda: jobs.run(colorize(session, req_cu)))
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, indent=1))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--limit", type=int, default=30)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated models to measure")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    root = Path(args.data)
    out = speed(root) if args.speed else {"stills": args.limit, "results": quality(root, args.limit, tuple(args.models.split(",")))}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
