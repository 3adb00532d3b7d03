#!/usr/bin/env python3
"""Build more color + exact line-art training pairs, mostly characters (see README.md).

Usage: build_data.py [--out DIR] [--shared DIR] [--work DIR] [--sources LIST] [--limit N]

Writes OUT/<id>_color.png (RGB), OUT/<id>_line.png (L), OUT/manifest.csv and
OUT/ATTRIBUTION.md in the format of ../shared/data/stills (colorpaint-train --data OUT).
Run it again and it rebuilds OUT the same way (its own files only).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lineart_pairs as P  # noqa: E402
import pair_sources as S  # noqa: E402

REPO = HERE.parent.parent
PREFIX = {"openclipart-svg": "oc_", "tuxpaint-stamps-default": "tp_", "gcompris-qt-data": "gc_", "ktuberling-data": "kt_",
          "morevna": "mv_"}
SOURCES = ("openclipart", "tuxpaint", "ktuberling", "gcompris", "morevna")
KEYS = ["id", "split", "kind", "source_package", "source_path", "author", "title", "license", "license_uri",
        "package_license", "width", "height", "file_size", "rule", "line_mode", "fg_frac", "ink_frac", "sat_frac",
        "flat_frac", "edge_cov", "inner_cov", "grad_fills", "n_shapes", "n_strokes", "n_ink_fills", "n_outlined"]
MORE_VNA_LICENSE = ("CC0-1.0", "http://creativecommons.org/publicdomain/zero/1.0/",
                    "CC0-1.0 (../shared/data/raw/morevna/*/LICENSE; morevnaproject/characters)")
DUP_DIST = 6.0  # mean absolute difference of 16x16 gray thumbnails (0-255) under which two drawings are one


def norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", (s or "").lower())


# ------------------------------------------------------------------ what must not be used


class Holdout:
    """The drawings kept back for evaluation (../shared/data/tools/exclude_md5.txt).

    Beyond the listed md5s, an item is held out if its text names one of the held-out
    artists (the creators of most of the listed files, found from the list itself), if
    its normalized title is the title of a held-out drawing (4+ characters), or if its
    render looks like one of theirs (thumbnail distance under DUP_DIST)."""

    def __init__(self, exclude_md5: Path, log=print):
        self.md5 = {l.split()[0] for l in exclude_md5.read_text().splitlines() if l.strip() and not l.startswith("#")}
        self.names: list[bytes] = []
        self.titles: set[str] = set()
        self.prints: list[np.ndarray] = []
        self.files: list[str] = []
        creators = Counter()
        for p in S._svgs(S.OPENCLIPART) if os.path.isdir(S.OPENCLIPART) else []:
            data = open(p, "rb").read()
            if hashlib.md5(data).hexdigest() in self.md5:
                m = S.svg_meta(data)
                creators[m["creator"]] += 1
                if len(norm(m["title"])) >= 4:
                    self.titles.add(norm(m["title"]))
                self.files.append(p)
        n = sum(creators.values())
        self.names = [c.lower().encode() for c, k in creators.items() if c and k >= max(10, 0.1 * n)]
        log(f"holdout: {len(self.md5)} md5s, {len(self.files)} installed files, {len(self.names)} artists, "
            f"{len(self.titles)} titles")

    def fingerprint_all(self, log=print):
        for p in self.files:
            try:
                data = P.read_svg(open(p, "rb").read())
                box = P.content_box(data)
                if box:
                    self.prints.append(P.fingerprint(P.fit_color(data, box, 512, 16)))
            except Exception as e:  # noqa: BLE001 - a file the renderer refuses cannot leak either
                log(f"holdout render {p}: {e}")

    def why(self, item: S.Item) -> str:
        if item.md5 in self.md5:
            return "holdout_md5"
        low = P.read_svg(item.data).lower() if item.data else b""
        if any(n in low for n in self.names) or any(n in item.author.lower().encode() for n in self.names):
            return "holdout_artist"
        if len(norm(item.title)) >= 4 and norm(item.title) in self.titles:
            return "holdout_title"
        return ""


def nearest(fp: np.ndarray, prints: list[np.ndarray]) -> float:
    if not prints:
        return 1e9
    return float(np.min(np.abs(np.stack(prints) - fp[None]).mean(axis=(1, 2))))


def load_stills(stills: Path, log=print):
    """The stills' source paths (not made again), author -> split, and thumbnails."""
    paths, author_split, prints = set(), {}, []
    man = stills / "manifest.csv"
    if man.exists():
        for r in csv.DictReader(open(man, newline="")):
            paths.add(r["source_path"])
            if norm(r["author"]):
                author_split[norm(r["author"])] = r["split"]
            c = stills / (r["id"] + "_color.png")
            if c.exists():
                prints.append(P.fingerprint(Image.open(c)))
    log(f"stills: {len(paths)} items, {len(author_split)} authors")
    return paths, author_split, prints


