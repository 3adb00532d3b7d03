"""Held-out evaluation: a model (or a baseline) on a folder of pairs or shots, scored with
PSNR, SSIM and CIEDE2000 (and flicker for shots). ``colorpaint-cli evaluate``, the
fine-tune comparison and the quality benchmarks all run this one function."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine.options import DEFAULT_GAP

BASELINES = ("none", "mean", "region-fill", "flow")


def _sequences(folder: Path, split: str | None = None):
    """[(name, [color frame paths], [input paths or None], kind)] for sequence folders.

    With ``split``, only shots of that split are kept, by the same per-shot rule training
    uses (a hash of the shot's name), so validation shots are never trained on."""
    from ..core.frames import list_frames
    from ..core.pairs import split_of

    seqs = []
    dirs = [folder] if (folder / "color").is_dir() or any(folder.glob("*.png")) else sorted(p for p in folder.iterdir() if p.is_dir())
    if split and len(dirs) > 1:
        dirs = [d for d in dirs if split_of(d.name, 0.1) == split]
    for d in dirs:
        if (d / "color").is_dir():
            colors = list_frames(d / "color")
            for sub, kind in (("line", "lineart"), ("gray", "gray")):
                if (d / sub).is_dir():
                    seqs.append((d.name, colors, list_frames(d / sub), kind))
                    break
            else:
                seqs.append((d.name, colors, None, "gray"))
        else:
            frames = list_frames(d)
            if frames:
                seqs.append((d.name, frames, None, "gray"))
    return seqs


def _gray_input(color: np.ndarray) -> np.ndarray:
    from ..core.color import rgb_to_luma

    g = rgb_to_luma(color)
    return np.repeat(g[..., None], 3, 2)


def _baseline(name: str, img: np.ndarray, kind: str, hints, mean_rgb):
    from ..core.color import lab_to_rgb, multiply_lines, rgb_to_lab, rgb_to_luma

    if name == "none":
        return img
    if name == "mean":
        lab = rgb_to_lab(img)
        mlab = rgb_to_lab(np.array([[mean_rgb]], np.uint8))[0, 0]
        if kind == "gray":
            lab[..., 1:] = mlab[1:]
            return lab_to_rgb(lab)
        fill = np.empty_like(img)
        fill[:] = mean_rgb
        return multiply_lines(fill, rgb_to_luma(img))
    if name == "region-fill":
        from ..core.regions import segment

        labels, n = segment(rgb_to_luma(img), gap_close=DEFAULT_GAP)
        out = img.copy()
        if hints is None or not (hints[..., 3] > 0).any():
            return out
        m = hints[..., 3] > 0
        lab_h = rgb_to_lab(np.ascontiguousarray(hints[..., :3]))
        cnt = np.bincount(labels[m], minlength=n + 1)
        lab_out = rgb_to_lab(img)
        L_in = lab_out[..., 0].copy()
        for c in range(3):
            s = np.bincount(labels[m], weights=lab_h[..., c][m], minlength=n + 1)
            mean = np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)
            v = mean[labels]
            ok = ~np.isnan(v) & (labels > 0)
            lab_out[..., c][ok] = v[ok]
        if kind == "gray":
            lab_out[..., 0] = L_in
        return lab_to_rgb(lab_out)
    raise ValueError(f"unknown baseline {name!r}")


def _train_mean_color(data_dirs) -> tuple[int, int, int]:
    """Mean color of the training split's color images (the flat-fill baseline)."""
    from ..core.imageio import load_image
    from ..core.pairs import read_manifest, read_pairs

    sums, n = np.zeros(3), 0
    for d in data_dirs:
        # the manifest's train items in its order; without any, every pair by name
        has_train = any(r.get("split") == "train" for r in read_manifest(d) or ())
        for p in (read_pairs(d, "train", order="manifest") if has_train else read_pairs(d))[:200]:
            sums += load_image(p.color).reshape(-1, 3).mean(0)
            n += 1
    return tuple(int(v) for v in (sums / max(n, 1))) if n else (200, 180, 160)


