"""colorpaint: the painting window. ``colorpaint [PATH] [--device DEV] [--sample]``.

PATH may be an image, a folder of frames, a video or a project (``NAME.cpaint``).
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="colorpaint", description="Colorize line art and grayscale frames with hint strokes.")
    p.add_argument("path", nargs="?", help="an image, a folder of frames, a video or a project folder to open")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="where the models run (default: the preferences)")
    p.add_argument("--sample", action="store_true", help="open the bundled sample shot")
    p.add_argument("--weights", action="append", default=[], metavar="MODEL=FILE",
                   help="use FILE instead of MODEL's bundled weights (repeatable)")
    p.add_argument("--no-recovery", action="store_true", help="do not offer to recover autosaved work at start")
    return p


def parse_weights(items) -> dict[str, str]:
    out = {}
    for it in items:
        name, sep, path = it.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"colorpaint: error: --weights expects MODEL=FILE, got {it!r}")
        out[name] = path
    return out


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    weights = parse_weights(args.weights)

    from .gui.app import run  # Qt is imported only under colorpaint/gui

    return run(args, weights)


if __name__ == "__main__":
    sys.exit(main())
