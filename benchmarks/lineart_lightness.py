"""What a line-art colorization without hints can gain, and what the models know of it.

On held-out line art, every closed region of the figure (regions not touching the frame's
border; the border regions are the page) is filled three ways and scored with PSNR and
ΔE00 against the ground truth, lines multiplied on top as in the window:

* ``const L<x>``: one gray of lightness x in every region of the figure, the page white;
* ``truth L``: each region the mean lightness of its ground truth, no chroma (what knowing
  the lightness alone would give); ``truth L, page too``: the page's regions as well;
* ``truth color``: each region of the figure its ground truth's mean color, the page white;
* ``model L``: each region the mean lightness of the model's no-hint result, no chroma.

Every score is also given for two subsets: the stills whose colors lie inside the line
art's closed regions, and those with a colored page (over 5 % of the border-touching
regions is not white in the ground truth: flags and scenes whose color fields run to the
frame's edge with no line around them).

Then the model's own no-hint output (default cel color), and the correlation between the
model's region lightness and the truth's (over regions, and weighted by area).

    python benchmarks/lineart_lightness.py [--models auto,histogram,color-apply,temporal]
        [--data ../shared/data/stills] [--limit 50] [--json benchmarks/results/lineart_lightness.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONSTANTS = (40, 50, 60, 70, 80, 90)
# The page: the regions touching the frame's border. Where over PAGE_COLORED of it is not
# white in the ground truth (L* under PAGE_WHITE_L), the color runs to the frame's edge with
# no line around it (a flag, a scene): nothing in the line art tells that field from paper.
PAGE_WHITE_L = 95.0
PAGE_COLORED = 0.05


def _corr(x, y, w=None):
    w = np.ones_like(x) if w is None else w
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    return float(cov / np.sqrt(np.average((x - mx) ** 2, weights=w) * np.average((y - my) ** 2, weights=w) + 1e-12))


def measure(data: Path, models: list[str], limit: int, weights: dict) -> dict:
    from colorpaint.core import metrics
    from colorpaint.core.color import lab_to_rgb, multiply_lines, rgb_to_lab, rgb_to_luma
    from colorpaint.core.imageio import load_image
    from colorpaint.core.pairs import read_pairs
    from colorpaint.core.regions import segment
    from colorpaint.engine import jobs
    from colorpaint.engine.options import DEFAULT_GAP
    from colorpaint.engine.pipeline import ColorizeRequest, colorize
    from colorpaint.engine.session import Session

    pairs = read_pairs(data, "val", kind="lineart")[:limit]
    session = Session(None)
    scores: dict[str, list] = {}
    page_colored: list[float] = []
    regions = {m: ([], [], []) for m in models}

    def add(name, out, gt):
        scores.setdefault(name, []).append((metrics.psnr(out, gt), metrics.mean_delta_e2000(out, gt)))

    def fill(g, shape, inside, L):
        lab = np.zeros(shape, np.float32)
        lab[..., 0] = 100.0
        lab[inside, 0] = L if np.isscalar(L) else L[inside]
        return multiply_lines(lab_to_rgb(lab), g)

    for p in pairs:
        gt, img = load_image(p.color), load_image(p.input)
        g = rgb_to_luma(img)
        labels, n = segment(g, gap_close=DEFAULT_GAP)
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        inside = (labels > 0) & ~np.isin(labels, border[border > 0])
        ids = np.unique(labels[inside])
        count = np.bincount(labels.ravel(), minlength=n + 1)

        def region_lab(rgb):  # mean Lab of each region, (n+1)x3
            lab = rgb_to_lab(rgb).reshape(-1, 3).astype(np.float64)
            sums = np.stack([np.bincount(labels.ravel(), weights=lab[:, c], minlength=n + 1) for c in range(3)], 1)
            return (sums / np.maximum(count, 1)[:, None]).astype(np.float32)

        page = (labels > 0) & ~inside
        white = rgb_to_lab(gt)[..., 0] >= PAGE_WHITE_L
        page_colored.append(float((page & ~white).sum() / max(page.sum(), 1)))
        add("input unchanged", img, gt)
        for c in CONSTANTS:
            add(f"const L{c}", fill(g, gt.shape, inside, float(c)), gt)
        mean_lab = region_lab(gt)
        true_L = mean_lab[:, 0].astype(np.float64)
        add("truth L", fill(g, gt.shape, inside, true_L[labels]), gt)
        add("truth L, page too", fill(g, gt.shape, labels > 0, true_L[labels]), gt)
        lab = np.zeros(gt.shape, np.float32)
        lab[..., 0] = 100.0
        lab[inside] = mean_lab[labels[inside]]
        add("truth color", multiply_lines(lab_to_rgb(lab), g), gt)
        for m in models:
            req = ColorizeRequest(img, model=m, input_kind="lineart", weights=weights.get(m))
            res = jobs.run(colorize(session, req))
            add(f"{m} (its output)", res.composite, gt)
            pred_L = region_lab(res.color)[:, 0].astype(np.float64)
            add(f"{m} L", fill(g, gt.shape, inside, pred_L[labels]), gt)
            regions[m][0].extend(pred_L[ids])
            regions[m][1].extend(true_L[ids])
            regions[m][2].extend(count[ids])
    def summary(keep):
        return {k: {"psnr": float(np.mean([s[0] for s, c in zip(v, keep) if c])),
                    "de00": float(np.mean([s[1] for s, c in zip(v, keep) if c]))} for k, v in scores.items()}

    colored = np.asarray(page_colored) >= PAGE_COLORED
    out = {"items": len(pairs), "scores": summary(np.ones(len(pairs), bool)), "correlation": {},
           "page_colored": page_colored,
           "subsets": {"lines enclose the colors": {"items": int((~colored).sum()), "scores": summary(~colored)},
                       "colored page": {"items": int(colored.sum()), "scores": summary(colored)}}}
    for m, (pl, tl, w) in regions.items():
        pl, tl, w = (np.asarray(a, np.float64) for a in (pl, tl, w))
        out["correlation"][m] = {"regions": int(len(pl)), "corr": _corr(pl, tl), "corr_area_weighted": _corr(pl, tl, w)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="auto,histogram,color-apply,temporal")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "stills"))
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--weights", default="{}", help="per model: weights file instead of the bundled one, JSON")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    res = measure(Path(args.data), [m for m in args.models.split(",") if m], args.limit, json.loads(args.weights))
    for title, sub in [("all", {"items": res["items"], "scores": res["scores"]}), *res["subsets"].items()]:
        print(f"{title} ({sub['items']} stills)")
        base = sub["scores"]["input unchanged"]["psnr"]
        for k, v in sub["scores"].items():
            print(f"  {k:28s} PSNR {v['psnr']:6.2f} ({v['psnr'] - base:+.2f})  ΔE00 {v['de00']:.2f}")
    for m, c in res["correlation"].items():
        print(f"{m}: region lightness vs truth over {c['regions']} regions: r = {c['corr']:+.2f}, area-weighted {c['corr_area_weighted']:+.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
