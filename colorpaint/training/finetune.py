"""Fine-tuning on an artist's own frames: split the data, then compare before and after.

The trainer tab runs three child processes, all speaking colorpaint-train's JSON-lines
protocol (``log`` / ``done`` / ``error`` events, exit code 1 on error)::

    python -m colorpaint.training.finetune prepare --out RUN/data [--holdout 0.2] SOURCE...
    python -m colorpaint.training.cli --data RUN/data/pairs [RUN/data/shots] ... --progress json
    python -m colorpaint.training.finetune compare --family F --before W --after W2 --data RUN/data/pairs --out RUN

``prepare`` gathers the items of every source (a project folder's ``corrected/`` pairs, a
pair folder's ``<id>_color.png`` (+ ``_line.png``), the frames of a sequence folder or of a
folder of shots in order, frames sampled from a video) and **holds out the last
``holdout`` fraction of each source's items** (by natural name order, i.e. the latest
frames; at least one item of any source with two or more items, and never all of them).
Holding out the latest frames measures what the artist wants: does the model do the
*next* frames of the show better. Everything lands in ``RUN/data/pairs`` with a
manifest.csv (``split`` = train / val) that colorpaint-train honours, so the training
curve's validation numbers are measured on the held-out frames too; files are hard-linked
when possible, copied otherwise. Held-out items without line art get line art
synthesized once (fixed seed) and every held-out item a ``_gray.png``, so ``compare``
scores the same inputs for line art and grayscale. Training frames of sequences are also
kept as whole shots in ``RUN/data/shots`` (the temporal model learns from them).

``compare`` runs :func:`colorpaint.training.evaluate.evaluate` on the held-out items with the base
weights (or the unchanged input when training started from scratch) and with the new
weights, and writes ``comparison.png``: held-out input | before | after | ground truth.
No Qt here.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..core.errors import artist_message
from ..core.atomic import atomic_copy
from ..core.frames import is_video, list_frames, natural_key, read_video, video_info
from ..core.imageio import load_image, save_image
from ..core.pairs import count_pairs, read_pairs

HOLDOUT = 0.2
EVAL_LIMIT = 24  # held-out frames scored by compare (keeps it to a minute or so on a CPU)
COMPARE_ROWS = 4


@dataclass
class Item:
    """One training/held-out frame: a color image file (or array) and maybe its line art."""

    id: str
    color: Path | np.ndarray
    line: Path | None = None
    shot: str | None = None  # the shot a sequence frame belongs to


def _pair_items(folder: Path) -> list[Item]:
    """A pair folder's items in natural name order (the latest frames last), with their line art."""
    return [Item(p.id, p.color, p.input) for p in read_pairs(folder, order="natural")]


def _shot_dirs(folder: Path) -> list[Path]:
    if list_frames(folder):
        return [folder]
    return sorted((p for p in folder.iterdir() if p.is_dir()), key=natural_key)


def source_kind(path: str | os.PathLike) -> str:
    """'video', 'project', 'pairs', 'sequence' (one shot) or 'sequences' (a folder of shots);
    raises ValueError for anything else."""
    p = Path(path)
    if p.is_file() and is_video(p):
        return "video"
    if not p.is_dir():
        raise ValueError(f"{p}: not a folder or a video file")
    if (p / "corrected").is_dir():
        return "project"
    if count_pairs(p):
        return "pairs"
    if list_frames(p):
        return "sequence"
    if any(p.iterdir()) and _shot_dirs(p):
        return "sequences"
    raise ValueError(f"{p}: no <id>_color.png pairs, frames or shot folders found")


def count_items(path: str | os.PathLike) -> int:
    """How many items a source holds (cheap: no image is decoded)."""
    p = Path(path)
    kind = source_kind(p)
    if kind == "video":
        n, _ = video_info(p)
        return max(1, int(n * 0.05))
    if kind in ("project", "pairs"):
        return count_pairs(p / "corrected" if kind == "project" else p)
    return sum(len(list_frames(d / "color" if (d / "color").is_dir() else d)) for d in _shot_dirs(p))