# ------------------------------------------------------------------ split


def assign_splits(rows: list[dict], stills_split: dict, val_frac: float, seed: int, max_group_frac: float):
    """Author/source-level split. Items of an author that is in stills/ take that author's
    split there (so training on both folders never puts one author on both sides); the rest
    are grouped (the item's source group - GCompris activity, KTuberling theme, Morevna
    character - when it has one, else its author, else its package folder), ordered by a
    seeded md5 and added to val until ``val_frac`` of all items is reached. Groups of more
    than ``max_group_frac`` of the items stay in train."""
    known = sorted(stills_split, key=len)

    def stills_side(author):
        a = norm(author)
        if not a:
            return None
        if a in stills_split:
            return stills_split[a]
        for k in known:  # "X and Y" goes with X, as in stills/
            if len(k) >= 5 and (k in a or (len(a) >= 5 and a in k)):
                return stills_split[k]
        return None

    groups = defaultdict(list)
    nval = 0
    for r in rows:
        side = stills_side(r["author"])
        if side in ("train", "val"):
            r["split"] = side
            nval += side == "val"
        else:
            groups[r.pop("_group") or norm(r["author"]) or r["source_package"]].append(r)
        r.pop("_group", None)
    n = len(rows)
    order = sorted(groups, key=lambda k: hashlib.md5(("%d:%s" % (seed, k)).encode()).hexdigest())
    for k in order:
        side = "train"
        if nval < val_frac * n and len(groups[k]) <= max_group_frac * n:
            side = "val"
            nval += len(groups[k])
        for r in groups[k]:
            r["split"] = side


# ------------------------------------------------------------------ build


