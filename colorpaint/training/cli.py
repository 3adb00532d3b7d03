"""colorpaint-train: train or fine-tune a model family (no Qt; runs under torchrun too)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import traceback
from pathlib import Path

from ..core.errors import artist_message
from . import STOP_FILE
from .loop import StopFlag, TrainConfig, Trainer


def _whole(least: int):
    """An argparse type: a whole number of at least ``least``, refused in one line otherwise."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if v < least:
            raise argparse.ArgumentTypeError(f"must be {least} or more, got {v}")
        return v

    return parse


_positive, _not_negative = _whole(1), _whole(0)


def _number(ok, says: str):
    """An argparse type: a number for which ``ok(v)`` holds, refused in one line otherwise."""

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(f"must be {says}, got {text}")
        return v

    return parse


_learning_rate = _number(lambda v: 0 < v < float("inf"), "a positive number")
_decay = _number(lambda v: 0 <= v < 1, "at least 0 and below 1")
_ratio = _number(lambda v: 0 < v <= 100, "above 0 and at most 100")


def build_parser():
    from ..models import registry

    p = argparse.ArgumentParser(prog="colorpaint-train", description="Train or fine-tune a ColorPaint model.")
    p.add_argument("--model", required=True, choices=registry.names())
    p.add_argument("--data", required=True, nargs="+", help="pair folders, sequence folders, videos or project folders")
    p.add_argument("--init", help="start from these weights (fine-tuning)")
    p.add_argument("--steps", type=_positive, default=2000)
    p.add_argument("--size", type=_positive, default=192, help="training crop size (px)")
    p.add_argument("--scale", type=_positive, default=256, help="long side images are scaled to before cropping")
    p.add_argument("--batch", type=_positive, default=8)
    p.add_argument("--lr", type=_learning_rate, default=2e-4)
    p.add_argument("--out", default="runs/train", help="run folder; creating OUT/STOP stops the run like SIGTERM")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--progress", choices=["text", "json"], default="text")
    p.add_argument("--val-every", type=_positive, default=250)
    p.add_argument("--val-items", type=_positive, default=24)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=_not_negative, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true", help="tiny network (tests)")
    p.add_argument("--max-items", type=_positive, default=None, help="read at most this many items per data folder")
    p.add_argument("--net", default="{}", help="network config overrides, JSON")
    p.add_argument("--objective", default="{}", help="loss settings, JSON (e.g. {\"gan\": \"wgan-gp\"})")
    p.add_argument("--gan", choices=["gan", "wgan", "wgan-gp"],
                   help="adversarial loss (GAN families): wgan clips the critic's weights to ±0.01, wgan-gp adds a gradient penalty")
    p.add_argument("--predictor", choices=["cnn", "gan", "wgan", "wgan-gp"],
                   help="histogram: how the color predictor is trained (fu-wang-liu): cnn (the paper's CNN with two residual "
                        "connections, L2 loss), gan (L1 + adversarial, the default), wgan (weight clipping ±0.01, 1:1), wgan-gp")
    p.add_argument("--d-lr-ratio", type=_ratio, help="critic learning rate as a multiple of --lr (temporal: 0.1 by default, as the paper)")
    p.add_argument("--mix", choices=["pooled", "even"], default="pooled",
                   help="pooled: every item of every --data folder equally likely; even: each folder equally likely (camizan's even mix)")
    p.add_argument("--augment", metavar="off|studio|JSON",
                   help="studio-look input augmentations: off (the default), studio (trace_lines 0.3, width 0.3, pencil 0.2, xdog 0.2, "
                        "cel 0.3, screentone 0.1) or a JSON object of shares, e.g. '{\"pencil\": 0.5}'; the objective key \"augment\"")
    p.add_argument("--kind-weights", metavar="default|uniform|JSON",
                   help="draw weights of stills by their manifest's kind column: default (character 3, scene 2, object 1, icon 0.5), "
                        "uniform, or a JSON object overriding some, e.g. '{\"icon\": 0}'; the objective key \"kind_weights\"")
    p.add_argument("--vgg19", help="torchvision VGG19 state-dict (.pth or .safetensors) for the temporal model's content/style losses")
    p.add_argument("--ema", type=_decay, default=0.999, help="decay of the weight average that is validated and exported (0: off)")
    p.add_argument("--version", default="")
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    objective = json.loads(args.objective)
    net_config = json.loads(args.net)
    if args.gan:
        objective["gan"] = args.gan
    if args.predictor:
        if args.model != "histogram":
            parser.error(f"--predictor is an option of the histogram model, not {args.model!r}")
        objective["predictor"] = args.predictor
        if args.predictor == "cnn":
            net_config.setdefault("generator", "cnn")
    if args.d_lr_ratio is not None:
        objective["d_lr_ratio"] = args.d_lr_ratio
    from . import augment

    for flag, key, check in (("--augment", "augment", augment.augment_settings), ("--kind-weights", "kind_weights", augment.kind_weights)):
        value = getattr(args, key)
        if value is not None:
            try:
                objective[key] = json.loads(value) if value.strip().startswith("{") else value
            except json.JSONDecodeError as e:
                parser.error(f"{flag}: not valid JSON ({e.msg})")
        if key in objective:
            try:  # refused now, in one line, not after the data is read
                check(objective[key])
            except ValueError as e:
                parser.error(f"{flag}: {e}")
    if args.vgg19:
        from .vgg import VGG19Error, load_vgg19_state

        try:  # a wrong file is refused now, in one line, not after the data is read
            load_vgg19_state(args.vgg19)
        except VGG19Error as e:
            parser.exit(2, f"colorpaint-train: {e}\n")
        objective["vgg19"] = args.vgg19
    recipe = "colorpaint-train " + " ".join(sys.argv[1:] if argv is None else argv)
    cfg = TrainConfig(model=args.model, data=args.data, out=args.out, steps=args.steps, size=args.size, scale=args.scale, batch=args.batch,
                      lr=args.lr, init=args.init, resume=args.resume, val_every=args.val_every, val_items=args.val_items, device=args.device,
                      threads=args.threads, seed=args.seed, tiny=args.tiny, max_items=args.max_items, progress=args.progress,
                      net_config=net_config, objective=objective, version=args.version, recipe=recipe, ema=args.ema, mix=args.mix)
    emit = lambda rec: print(json.dumps(rec), flush=True)
    stop = StopFlag()

    def on_signal(signum, frame):
        stop.stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # OUT/STOP also stops it: where SIGTERM cannot be caught (Windows), a caller creates the file
    # (single process only: DDP ranks could see it at different batches and wait on each other)
    stop_file = Path(args.out) / STOP_FILE
    single = int(os.environ.get("WORLD_SIZE", "1")) == 1
    if single:
        stop_file.unlink(missing_ok=True)
    try:
        Trainer(cfg, emit).fit(lambda: stop.stop or (single and stop_file.exists()))
    except Exception as e:  # report, for the trainer tab, then fail
        if args.progress == "json":
            emit({"event": "error", "message": artist_message(e), "traceback": traceback.format_exc()})
        else:
            traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
