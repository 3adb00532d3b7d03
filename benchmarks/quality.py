"""Quality of every model against the baselines, on the held-out val split.

Runs ``colorpaint-cli evaluate`` logic for each model and baseline, for line art and
grayscale input, with 0/1/5/20/50 simulated hints for the hinted models and the
region-fill peer, and on the val sequences for flicker. Writes JSON results and prints
markdown tables for resources/models/MODELS.md.

    python benchmarks/quality.py --data ../shared/data --out benchmarks/results/quality.json [--limit 60]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from colorpaint.training.evaluate import evaluate
from colorpaint.engine.session import Session

HINTS = (0, 1, 5, 20, 50)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--out", default="benchmarks/results/quality.json")
    ap.add_argument("--limit", type=int, default=None, help="val stills per kind")
    ap.add_argument("--models", default="auto,histogram,color-apply,temporal")
    ap.add_argument("--weights-dir", default=None, help="folder with <model>.safetensors (default: bundled)")
    ap.add_argument("--skip-sequences", action="store_true")
    ap.add_argument("--no-harm", nargs="*", metavar="NAME=DIR",
                    help="instead: grayscale input, no hints, each model with calibrate/cel off ('before') and on ('after') "
                         "and the untouched input, on the val stills and on each NAME=DIR folder of shots (all their shots; NAME=DIR@val: its val shots)")
    ap.add_argument("--no-stills", action="store_true", help="with --no-harm: only the NAME=DIR folders")
    args = ap.parse_args()
    if args.no_harm is not None:
        return no_harm(args)
    stills, seqs = Path(args.data) / "stills", Path(args.data) / "sequences"
    session = Session("auto")
    res = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}

    def run(key, model, data, hints=0, kind="auto", flat=False, limit=args.limit):
        t = time.time()
        w = str(Path(args.weights_dir) / f"{model}.safetensors") if args.weights_dir and model not in ("none", "mean", "region-fill", "flow") else None
        r = evaluate(model, data, hints, kind, "val", limit, w, None, 256, flat, session=session if w is None and model not in ("none", "mean", "region-fill", "flow") else None)
        res[key] = r
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=1))
        print(f"{key:40s} " + "  ".join(f"{k}: PSNR {v['psnr']:.2f} SSIM {v['ssim']:.3f} dE00 {v['de00']:.2f}" + (f" flicker {v['flicker']:+.2f}" if 'flicker' in v else "") for k, v in r.items()) + f"  ({time.time() - t:.0f} s)", flush=True)

    models = args.models.split(",")
    for kind in ("lineart", "gray"):
        for base in ("none", "mean"):
            run(f"{base}/{kind}/h0", base, stills, kind=kind)
    for n in HINTS:
        run(f"region-fill/lineart/h{n}", "region-fill", stills, n, kind="lineart")
    for m in models:
        for kind in ("lineart", "gray"):
            for n in (HINTS if m in ("histogram", "color-apply") else (0,)):
                run(f"{m}/{kind}/h{n}", m, stills, n, kind=kind)
        run(f"{m}/lineart/h0/flat", m, stills, 0, kind="lineart", flat=True)
    if not args.skip_sequences:
        for m in ["auto", "temporal"]:
            if m in models:
                run(f"seq/{m}", m, seqs, 0, limit=None)
        run("seq/none", "none", seqs, limit=None)


def no_harm(args):
    """Grayscale input, no hints: every model before/after against the untouched input."""
    sets = [] if args.no_stills else [("val stills", Path(args.data) / "stills", "val")]
    for nd in args.no_harm:  # NAME=DIR, or NAME=DIR@SPLIT for a folder whose shots are split by name
        name, d = nd.split("=", 1)
        d, _, split = d.partition("@")
        sets.append((name, Path(d), split))
    session = Session("auto")
    res = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    print("| set | model | PSNR before → after (untouched) | ΔE00 before → after (untouched) |")
    print("| --- | --- | --- | --- |")
    for name, data, split in sets:
        base = evaluate("none", data, 0, "gray", split or None, args.limit)["gray"]
        res[f"no-harm/{name}/none"] = base
        for m in args.models.split(","):
            r = {}
            for tag, opts in (("before", {"calibrate": False, "cel": False}), ("after", {})):
                r[tag] = evaluate(m, data, 0, "gray", split or None, args.limit, None, None, 256, False, session=session, options=opts)["gray"]
                res[f"no-harm/{name}/{m}/{tag}"] = r[tag]
            Path(args.out).write_text(json.dumps(res, indent=1))
            ok = "" if r["after"]["psnr"] >= base["psnr"] and r["after"]["de00"] <= base["de00"] else " (worse than untouched)"
            print(f"| {name} | {m} | {r['before']['psnr']:.2f} → {r['after']['psnr']:.2f} ({base['psnr']:.2f}) | "
                  f"{r['before']['de00']:.2f} → {r['after']['de00']:.2f} ({base['de00']:.2f}){ok} |", flush=True)


if __name__ == "__main__":
    main()
