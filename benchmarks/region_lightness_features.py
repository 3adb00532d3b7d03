"""Can a line-art region's lightness be told from its shape? A fit on the training split.

Every closed region of the figure (not touching the frame's border; the lines with the
default gap closed, as the window segments them) of each line-art pair gets 15 shape
features: its area (of the figure and of the frame), how much of its bounding box it
fills and the box's aspect, its centroid within the figure's box (and the distance from
the middle), its distance from the page and its thickness (largest distance to a line),
the share of ink in a 4 px ring around it, its number of neighbours, its size rank in the
figure, the figure's number of regions, ink share and size. The target is the region's
mean L* in the ground truth.

Three predictors are fitted on the train split, area-weighted, and scored on the val
split: one constant (the mean lightness), a linear fit, and a small MLP (2x64, 2,000 full
batch Adam steps, seed 0). R² above 0 means the shape tells something of the lightness
that the constant does not.

    python benchmarks/region_lightness_features.py [--train ../shared/data/stills ../data-built]
        [--val ../shared/data/stills ../data-built] [--val-limit 50 1000]
        [--json benchmarks/results/region_lightness_features.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEATURES = ("log area / figure", "log area / frame", "box fill", "log box aspect", "centroid y in figure",
            "centroid x in figure", "off middle", "distance to page", "thickness", "ink in ring",
            "log neighbours", "size rank", "log regions in figure", "figure ink share", "figure size")


def region_features(data: Path, split: str, limit: int | None):
    """(features Nx15, truth mean Lab Nx3, area N) over the figure regions of the pairs."""
    from colorpaint.core.color import rgb_to_lab, rgb_to_luma
    from colorpaint.core.imageio import load_image
    from colorpaint.core.pairs import read_pairs
    from colorpaint.core.regions import segment
    from colorpaint.engine.options import DEFAULT_GAP

    pairs = read_pairs(data, split, kind="lineart")
    if limit:
        pairs = pairs[:limit]
    feats, truth, areas = [], [], []
    ring_kernel = np.ones((9, 9), np.uint8)
    for p in pairs:
        gt, img = load_image(p.color), load_image(p.input)
        labels, n = segment(rgb_to_luma(img), gap_close=DEFAULT_GAP)
        h, w = labels.shape
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        page = np.isin(labels, border[border > 0])
        inside = (labels > 0) & ~page
        if not inside.any():
            continue
        ys, xs = np.nonzero(inside)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        fh, fw, fig_area = y1 - y0, x1 - x0, int(inside.sum())
        line = labels == 0
        flat = labels.ravel()
        count = np.bincount(flat, minlength=n + 1).astype(np.float64)
        lab = rgb_to_lab(gt).reshape(-1, 3).astype(np.float64)
        mean = np.stack([np.bincount(flat, weights=lab[:, c], minlength=n + 1) for c in range(3)], 1) / np.maximum(count, 1)[:, None]
        yy, xx = np.mgrid[0:h, 0:w]
        cy = np.bincount(flat, weights=yy.ravel(), minlength=n + 1) / np.maximum(count, 1)
        cx = np.bincount(flat, weights=xx.ravel(), minlength=n + 1) / np.maximum(count, 1)
        d_page = cv2.distanceTransform((~page).astype(np.uint8), cv2.DIST_L2, 3).ravel()
        d_line = cv2.distanceTransform((~line).astype(np.uint8), cv2.DIST_L2, 3).ravel()
        to_page = np.full(n + 1, np.inf)
        np.minimum.at(to_page, flat, d_page)
        thick = np.zeros(n + 1)
        np.maximum.at(thick, flat, d_line)
        ids = np.unique(labels[inside])
        rank = np.empty(len(ids))
        rank[np.argsort(-count[ids])] = np.arange(len(ids))
        fig_ink = float(line[y0:y1, x0:x1].mean())
        side = max(fh, fw)
        for k, r in enumerate(ids):
            m = labels == r
            rys, rxs = np.nonzero(m)
            bh, bw = np.ptp(rys) + 1, np.ptp(rxs) + 1
            ring = cv2.dilate(m.astype(np.uint8), ring_kernel).astype(bool) & ~m
            neigh = np.unique(labels[ring])
            a = count[r]
            feats.append([np.log(a / fig_area), np.log(a / labels.size), a / (bh * bw), np.log(bw / bh),
                          (cy[r] - y0) / fh, (cx[r] - x0) / fw, abs((cx[r] - x0) / fw - 0.5),
                          to_page[r] / side, thick[r] / side, float(line[ring].mean()) if ring.any() else 0.0,
                          np.log1p((neigh > 0).sum()), rank[k] / len(ids), np.log(len(ids)), fig_ink,
                          fig_area / labels.size])
            truth.append(mean[r])
            areas.append(a)
    return np.asarray(feats), np.asarray(truth), np.asarray(areas)


def _r2(pred, y, w):
    return float(1 - np.average((y - pred) ** 2, weights=w) / np.average((y - np.average(y, weights=w)) ** 2, weights=w))


def _corr(a, b, w):
    ma, mb = np.average(a, weights=w), np.average(b, weights=w)
    return float(np.average((a - ma) * (b - mb), weights=w)
                 / np.sqrt(np.average((a - ma) ** 2, weights=w) * np.average((b - mb) ** 2, weights=w) + 1e-12))


def fit_and_score(train, val) -> dict:
    import torch

    (xt, yt, wt), (xv, yv, wv) = train, val
    mu, sd = xt.mean(0), xt.std(0) + 1e-6
    xt, xv = (xt - mu) / sd, (xv - mu) / sd
    yt, yv = yt[:, 0], yv[:, 0]
    out = {"train regions": int(len(yt)), "val regions": int(len(yv))}
    c = np.average(yt, weights=wt)
    out["constant"] = {"L": float(c), "val R2": _r2(np.full_like(yv, c), yv, wv)}
    a = np.c_[xt, np.ones(len(xt))] * np.sqrt(wt)[:, None]
    coef = np.linalg.lstsq(a, yt * np.sqrt(wt), rcond=None)[0]
    p = np.c_[xv, np.ones(len(xv))] @ coef
    out["linear"] = {"val R2": _r2(p, yv, wv), "val r (area-weighted)": _corr(p, yv, wv)}
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(xt.shape[1], 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                              torch.nn.ReLU(), torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), 1e-3, weight_decay=1e-4)
    x, y = torch.tensor(xt, dtype=torch.float32), torch.tensor(yt, dtype=torch.float32)
    w = torch.tensor(wt / wt.mean(), dtype=torch.float32)
    for _ in range(2000):
        opt.zero_grad()
        loss = (w * (net(x)[:, 0] - y) ** 2).mean()
        loss.backward()
        opt.step()
    with torch.no_grad():
        p = net(torch.tensor(xv, dtype=torch.float32))[:, 0].numpy().astype(np.float64)
    out["mlp"] = {"train R2": _r2(net(x)[:, 0].detach().numpy().astype(np.float64), yt, wt),
                  "val R2": _r2(p, yv, wv), "val r (area-weighted)": _corr(p, yv, wv)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", nargs="+", default=[str(ROOT.parent / "shared" / "data" / "stills"), str(ROOT.parent / "data-built")])
    ap.add_argument("--val", nargs="+", default=[str(ROOT.parent / "shared" / "data" / "stills"), str(ROOT.parent / "data-built")])
    ap.add_argument("--val-limit", nargs="+", type=int, default=[50, 0], help="per val set; 0: all")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    parts = [region_features(Path(d), "train", None) for d in args.train]
    train = tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
    res = {"features": list(FEATURES), "train": args.train, "val": {}}
    for d, lim in zip(args.val, args.val_limit + [0] * len(args.val)):
        r = fit_and_score(train, region_features(Path(d), "val", lim or None))
        res["val"][f"{Path(d).name} val" + (f" (first {lim})" if lim else "")] = r
        print(Path(d).name, json.dumps(r, indent=1), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
