"""Each loss term's share of the training loss, on training batches of the bundled weights.

For each family: its bundled weights are loaded into a training run (``colorpaint-train
--init``, the same objective code, learning rate 1e-12 so nothing moves), ``--steps``
batches are drawn from the train split and each term's weighted magnitude is read (the
objectives report ``share_<term>``: the term's weighted value over the sum of all terms).
``--objective`` sets the loss weights to measure, e.g. the CIEDE2000 weight of a new recipe.

    python benchmarks/loss_shares.py [--models auto,histogram,color-apply,temporal] [--steps 20]
        [--objective '{"auto": {"de00_weight": 0.6}}'] [--json benchmarks/results/loss_shares.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def shares(model: str, data: str, steps: int, objective: dict, init: str | None, size: int, hue_jitter: float) -> dict:
    from colorpaint.models import registry
    from colorpaint.training.loop import TrainConfig, Trainer

    init = init or str(registry.spec(model).default_weights)
    with tempfile.TemporaryDirectory() as out:
        obj = dict(objective)
        obj.setdefault("hue_jitter", hue_jitter)
        cfg = TrainConfig(model=model, data=[data], out=out, steps=steps, size=size, batch=8, lr=1e-12, init=init,
                          val_every=10 ** 9, val_items=2, ema=0.0, progress="json", objective=obj, threads=1)
        Trainer(cfg).fit()
        hist = json.loads((Path(out) / "history.json").read_text())
    keys = sorted({k for h in hist for k in h if k.startswith("share_")})
    return {k[6:]: float(np.mean([h[k] for h in hist if k in h])) for k in keys}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="auto,histogram,color-apply,temporal")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "stills"))
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--hue-jitter", type=float, default=0.0)
    ap.add_argument("--objective", default="{}", help="per model: loss settings, JSON")
    ap.add_argument("--init", default="{}", help="per model: weights to measure instead of the bundled ones, JSON")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    objective, init = json.loads(args.objective), json.loads(args.init)
    res = {}
    for m in args.models.split(","):
        res[m] = shares(m, args.data, args.steps, objective.get(m, {}), init.get(m), args.size, args.hue_jitter)
        print(m, " ".join(f"{k} {v:.0%}" for k, v in res[m].items()), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"objective": objective, "init": init, "steps": args.steps, "shares": res}, indent=1))


if __name__ == "__main__":
    main()
