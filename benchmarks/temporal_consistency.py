"""Shot colorization on the val sequences: frames alone vs conditioned vs anchored vs flow.

For each val shot the first frame is the key (its true colors, as an artist would paint
them); every other frame is colored by

  (a) ``alone``     — the temporal model with a blank previous frame, frame by frame;
  (b) ``previous``  — conditioned on its own previous output only (no flow, no anchoring);
  (c) ``anchored``  — previous output warped by optical flow, anchored to the nearest key,
                      with drift control, ``steady`` 0;
  (d) ``steady``    — ColorPaint's shot colorization: (c) with still areas keeping the
                      previous frame's colors (``steady``, default 0.95);
  (e) ``flow``      — no learning: the key's colors carried frame to frame by DIS optical
                      flow on the input frames (the non-learned peer).

and scored by mean PSNR over the non-key frames and flicker (mean absolute frame-to-frame
change of the output minus that of the ground truth; closer to 0 is better, reported as
an absolute value). Input: grayscale of the true frames, or XDoG line art with
``--kind lineart``.

    python benchmarks/temporal_consistency.py --data ../shared/data/sequences [--weights W]
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from colorpaint.cli import _sequences
from colorpaint.core import metrics
from colorpaint.core.color import rgb_to_luma
from colorpaint.core.imageio import load_image
from colorpaint.core.lineart import xdog_lines
from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize, warp_previous
from colorpaint.engine.sequence import colorize_sequence
from colorpaint.engine.session import Session


def run_shot(session, gts, ins, kind, weights, anchor):
    base = ColorizeRequest(ins[0], model="temporal", input_kind=kind, weights=weights)
    out = {}
    one = lambda req: jobs.run(colorize(session, req)).composite
    out["alone"] = [gts[0]] + [one(replace(base, image=f)) for f in ins[1:]]
    prev = [gts[0]]
    for f in ins[1:]:
        prev.append(one(replace(base, image=f, prev=prev[-1], options={"warp_prev": False})))
    out["previous"] = prev
    unsteady = replace(base, options={"steady": 0.0})
    res, _ = jobs.run(colorize_sequence(session, ins, unsteady, keys={0: gts[0]}, anchor=anchor))
    out["anchored"] = res
    res, _ = jobs.run(colorize_sequence(session, ins, base, keys={0: gts[0]}, anchor=anchor))
    out["steady"] = res
    flow = [gts[0]]
    for t in range(1, len(ins)):
        flow.append(warp_previous(flow[-1], rgb_to_luma(ins[t - 1]), rgb_to_luma(ins[t])))
    out["flow"] = flow
    scores = {}
    for k, frames in out.items():
        scores[k] = {"psnr": float(np.mean([metrics.psnr(o, g) for o, g in zip(frames[1:], gts[1:])])),
                     "flicker": abs(metrics.flicker(frames, gts))}
    return scores


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/sequences")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--kind", default="gray", choices=["gray", "lineart"])
    ap.add_argument("--anchor", type=float, default=0.5)
    ap.add_argument("--split", default="val")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    session = Session()
    allres = {}
    for name, cpaths, _, _ in _sequences(Path(args.data), args.split):
        gts = [load_image(p) for p in cpaths]
        if args.kind == "gray":
            ins = [np.repeat(rgb_to_luma(g)[..., None], 3, 2) for g in gts]
        else:
            ins = [np.repeat(xdog_lines(g)[..., None], 3, 2) for g in gts]
        allres[name] = run_shot(session, gts, ins, args.kind, args.weights, args.anchor)
        print(name, {k: f"{v['psnr']:.2f} dB / {v['flicker']:.2f}" for k, v in allres[name].items()}, flush=True)
    mean = {k: {m: float(np.mean([r[k][m] for r in allres.values()])) for m in ("psnr", "flicker")} for k in next(iter(allres.values()))}
    print(f"\n| method | PSNR (dB) | |flicker| |\n| --- | --- | --- |")
    for k, v in mean.items():
        print(f"| {k} | {v['psnr']:.2f} | {v['flicker']:.2f} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"kind": args.kind, "anchor": args.anchor, "mean": mean, "shots": allres}, indent=1))


if __name__ == "__main__":
    main()
