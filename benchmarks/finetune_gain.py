"""Does fine-tuning on a shot's first half help its second half?

For each chosen val sequence: the first half of its frames becomes training data (color
only: the grayscale input is computed, line art synthesized), the model is fine-tuned from
its bundled weights for a few minutes on this CPU, and PSNR / ΔE00 on the second half
(grayscale input; for ``temporal`` each frame conditioned on the previous output) is
compared before and after.

    python benchmarks/finetune_gain.py --models temporal,color-apply --seqs toasttv_beach_surfing_s00 --steps 150
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from colorpaint.training.evaluate import evaluate
from colorpaint.core.frames import list_frames
from colorpaint.models import registry
from colorpaint.training.loop import TrainConfig, Trainer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/sequences")
    ap.add_argument("--models", default="temporal,color-apply")
    ap.add_argument("--seqs", default="toasttv_beach_surfing_s00")
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--json", default="benchmarks/results/finetune_gain.json")
    args = ap.parse_args()
    out = {}
    for seq in args.seqs.split(","):
        frames = list_frames(Path(args.data) / seq)
        half = len(frames) // 2
        work = Path(tempfile.mkdtemp())
        train_dir, test_dir = work / "train" / seq, work / "test" / seq
        train_dir.mkdir(parents=True)
        test_dir.mkdir(parents=True)
        for i, f in enumerate(frames):
            if i < half:
                shutil.copy(f, train_dir / f"{seq}_{i:03d}_color.png")
            else:
                shutil.copy(f, test_dir / f.name)
        shot_dir = work / "shots" / seq  # the same first half as a shot, for the temporal model
        shot_dir.mkdir(parents=True)
        for i, f in enumerate(frames[:half]):
            shutil.copy(f, shot_dir / f.name)
        for m in args.models.split(","):
            base = registry.spec(m).default_weights
            before = evaluate(m, work / "test", split=None, weights=str(base))
            t0 = time.time()
            cfg = TrainConfig(model=m, data=[str(train_dir)] + ([str(work / "shots")] if m == "temporal" else []), out=str(work / f"run_{m}"),
                              steps=args.steps, size=128, scale=256, batch=4, lr=args.lr, init=str(base), val_every=10 ** 9, val_items=4,
                              threads=2, progress="text", val_frac=0.0)
            w = Trainer(cfg, emit=lambda r: None).fit()
            mins = (time.time() - t0) / 60
            after = evaluate(m, work / "test", split=None, weights=str(w))
            out[f"{seq}/{m}"] = {"before": before, "after": after, "steps": args.steps, "minutes": round(mins, 1), "train_frames": half,
                                 "test_frames": len(frames) - half}
            b, a = before["gray"], after["gray"]
            print(f"{seq} {m}: PSNR {b['psnr']:.2f} -> {a['psnr']:.2f} dB, dE00 {b['de00']:.2f} -> {a['de00']:.2f} ({mins:.1f} min)", flush=True)
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(out, indent=1))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
