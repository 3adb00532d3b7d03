"""colorpaint-cli: colorize, sequence, evaluate and list models without a window (no Qt)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


EXIT_BAD_INPUT = 2

from .training.evaluate import BASELINES, evaluate  # noqa: E402  (held-out evaluation: training/evaluate.py)


def _fail(msg: str) -> int:
    print(f"colorpaint-cli: error: {msg}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _session(args):
    from .engine.session import Session

    return Session(args.device)


def _palette(args):
    from .core.palette import parse_palette_arg, read_gpl

    pal = []
    if getattr(args, "palette", None):
        pal += parse_palette_arg(args.palette)
    if getattr(args, "palette_file", None):
        try:
            pal += [c for _, c in read_gpl(args.palette_file)]
        except (OSError, UnicodeDecodeError) as e:  # read_gpl's own ValueErrors already name the file
            raise ValueError(f"{args.palette_file}: cannot read palette ({getattr(e, 'strerror', None) or e.__class__.__name__})") from None
    return tuple(tuple(int(v) for v in c) for c in pal)


def cmd_models(args) -> int:
    from .engine.weights import WeightsError, read_metadata
    from .models import registry

    rows = []
    for name in registry.names():
        s = registry.spec(name)
        row = {"name": name, "title": s.title, "inputs": list(s.inputs), "weights": str(s.default_weights), "paper": s.paper}
        try:
            meta = read_metadata(s.default_weights)
            row.update(version=meta.get("version", ""), trained=bool(meta.get("trained")), metrics=meta.get("metrics", {}))
        except WeightsError as e:
            row.update(version="", trained=False, metrics={}, problem=str(e))
        rows.append(row)
    from .engine.model_store import ModelStore

    for v in ModelStore().list_versions():  # the artist's fine-tuned versions (a broken one is skipped with a warning)
        if not v.bundled:
            rows.append({"name": v.family, "version_name": v.name, "title": registry.spec(v.family).title, "weights": str(v.weights),
                         "trained": True, "fine_tuned": True, "version": str(v.info.get("date", "")),
                         "metrics": (v.info.get("metrics") or {}) if isinstance(v.info.get("metrics"), dict) else {},
                         "inputs": list(registry.spec(v.family).inputs)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        state = "fine-tuned" if r.get("fine_tuned") else "trained" if r["trained"] else ("untrained" if "problem" not in r else "no weights")
        label = f"{r['name']}: {r['version_name']}" if r.get("fine_tuned") else r["name"]
        print(f"{label:12s} {state:10s} inputs: {', '.join(r['inputs'])}")
        print(f"{'':12s} weights: {r['weights']}" + (f" (version {r['version']})" if r.get("version") else ""))
        if state == "no weights":
            print(f"{'':12s} train them: colorpaint-train --model {r['name']} --data DIR --out RUN, then --weights RUN/{r['name']}.safetensors")
        for split, m in (r.get("metrics") or {}).items():
            if isinstance(m, dict):
                print(f"{'':12s} {split}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, (int, float)) else f"{k} {v}"
                                                       for k, v in m.items() if not isinstance(v, dict)))
    return 0


def _references(args) -> tuple[tuple, int]:
    """(--ref images as engine References, exit status): a reference that cannot be read or
    used (corrupt, too small, too large, grayscale) gets one line and is skipped."""
    from .core.imageio import ImageError, load_image
    from .engine.reference import Reference, check_reference

    refs, status = [], 0
    for path in getattr(args, "ref", None) or ():
        try:
            ref = Reference(load_image(path), name=str(path))
        except ImageError as e:
            print(f"colorpaint-cli: warning: reference {e}; skipped", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        why = check_reference(ref)
        if why is not None:
            print(f"colorpaint-cli: warning: reference {why}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        refs.append(ref)
    return tuple(refs), status


def _options(args, **given):
    """The request options of ``args`` (--no-calibrate, --no-cel; ``given``: --flat, --gap,
    --steady), built as the window builds its own (:func:`colorpaint.app.requests.colorize_options`)."""
    from .app.requests import colorize_options

    flags = {k: False for k, off in (("calibrate", "no_calibrate"), ("cel", "no_cel")) if getattr(args, off, False)}
    return colorize_options(**flags, **given)


def cmd_colorize(args) -> int:
    from .core.imageio import ImageError, load_image, load_rgba, save_image
    from .engine import jobs
    from .engine.pipeline import ColorizeRequest, colorize
    from .engine.weights import WeightsError

    try:
        palette = _palette(args)
        session = _session(args)
        hints = load_rgba(args.hints) if args.hints else None
        prev = load_image(args.prev) if args.prev else None
        session.get(args.model, args.weights)
    except (ImageError, WeightsError, ValueError, KeyError, RuntimeError) as e:
        return _fail(str(e))
    refs, status = _references(args)
    out = Path(args.output)
    written: dict[str, str] = {}  # output name -> the input it is made from
    for src in args.inputs:
        try:
            dst = out / (Path(src).stem + ".png")
            if _same_file(src, dst):
                raise ImageError(f"{src}: output {dst} would overwrite the input; choose another -o folder")
            for what, other in (("hint image", args.hints), ("previous frame", args.prev)):
                if other and _same_file(other, dst):
                    raise ImageError(f"{src}: output {dst} would overwrite the {what} {other}; choose another -o folder")
            first = written.get(_name_key(dst.name))
            if first is not None:
                if _same_file(first, src):
                    continue  # the same file named twice: done once
                raise ImageError(f"{src}: output {dst} is already made from {first} (same name); "
                                 "rename one of them or colorize them into different folders")
            img = load_image(src)
            req = ColorizeRequest(img, model=args.model, hints=hints, prev=prev, input_kind=args.input_kind, palette=palette,
                                  work_size=args.work_size, weights=args.weights, references=refs or None,
                                  options=_options(args, flat=args.flat, gap=args.gap, tolerance=args.tolerance).request_dict())
            res = jobs.run(colorize(session, req))
            rgb = res.composite
            if args.flat:
                from .engine.flat import flatten
                from .engine.options import ink_level
                from .engine.reference import flat_with_references

                ink = ink_level(args.tolerance)
                rgb = (flat_with_references(img, res, hints, palette, gap=args.gap, ink=ink) if refs
                       else flatten(img, res, hints, palette, gap=args.gap, ink=ink))
            for line in (res.references.messages if res.references is not None else ()):
                print(f"colorpaint-cli: {src}: {line}", file=sys.stderr)
            dst = save_image(dst, rgb)
            written[_name_key(dst.name)] = src
            used = "" if res.references is None else f", {int(res.references.matched[1:].sum())}/{len(res.references.source) - 1} regions from references"
            print(f"{src} -> {dst} ({res.kind}, {res.seconds * 1000:.0f} ms on {res.device}{used})")
            if res.note:  # information, not an error: stdout
                print(f"  {res.note}")
        except (ImageError, WeightsError, ValueError) as e:
            print(f"colorpaint-cli: error: {e}", file=sys.stderr)
            status = EXIT_BAD_INPUT
        except MemoryError:
            print(f"colorpaint-cli: error: {src}: not enough memory to colorize this image", file=sys.stderr)
            status = EXIT_BAD_INPUT
    return status


def _same_file(a, b) -> bool:
    """True when writing ``b`` would replace the file ``a`` (the artist's source is never overwritten)."""
    try:
        return Path(b).exists() and Path(a).exists() and Path(a).samefile(b)
    except OSError:
        return False


def _name_key(name: str) -> str:
    """A file name as the file system compares it (Windows and macOS ignore case by default)."""
    return name.casefold() if sys.platform in ("win32", "darwin") else name


def _file_id(path) -> tuple[int, int] | None:
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def cmd_sequence(args) -> int:
    from .core.frames import FolderFrames, open_frames
    from .core.imageio import ImageError, load_image, load_rgba, save_image
    from .engine.sequence import colorize_sequence, sequence_request
    from .engine.weights import WeightsError

    frames = None
    try:
        palette = _palette(args)
        session = _session(args)
        session.get(args.model, args.weights)
        src, out = Path(args.src), Path(args.output)
        if src.is_dir() and _same_file(src, out):
            raise ImageError(f"{out}: is the shot's own folder: the colored frames would overwrite or mix with its frames; choose another -o folder")
        hd = Path(args.hints_dir) if args.hints_dir else None
        if hd is not None:
            if not hd.is_dir():
                raise ImageError(f"{hd}: --hints-dir is not a folder")
            if _same_file(hd, out):
                raise ImageError(f"{out}: is the --hints-dir folder; the colored frames would overwrite the hints; choose another -o folder")
        names, frames = open_frames(src)
        inputs: dict[tuple[int, int], Path] = {}  # every file read: none may be written over
        if isinstance(frames, FolderFrames):
            seen: dict[str, Path] = {}
            for name, p in zip(names, frames.paths):
                if _name_key(name) in seen:
                    raise ImageError(f"{p}: has the same name as {seen[_name_key(name)].name}; both would be written to "
                                     f"{out / (name + '.png')}; rename one of them")
                seen[_name_key(name)] = p
                inputs[_file_id(p)] = p
        w0, h0 = frames.size(0)  # the first frame also checks the shot fits in memory
        for i, name in enumerate(names):
            w, h = frames.size(i)
            if (w, h) != (w0, h0):
                where = frames.paths[i] if isinstance(frames, FolderFrames) else f"{src}: frame {name}"
                first = frames.paths[0].name if isinstance(frames, FolderFrames) else names[0]
                raise ImageError(f"{where}: frame is {w}x{h} but the shot is {w0}x{h0} (like {first}); every frame of a shot must be the same size")
        keys = {}
        for spec in args.key or []:
            if "=" not in spec:
                raise ValueError(f"--key expects NAME=COLOR.png, got {spec!r}")
            name, path = spec.split("=", 1)
            if name not in names and Path(name).stem in names:  # a frame's file name is as good as its name
                name = Path(name).stem
            if name not in names:
                raise ValueError(f"--key {name!r}: no frame of that name (frames are {names[0]} .. {names[-1]})")
            key = load_image(path, bytes_per_pixel=0)  # the shot's own check stands for it
            fw, fh = frames.size(names.index(name))
            if key.shape[:2] != (fh, fw):
                raise ValueError(f"--key {name}: {path} is {key.shape[1]}x{key.shape[0]} but the frame is {fw}x{fh}")
            keys[names.index(name)] = key
            inputs[_file_id(path)] = Path(path)
        hints = {}
        if hd is not None:
            for i, name in enumerate(names):
                hp = hd / f"{name}.png"
                if os.path.lexists(hp):
                    hints[i] = load_rgba(hp, bytes_per_pixel=0)
                    inputs[_file_id(hp)] = hp
        inputs.pop(None, None)
        for name in names:
            dst = out / f"{name}.png"
            hit = inputs.get(_file_id(dst))
            if hit is not None:
                raise ImageError(f"{dst}: would overwrite the input {hit}; choose another -o folder")
        base = sequence_request(frames[0], args.model, weights=args.weights, input_kind=args.input_kind, work_size=args.work_size,
                                palette=palette, options=_options(args, flat=args.flat, gap=args.gap, tolerance=args.tolerance,
                                                                  **({} if args.steady is None else {"steady": args.steady})))
    except (ImageError, WeightsError, ValueError, KeyError, RuntimeError) as e:
        if frames is not None and hasattr(frames, "close"):
            frames.close()
        return _fail(str(e))
    refs, ref_status = _references(args)
    if refs:  # every frame takes colors from the references, beside the keys
        from dataclasses import replace

        base = replace(base, references=refs)
    t0 = time.perf_counter()
    # frames are written as they finish and dropped: memory stays flat over a long shot
    job = colorize_sequence(session, frames, base, keys=keys, hints=hints, anchor=args.anchor, keep_results=False)
    try:
        for i, key in keys.items():
            save_image(out / f"{names[i]}.png", key)
        while True:
            try:
                p = next(job)
            except StopIteration as stop:
                drift = stop.value[1]
                break
            save_image(out / f"{names[p.index]}.png", p.result)
    except ValueError as e:  # a frame that cannot be read; read-only folder, full disk: the next frames would fail the same way
        job.close()
        return _fail(str(e))
    except MemoryError:
        job.close()
        return _fail(f"{args.src}: not enough memory to colorize this shot")
    finally:
        if hasattr(frames, "close"):
            frames.close()
    print(f"{len(frames)} frames -> {out} in {time.perf_counter() - t0:.1f} s; max drift {max(drift):.2f}")
    return ref_status


# ---------------------------------------------------------------- evaluate


def cmd_evaluate(args) -> int:
    from .core.imageio import ImageError, path_problem
    from .engine.weights import WeightsError

    data = Path(args.data)
    try:
        data.stat()
    except OSError as e:
        return _fail(path_problem(data, e).replace("no such file", "no such folder"))
    if not data.is_dir():
        return _fail(f"{data}: --data is not a folder")
    if args.json:
        parent = Path(args.json).parent
        if not parent.is_dir():
            return _fail(f"{args.json}: cannot write the report here ({parent} is not a folder)")
    try:
        rep = evaluate(args.model, Path(args.data), args.hints, args.input_kind, args.split or None, args.limit, args.weights, args.device,
                       args.work_size, args.flat, options=_options(args).request_dict())
    except (ImageError, WeightsError, ValueError, KeyError) as e:
        return _fail(str(e))
    for k, m in rep.items():
        extra = f"  flicker {m['flicker']:+.3f} (per shot |flicker| {m['flicker_abs']:.3f})" if "flicker" in m else ""
        print(f"{args.model:12s} {k:8s} n={m['n']:4d}  PSNR {m['psnr']:.2f} dB  SSIM {m['ssim']:.4f}  ΔE00 {m['de00']:.2f}{extra}")
        print(f"{'':12s} {'':8s}         RGB SSIM {m['ssim_rgb']:.4f}  ab L2 {m['ab_l2']:.1f}  MSE {m['mse']:.1f}  NCC {m['ncc']:.3f}  "
              f"AD {m['ad']:+.2f}  SC {m['sc']:.3f}  MD {m['md']:.1f}  NAE {m['nae']:.3f}")
    if args.json:
        try:
            Path(args.json).write_text(json.dumps({"model": args.model, "hints": args.hints, "flat": args.flat, "data": str(args.data), "results": rep}, indent=2))
        except OSError as e:
            return _fail(f"{args.json}: could not write the report ({e.strerror or e.__class__.__name__})")
    return 0


def _gap_arg(text: str) -> int:
    """argparse type of --gap: whole pixels in 0..MAX_GAP."""
    from .engine.options import check_gap

    try:
        g = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels, got {text!r}") from None
    try:
        return check_gap(g)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _tolerance_arg(text: str) -> int:
    """argparse type of --tolerance: whole percent in 0..MAX_TOLERANCE (0: Auto)."""
    from .engine.options import MAX_TOLERANCE

    try:
        t = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole percentage, got {text!r}") from None
    if not 0 <= t <= MAX_TOLERANCE:
        raise argparse.ArgumentTypeError(f"tolerance must be between 0 and {MAX_TOLERANCE}, got {t}")
    return t


def build_parser() -> argparse.ArgumentParser:
    from .engine.options import ANCHOR, DEFAULT_GAP, MAX_GAP, MAX_TOLERANCE, STEADY
    from .models import registry

    p = argparse.ArgumentParser(prog="colorpaint-cli", description="Colorize line art and grayscale frames without the window.")
    sub = p.add_subparsers(dest="cmd", required=True)
    names = registry.names()

    m = sub.add_parser("models", help="list the registered models")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_models)

    def common(sp):
        sp.add_argument("--weights", help="a weights file to use instead of the bundled one")
        sp.add_argument("--device", default=None, choices=["auto", "cpu", "cuda", "mps"])
        sp.add_argument("--input-kind", default="auto", choices=["auto", "lineart", "gray"])
        sp.add_argument("--work-size", type=int, default=256, help="long side the network runs at (output keeps full size)")
        sp.add_argument("--no-calibrate", action="store_true", help="keep the network's full chroma where it is unsure (grayscale input)")
        sp.add_argument("--no-cel", action="store_true", help="line art: keep the network's own shading instead of one color per region and a white page")

    c = sub.add_parser("colorize", help="colorize images")
    c.add_argument("inputs", nargs="+")
    c.add_argument("-o", "--output", required=True)
    c.add_argument("--model", default="auto", choices=names)
    c.add_argument("--hints", help="RGBA PNG; every pixel with alpha > 0 is a color hint")
    c.add_argument("--prev", help="previous colored frame (temporal model)")
    c.add_argument("--palette", help="comma-separated hex colors, e.g. #ff0000,#00aa00")
    c.add_argument("--palette-file", help="GIMP .gpl palette")
    c.add_argument("--flat", action="store_true", help="one flat color per closed line-art region")
    c.add_argument("--gap", type=_gap_arg, default=DEFAULT_GAP,
                   help=f"line gaps up to this many pixels (0..{MAX_GAP}) do not leak (hints, flat mode)")
    c.add_argument("--tolerance", type=_tolerance_arg, default=0,
                   help=f"fill tolerance: how light a pixel may be and still count as line, percent of white (1..{MAX_TOLERANCE}; 0: from the drawing)")
    c.add_argument("--ref", action="append", help="a colored reference (model sheet, earlier frame): shapes that match it take its colors; repeatable")
    common(c)
    c.set_defaults(func=cmd_colorize)

    s = sub.add_parser("sequence", help="colorize a shot (folder of frames or video)")
    s.add_argument("src")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--model", default="temporal", choices=names)
    s.add_argument("--key", action="append", help="NAME=COLOR.png: frame NAME's colors are given")
    s.add_argument("--hints-dir", help="folder of RGBA hint maps named like the frames (NAME.png); alpha > 0 = hint")
    s.add_argument("--anchor", type=float, default=ANCHOR, help="how strongly frames lean on their nearest key (0..1)")
    s.add_argument("--steady", type=float, default=None, help=f"how far still areas keep the previous frame's colors (0..1; default {STEADY})")
    s.add_argument("--flat", action="store_true", help="flat cel colors, carried region by region from the previous frame")
    s.add_argument("--gap", type=_gap_arg, default=DEFAULT_GAP,
                   help=f"line gaps up to this many pixels (0..{MAX_GAP}) do not leak (hints, flat mode)")
    s.add_argument("--tolerance", type=_tolerance_arg, default=0,
                   help=f"fill tolerance: how light a pixel may be and still count as line, percent of white (1..{MAX_TOLERANCE}; 0: from the drawing)")
    s.add_argument("--palette", help="comma-separated hex colors (flat mode)")
    s.add_argument("--palette-file", help="GIMP .gpl palette (flat mode)")
    s.add_argument("--ref", action="append", help="a colored reference used for every frame, beside any keys; repeatable")
    common(s)
    s.set_defaults(func=cmd_sequence)

    e = sub.add_parser("evaluate", help="PSNR, SSIM, ΔE00 (and flicker) on held-out data")
    e.add_argument("--model", required=True, choices=names + list(BASELINES))
    e.add_argument("--data", required=True)
    e.add_argument("--hints", type=int, default=0, help="simulated point hints per image")
    e.add_argument("--split", default="val", help="manifest split to use when DIR has manifest.csv ('' for all)")
    e.add_argument("--limit", type=int, default=None)
    e.add_argument("--flat", action="store_true")
    e.add_argument("--json")
    common(e)
    e.set_defaults(func=cmd_evaluate)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
