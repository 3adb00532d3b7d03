"""How flat are the true colours inside the regions that ``regions.segment`` finds?

For every val pair of the stills set (``split == val`` in ``manifest.csv``): segment
``<id>_line.png``, take each region's median true colour (Lab median of ``<id>_color.png``
inside it) and count the region pixels whose own true colour is within CIEDE2000 < 5 of
that median. This is the ceiling a perfect flat fill (one colour per region) could reach;
line pixels (label 0) are not counted.

Reported: the pixel-weighted share over all images, the mean and 10th percentile of the
per-image shares, the same share for *inner* regions only (regions not touching the image
border, i.e. excluding the page background), and the share of pixels that are line pixels.

    python benchmarks/eval_regions_flatness.py [--data /work/shared/data/stills] [--gap-close 2]

With ``--models``, the same is measured on each model's colorization of the line art with
no hints (the color layer, lines not multiplied on top), against its own region medians:
how flat the output is inside the regions, and how far from paper white the page
(the regions touching the border) comes out, mean CIEDE2000 against white. Each model
runs twice, with its request ``options`` as given by ``--options`` (JSON) and with the
defaults, so "before" (e.g. ``{"cel": false, "calibrate": false}``) and "after" come
from one command.

    python benchmarks/eval_regions_flatness.py --models auto,histogram --limit 50 --options '{"cel": false, "calibrate": false}'
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorpaint.core.color import rgb_to_lab  # noqa: E402
from colorpaint.core.metrics import delta_e2000  # noqa: E402
from colorpaint.core.regions import region_median, segment  # noqa: E402

THRESHOLD = 5.0  # CIEDE2000


def flatness(line_gray: np.ndarray, color_rgb: np.ndarray, gap_close: int = 2) -> dict[str, int]:
    """Pixel counts for one pair: region pixels, flat ones, the same for inner regions, lines."""
    labels, n = segment(line_gray, gap_close)
    lab = rgb_to_lab(color_rgb)
    med, _ = region_median(labels, lab, n)
    de = delta_e2000(lab, med[labels])
    region = labels > 0
    flat = region & (de < THRESHOLD)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    inner = region & ~np.isin(labels, border)
    return {"region": int(region.sum()), "flat": int(flat.sum()), "inner": int(inner.sum()),
            "inner_flat": int((flat & inner).sum()), "line": int((~region).sum()), "total": labels.size}


def output_flatness(line_gray: np.ndarray, color_rgb: np.ndarray, gap_close: int = 2) -> dict[str, float]:
    """Spread of an output color layer inside the regions of its line art, and the page's
    distance from white: sums over pixels (divide by the counts)."""
    labels, n = segment(line_gray, gap_close)
    lab = rgb_to_lab(color_rgb)
    med, _ = region_median(labels, lab, n)
    de = delta_e2000(lab, med[labels])
    region = labels > 0
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    page = region & np.isin(labels, border[border > 0])
    inner = region & ~page
    de_white = delta_e2000(lab, np.array([100.0, 0.0, 0.0], np.float32))
    return {"inner_spread": float(de[inner].sum()), "inner": int(inner.sum()), "inner_flat": int((de[inner] < THRESHOLD).sum()),
            "page_de_white": float(de_white[page].sum()), "page": int(page.sum())}


def models_main(args) -> None:
    import json

    from colorpaint.core.imageio import load_image
    from colorpaint.engine import jobs
    from colorpaint.engine.pipeline import ColorizeRequest, colorize
    from colorpaint.engine.session import Session

    with open(args.data / "manifest.csv", newline="") as f:
        ids = sorted(row["id"] for row in csv.DictReader(f) if row["split"] == args.split)[: args.limit]
    session = Session("cpu")
    variants = [("before", json.loads(args.options)), ("after", {})]
    print("| model | options | inner spread, mean ΔE00 to region median ↓ | inner pixels within ΔE00 5 of median ↑ | page ΔE00 vs white ↓ |")
    print("| --- | --- | --- | --- | --- |")
    for m in args.models.split(","):
        for name, opts in variants:
            tot: dict[str, float] = {}
            for i in ids:
                line = load_image(args.data / f"{i}_line.png")
                res = jobs.run(colorize(session, ColorizeRequest(line, model=m, input_kind="lineart", options=opts)))
                for k, v in output_flatness(line[..., 0], res.color, args.gap_close).items():
                    tot[k] = tot.get(k, 0) + v
            print(f"| {m} | {name} {json.dumps(opts) if opts else '(defaults)'} | {tot['inner_spread'] / tot['inner']:.2f} | "
                  f"{tot['inner_flat'] / tot['inner']:.1%} | {tot['page_de_white'] / tot['page']:.2f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data/stills"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--gap-close", type=int, default=2)
    ap.add_argument("--models", default=None, help="measure these models' no-hint output instead of the ground truth")
    ap.add_argument("--options", default='{"cel": false, "calibrate": false}', help="request options of the 'before' run (JSON)")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    if args.models:
        return models_main(args)

    with open(args.data / "manifest.csv", newline="") as f:
        ids = [row["id"] for row in csv.DictReader(f) if row["split"] == args.split]
    t0 = time.perf_counter()
    tot: dict[str, int] = {}
    shares = []
    for i in ids:
        line = cv2.imread(str(args.data / f"{i}_line.png"), cv2.IMREAD_GRAYSCALE)
        bgr = cv2.imread(str(args.data / f"{i}_color.png"), cv2.IMREAD_COLOR)
        color = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        c = flatness(line, color, args.gap_close)
        shares.append(c["flat"] / max(c["region"], 1))
        for k, v in c.items():
            tot[k] = tot.get(k, 0) + v
    shares_a = np.array(shares)
    print(f"{len(ids)} {args.split} pairs, gap_close={args.gap_close}, dE00 < {THRESHOLD:g} "
          f"({time.perf_counter() - t0:.1f} s)")
    print(f"  flat share, all region pixels:   {tot['flat'] / tot['region']:.4f}")
    print(f"  flat share, inner regions only:  {tot['inner_flat'] / tot['inner']:.4f}")
    print(f"  per-image share: mean {shares_a.mean():.4f}, 10th pct {np.percentile(shares_a, 10):.4f}, "
          f"min {shares_a.min():.4f}")
    print(f"  line pixels (not counted):       {tot['line'] / tot['total']:.4f} of all pixels")


if __name__ == "__main__":
    main()