def candidates(name: str, work: str, kinds_oc: tuple, log=print):
    if name == "openclipart":
        return S.openclipart(kinds_oc) if os.path.isdir(S.OPENCLIPART) else iter(())
    if name == "tuxpaint":
        return S.tuxpaint(("character", "object", "scene")) if os.path.isdir(S.TUXPAINT) else iter(())
    if name == "ktuberling":
        return S.ktuberling() if os.path.isdir(S.KTUBERLING) else iter(())
    if name == "gcompris":
        return S.gcompris(work) if os.path.isdir(S.GCOMPRIS_RCC) else iter(())
    raise ValueError(name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO.parent / "data-built"))
    ap.add_argument("--shared", default=str(REPO.parent / "shared" / "data"), help="the shared data folder (stills/, tools/, raw/)")
    ap.add_argument("--work", default="", help="scratch folder (default: a new temporary one, removed at the end)")
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--val-frac", type=float, default=0.08)
    ap.add_argument("--max-group-frac", type=float, default=0.04)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--icon-share", type=float, default=0.10, help="icons kept: at most this share of the other items")
    ap.add_argument("--poses", type=int, default=9, help="Morevna: extra poses per character view")
    ap.add_argument("--max-turn", type=float, default=35.0, help="Morevna: largest bone turn of a pose (degrees)")
    ap.add_argument("--limit", type=int, default=0, help="at most N candidates per source (a quick look)")
    a = ap.parse_args(argv)
    t0 = time.time()
    out = Path(a.out)
    shared = Path(a.shared)
    wanted = [s.strip() for s in a.sources.split(",") if s.strip()]
    for s in wanted:
        if s not in SOURCES:
            ap.error(f"unknown source {s!r} (known: {', '.join(SOURCES)})")
    exclude = shared / "tools" / "exclude_md5.txt"
    if not exclude.exists():
        ap.error(f"{exclude} not found: the evaluation hold-out list is needed (--shared)")
    work = a.work or tempfile.mkdtemp(prefix="colorpaint-data-")
    os.makedirs(work, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    for f in out.glob("*_color.png"):
        f.unlink()
    for f in out.glob("*_line.png"):
        f.unlink()
    print(f"renderer: {P.renderer()}; out {out}; work {work}", flush=True)

    holdout = Holdout(exclude)
    holdout.fingerprint_all()
    stills_paths, stills_split, stills_prints = load_stills(shared / "stills")
    kept_prints: list[np.ndarray] = []
    seen_md5: set[str] = set()
    rows: list[dict] = []
    rejects: dict[str, Counter] = defaultdict(Counter)
    tried: Counter = Counter()

    def admit(item: S.Item, pair, rule: str) -> bool:
        src = item.package
        fp = P.fingerprint(pair.color)
        if nearest(fp, holdout.prints) < DUP_DIST:
            rejects[src]["holdout_lookalike"] += 1
            return False
        if nearest(fp, stills_prints) < DUP_DIST or nearest(fp, kept_prints) < DUP_DIST:
            rejects[src]["duplicate_render"] += 1
            return False
        kept_prints.append(fp)
        rows.append(save_pair(out, item, pair, rule, a.size))
        return True

    def screen(item: S.Item) -> str:
        if item.path in stills_paths:
            return "in_stills"
        why = holdout.why(item)
        if why:
            return why
        if not S.is_open(item.license):
            return "licence:" + (item.license or "unknown")
        key = hashlib.md5(item.data + (item.element or "").encode()).hexdigest()
        if key in seen_md5:
            return "duplicate_file"
        seen_md5.add(key)
        return ""

    for name in [s for s in wanted if s != "morevna"]:
        ts = time.time()
        icons = []
        n = 0
        for item in candidates(name, work, ("character",)):
            if a.limit and n >= a.limit:
                break
            n += 1
            why = screen(item)
            if why:
                rejects[item.package][why] += 1
                continue
            if item.kind == "icon":
                icons.append(item)  # later, a capped sample
                continue
            tried[item.package] += 1
            rule = "character" if item.kind == "character" else "strict"
            try:
                pair = P.make_pair(item.data, a.size, item.element, rule=rule)
            except Exception as e:  # noqa: BLE001 - one broken drawing must not stop the build
                rejects[item.package]["error:" + type(e).__name__] += 1
                continue
            if pair.reject:
                for r in pair.reject:
                    rejects[item.package][r] += 1
                continue
            admit(item, pair, rule)
        if icons:
            pkg = icons[0].package
            cap = int(a.icon_share * sum(r["source_package"] == pkg for r in rows))
            icons.sort(key=lambda it: hashlib.md5(("%d:%s" % (a.seed, it.path)).encode()).hexdigest())
            got = 0
            for item in icons:
                if got >= cap:
                    rejects[pkg]["icon_cap"] += 1
                    continue
                tried[pkg] += 1
                try:
                    pair = P.make_pair(item.data, a.size, item.element, rule="strict")
                except Exception as e:  # noqa: BLE001
                    rejects[pkg]["error:" + type(e).__name__] += 1
                    continue
                if pair.reject:
                    for r in pair.reject:
                        rejects[pkg][r] += 1
                    continue
                got += admit(item, pair, "strict")
        print(f"{name}: {n} candidates, {sum(r['source_package'] == _pkg(name) for r in rows)} kept, "
              f"{time.time() - ts:.0f} s", flush=True)

    if "morevna" in wanted:
        ts = time.time()
        mroot = shared / "raw" / "morevna"
        if not mroot.is_dir() or not shutil.which("synfig"):
            print("morevna: skipped (no ../shared/data/raw/morevna or no synfig)")
        else:
            import morevna_synfig as M
            for sif, variant, color, line, w, h, counts in M.morevna_pairs(str(mroot), work, a.size, poses=a.poses,
                                                                           max_turn=a.max_turn, seed=a.seed,
                                                                           render_w=1280, render_h=720):
                char = sif.parent.name.replace("character-", "")
                rel = f"../shared/data/{sif.relative_to(mroot.parent.parent).as_posix()}@{variant}"
                item = S.Item("morevna", rel, b"", "Morevna Project", f"{sif.stem} ({variant})",
                              *MORE_VNA_LICENSE, kind="character", group="morevna:" + char.split(".")[-1])
                tried["morevna"] += 1
                m = {k: round(float(v), 4) for k, v in P.metrics(color, line).items()}
                why = P.verdict(m, {}, "character")
                if why:
                    for r in why:
                        rejects["morevna"][r] += 1
                    continue
                pair = P.Pair(color, line, w, h, {"line_mode": "ink"}, m)
                admit(item, pair, "character")
            print(f"morevna: {sum(r['source_package'] == 'morevna' for r in rows)} kept, {time.time() - ts:.0f} s", flush=True)

    rows.sort(key=lambda r: r["id"])
    assign_splits(rows, stills_split, a.val_frac, a.seed, a.max_group_frac)
    write_manifest(out, rows)
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)
    report(rows, rejects, tried, time.time() - t0)


