"""Fit and measure the chroma calibration of grayscale input (colorpaint/engine/calibrate.py).

``--fit``: on TRAIN-split material only (stills of the train split, which the networks
were trained on, and frames of the train-split ToastTV and sprite shots, which only
``temporal`` saw), collect per pixel at the working resolution the network's confidence,
its predicted chroma and the true chroma. Each set weighs the same. In each confidence
bin the scale of the predicted chroma (0 = leave gray, 1 = as predicted; steps of 0.05)
with the lowest mean CIEDE2000 is taken, capped by the least-squares scale so squared
error falls too, then made non-decreasing; written to ``resources/models/calibration.json``.
Frames of the film shots are not used, so they test the fit on material it never saw.

``--report``: on held-out sets, mean ΔE00 of the raw prediction / the calibrated one /
the untouched gray input, binned by confidence (markdown, for MODELS.md).

    python benchmarks/calibration.py --fit [--limit 40]     # bins; a model's frame gate and white guard are kept
    python benchmarks/calibration.py --fit-gate --extra ../data-built --extra-limit 300 --margin 0.3 --models M
    python benchmarks/calibration.py --report [--limit 30]
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorpaint.core.color import net_to_lab, rgb_to_lab, rgb_to_luma  # noqa: E402
from colorpaint.core.imageio import load_image  # noqa: E402
from colorpaint.core.metrics import delta_e2000  # noqa: E402
from colorpaint.engine import calibrate  # noqa: E402
from colorpaint.engine.pipeline import ColorizeRequest, prepare  # noqa: E402
from colorpaint.engine.session import Session  # noqa: E402
from colorpaint.models import registry  # noqa: E402

MODELS = ("auto", "histogram", "color-apply", "temporal")
WHITE = np.array([100.0, 0.0, 0.0], np.float32)


def stills(data: Path, split: str, limit: int):
    with open(data / "stills" / "manifest.csv", newline="") as fh:
        ids = sorted(r["id"] for r in csv.DictReader(fh) if r["split"] == split)
    if split == "train":  # spread over the whole split, not the first ids only
        ids = ids[:: max(1, len(ids) // limit)]
    for i in ids[:limit]:
        color = load_image(data / "stills" / f"{i}_color.png")
        yield f"{i}", load_image(data / "stills" / f"{i}_line.png"), color


def shot_frames(data: Path, prefix: tuple[str, ...], per_shot: int = 4):
    for d in sorted((data / "sequences").iterdir()):
        if d.is_dir() and d.name.startswith(prefix):
            frames = sorted(d.glob("frame_*.png"))
            for p in frames[:: max(1, len(frames) // per_shot)][:per_shot]:
                yield f"{d.name}/{p.stem}", None, load_image(p)


def samples(session, model: str, items, kinds=("gray", "lineart"), stride: int = 3):
    """Per-pixel (kind, conf, pred Lab, true Lab, input L) at the working resolution."""
    loaded = session.get(model)
    takes = registry.spec(model).takes_hints
    out = {k: [] for k in kinds}
    for _, line, color in items:
        for kind in kinds:
            if kind == "lineart" and line is None:
                continue
            img = line if kind == "lineart" else np.repeat(rgb_to_luma(color)[..., None], 3, 2)
            req = ColorizeRequest(img, model=model, input_kind=kind)
            L, kv, h, p, (wh, ww) = prepare(req, loaded.multiple, kind, takes_hints=takes)
            o, conf = calibrate.run_with_confidence(loaded.net, loaded.device, L, kv, h, p, loaded.dtype, raw=False)
            lab = net_to_lab(o[:, :wh, :ww].transpose(1, 2, 0))
            gt = rgb_to_lab(cv2.resize(color, (ww, wh), interpolation=cv2.INTER_AREA))
            if kind == "gray":
                lab[..., 0] = rgb_to_lab(cv2.resize(img, (ww, wh), interpolation=cv2.INTER_AREA))[..., 0]
            sl = (slice(None, None, stride), slice(None, None, stride))
            out[kind].append((conf[:wh, :ww][sl].ravel(), lab[sl].reshape(-1, 3), gt[sl].reshape(-1, 3)))
    return {k: tuple(np.concatenate([v[i] for v in vs]) for i in range(3)) for k, vs in out.items() if vs}


def deviation(kind, lab):
    """What the scale multiplies: chroma (ab) for gray, the offset from white for line art."""
    return lab[:, 1:] if kind == "gray" else lab - WHITE


def apply_scale(kind, lab, s):
    out = lab.copy()
    if kind == "gray":
        out[:, 1:] *= s[:, None]
    else:
        out[:] = WHITE + (lab - WHITE) * s[:, None]
    return out


def untouched(kind, lab):
    out = lab.copy()
    if kind == "gray":
        out[:, 1:] = 0
    else:
        out[:] = WHITE
    return out


def split_shots(data: Path, prefix: tuple[str, ...], split: str, per_shot: int, every: int = 1):
    from colorpaint.training.datasets import _split_of

    names = [d.name for d in sorted((data / "sequences").iterdir())
             if d.is_dir() and d.name.startswith(prefix) and _split_of(d.name, 0.1) == split][::every]
    for n in names:
        frames = sorted((data / "sequences" / n).glob("frame_*.png"))
        for p in frames[:: max(1, len(frames) // per_shot)][:per_shot]:
            yield f"{n}/{p.stem}", None, load_image(p)


def fit_sets(data: Path, limit: int):
    """TRAIN-split material only: stills (which the networks were trained on) and the
    train-split shots of the 2D cartoons and sprites (which only ``temporal`` saw)."""
    return {"stills": lambda: stills(data, "train", limit),
            "ToastTV train shots": lambda: split_shots(data, ("toasttv_",), "train", 3),
            "sprite train shots": lambda: split_shots(data, ("sprite_",), "train", 2, every=4)}


def fit_bins(parts, bins: int = 10):
    """Per confidence bin, the scale in [0, 1] (steps of 0.05) with the lowest mean ΔE00,
    capped by the least-squares scale (so squared error, hence PSNR, improves too); each
    part (data set) weighs the same. Then made non-decreasing."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    cands = np.linspace(0.0, 1.0, 21)
    de = np.zeros((bins, len(cands)))
    dot, sq, cnt = np.zeros(bins), np.zeros(bins), np.zeros(bins, np.int64)
    for conf, pred, gt in parts:
        w = 1.0 / len(conf)
        idx = np.clip(np.digitize(conf, edges) - 1, 0, bins - 1)
        dp, dg = pred[:, 1:], gt[:, 1:]
        dot += np.bincount(idx, (dp * dg).sum(1), bins) * w
        sq += np.bincount(idx, (dp * dp).sum(1), bins) * w
        cnt += np.bincount(idx, minlength=bins)
        for j, c in enumerate(cands):
            de[:, j] += np.bincount(idx, delta_e2000(apply_scale("gray", pred, np.full(len(conf), c, np.float32)), gt), bins) * w
    s = np.zeros(bins)
    for b in range(bins):
        if cnt[b] < 200:
            s[b] = s[b - 1] if b else 0.0
            continue
        s[b] = min(cands[int(np.argmin(de[b]))], max(0.0, dot[b] / max(sq[b], 1e-9)))
    s = _monotone(s, np.maximum(sq, 1e-9))
    return 0.5 * (edges[:-1] + edges[1:]), s, cnt


