"""Hint curves over several random seeds: does the gain from 0 to N hints depend on which
points were drawn?

For each seed, ``histogram`` and ``color-apply`` (defaults: cel color, hint rules) and the
non-learned region fill (``region-fill``: each closed region takes the mean color of the
hints inside it) colorize the val stills' line art with 0 and N simulated point hints
(random points of the ground truth, 1-9 px patches of their mean color; the simulator of
``colorpaint-cli evaluate --hints``). Reports PSNR and ΔE00 per seed, the gain 0 -> N,
and whether each model stays above the region fill.

    python benchmarks/hint_seeds.py [--seeds 0,1,2] [--hints 20] [--limit 50] [--kind lineart]
        [--json benchmarks/results/hint_seeds.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorpaint.core.atomic import atomic_write_bytes  # noqa: E402
from colorpaint.training.evaluate import evaluate  # noqa: E402

MODELS = ("histogram", "color-apply", "region-fill")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/data/stills"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--hints", type=int, default=20)
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--kind", default="lineart", choices=("lineart", "gray"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    models = args.models.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    out = {"hints": args.hints, "limit": args.limit, "kind": args.kind, "seeds": seeds, "results": {}}
    t0 = time.time()
    for m in models:
        zero = evaluate(m, args.data, 0, kind=args.kind, limit=args.limit)[args.kind]  # no hints: no seed
        out["results"][m] = {"0": zero}
        for s in seeds:
            r = evaluate(m, args.data, args.hints, kind=args.kind, limit=args.limit, seed=s)[args.kind]
            out["results"][m][f"{args.hints}@{s}"] = r
            print(f"{m:12s} seed {s}: 0 hints {zero['psnr']:.2f} dB / {zero['de00']:.2f} -> {args.hints} hints "
                  f"{r['psnr']:.2f} dB / {r['de00']:.2f}  (gain {r['psnr'] - zero['psnr']:+.2f} dB)", flush=True)
    print(f"\n| model | 0 hints | " + " | ".join(f"{args.hints} hints, seed {s}" for s in seeds) + " | gain 0 → "
          f"{args.hints} (min over seeds) |")
    print("| --- | --- |" + " --- |" * len(seeds) + " --- |")
    for m in models:
        z = out["results"][m]["0"]
        rs = [out["results"][m][f"{args.hints}@{s}"] for s in seeds]
        print(f"| {m} | {z['psnr']:.2f} dB / {z['de00']:.2f} | " + " | ".join(f"{r['psnr']:.2f} dB / {r['de00']:.2f}" for r in rs)
              + f" | {min(r['psnr'] for r in rs) - z['psnr']:+.2f} dB |")
    print(f"{time.time() - t0:.0f} s")
    if args.json:  # the project's one writer: folders made, written whole or not at all
        atomic_write_bytes(args.json, json.dumps(out, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