def save_pair(out: Path, item: S.Item, pair: P.Pair, rule: str, size: int) -> dict:
    """Write OUT/<id>_color.png and OUT/<id>_line.png; return the item's manifest row."""
    iid = PREFIX.get(item.package, "x_") + hashlib.md5(item.path.encode()).hexdigest()[:10]
    pair.color.save(out / f"{iid}_color.png", optimize=True)
    pair.line.save(out / f"{iid}_line.png", optimize=True)
    return {"id": iid, "split": "", "kind": item.kind, "source_package": item.package, "source_path": item.path,
            "author": item.author, "title": item.title, "license": item.license, "license_uri": item.license_uri,
            "package_license": item.package_license, "width": pair.width, "height": pair.height,
            "file_size": f"{size}x{size}", "rule": rule, "line_mode": pair.info.get("line_mode", ""),
            **pair.metrics, **{k: pair.info.get(k, "") for k in ("grad_fills", "n_shapes", "n_strokes", "n_ink_fills",
                                                                 "n_outlined")},
            "_group": item.group}


def write_manifest(out: Path, rows: list[dict]):
    """OUT/manifest.csv (the columns of stills/manifest.csv plus kind, rule, line_mode,
    n_outlined) and OUT/ATTRIBUTION.md."""
    with open(out / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, KEYS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    write_attribution(out / "ATTRIBUTION.md", rows)


def _pkg(source: str) -> str:
    return {"openclipart": "openclipart-svg", "tuxpaint": "tuxpaint-stamps-default", "ktuberling": "ktuberling-data",
            "gcompris": "gcompris-qt-data"}.get(source, source)


def write_attribution(path: Path, rows: list[dict]):
    by = defaultdict(lambda: defaultdict(set))
    for r in rows:
        by[(r["source_package"], r["license"], r["license_uri"], r["package_license"])][r["author"] or "(no author named)"].add(r["id"])
    lines = ["# Licences and attribution", "",
             "Every pair here is a derivative (rendering, cropping, line art made from the same vector file) of the",
             "drawings below. `manifest.csv` gives the licence of each item. Items under CC BY / CC BY-SA / GPL / GFDL",
             "must keep these notices; CC BY-SA and GPL drawings stay under their licence.", ""]
    for (pkg, lic, uri, plic), authors in sorted(by.items()):
        n = sum(len(v) for v in authors.values())
        lines.append(f"## {pkg}: {lic} ({n} items)")
        lines.append("")
        lines.append(f"* package licence: {plic}")
        if uri:
            lines.append(f"* licence URI: {uri}")
        lines.append("* authors: " + "; ".join(f"{a} ({len(ids)})" for a, ids in sorted(authors.items())))
        lines.append("")
    path.write_text("\n".join(lines))


def report(rows, rejects, tried, secs):
    print("\n== kept pairs by source x kind (train / val) ==")
    tab = Counter((r["source_package"], r["kind"], r["split"]) for r in rows)
    for src in sorted({r["source_package"] for r in rows}):
        parts = []
        for kind in ("character", "object", "scene", "icon"):
            t, v = tab[(src, kind, "train")], tab[(src, kind, "val")]
            if t or v:
                parts.append(f"{kind} {t + v} ({t}/{v})")
        print(f"  {src:25s} {sum(tab[k] for k in tab if k[0] == src):5d}: " + ", ".join(parts))
    kinds = Counter(r["kind"] for r in rows)
    splits = Counter(r["split"] for r in rows)
    print(f"  total {len(rows)}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) +
          f"; train {splits['train']}, val {splits['val']} ({100.0 * splits['val'] / max(len(rows), 1):.1f}%)")
    print("  line mode: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["line_mode"] for r in rows).items())))
    print("  licences: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["license"] for r in rows).items())))
    print("== rendered / rejected by source ==")
    for src in sorted(set(rejects) | set(tried)):
        print(f"  {src:25s} rendered {tried[src]}; " + ", ".join(f"{k} {v}" for k, v in rejects[src].most_common()))
    print(f"build time {secs / 60:.1f} min")


if __name__ == "__main__":
    main()