def _monotone(s, w):
    vals, wts, sizes = [], [], []
    for v, x in zip(s, w):
        vals.append(v), wts.append(x), sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            w2 = wts[-2] + wts[-1]
            vals[-2:], wts[-2:], sizes[-2:] = [(vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w2], [w2], [sizes[-2] + sizes[-1]]
    return np.repeat(vals, sizes)


def pair_folder(data: Path, split: str, limit: int):
    """Items of a pair folder with a manifest (``id``, ``split``; the data build of
    ``training/data/``), ``limit`` of them spread over the split."""
    with open(data / "manifest.csv", newline="") as fh:
        ids = sorted(r["id"] for r in csv.DictReader(fh) if r["split"] == split)
    for i in ids[:: max(1, len(ids) // limit)][:limit]:
        line = data / f"{i}_line.png"
        yield i, load_image(line) if line.exists() else None, load_image(data / f"{i}_color.png")


def gate_frames(session, model: str, items, stride: int = 2):
    """Per gray frame at the working resolution: (gate features, per-pixel confidence,
    predicted Lab, true Lab), every ``stride``-th pixel, as :func:`fit_gate` reads them."""
    loaded = session.get(model)
    takes = registry.spec(model).takes_hints
    out = []
    for _, _, color in items:
        img = np.repeat(rgb_to_luma(color)[..., None], 3, 2)
        req = ColorizeRequest(img, model=model, input_kind="gray")
        L, kv, h, p, (wh, ww) = prepare(req, loaded.multiple, "gray", takes_hints=takes)
        o, conf = calibrate.run_with_confidence(loaded.net, loaded.device, L, kv, h, p, loaded.dtype, raw=False)
        lab = net_to_lab(o[:, :wh, :ww].transpose(1, 2, 0))
        small = cv2.resize(img, (ww, wh), interpolation=cv2.INTER_AREA)
        lab[..., 0] = rgb_to_lab(small)[..., 0]
        gt = rgb_to_lab(cv2.resize(color, (ww, wh), interpolation=cv2.INTER_AREA))
        conf = conf[:wh, :ww]
        feat = calibrate.frame_features(small[..., 0], conf)
        sl = (slice(None, None, stride), slice(None, None, stride))
        out.append((feat, conf[sl].ravel(), lab[sl].reshape(-1, 3), gt[sl].reshape(-1, 3)))
    return out


def fit_gate(frames_per_set, table, guard, score="flat*mconf", step=0.0125, margin: float = 0.0):
    """The lowest frame-score threshold at which every set is no worse than untouched on
    mean PSNR and mean CIEDE2000 (working resolution), and, with ``margin``, the frames it
    lets through are better than untouched by at least ``margin`` ΔE00 on average in every
    set (so a threshold that only just breaks even on the fit sets is not taken: on new
    material such frames came out worse). ``frames_per_set``: per set, a list of
    (features, conf, pred Lab, true Lab) per frame, ``conf`` the per-pixel confidence."""
    from colorpaint.core.color import lab_to_rgb

    def metr(pred, gt):
        a, b = lab_to_rgb(pred[None]).astype(np.float32), lab_to_rgb(gt[None]).astype(np.float32)
        return 10 * np.log10(255 ** 2 / max(float(((a - b) ** 2).mean()), 1e-6)), float(delta_e2000(pred, gt).mean())

    rows = []  # per set: (score, metrics on, metrics untouched) per frame
    for frames in frames_per_set:
        r = []
        for feat, conf, pred, gt in frames:
            s = np.interp(calibrate._with_image_level(conf), np.linspace(0.05, 0.95, 10), table)
            s = s * calibrate.white_guard(pred[:, 0], guard)
            r.append((calibrate.GATE_SCORES[score](feat), metr(apply_scale("gray", pred, s.astype(np.float32)), gt),
                      metr(untouched("gray", pred), gt)))
        rows.append(r)
    for t in np.arange(0.0, 1.0 + step, step):
        ok = True
        for r in rows:
            on = np.array([m if q >= t else u for q, m, u in r]); un = np.array([u for _, _, u in r])
            ok &= on[:, 0].mean() >= un[:, 0].mean() and on[:, 1].mean() <= un[:, 1].mean()
            colored = [u[1] - m[1] for q, m, u in r if q >= t]
            if margin and colored:
                ok &= float(np.mean(colored)) >= margin
        if ok:
            return round(float(t), 4)
    return 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--out", type=Path, default=calibrate.TABLE_PATH)
    ap.add_argument("--fit-gate", action="store_true",
                    help="refit only each model's frame-gate threshold (bins and guard kept) on the fit sets")
    ap.add_argument("--extra", type=Path, action="append", default=[],
                    help="a pair folder with a manifest (the data build) whose TRAIN items join the gate's fit sets")
    ap.add_argument("--extra-limit", type=int, default=80)
    ap.add_argument("--margin", type=float, default=0.0,
                    help="--fit-gate: frames let through must beat untouched by this much ΔE00 on average, in every set")
    args = ap.parse_args()
    session = Session("cpu")
    models = args.models.split(",")
    if args.fit:
        tables = json.loads(args.out.read_text()) if args.out.exists() else {}
        sets = {k: list(f()) for k, f in fit_sets(args.data, args.limit).items()}
        for m in models:
            t0 = time.time()
            parts = [samples(session, m, its, kinds=("gray",))["gray"] for its in sets.values()]
            knots, s, cnt = fit_bins(parts)
            kept = {k: v for k, v in tables.get(m, {}).get("gray", {}).items() if k in ("gate", "guard")}
            tables[m] = {"gray": {"conf": [round(float(v), 3) for v in knots], "scale": [round(float(v), 3) for v in s],
                                  "pixels": [int(c) for c in cnt], **kept}}
            print(f"{m:12s} gray scale {np.round(s, 2).tolist()}  ({time.time() - t0:.0f} s)", flush=True)
        tables["_about"] = {**tables.get("_about", {}),
            "fitted_on": f"TRAIN split only: {args.limit} stills spread over it, 3 frames of each train-split ToastTV shot, "
                         "2 frames of every 4th train-split sprite shot; grayscale input, every 3rd pixel at working size 256; "
                         "each set weighs the same",
            "scale_of": "ab of the prediction (grayscale input)",
            "rule": "per confidence bin: the scale (steps of 0.05) with the lowest mean CIEDE2000, capped by the least-squares scale; then non-decreasing"}
        args.out.write_text(json.dumps(tables, indent=1) + "\n")
        calibrate._tables.cache_clear()
    if args.fit_gate:
        tables = json.loads(args.out.read_text())
        sets = {k: list(f()) for k, f in fit_sets(args.data, args.limit).items()}
        for extra in args.extra:
            sets[f"{extra.name} train"] = list(pair_folder(extra, "train", args.extra_limit))
        for m in models:
            t0 = time.time()
            g = tables[m]["gray"]
            frames = [gate_frames(session, m, its) for its in sets.values()]
            old = g["gate"]["threshold"]
            g["gate"]["threshold"] = fit_gate(frames, np.asarray(g["scale"]), g.get("guard"), g["gate"]["score"],
                                              margin=args.margin)
            print(f"{m:12s} gate threshold {old} -> {g['gate']['threshold']}  ({time.time() - t0:.0f} s)", flush=True)
        about = tables.setdefault("_about", {})
        about["gate"] = ("per model: the lowest threshold (steps of 0.0125) of the frame score sqrt(flat share x mean "
                         "confidence) at which every fit set (" + ", ".join(sets) + f"; {args.limit} train stills, "
                         f"{args.extra_limit} train items of each extra set) is no worse than untouched on mean PSNR and "
                         "mean CIEDE2000" + (f", and the frames it lets through beat untouched by {args.margin} "
                                             "ΔE00 on average in every set" if args.margin else "") +
                         " (hard step in the fit, ramp of width 0.025 above it at run time); film shots "
                         "and val material not used")
        args.out.write_text(json.dumps(tables, indent=1) + "\n")
        calibrate._tables.cache_clear()
    if args.report:
        sets = {
            "val stills": lambda: stills(args.data, "val", args.limit),
            "ToastTV val shot": lambda: split_shots(args.data, ("toasttv_",), "val", 5),
            "film shots (not in the fit)": lambda: split_shots(args.data, ("bbb_", "sintel_"), "train", 2),
            "sprite val shots": lambda: split_shots(args.data, ("sprite_",), "val", 2),
        }
        edges = np.array([0, 0.2, 0.4, 0.6, 0.8, 1.0001])
        print("| set | model | " + " | ".join(f"conf {a:.1f}–{min(b, 1):.1f}" for a, b in zip(edges[:-1], edges[1:])) + " | all |")
        print("| --- | --- |" + " --- |" * len(edges))
        for name, items in sets.items():
            its = list(items())
            for m in models:
                conf, pred, gt = samples(session, m, its, kinds=("gray",))["gray"]
                s = calibrate.chroma_scale(conf, m, "gray")
                cal = apply_scale("gray", pred, s) if s is not None else pred
                de_raw, de_cal, de_un = delta_e2000(pred, gt), delta_e2000(cal, gt), delta_e2000(untouched("gray", pred), gt)
                idx = np.clip(np.digitize(conf, edges) - 1, 0, len(edges) - 2)
                cells = []
                for b in range(len(edges) - 1):
                    sel = idx == b
                    cells.append("–" if sel.sum() < 50 else f"{sel.mean():.0%}: {de_raw[sel].mean():.1f} / {de_cal[sel].mean():.1f} / {de_un[sel].mean():.1f}")
                print(f"| {name} | {m} | " + " | ".join(cells) + f" | {de_raw.mean():.2f} / {de_cal.mean():.2f} / {de_un.mean():.2f} |", flush=True)


if __name__ == "__main__":
    main()
