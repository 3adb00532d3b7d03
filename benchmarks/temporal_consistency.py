"""Shots with a key frame: ColorPaint's shot colorization against frames alone and flow peers.

For each shot the first frame is the key (its true colors, as an artist would paint them);
every other frame is colored by

  (a) ``alone``      — the temporal model with a blank previous frame, frame by frame;
  (b) ``previous``   — conditioned on its own previous output only (no flow, no anchoring);
  (c) ``anchored``   — previous output warped by optical flow, anchored to the nearest key,
                       with drift control, ``steady`` 0, no carrying;
  (d) ``steady``     — (c) with still areas keeping the previous frame's colors (``steady``
                       0.95), no carrying: ColorPaint before line-art carrying;
  (e) ``carry``      — ColorPaint's shot colorization as ``colorpaint-cli sequence`` runs it
                       now (``carry`` on; for grayscale input it is (d));
  (f) ``flat-before``/``flat`` — ``--flat`` without / with carrying;
  (g) ``flow``       — no learning: the key's colors carried frame to frame by DIS optical
                       flow on the input frames (the non-learned peer);
  (h) ``flow+lines`` — (g) with the frame's own lines multiplied on top (the fair peer on
                       line art).

Shot sets (``--sets``): ``gray`` (val sequences, grayscale input), ``xdog`` and ``canny``
(val sequences, line art synthesized from every color frame: noisy, broken lines),
``vector`` (synthetic shots from the first ``--stills`` val stills with their exact vector
line art: each frame a small random affine and elastic move of the previous one, the same
warp for color and line; rendered from the still in one resampling so the truth stays sharp),
``synfig`` (animated shots of the Morevna characters with exact line art, from
``training/data/morevna_shots.py``; folder given by ``--synfig``).

Scores per shot, over the first 12 and first 40 frames (40 only for shots that long):
mean PSNR and ΔE00 over the non-key frames, flicker (mean absolute frame-to-frame change of
the output minus that of the truth; reported signed and as mean of abs), and chroma drift
(mean Lab chroma of the output minus that of the truth, per frame; reported at the last
frame of the window: negative = faded toward pale).

    nice -n 10 python benchmarks/temporal_consistency.py --sets xdog,canny,vector \\
        --json benchmarks/results/keyed_lineart.json
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from colorpaint.training.evaluate import _sequences
from colorpaint.core import metrics
from colorpaint.core.color import multiply_lines, rgb_to_lab, rgb_to_luma
from colorpaint.core.imageio import load_image
from colorpaint.core.lineart import canny_lines, xdog_lines
from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize, warp_previous
from colorpaint.engine.sequence import colorize_sequence, sequence_request

WINDOWS = (12, 40)
ALL = ("alone", "previous", "anchored", "steady", "carry", "flat-before", "flat", "flow", "flow+lines")


def synthetic_shot(color: np.ndarray, line: np.ndarray, n: int, rng: np.random.Generator):
    """``n`` frames (color HxWx3, line HxW uint8) of a still moving by small random affine and
    elastic steps (rotate ±2.5°, scale ±2.5 %, shift ±5 px, elastic ≈ 2 px at σ 30 px per step).
    Each frame is rendered from the still through the chained maps, so it is as sharp as
    the still; the line is re-thresholded."""
    h, w = line.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = gx.copy(), gy.copy()
    colors, lines = [color], [line]
    for _ in range(n - 1):
        ang, sc = rng.uniform(-2.5, 2.5), 1 + rng.uniform(-0.025, 0.025)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, sc)
        m[:, 2] += rng.uniform(-5, 5, 2)
        inv = cv2.invertAffineTransform(m)  # where each pixel of the new frame was in the previous
        sx = inv[0, 0] * gx + inv[0, 1] * gy + inv[0, 2]
        sy = inv[1, 0] * gx + inv[1, 1] * gy + inv[1, 2]
        for s in (sx, sy):
            e = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 30)
            s += 2.0 * e / (e.std() + 1e-6)
        mx, my = (cv2.remap(a, sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1e4)
                  for a in (mx, my))
        colors.append(cv2.remap(color, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255)))
        l2 = cv2.remap(line, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
        lines.append(np.where(l2 < 128, 0, 255).astype(np.uint8))
    return colors, lines


def run_shot(session, gts, ins, kind, weights, anchor, methods):
    kind_ = "gray" if kind == "gray" else "lineart"
    base = ColorizeRequest(ins[0], model="temporal", input_kind=kind_, weights=weights)
    out = {}
    one = lambda req: jobs.run(colorize(session, req)).composite
    if "alone" in methods:
        out["alone"] = [gts[0]] + [one(replace(base, image=f)) for f in ins[1:]]
    if "previous" in methods:
        prev = [gts[0]]
        for f in ins[1:]:
            prev.append(one(replace(base, image=f, prev=prev[-1], options={"warp_prev": False})))
        out["previous"] = prev
    seq = lambda **kw: jobs.run(colorize_sequence(session, ins, sequence_request(ins[0], "temporal", weights=weights, input_kind=kind_, **kw),
                                                  keys={0: gts[0]}, anchor=anchor))[0]
    if "anchored" in methods:
        out["anchored"] = seq(steady=0.0, carry=False)
    if "steady" in methods:
        out["steady"] = seq(carry=False)
    if "carry" in methods:
        out["carry"] = seq()
    if "flat-before" in methods:
        out["flat-before"] = seq(flat=True, carry=False)
    if "flat" in methods:
        out["flat"] = seq(flat=True)
    if "flow" in methods or "flow+lines" in methods:
        flow = [gts[0]]
        for t in range(1, len(ins)):
            flow.append(warp_previous(flow[-1], rgb_to_luma(ins[t - 1]), rgb_to_luma(ins[t])))
        out["flow"] = flow
        out["flow+lines"] = [gts[0]] + [multiply_lines(f, rgb_to_luma(i)) for f, i in zip(flow[1:], ins[1:])]
    chroma = lambda im: float(np.hypot(*rgb_to_lab(im)[..., 1:].transpose(2, 0, 1)).mean())
    gt_c = [chroma(g) for g in gts]
    scores = {}
    for win in WINDOWS:
        if len(gts) < win and win != WINDOWS[0]:
            continue
        m = min(win, len(gts))
        sc = {}
        for k, frames in out.items():
            if k not in methods:
                continue
            f, g = frames[:m], gts[:m]
            sc[k] = {"psnr": float(np.mean([metrics.psnr(o, t) for o, t in zip(f[1:], g[1:])])),
                     "de00": float(np.mean([metrics.mean_delta_e2000(o, t) for o, t in zip(f[1:], g[1:])])),
                     "flicker": float(metrics.flicker(f, g)),
                     "chroma_drift": [chroma(o) - c for o, c in zip(f, gt_c[:m])]}
        scores[str(win)] = sc
    return scores


def shots(args, kind):
    root = Path(args.data)
    if kind == "vector":
        with open(root / "stills" / "manifest.csv", newline="") as fh:
            val = sorted(r["id"] for r in csv.DictReader(fh) if r["split"] == "val")
        rng = np.random.default_rng(0)
        for pid in val[:args.stills]:
            color = load_image(root / "stills" / f"{pid}_color.png")
            line = load_image(root / "stills" / f"{pid}_line.png")[..., 0]
            colors, lines = synthetic_shot(color, line, args.frames, rng)
            yield pid, colors, [np.repeat(l[..., None], 3, 2) for l in lines]
        return
    if kind == "synfig":
        for name, cpaths, ipaths, _ in _sequences(Path(args.synfig)):
            if ipaths is None:
                continue
            yield name, [load_image(p) for p in cpaths[:args.frames]], [load_image(p) for p in ipaths[:args.frames]]
        return
    for name, cpaths, _, _ in _sequences(root / "sequences", args.split):
        gts = [load_image(p) for p in cpaths[:args.frames]]
        if kind == "gray":
            ins = [np.repeat(rgb_to_luma(g)[..., None], 3, 2) for g in gts]
        elif kind == "xdog":
            ins = [np.repeat(xdog_lines(g)[..., None], 3, 2) for g in gts]
        else:
            ins = [np.repeat(canny_lines(g)[..., None], 3, 2) for g in gts]
        yield name, gts, ins


def summarize(allres):
    """Mean over shots, per window and method; flicker also as mean of abs."""
    mean = {}
    for win in [str(w) for w in WINDOWS]:
        rows = [r[win] for r in allres.values() if win in r]
        if not rows:
            continue
        mean[win] = {"shots": len(rows)}
        for k in rows[0]:
            mean[win][k] = {m: float(np.mean([r[k][m] for r in rows])) for m in ("psnr", "de00", "flicker")}
            mean[win][k]["abs_flicker"] = float(np.mean([abs(r[k]["flicker"]) for r in rows]))
            mean[win][k]["chroma_drift_last"] = float(np.mean([r[k]["chroma_drift"][-1] for r in rows]))
    return mean


def main():
    from colorpaint.engine.session import Session

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--sets", default="gray", help="comma list of gray, xdog, canny, vector, synfig")
    ap.add_argument("--synfig", default="../morevna-shots", help="shots of training/data/morevna_shots.py (set synfig)")
    ap.add_argument("--methods", default=None, help=f"comma list of {', '.join(ALL)} (default: all for gray; "
                    "steady, carry, flat-before, flat, flow, flow+lines for line art)")
    ap.add_argument("--frames", type=int, default=40, help="frames per shot at most (synthetic shots: exactly)")
    ap.add_argument("--stills", type=int, default=8, help="val stills made into synthetic shots")
    ap.add_argument("--anchor", type=float, default=0.5)
    ap.add_argument("--split", default="val")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if (Path(args.data) / "manifest.csv").exists():  # given the sequences folder itself
        args.data = str(Path(args.data).parent)
    session = Session("cpu")
    report = {"args": vars(args)}
    for kind in args.sets.split(","):
        methods = args.methods.split(",") if args.methods else (
            ["alone", "previous", "anchored", "steady", "flow"] if kind == "gray" else ["steady", "carry", "flat-before", "flat", "flow", "flow+lines"])
        allres = {}
        t0 = time.time()
        for name, gts, ins in shots(args, kind):
            allres[name] = run_shot(session, gts, ins, kind, args.weights, args.anchor, methods)
            first = allres[name][str(WINDOWS[0])]
            print(kind, name, len(gts), {k: f"{v['psnr']:.2f}/{v['de00']:.2f}/{v['flicker']:+.2f}" for k, v in first.items()}, flush=True)
        mean = summarize(allres)
        report[kind] = {"mean": mean, "shots": allres, "seconds": time.time() - t0}
        for win, tab in mean.items():
            print(f"\n{kind}, first {win} frames ({tab['shots']} shots)\n| method | PSNR (dB) ↑ | ΔE00 ↓ | flicker | abs(flicker) ↓ | chroma drift, last frame |"
                  "\n| --- | --- | --- | --- | --- | --- |")
            for k, v in tab.items():
                if k != "shots":
                    print(f"| {k} | {v['psnr']:.2f} | {v['de00']:.2f} | {v['flicker']:+.2f} | {v['abs_flicker']:.2f} | {v['chroma_drift_last']:+.2f} |")
        print(flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