def source_items(path: str | os.PathLike, max_items: int | None = None, seed: int = 0) -> list[Item]:
    """The items of one source in order (see the module docstring)."""
    p = Path(path)
    kind = source_kind(p)
    if kind == "video":
        from .datasets import sample_video_frames

        n, _ = video_info(p)
        picks = set(sample_video_frames(n, np.random.default_rng(seed)))
        items = [Item(f"{i:06d}", f) for i, f in read_video(p) if i in picks]
    elif kind in ("project", "pairs"):
        items = _pair_items(p / "corrected" if kind == "project" else p)
    else:
        items = []
        for d in _shot_dirs(p):
            sub = d / "color" if (d / "color").is_dir() else d
            items += [Item(f"{d.name}-{f.stem}", f, None, d.name) for f in list_frames(sub)]
    return items[:max_items] if max_items else items


def split_holdout(n: int, holdout: float = HOLDOUT) -> int:
    """How many of a source's ``n`` items are held out (the last ones)."""
    if n < 2 or holdout <= 0:
        return 0
    return min(n - 1, max(1, round(n * holdout)))


def _link(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst``, a name that must not exist yet: a hard link when the file
    system allows one, else a copy written to a temporary name and renamed into place.
    Nothing is ever written *into* an existing file, so a source that is already linked
    into the set can never be overwritten through its link."""
    if os.path.lexists(dst):
        raise FileExistsError(f"{dst}: already in the prepared set (two sources under one name)")
    try:
        os.link(src, dst)
        return
    except FileExistsError:
        raise
    except OSError:  # another file system, or links not allowed: copy
        pass
    atomic_copy(Path(src), Path(dst))


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name~2``, ``name~3`` ... : the first not in ``taken`` (which it joins).
    Sources whose names collide once flattened (``frame_002.png`` and ``frame_002.jpg``;
    ``sc1-a/01.png`` and ``sc1/a-01.png``) keep separate items."""
    out, k = name, 1
    while out in taken:
        k += 1
        out = f"{name}~{k}"
    taken.add(out)
    return out


MARKER = "colorpaint-prepared.json"  # names a folder ``prepare`` made: only such a folder is ever cleared


def _older_prepared(out: Path) -> bool:
    """A set an older ColorPaint prepared (before the marker file): split.json with its
    items and origins beside pairs/."""
    try:
        d = json.loads((out / "split.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(d, dict) and {"items", "origins", "pairs"} <= d.keys() and (out / "pairs").is_dir()


def _clear_out(out: Path, sources) -> None:
    """Make ``out`` ready for a new split, deleting only what an earlier ``prepare`` wrote.

    ``out`` may be missing or empty; a folder holding anything else than an earlier
    prepared set is refused, and so is an ``out`` that is, holds or lies inside a source."""
    o = out.resolve()
    for src in sources:
        s = Path(src).resolve()
        if o == s or s in o.parents or o in s.parents:
            raise ValueError(f"{out}: the output folder must lie outside the sources ({src})")
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"{out}: exists and is not a folder")
    if not ((out / MARKER).is_file() or _older_prepared(out)):
        if any(out.iterdir()):
            raise ValueError(f"{out}: folder is not empty and was not made by prepare; choose an empty or new folder")
        return
    for name in ("pairs", "shots"):  # a re-run starts clean: stale links would mix two splits
        if (out / name).is_dir() and not (out / name).is_symlink():
            shutil.rmtree(out / name)
        elif os.path.lexists(out / name):
            os.unlink(out / name)
    for name in ("split.json", MARKER):
        if os.path.lexists(out / name):
            os.unlink(out / name)


def _put_color(item: Item, dst: Path) -> np.ndarray | None:
    if isinstance(item.color, np.ndarray):
        save_image(dst, item.color)
        return item.color
    _link(item.color, dst)
    return None


def prepare(sources, out: str | os.PathLike, holdout: float = HOLDOUT, max_items: int | None = None, seed: int = 0,
            log=lambda msg: None) -> dict:
    """Split ``sources`` into train / held-out items under ``out`` (see the module docstring).

    Returns ``{"pairs": dir, "shots": dir or None, "train": n, "heldout": m, "sources": [...]}``;
    raises ValueError when there is nothing to train on."""
    from ..core.color import rgb_to_luma
    from ..core.lineart import synthesize_lines

    out = Path(out)
    _clear_out(out, sources)
    pairs, shots = out / "pairs", out / "shots"
    pairs.mkdir(parents=True)
    (out / MARKER).write_text(json.dumps({"made_by": "colorpaint.training.finetune prepare"}) + "\n")
    taken_ids: set[str] = set()
    rng = np.random.default_rng(seed)
    rows, shot_rows, summary, origins = [], [], [], {}
    n_train = n_held = 0
    for si, src in enumerate(sources):
        src = Path(src)
        items = source_items(src, max_items, seed)
        k = split_holdout(len(items), holdout)
        summary.append({"source": str(src), "kind": source_kind(src), "items": len(items), "heldout": k})
        log(f"{src}: {len(items)} items, {k} held out")
        for j, it in enumerate(items):
            held = j >= len(items) - k
            pid = _unique(f"s{si}_{it.id}", taken_ids)
            arr = _put_color(it, pairs / f"{pid}_color.png")
            if it.line is not None:
                _link(it.line, pairs / f"{pid}_line.png")
            if held:
                color = arr if arr is not None else load_image(it.color)
                if it.line is None:  # fixed line art, so before and after see the same input
                    cv2.imwrite(str(pairs / f"{pid}_line.png"), synthesize_lines(color, rng))
                cv2.imwrite(str(pairs / f"{pid}_gray.png"), rgb_to_luma(color))
                n_held += 1
            else:
                n_train += 1
                if it.shot is not None:
                    sd = shots / f"s{si}_{it.shot}"
                    if not sd.exists():
                        sd.mkdir(parents=True)
                        shot_rows.append({"id": sd.name, "split": "train"})
                    _link(it.color, sd / f"{pid}{Path(it.color).suffix.lower()}")
            rows.append({"id": pid, "split": "val" if held else "train", "author": f"s{si}"})
            origins[f"{pid}_color.png"] = f"{src} (frame {it.id})" if isinstance(it.color, np.ndarray) else str(it.color)
            if it.line is not None:
                origins[f"{pid}_line.png"] = str(it.line)
    if not n_train:
        raise ValueError("no training frames: mark some frames as corrected in the project, or add folders or videos of colored frames")
    _write_manifest(pairs / "manifest.csv", rows)
    for r in list(shot_rows):  # a shot needs two frames to teach motion
        if len(list_frames(shots / r["id"])) < 2:
            shutil.rmtree(shots / r["id"])
            shot_rows.remove(r)
    if shot_rows:
        _write_manifest(shots / "manifest.csv", shot_rows)
    res = {"pairs": str(pairs), "shots": str(shots) if shot_rows else None, "train": n_train, "heldout": n_held, "sources": summary}
    # origins: which file of the artist's each linked file is, to name it in error messages
    (out / "split.json").write_text(json.dumps(res | {"holdout": holdout, "items": rows, "origins": origins}, indent=2))
    return res


def _write_manifest(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


# ------------------------------------------------------------------ settings


@dataclass
class TrainSettings:
    """What the trainer tab asks colorpaint-train for. ``val_every`` 0 = about 20
    validations per run; ``scale`` 0 = max(256, size)."""

    steps: int = 300
    size: int = 128
    lr: float = 1e-4
    batch: int = 4
    device: str = "cpu"
    holdout: float = HOLDOUT
    val_every: int = 0
    val_items: int = 4
    max_items: int | None = None
    tiny: bool = False  # tiny network when training from scratch (tests)
    scale: int = 0


def default_settings(gpu: bool) -> TrainSettings:
    """Fine-tuning defaults: a few minutes on a laptop CPU, or a longer, larger run on a GPU.
    The learning rate is half the from-scratch one: fine-tuning should adjust, not forget."""
    if gpu:
        return TrainSettings(steps=2000, size=256, lr=1e-4, batch=16, device="cuda")
    return TrainSettings(steps=300, size=128, lr=1e-4, batch=4, device="cpu")


def train_argv(family: str, data_dirs, run: str | os.PathLike, s: TrainSettings, init: str | None = None, resume: bool = False) -> list[str]:
    """colorpaint-train's arguments (after ``-m colorpaint.training.cli``) for one run."""
    val_every = s.val_every or max(1, s.steps // 20)
    argv = ["--model", family, "--data", *map(str, data_dirs), "--steps", str(s.steps), "--size", str(s.size),
            "--scale", str(s.scale or max(256, s.size)), "--batch", str(s.batch), "--lr", f"{s.lr:g}", "--device", s.device,
            "--val-every", str(val_every), "--val-items", str(s.val_items), "--out", str(run), "--progress", "json"]
    if init:
        argv += ["--init", str(init)]
    elif s.tiny:
        argv.append("--tiny")
    if resume:
        argv.append("--resume")
    return argv


# ------------------------------------------------------------------ compare


def comparison_image(family: str, before: str | None, after: str, data: Path, session, rows: int = COMPARE_ROWS, height: int = 160,
                     work_size: int = 256) -> np.ndarray:
    """``HxWx3 uint8 RGB`` grid, one row per held-out line-art item: input | before | after | ground truth."""
    from ..engine import jobs
    from ..engine.pipeline import ColorizeRequest, colorize

    items = read_pairs(data, "val", kind="lineart")[:rows]
    if not items:
        raise ValueError(f"{data}: no held-out frames to compare")
    out_rows = []
    for p in items:
        img, gt, kind = load_image(p.input), load_image(p.color), p.kind
        cells = [img]
        for w in (before, after):
            if w is None:
                cells.append(img)  # from scratch: "before" is the uncolored input
            else:
                req = ColorizeRequest(img, model=family, input_kind=kind, weights=w, work_size=work_size)
                cells.append(jobs.run(colorize(session, req)).composite)
        cells.append(gt)
        s = height / img.shape[0]
        size = (max(1, round(img.shape[1] * s)), height)
        cells = [cv2.resize(c, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_NEAREST) for c in cells]
        sep = np.full((height, 4, 3), 255, np.uint8)
        out_rows.append(np.concatenate([x for c in cells for x in (c, sep)][:-1], 1))
    grid = np.concatenate([x for r in out_rows for x in (r, np.full((4, r.shape[1], 3), 255, np.uint8))][:-1], 0)
    header = np.full((22, grid.shape[1], 3), 255, np.uint8)
    cw = (grid.shape[1] + 4) // 4
    for i, text in enumerate(("input", "before", "after", "ground truth")):
        cv2.putText(header, text, (i * cw + 4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([header, grid], 0)


def compare(family: str, before: str | None, after: str, data: str | os.PathLike, out: str | os.PathLike, device: str | None = None,
            limit: int = EVAL_LIMIT, work_size: int = 256, log=lambda msg: None) -> dict:
    """Held-out metrics before and after fine-tuning, and ``out/comparison.png``.

    Returns ``{"before": {kind: {psnr, ssim, de00, n}}, "after": {...}, "comparison": path}``."""
    from .evaluate import evaluate
    from ..engine.session import Session

    data, out = Path(data), Path(out)
    session = Session(device)
    # two entries (line art, gray) per held-out frame
    rep = {}
    for key, w in (("before", before), ("after", after)):
        log(f"scoring the held-out frames {key} fine-tuning")
        model = family if w else "none"
        rep[key] = evaluate(model, data, kind="auto", split="val", limit=2 * limit, weights=w, work_size=work_size, session=session)
    log("drawing the comparison")
    path = save_image(out / "comparison.png", comparison_image(family, before, after, data, session, work_size=work_size))
    return rep | {"comparison": str(path)}


# ------------------------------------------------------------------ command line


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m colorpaint.training.finetune", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("prepare", help="split sources into train / held-out items")
    a.add_argument("sources", nargs="+")
    a.add_argument("--out", required=True)
    a.add_argument("--holdout", type=float, default=HOLDOUT)
    a.add_argument("--max-items", type=int, default=None)
    b = sub.add_parser("compare", help="held-out metrics before and after, and a comparison image")
    b.add_argument("--family", required=True)
    b.add_argument("--before", default="", help="base weights ('' when trained from scratch)")
    b.add_argument("--after", required=True)
    b.add_argument("--data", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--device", default=None)
    b.add_argument("--limit", type=int, default=EVAL_LIMIT)
    b.add_argument("--work-size", type=int, default=256)
    args = p.parse_args(argv)
    emit = lambda rec: print(json.dumps(rec), flush=True)
    log = lambda msg: emit({"event": "log", "message": msg})
    try:
        if args.cmd == "prepare":
            res = prepare(args.sources, args.out, args.holdout, args.max_items, log=log)
        else:
            res = compare(args.family, args.before or None, args.after, args.data, args.out, args.device, args.limit, args.work_size, log=log)
    except Exception as e:  # reported to the trainer tab like colorpaint-train's errors
        emit({"event": "error", "message": artist_message(e), "traceback": traceback.format_exc()})
        return 1
    emit({"event": "done", **res})
    return 0


if __name__ == "__main__":
    sys.exit(main())
