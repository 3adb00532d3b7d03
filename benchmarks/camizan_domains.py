"""Camizan et al.'s cross-domain table: each camizan training (cartoon only, "live action"
only, an even mix) colorizing each test domain, CIEDE2000 and SSIM as the paper reports them.

Test domains (never trained on): the cartoon val stills of ``../shared/data/stills`` and
the held-out film shots that ``training/camizan.sh`` keeps out of every training
(``HOLDOUT``, by default ``bbb_c_s00`` and ``sintel_b_s00``, linked under
``<run>/live-test``). Grayscale input, no hints, the networks' raw colors
(``--no-calibrate``: the paper has no calibration, and camizan has no calibration table).
The untouched gray input is the reference row. SSIM is on RGB (on luma alone a gray
input scores perfectly).

    python benchmarks/camizan_domains.py --runs /work/runs [--limit 50] [--json benchmarks/results/camizan_domains.json]

``--runs`` holds ``camizan-cartoon/``, ``camizan-live/`` and ``camizan-mix/`` (each with
``camizan.safetensors``); missing trainings are left out of the table.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorpaint.core.atomic import atomic_write_bytes  # noqa: E402
from colorpaint.training.evaluate import evaluate  # noqa: E402

TRAININGS = ("cartoon", "live", "mix")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=Path, default=Path("/work/runs"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--limit", type=int, default=50, help="val stills at most")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    runs = {t: args.runs / f"camizan-{t}" / "camizan.safetensors" for t in TRAININGS}
    runs = {t: p for t, p in runs.items() if p.exists()}
    if not runs:
        print(f"no camizan trainings under {args.runs}", file=sys.stderr)
        return 2
    live_test = next((p.parent / "live-test" for p in runs.values() if (p.parent / "live-test").is_dir()), None)
    domains = {"cartoon (val stills)": (args.data / "stills", "val", args.limit)}
    if live_test is not None:
        domains["live action (held-out film shots)"] = (live_test, None, None)
    out = {"trainings": {t: str(p) for t, p in runs.items()}, "results": {}}
    rows = []
    for dname, (folder, split, limit) in domains.items():
        base = evaluate("none", folder, kind="gray", split=split, limit=limit)["gray"]
        out["results"].setdefault(dname, {})["untouched"] = base
        rows.append(f"| {dname} | untouched gray | {base['de00']:.2f} | {base['ssim_rgb']:.3f} | {base['psnr']:.2f} |")
        for t, w in runs.items():
            raw = evaluate("camizan", folder, kind="gray", split=split, limit=limit, weights=str(w),
                           options={"calibrate": False})["gray"]
            out["results"][dname][t] = raw
            rows.append(f"| {dname} | {t} | {raw['de00']:.2f} | {raw['ssim_rgb']:.3f} | {raw['psnr']:.2f} |")
            print(rows[-1], flush=True)
    table = "\n".join(["| test domain | trained on | CIEDE2000 ↓ | SSIM (RGB) ↑ | PSNR (dB) |",
                       "| --- | --- | --- | --- | --- |", *rows])
    print(table)
    if args.json:  # the project's one writer: folders made, written whole or not at all
        atomic_write_bytes(args.json, json.dumps(out, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
