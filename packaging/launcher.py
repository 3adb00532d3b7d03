"""Entry point of the desktop bundle: one program under three names.

``colorpaint`` opens the window, ``colorpaint-cli`` and ``colorpaint-train`` are the
command-line tools; the executable's own name picks which. ``<any> -m colorpaint.X ...``
runs that module the way ``python -m`` does: the trainer tab starts training as
``sys.executable -m colorpaint.training.cli ...``, and inside the bundle ``sys.executable``
is this program, not a Python interpreter.
"""
from __future__ import annotations

import multiprocessing
import runpy
import sys
from pathlib import Path

ENTRIES = {
    "colorpaint-cli": "colorpaint.cli",
    "colorpaint-train": "colorpaint.training.cli",
    "colorpaint": "colorpaint.__main__",
}


def main() -> int:
    multiprocessing.freeze_support()
    if len(sys.argv) >= 2 and sys.argv[1] == "-m":
        if len(sys.argv) < 3 or not (sys.argv[2] == "colorpaint" or sys.argv[2].startswith("colorpaint.")):
            print("colorpaint: error: -m runs only ColorPaint's own modules (colorpaint.*)", file=sys.stderr)
            return 2
        module = sys.argv[2]
        sys.argv = [module] + sys.argv[3:]
        runpy.run_module(module, run_name="__main__", alter_sys=True)  # its own sys.exit() ends us
        return 0
    name = Path(sys.executable).stem.lower()
    module = ENTRIES.get(name, "colorpaint.__main__")
    mod = __import__(module, fromlist=["main"])
    return mod.main() or 0


if __name__ == "__main__":
    sys.exit(main())
