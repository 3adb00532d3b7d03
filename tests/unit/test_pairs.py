"""The one pair-folder reader (colorpaint.core.pairs): which pairs a trainer, evaluator or
fine-tune finds in a folder, in which order, with which input and in which split."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorpaint.core.pairs import count_pairs, group_of, read_pairs, split_of


def _pair(folder: Path, pid: str, line: bool = False, gray: bool = False, value: int = 128) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(folder / f"{pid}_color.png")
    if line:
        Image.fromarray(np.full((8, 8), 40, np.uint8)).save(folder / f"{pid}_line.png")
    if gray:
        Image.fromarray(np.full((8, 8), 90, np.uint8)).save(folder / f"{pid}_gray.png")


def _manifest(folder: Path, rows: list[dict]) -> None:
    with open(folder / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _ids(pairs) -> list[str]:
    return [p.id for p in pairs]


def test_name_order_and_natural_order(tmp_path):
    for i in range(11):
        _pair(tmp_path, f"s{i}", line=True)
    (tmp_path / "notes.txt").write_text("not a pair")
    _pair(tmp_path / "sub", "s99")  # pairs in a subfolder are not this folder's
    assert count_pairs(tmp_path) == 11
    # name order sorts the file names: "s10_color.png" comes before "s1_color.png" ("0" < "_")
    assert _ids(read_pairs(tmp_path)) == ["s0", "s10", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"]
    assert _ids(read_pairs(tmp_path, order="natural")) == [f"s{i}" for i in range(11)]
    assert _ids(read_pairs(tmp_path, order="natural", limit=3)) == ["s0", "s1", "s2"]
    p = read_pairs(tmp_path)[0]
    assert (p.color, p.input, p.kind, p.split) == (tmp_path / "s0_color.png", tmp_path / "s0_line.png", "lineart", None)


def test_a_folder_without_pairs_gives_an_empty_list(tmp_path):
    assert read_pairs(tmp_path) == [] and count_pairs(tmp_path) == 0
    assert read_pairs(tmp_path / "missing", "val", val_frac=0.1) == [] and count_pairs(tmp_path / "missing") == 0
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a_line.png")  # an input without its color image
    _manifest(tmp_path, [{"id": "a", "split": "val"}])
    assert read_pairs(tmp_path, "val", kind="auto") == [] and count_pairs(tmp_path) == 0


def test_inputs_for_each_kind(tmp_path):
    _pair(tmp_path, "a", line=True, gray=True)
    _pair(tmp_path, "b", line=True)
    _pair(tmp_path, "c", gray=True)
    _pair(tmp_path, "d")
    name = lambda p: p.input.name if p.input else None  # noqa: E731

    # trainer and fine-tune: every pair, with its line art when it has one (_gray.png unused)
    assert [(p.id, name(p), p.kind) for p in read_pairs(tmp_path)] == [
        ("a", "a_line.png", "lineart"), ("b", "b_line.png", "lineart"), ("c", None, None), ("d", None, None)]
    # evaluator: line art only where there is some; gray for every pair, the luma (None) without _gray.png
    assert [(p.id, name(p)) for p in read_pairs(tmp_path, kind="lineart")] == [("a", "a_line.png"), ("b", "b_line.png")]
    assert [(p.id, name(p)) for p in read_pairs(tmp_path, kind="gray")] == [
        ("a", "a_gray.png"), ("b", None), ("c", "c_gray.png"), ("d", None)]
    assert [(p.id, name(p), p.kind) for p in read_pairs(tmp_path, kind="auto")] == [
        ("a", "a_line.png", "lineart"), ("a", "a_gray.png", "gray"), ("b", "b_line.png", "lineart"), ("b", None, "gray"),
        ("c", "c_gray.png", "gray"), ("d", None, "gray")]
    assert len(read_pairs(tmp_path, kind="auto", limit=3)) == 3
    with pytest.raises(ValueError, match="unknown pair kind"):
        read_pairs(tmp_path, kind="line")
    with pytest.raises(ValueError, match="unknown pair order"):
        read_pairs(tmp_path, order="date")


def test_the_manifest_split_is_honoured(tmp_path):
    for pid in ("a1", "a2", "b1", "b2", "c1"):
        _pair(tmp_path, pid, line=True)
    _manifest(tmp_path, [{"id": "a1", "split": "train", "author": "ann", "kind": " Character "},
                         {"id": "a2", "split": "val", "author": "", "kind": ""},
                         {"id": "b1", "split": "val", "author": "bob", "kind": "icon"},
                         {"id": "b2", "split": "", "author": "", "kind": ""},
                         {"id": "gone", "split": "val", "author": "", "kind": ""}])  # listed, no files: not a pair
    assert _ids(read_pairs(tmp_path, "val")) == ["a2", "b1"]
    assert _ids(read_pairs(tmp_path, "train")) == ["a1"]
    assert _ids(read_pairs(tmp_path, "test")) == []
    pairs = {p.id: p for p in read_pairs(tmp_path)}  # no split asked: every pair, the manifest's split on each
    assert {k: p.split for k, p in pairs.items()} == {"a1": "train", "a2": "val", "b1": "val", "b2": None, "c1": None}
    assert (pairs["a1"].group, pairs["a1"].subject) == ("ann", "character")
    assert (pairs["a2"].group, pairs["b1"].subject, pairs["c1"].group) == ("a2", "icon", "c")
    # the trainer's rule: a row without a split trains, an unlisted pair is split by its name group's hash
    trainer = {p.id: p.split for p in read_pairs(tmp_path, val_frac=0.1)}
    assert trainer == {"a1": "train", "a2": "val", "b1": "val", "b2": "train", "c1": split_of("c", 0.1)}
    # the fine-tune's mean-color baseline reads the train items in the manifest's order
    _manifest(tmp_path, [{"id": "b2", "split": "train"}, {"id": "a1", "split": "train"}, {"id": "a2", "split": "val"}])
    assert _ids(read_pairs(tmp_path, "train", order="manifest")) == ["b2", "a1"]
    assert _ids(read_pairs(tmp_path, order="manifest")) == ["b2", "a1", "a2", "b1", "c1"]  # unlisted after, by name


def test_without_a_manifest_nothing_is_filtered_and_the_trainer_hashes_name_groups(tmp_path):
    names = ["cat1", "cat2", "cat_03", "dog1", "dog-2", "owl7", "emu1", "emu2"]
    for pid in names:
        _pair(tmp_path, pid)
    # an evaluator asked for "val" on a bare folder scores every pair
    assert _ids(read_pairs(tmp_path, "val")) == sorted(names)
    assert all(p.split is None for p in read_pairs(tmp_path))
    for vf in (0.3, 0.5):
        pairs = read_pairs(tmp_path, val_frac=vf)
        assert {p.id: p.split for p in pairs} == {pid: split_of(group_of(pid), vf) for pid in names}
        # neighbouring frames (one name group) always share a split
        assert len({p.split for p in pairs if p.group == "cat"}) == 1
    assert group_of("cat_03") == group_of("cat1") == "cat" and group_of("dog-2") == "dog" and group_of("123") == "123"


def test_one_held_out_group_holds_out_the_last_frames_by_natural_order(tmp_path):
    g = next(f"g{i}x" for i in range(1000) if split_of(f"g{i}x", 0.1) == "val")  # a group name the hash puts in val
    for i in range(12):
        _pair(tmp_path, f"{g}{i}")
    logs: list[str] = []
    pairs = read_pairs(tmp_path, val_frac=0.1, log=logs.append)
    # round(12 * 0.1) = 1 held out: the last by natural order (…11), not by name order (…9)
    assert [(p.id, p.split) for p in pairs] == [(f"{g}{i}", "val" if i == 11 else "train") for i in range(12)]
    assert logs == [f"{tmp_path}: every item falls in one held-out group; holding out the last 1 by name order instead"]
    # with manifest rows the manifest decides, whatever the hash says
    _manifest(tmp_path, [{"id": f"{g}0", "split": "val"}])
    assert {p.split for p in read_pairs(tmp_path, val_frac=0.1) if p.id != f"{g}0"} == {"val"}


def test_the_trainer_evaluator_and_fine_tune_find_the_same_pairs(tmp_path):
    from colorpaint.app.finetune_run import TrainingData
    from colorpaint.training import finetune
    from colorpaint.training.datasets import scan
    from colorpaint.training.evaluate import evaluate

    d = tmp_path / "Show.cpaint" / "corrected"
    for i in range(11):
        _pair(d, f"f{i}", line=i % 2 == 0, gray=i == 10, value=10 * i)
    _manifest(d, [{"id": f"f{i}", "split": "val" if i >= 9 else "train", "kind": "character"} for i in range(11)])
    # fine-tune: natural order (the latest frames last), line art where present
    items = finetune.source_items(d.parent)
    assert [(it.id, it.line is not None) for it in items] == [(f"f{i}", i % 2 == 0) for i in range(11)]
    assert finetune.count_items(d.parent) == finetune.count_items(d) == 11 and finetune.source_kind(d) == "pairs"
    data = TrainingData()
    data.project_dir = d.parent
    assert data.project_count() == 11
    # trainer: the manifest's split
    logs: list[str] = []
    tr, va, _, _ = scan([d.parent], scale=8, log=logs.append)
    assert [int(s.color[0, 0, 0]) // 10 for s in va] == [10, 9] and len(tr) == 9  # name order: f10 before f9
    assert [s.line is not None for s in va] == [True, False] and {s.subject for s in tr} == {"character"}
    assert logs[0] == f"{d}: kinds character 11"
    # evaluator: the val pairs, line art where present and gray for each
    rep = evaluate("none", d, kind="auto", split="val")
    assert rep["lineart"]["n"] == 1 and rep["gray"]["n"] == 2


def test_the_reader_imports_neither_qt_nor_torch():
    code = ("import sys\nimport colorpaint.core.pairs\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6', 'shiboken6')]\nassert not bad, bad\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