def evaluate(model: str, data: Path, hints_n: int = 0, kind: str = "auto", split: str | None = "val", limit: int | None = None,
             weights: str | None = None, device: str | None = None, work_size: int = 256, flat: bool = False, seed: int = 0, session=None,
             options: dict | None = None):
    """Mean PSNR / SSIM / ΔE00, RGB SSIM, mean ab L2 and Varga's indices (MSE, NCC, AD, SC,
    MD, NAE; :func:`~colorpaint.core.metrics.varga_indices`), and flicker for sequences, of
    ``model`` on ``data``;
    ``options``: the requests' options (e.g. ``{"calibrate": False}``)."""
    from ..core import metrics
    from ..core.hints import simulate_hints
    from ..core.imageio import load_image
    from ..core.pairs import read_pairs
    from ..engine import jobs
    from ..engine.pipeline import ColorizeRequest, colorize

    is_model = model not in BASELINES
    if is_model and session is None:
        from ..engine.session import Session

        session = Session(device)
        session.get(model, weights)
    mean_rgb = _train_mean_color([data]) if model == "mean" else None
    per_kind: dict[str, dict[str, list]] = {}
    flick: dict[str, list] = {}
    rng = np.random.default_rng(seed)

    def run_one(img, kind_, hints, prev=None, prev_img=None):
        if not is_model:
            return _baseline(model, img, kind_, hints, mean_rgb)
        req = ColorizeRequest(img, model=model, hints=hints, prev=prev, prev_image=prev_img, input_kind=kind_, weights=weights, work_size=work_size,
                              options=dict(options or {}))
        res = jobs.run(colorize(session, req))
        if flat:
            from ..engine.flat import flatten

            return flatten(img, res, hints, (), gap=DEFAULT_GAP)
        return res.composite

    def add(kind_, out, gt):
        d = per_kind.setdefault(kind_, {})
        scores = {"psnr": metrics.psnr(out, gt), "ssim": metrics.ssim(out, gt), "de00": metrics.mean_delta_e2000(out, gt),
                  "ssim_rgb": metrics.ssim_rgb(out, gt), "ab_l2": metrics.ab_l2(out, gt)}
        scores.update({k: v for k, v in metrics.varga_indices(out, gt).items() if k != "psnr"})
        for k, v in scores.items():
            d.setdefault(k, []).append(v)

    # "auto": each pair's line art (when it has one) and its gray (_gray.png, else the luma
    # of the color image, as the papers make it)
    pairs = read_pairs(data, split, kind=kind)
    if pairs:
        if limit:
            pairs = pairs[:limit]
        for p in pairs:
            gt = load_image(p.color)
            img = load_image(p.input) if p.input is not None else _gray_input(gt)
            hints = simulate_hints(gt, hints_n, rng) if hints_n else None
            add(p.kind, run_one(img, p.kind, hints), gt)
    else:
        seqs = _sequences(data, split)
        if not seqs:
            raise ValueError(f"{data}: no <id>_color.png pairs and no sequence folders found")
        if limit:
            seqs = seqs[:limit]
        from ..models import registry

        shot_job = is_model and registry.spec(model).takes_previous_frame
        for name, cpaths, ipaths, kind_ in seqs:
            gts = [load_image(p) for p in cpaths]
            ins = [load_image(p) for p in ipaths] if ipaths else [_gray_input(g) for g in gts]
            if shot_job:  # a model that takes the previous frame: the shot job, as the window runs it
                from ..engine.sequence import colorize_sequence, sequence_request

                hints = {t: simulate_hints(gt, hints_n, rng) for t, gt in enumerate(gts)} if hints_n else {}
                base = sequence_request(ins[0], model, weights=weights, input_kind=kind_, work_size=work_size, flat=flat)
                if options:
                    from dataclasses import replace

                    base = replace(base, options={**base.options, **options})
                outs, _ = jobs.run(colorize_sequence(session, ins, base, hints=hints))
                for out, gt in zip(outs, gts):
                    add(kind_, out, gt)
                flick.setdefault(kind_, []).append(metrics.flicker(outs, gts))
                continue
            outs, prev, prev_img = [], None, None
            for t, (img, gt) in enumerate(zip(ins, gts)):
                hints = simulate_hints(gt, hints_n, rng) if hints_n else None
                if model == "flow" and t > 0:
                    from ..engine.pipeline import warp_previous
                    from ..core.color import rgb_to_luma

                    out = warp_previous(outs[-1], rgb_to_luma(ins[t - 1]), rgb_to_luma(img))
                elif model == "flow":
                    out = gt  # the key frame: the artist's colors
                else:
                    out = run_one(img, kind_, hints, prev, prev_img)
                outs.append(out)
                prev, prev_img = out, img
                add(kind_, out, gt)
            flick.setdefault(kind_, []).append(metrics.flicker(outs, gts))
    report = {}
    for k, d in per_kind.items():
        report[k] = {m: float(np.mean(v)) for m, v in d.items()} | {"n": len(d["psnr"])}
        if k in flick:
            report[k]["flicker"] = float(np.mean(flick[k]))
            report[k]["flicker_abs"] = float(np.mean(np.abs(flick[k])))  # per shot: signs do not cancel
    return report
