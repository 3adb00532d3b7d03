"""training/data: the pair maker on a tiny SVG (no Debian packages needed).

The line image must be the same drawing with fills white and strokes black, lined up
with the color image, and the manifest row must carry the drawing's licence; the folder
it writes must be read by colorpaint-train's data scan as it is.
"""
from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[2] / "training" / "data"
sys.path.insert(0, str(DATA))
import build_data as B  # noqa: E402
import lineart_pairs as P  # noqa: E402
import pair_sources as S  # noqa: E402

SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:cc="http://creativecommons.org/ns#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
     width="200" height="100" viewBox="0 0 400 200">
  <metadata><rdf:RDF><cc:Work rdf:about="">
    <dc:title>Test face</dc:title>
    <dc:creator><cc:Agent><dc:title>Ann Artist</dc:title></cc:Agent></dc:creator>
    <cc:license rdf:resource="http://creativecommons.org/publicdomain/zero/1.0/"/>
  </cc:Work></rdf:RDF></metadata>
  <style>.skin { fill: #f0c080 }</style>
  <rect x="40" y="40" width="320" height="120" fill="#2060e0" stroke="#806000" stroke-width="8"/>
  <circle class="skin" cx="200" cy="100" r="50" style="stroke:#c02020;stroke-width:6"/>
  <ellipse cx="200" cy="170" rx="60" ry="10" fill="#000" opacity="0.3"/>
</svg>"""


def engines():
    return ["qt"] + (["rsvg"] if shutil.which("rsvg-convert") else [])


@pytest.mark.parametrize("engine", engines())
def test_line_art_is_the_same_drawing_in_black_on_white(engine):
    pair = P.make_pair(SVG, size=128, margin=8, engine=engine, outline_px=None)
    color = np.asarray(pair.color).astype(int)
    line = np.asarray(pair.line).astype(int)
    assert pair.color.mode == "RGB" and pair.line.mode == "L"
    assert color.shape == (128, 128, 3) and line.shape == (128, 128)
    # fitted and centred: the drawn extent (328x144 in the SVG's units, stroke and shadow
    # included) fills 128 - 2 * 8 px on its long side
    assert pair.width == 112 and 46 <= pair.height <= 52
    # black lines on white: nearly every pixel is near black or near white
    assert ((line < 64) | (line > 192)).mean() > 0.9
    assert (line[:20] > 250).all() and (line[-20:] > 250).all()  # the margins are white
    # fills white where the color image is filled: inside the circle (skin) and the rect (blue)
    cy, cx = 64, 64
    assert color[cy, cx, 0] > 200 and color[cy, cx, 2] < 160  # skin
    assert line[cy - 4:cy + 5, cx - 4:cx + 5].min() > 200
    assert color[64, 30, 2] > 180 and color[64, 30, 0] < 80  # blue rect
    assert line[62:67, 28:33].min() > 200
    # strokes black, at the same place as in the color image: the circle's red ring
    ring = (color[..., 0] > 150) & (color[..., 1] < 80) & (color[..., 2] < 80)
    assert ring.sum() > 30
    assert np.median(line[ring]) < 80
    # the translucent shadow ellipse is shading: in the color image, not in the line art
    assert (line[100:110, 50:78] > 200).all()
    # every color edge has a line: the measures see an exact pair
    assert pair.metrics["edge_cov"] > 0.9 and pair.metrics["inner_cov"] > 0.9
    assert not P.verdict(pair.metrics, pair.info, "strict")


def test_outlining_flat_fills_lines_up():
    flat = SVG.replace(b'stroke="#806000" stroke-width="8"', b"").replace(b' style="stroke:#c02020;stroke-width:6"', b"")
    plain, info = P.to_lineart(flat)
    assert info["n_strokes"] == 0
    pair = P.make_pair(flat, size=128, margin=8, engine="qt", outline_px=2.0)
    assert pair.info["line_mode"] == "outlined" and pair.info["n_outlined"] >= 2
    line = np.asarray(pair.line).astype(int)
    color = np.asarray(pair.color).astype(int)
    # the circle's edge (skin against blue) now has a line where the color changes
    edge = np.abs(np.diff(color[64, :, 2]))  # blue channel along the middle row
    xs = np.nonzero(edge > 60)[0]
    assert len(xs) >= 2
    for x in xs:
        assert line[64, max(0, x - 2):x + 3].min() < 100


def test_manifest_row_carries_the_licence_and_is_read_by_the_trainer(tmp_path):
    meta = S.svg_meta(SVG)
    assert meta["creator"] == "Ann Artist" and meta["title"] == "Test face"
    lic = S.license_name(meta["license_uri"])
    assert lic == "CC0-1.0" and S.is_open(lic)
    assert not S.is_open("CC-BY-NC-4.0") and S.is_open("CC-BY-SA-3.0") and S.is_open("GPL-2+")
    assert S.classify([], "test face", meta["title"]) == "character"
    item = S.Item("test-package", "/usr/share/test/face.svg", SVG, meta["creator"], meta["title"], lic,
                  meta["license_uri"], "GPL-2+ (test copyright)", S.classify([], "face"))
    pair = P.make_pair(SVG, size=128, margin=8, engine="qt")
    row = B.save_pair(tmp_path, item, pair, "character", 128)
    B.assign_splits([row], {}, 0.08, 0, 0.04)
    B.write_manifest(tmp_path, [row])
    rows = list(csv.DictReader(open(tmp_path / "manifest.csv", newline="")))
    assert len(rows) == 1
    r = rows[0]
    for k in ("id", "split", "source_package", "source_path", "author", "title", "license", "license_uri",
              "package_license", "kind"):
        assert k in r
    assert (r["license"], r["license_uri"]) == ("CC0-1.0", "http://creativecommons.org/publicdomain/zero/1.0/")
    assert r["package_license"] == "GPL-2+ (test copyright)" and r["author"] == "Ann Artist"
    assert r["kind"] == "character" and r["split"] == "train"
    assert (tmp_path / f"{r['id']}_color.png").exists() and (tmp_path / f"{r['id']}_line.png").exists()
    assert "CC0-1.0" in (tmp_path / "ATTRIBUTION.md").read_text()

    from colorpaint.training.datasets import scan

    train, val, _, _ = scan([tmp_path], scale=64, log=lambda m: None)
    assert len(train) == 1 and not val
    assert train[0].line is not None and train[0].line.shape == (64, 64)
