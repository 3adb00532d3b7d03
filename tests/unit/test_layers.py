"""The import contract: each layer imports only the layers below it, and Qt only in gui/.

    core < models < engine < project < training < app < cli, gui < __main__

core is numpy/OpenCV, models are the networks, engine runs them, project is the document,
training trains, app is what the window does without widgets, cli and gui are the two
faces. A newcomer can then read any layer without the ones above it. What the window
imports to start (app, project, the model registry, weights metadata) imports without torch."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "colorpaint"
ORDER = ["core", "models", "engine", "project", "training", "app", "cli", "gui", "__main__"]
RANK = {name: i for i, name in enumerate(ORDER)}
RANK["gui"] = RANK["cli"]  # the two faces never import each other
QT = ("PySide6", "qimage2ndarray", "shiboken6", "superqt", "pyqtgraph")
# known exceptions, each to be removed, never added to: (file, layer it imports)
ALLOWED: set[tuple[str, str]] = set()


def _imports(path: Path):
    """(layer imported, module name) for each colorpaint or Qt import of ``path``."""
    rel = path.relative_to(PKG)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("colorpaint."):
                    yield a.name.split(".")[1], a.name
                elif a.name.split(".")[0] in QT:
                    yield "qt", a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                mod = node.module or ""
                if mod.startswith("colorpaint."):
                    yield mod.split(".")[1], mod
                elif mod.split(".")[0] in QT:
                    yield "qt", mod
            else:
                base = list(rel.parts[:-1])
                base = base[: len(base) - (node.level - 1)]
                full = base + [p for p in (node.module or "").split(".") if p]
                if full:
                    yield full[0].removesuffix(".py"), ".".join(full)
                else:  # "from . import x" at the package root
                    for a in node.names:
                        yield a.name, a.name


def test_layers_import_only_downward_and_qt_only_in_gui():
    bad = []
    for f in sorted(PKG.rglob("*.py")):
        rel = f.relative_to(PKG)
        layer = rel.parts[0].removesuffix(".py")
        if layer == "__init__":
            continue
        for target, name in _imports(f):
            if target == "qt":
                if layer not in ("gui", "__main__"):
                    bad.append(f"{rel}: imports Qt ({name}); Qt belongs in gui/")
                continue
            if target not in RANK or target == layer:
                continue
            if RANK[target] >= RANK[layer] and (rel.as_posix(), target) not in ALLOWED:
                bad.append(f"{rel}: imports {name} ({target} is not below {layer})")
    assert not bad, "\n".join(bad)


def test_allowed_exceptions_are_still_needed():
    """An exception that is gone must leave the list, so the contract only tightens."""
    for rel, target in ALLOWED:
        assert target in {t for t, _ in _imports(PKG / rel)}, f"{rel} no longer imports {target}: remove it from ALLOWED"


def test_qt_free_layers_import_without_qt_in_a_fresh_interpreter():
    mods = sorted({".".join(("colorpaint",) + f.relative_to(PKG).with_suffix("").parts)
                   for f in PKG.rglob("*.py") if f.relative_to(PKG).parts[0] not in ("gui", "__main__.py")})
    mods = [m.removesuffix(".__init__") for m in mods]
    code = ("import importlib, sys\n"
            f"for m in {mods!r}:\n    importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
            "assert not bad, bad\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


# what the window imports before its first colorize: torch (seconds to load) comes later, on a worker
TORCH_FREE = ("colorpaint.app", "colorpaint.project", "colorpaint.models.registry", "colorpaint.engine.options",
              "colorpaint.engine.weights", "colorpaint.engine.model_store", "colorpaint.engine.jobs")


def test_the_window_s_layers_import_without_torch():
    mods = []
    for name in TORCH_FREE:
        path = PKG.parent / Path(*name.split("."))
        mods += ([".".join((name, f.stem)).removesuffix(".__init__") for f in sorted(path.glob("*.py"))] if path.is_dir()
                 else [name])
    code = ("import importlib, sys\n"
            f"for m in {mods!r}:\n    importlib.import_module(m)\n"
            "assert 'torch' not in sys.modules, [m for m in sys.modules if m.startswith('colorpaint')]\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
