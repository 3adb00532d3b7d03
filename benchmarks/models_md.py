"""Render the measured tables of resources/models/MODELS.md from benchmarks/results/*.json.

    python benchmarks/models_md.py > /tmp/tables.md
"""
from __future__ import annotations

import json
from pathlib import Path

R = Path(__file__).parent / "results"


def load(name):
    p = R / name
    return json.loads(p.read_text()) if p.exists() else {}


def quality_tables(q):
    out = []
    for kind in ("lineart", "gray"):
        base = {b: q.get(f"{b}/{kind}/h0", {}).get(kind) for b in ("none", "mean")}
        out += [f"#### {'Line art' if kind == 'lineart' else 'Grayscale'} input, no hints ({(base['none'] or {}).get('n', '?')} val stills)", "",
                "| model | PSNR (dB) ↑ | SSIM ↑ | ΔE00 ↓ | beats both baselines? |", "| --- | --- | --- | --- | --- |"]
        for b in ("none", "mean"):
            r = base[b]
            if r:
                out.append(f"| baseline: {'input unchanged' if b == 'none' else 'flat mean-color fill'} | {r['psnr']:.2f} | {r['ssim']:.3f} | {r['de00']:.2f} | |")
        for m in ("auto", "histogram", "color-apply", "temporal"):
            r = q.get(f"{m}/{kind}/h0", {}).get(kind)
            if not r:
                continue
            ok = all(base[b] and r["psnr"] > base[b]["psnr"] and r["de00"] < base[b]["de00"] for b in base)
            out.append(f"| {m} | {r['psnr']:.2f} | {r['ssim']:.3f} | {r['de00']:.2f} | {'yes' if ok else '**no**'} |")
        out.append("")
    out += ["#### Flat mode (`--flat`), line art, no hints", "", "| model | PSNR without → with | ΔE00 without → with |", "| --- | --- | --- |"]
    for m in ("auto", "histogram", "color-apply", "temporal"):
        a, b = q.get(f"{m}/lineart/h0", {}).get("lineart"), q.get(f"{m}/lineart/h0/flat", {}).get("lineart")
        if a and b:
            out.append(f"| {m} | {a['psnr']:.2f} → {b['psnr']:.2f} | {a['de00']:.2f} → {b['de00']:.2f} |")
    out.append("")
    out += ["#### Hint curves, line art (simulated point hints from the ground truth)", "",
            "| hints | " + " | ".join(["region fill (no learning)", "histogram", "color-apply"]) + " |", "| --- | --- | --- | --- |"]
    for n in (0, 1, 5, 20, 50):
        cells = []
        for m in ("region-fill", "histogram", "color-apply"):
            r = q.get(f"{m}/lineart/h{n}", {}).get("lineart")
            cells.append(f"{r['psnr']:.2f} dB / ΔE00 {r['de00']:.2f}" if r else "")
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    out.append("")
    out += ["#### Hint curves, grayscale", "", "| hints | histogram | color-apply |", "| --- | --- | --- |"]
    for n in (0, 1, 5, 20, 50):
        cells = []
        for m in ("histogram", "color-apply"):
            r = q.get(f"{m}/gray/h{n}", {}).get("gray")
            cells.append(f"{r['psnr']:.2f} dB / ΔE00 {r['de00']:.2f}" if r else "")
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    out.append("")
    seq = {k: v for k, v in q.items() if k.startswith("seq/")}
    if seq:
        out += ["#### Val sequences, no key (grayscale input; `temporal` as the shot job runs it, `auto` frame by frame)", "",
                "| method | PSNR (dB) | ΔE00 | flicker, mean over shots | mean over shots of abs(flicker) ↓ |", "| --- | --- | --- | --- | --- |"]
        for k, v in seq.items():
            r = v.get("gray")
            if r:
                fa = r.get("flicker_abs")
                out.append(f"| {k[4:]} | {r['psnr']:.2f} | {r['de00']:.2f} | {r.get('flicker', float('nan')):+.2f} | "
                           + (f"{fa:.2f}" if fa is not None else "n/a") + " |")
        out.append("")
    return out


def main():
    lines = quality_tables(load("quality.json"))
    t = load("temporal_consistency.json")
    if t:
        lines += [f"#### Shots with a key frame (val sequences, {t.get('kind')} input)", "", "| method | PSNR (dB) ↑ | abs(flicker) ↓ |", "| --- | --- | --- |"]
        names = {"alone": "(a) each frame alone", "previous": "(b) previous-frame conditioning only",
                 "anchored": "(c) + flow warping, key anchoring, drift control",
                 "steady": "(d) + still areas keep their colors (`steady` 0.95, the default)", "flow": "non-learned peer: key carried by DIS flow"}
        for k, v in t["mean"].items():
            lines.append(f"| {names.get(k, k)} | {v['psnr']:.2f} | {v['flicker']:.2f} |")
        lines.append("")
    f = load("finetune_gain.json")
    if f:
        lines += ["#### Fine-tuning on a shot's first half, measured on its second half (grayscale input)", "",
                  "| shot / model | steps | minutes | PSNR before → after | ΔE00 before → after |", "| --- | --- | --- | --- | --- |"]
        for k, v in f.items():
            b, a = v["before"]["gray"], v["after"]["gray"]
            lines.append(f"| {k} | {v['steps']} | {v['minutes']} | {b['psnr']:.2f} → {a['psnr']:.2f} | {b['de00']:.2f} → {a['de00']:.2f} |")
        lines.append("")
    r = load("region_matching.json")
    if r:
        lines += ["#### Region colors carried from the previous frame", "", "| set | regions | regions right | pixels right |", "| --- | --- | --- | --- |"]
        for k, v in r.items():
            lines.append(f"| {k} | {v['regions']} | {v['region_share']:.1%} | {v['pixel_share']:.1%} |")
        lines.append("")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
