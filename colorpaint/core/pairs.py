"""Pair folders, read one way: ``<id>_color.png`` with its input beside it.

A pair folder holds training or evaluation pairs: ``<id>_color.png`` (the colored frame)
and, beside it, ``<id>_line.png`` (its line art) and/or ``<id>_gray.png`` (its grayscale),
and maybe a ``manifest.csv`` with the columns ``id`` and ``split`` (``train`` / ``val`` /
...), and optionally ``author`` (the group an item is split with) and ``kind`` (the
subject: character, object, ...). A project's ``corrected/`` folder is one too.

The trainer (:func:`colorpaint.training.datasets.scan`), the evaluator
(:func:`colorpaint.training.evaluate.evaluate`), the fine-tune's ``prepare`` and the Train
panel all read such folders through :func:`read_pairs` and :func:`count_pairs`.

Splits: a manifest's ``split`` is honoured. Without one, the trainer's rule
(``val_frac``) puts an item in ``val`` when the md5 hash of its name group (the id without
its trailing digits, dashes and underscores) falls under ``val_frac`` (:func:`split_of`);
and when *every* item of a folder without manifest rows would land in ``val`` that way, the
last ``round(n * val_frac)`` items by natural name order are held out instead (at most
``n - 1``). No Qt, no torch.
"""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from .frames import natural_key

COLOR = "_color.png"
KINDS = (None, "lineart", "gray", "auto")
ORDERS = ("name", "natural", "manifest")


@dataclass(frozen=True)
class Pair:
    """One item of a pair folder.

    ``input`` is the input image file for ``kind``: ``<id>_line.png`` for ``"lineart"``,
    ``<id>_gray.png`` (or None: the luma of the color image) for ``"gray"``; None with
    ``kind`` None (color only). ``split`` is the manifest's (or the trainer's fallback
    rule's, see :func:`read_pairs`), ``group`` the manifest's ``author`` (else the id) or,
    without a manifest row, the name group; ``subject`` the manifest's ``kind`` column
    (lower case, "" when none)."""

    id: str
    color: Path
    input: Path | None = None
    kind: str | None = None
    split: str | None = None
    group: str = ""
    subject: str = ""


def group_of(pid: str) -> str:
    """The name group of an id: the id without its trailing digits, ``_`` and ``-``
    (``shot12_004`` -> ``shot``), so neighbouring frames share a split."""
    return re.sub(r"[\d_\-]+$", "", pid) or pid


def split_of(group: str, val_frac: float) -> str:
    """``"val"`` or ``"train"`` for a group, by the md5 hash of its name: the same group
    always lands in the same split."""
    h = int(hashlib.md5(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "val" if h < val_frac else "train"


def read_manifest(folder: str | Path) -> list[dict] | None:
    """The rows of ``folder/manifest.csv`` that name an ``id``, in file order; None when
    the folder has no manifest."""
    man = Path(folder) / "manifest.csv"
    if not man.exists():
        return None
    with open(man, newline="") as fh:
        return [r for r in csv.DictReader(fh) if r.get("id")]


def _color_files(folder: Path) -> list[Path]:
    return list(folder.glob(f"*{COLOR}"))


def count_pairs(folder: str | Path) -> int:
    """How many ``<id>_color.png`` files ``folder`` holds (no image is opened; 0 for a
    missing folder)."""
    return len(_color_files(Path(folder)))


def read_pairs(folder: str | Path, split: str | None = None, *, kind: str | None = None, order: str = "name",
               val_frac: float | None = None, limit: int | None = None, log: Callable[[str], None] | None = None) -> list[Pair]:
    """The pairs of ``folder``; an empty list when it holds none (or does not exist).

    ``split``: only the pairs the manifest puts in that split (its ``split`` column as
    written); a folder without ``manifest.csv`` is not filtered, every pair is kept.

    ``kind``: None, every pair with its line art as ``input`` when it has one (the trainer
    and the fine-tune); ``"lineart"``, only the pairs with line art; ``"gray"``, every
    pair with its ``_gray.png`` (or None: the luma of the color image); ``"auto"``, the
    line-art entry (when there is line art) then the gray entry of each pair.

    ``order``: ``"name"`` (sorted file names), ``"natural"`` (``s2`` before ``s10``, as
    the frames of a shot) or ``"manifest"`` (the manifest's row order, pairs it does not
    list after them by name).

    ``limit``: at most that many entries, the first in ``order``.

    ``val_frac``: the trainer's split rule. Without it ``split`` is the manifest's (None
    for a pair without a row). With it a manifest row without a split is ``train``, a pair
    without a row gets :func:`split_of` of its name group, and a folder without manifest
    rows whose pairs would all be ``val`` holds out its last pairs by natural order
    instead; then the pairs come back in natural order and ``log`` is told."""
    if kind not in KINDS:
        raise ValueError(f"unknown pair kind {kind!r} (one of {', '.join(map(str, KINDS))})")
    if order not in ORDERS:
        raise ValueError(f"unknown pair order {order!r} (one of {', '.join(ORDERS)})")
    folder = Path(folder)
    colors = _color_files(folder)
    if not colors:
        return []
    colors = sorted(colors, key=natural_key) if order == "natural" else sorted(colors)
    rows = read_manifest(folder)
    by_id = {r["id"]: r for r in rows or ()}
    if order == "manifest" and rows:
        rank: dict[str, int] = {}
        for i, r in enumerate(rows):
            rank.setdefault(r["id"], i)
        colors.sort(key=lambda c: rank.get(c.name[: -len(COLOR)], len(rows)))
    if split and rows is not None:
        allowed = {r["id"] for r in rows if r.get("split") == split}
        colors = [c for c in colors if c.name[: -len(COLOR)] in allowed]
    out: list[Pair] = []
    for c in colors:
        pid = c.name[: -len(COLOR)]
        row = by_id.get(pid)
        if row is None:
            base = Pair(pid, c, group=group_of(pid))
        else:
            sp = row.get("split") or ("train" if val_frac is not None else None)
            base = Pair(pid, c, split=sp, group=row.get("author") or pid, subject=(row.get("kind") or "").strip().lower())
        line = folder / f"{pid}_line.png"
        if kind is None:
            out.append(replace(base, input=line, kind="lineart") if line.exists() else base)
            continue
        if kind in ("lineart", "auto") and line.exists():
            out.append(replace(base, input=line, kind="lineart"))
        if kind in ("gray", "auto"):
            gray = folder / f"{pid}_gray.png"
            out.append(replace(base, input=gray if gray.exists() else None, kind="gray"))
    if limit:
        out = out[:limit]
    if val_frac is not None and out:
        if not by_id and all(split_of(p.group, val_frac) == "val" for p in out):
            # one name group hashed into val would leave nothing to train on
            n_val = min(len(out) - 1, round(len(out) * val_frac))
            if log is not None:
                log(f"{folder}: every item falls in one held-out group; holding out the last {n_val} by name order instead")
            out = sorted(out, key=lambda p: natural_key(p.color))
            out = [replace(p, split="val" if i >= len(out) - n_val else "train") for i, p in enumerate(out)]
        else:
            out = [p if p.split else replace(p, split=split_of(p.group, val_frac)) for p in out]
    return out
