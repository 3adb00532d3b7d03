"""Colors from the artist's references: a colored model sheet or an earlier frame colors a new drawing."""
from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from PIL import Image

from colorpaint import cli
from colorpaint.core.imageio import load_image
from colorpaint.core.reference import linear_assignment
from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize
from colorpaint.engine.reference import Reference, flat_with_references
from colorpaint.engine.session import Session

from .helpers import tiny_weights

# shape -> fill color; an asymmetric figure, so a mirrored reference is told apart
FILLS = {"body": (230, 120, 40), "head": (250, 210, 170), "eye": (40, 90, 200), "arm": (60, 170, 80),
         "hat": (200, 30, 60), "tail": (150, 60, 180)}


def figure(h=200, w=240, m=None, parts=tuple(FILLS)) -> tuple[np.ndarray, np.ndarray]:
    """(line art HxW uint8, color HxWx3 uint8 RGB) of the figure, moved by the 2x3 affine
    ``m`` (applied to the drawing's coordinates), with only ``parts`` drawn."""
    m = np.array([[1.0, 0, 0], [0, 1.0, 0]]) if m is None else np.asarray(m, float)
    line = np.full((h, w), 255, np.uint8)
    color = np.full((h, w, 3), 255, np.uint8)
    pt = lambda x, y: (int(round(m[0, 0] * x + m[0, 1] * y + m[0, 2])), int(round(m[1, 0] * x + m[1, 1] * y + m[1, 2])))
    s = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    shapes = [("tail", "poly", [(150, 130), (200, 115), (205, 135), (150, 150)]),
              ("body", "poly", [(70, 90), (150, 90), (160, 170), (60, 170)]),
              ("arm", "poly", [(40, 100), (70, 100), (70, 115), (40, 140)]),
              ("head", "circle", ((110, 60), 32)),
              ("eye", "circle", ((122, 55), 11)),
              ("hat", "poly", [(80, 35), (140, 35), (110, 5)])]
    for name, kind, geo in shapes:
        if name not in parts:
            continue
        for img, val, thick in ((color, FILLS[name], -1), (line, 0, 2)):
            if kind == "poly":
                p = np.array([pt(*q) for q in geo], np.int32)
                (cv2.fillPoly(img, [p], val) if thick < 0 else cv2.polylines(img, [p], True, val, thick))
            else:
                cv2.circle(img, pt(*geo[0]), int(round(geo[1] * s)), val, thick)
    color[line < 128] = 0
    return line, color


@pytest.fixture(scope="module")
def session_weights(tmp_path_factory):
    d = tmp_path_factory.mktemp("w")
    return Session("cpu"), {n: tiny_weights(n, d / f"{n}.safetensors") for n in ("auto", "color-apply")}


def _run(session, weights, img, model="color-apply", refs=None, flat=False, hints=None):
    req = ColorizeRequest(img, model=model, weights=str(weights[model]), input_kind="lineart", hints=hints,
                          references=tuple(refs) if refs else None)
    res = jobs.run(colorize(session, req))
    return (flat_with_references(img, res, hints) if flat else res.composite), res


def _interior(line: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` away from the lines (3 px), where a fill's color shows undisturbed."""
    far = cv2.erode((line > 200).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    return mask & far


@pytest.mark.parametrize("how", ["shifted", "scaled", "mirrored"])
def test_own_drawing_moved_as_reference_gives_exact_colors_in_flat_mode(session_weights, how):
    session, weights = session_weights
    line, color = figure()
    m = {"shifted": [[1, 0, 25], [0, 1, -12]], "scaled": [[0.7, 0, 40], [0, 0.7, 30]],
         "mirrored": [[-0.9, 0, 235], [0, 0.9, 20]]}[how]
    _, ref = figure(230, 260, m)  # another size too
    line3 = np.repeat(line[..., None], 3, 2)
    out, res = _run(session, weights, line3, refs=[Reference(ref, name="sheet")], flat=True)
    rep = res.references
    assert rep is not None and not rep.messages
    for name, rgb in FILLS.items():
        where = _interior(line, np.all(color == rgb, 2))
        assert where.sum() > 10, name
        assert (out[where] == rgb).all(), (how, name, np.unique(out[where].reshape(-1, 3), axis=0)[:4])
    page = _interior(line, np.all(color == 255, 2))
    assert (out[page] == 255).all()
    assert rep.region_map().shape == line.shape and (rep.region_map()[line > 200] >= 0).all()


def test_reference_with_missing_parts_leaves_them_to_the_model(session_weights):
    session, weights = session_weights
    line, color = figure()
    _, ref = figure(200, 240, [[1, 0, 10], [0, 1, 8]], parts=("body", "head", "eye", "arm", "hat"))  # no tail
    line3 = np.repeat(line[..., None], 3, 2)
    plain, _ = _run(session, weights, line3)
    out, res = _run(session, weights, line3, refs=[Reference(ref)])
    rep = res.references
    tail = _interior(line, np.all(color == FILLS["tail"], 2))
    tail_regions = np.unique(rep.labels[tail])
    assert not rep.matched[tail_regions].any()
    assert (rep.region_map()[tail] == 0).all()
    np.testing.assert_array_equal(out[tail], plain[tail])  # the model's own colors
    for name in ("body", "head", "eye", "hat"):
        where = _interior(line, np.all(color == FILLS[name], 2))
        assert np.abs(out[where].astype(int) - FILLS[name]).max() <= 2, name


def test_hint_strokes_win_over_references(session_weights):
    session, weights = session_weights
    line, color = figure()
    line3 = np.repeat(line[..., None], 3, 2)
    hints = np.zeros(line.shape + (4,), np.uint8)
    hints[120:130, 100:110] = (10, 200, 220, 255)  # inside the body
    out, res = _run(session, weights, line3, refs=[Reference(figure(200, 240, [[1, 0, 5], [0, 1, 5]])[1])], hints=hints, flat=True)
    body = _interior(line, np.all(color == FILLS["body"], 2))
    assert (np.abs(out[body].astype(int) - (10, 200, 220)).max(1) <= 2).all()
    head = _interior(line, np.all(color == FILLS["head"], 2))
    assert (out[head] == FILLS["head"]).all()


def test_switched_off_or_unmatched_reference_changes_nothing(session_weights):
    session, weights = session_weights
    line, _ = figure()
    line3 = np.repeat(line[..., None], 3, 2)
    plain, _ = _run(session, weights, line3)
    _, ref = figure(200, 240, [[1, 0, 10], [0, 1, 8]])
    off, res = _run(session, weights, line3, refs=[Reference(ref, enabled=False)])
    np.testing.assert_array_equal(off, plain)
    assert res.references is None
    # a colored sheet that certainly holds no shape: all of it is darker than ink, so it has
    # no closed region at all (it still has colors, so it is not skipped as grayscale)
    navy = np.zeros((120, 160, 3), np.uint8)
    navy[..., 2] = 110
    navy[::2, ::2, 0] = 40
    other, res = _run(session, weights, line3, refs=[Reference(navy, name="navy.png")])
    rep = res.references
    assert rep is not None and not rep.matched.any() and (rep.source == -1).all()
    assert (rep.region_map()[line > 200] == 0).all()  # every shape left to the model
    np.testing.assert_array_equal(other, plain)
    assert rep.messages == ["navy.png: matches no shape of the drawing with confidence; colors left to the model"]


def test_references_deciding_every_region_skip_the_network(session_weights, monkeypatch):
    session, weights = session_weights
    line, color = figure()
    line3 = np.repeat(line[..., None], 3, 2)
    _, ref = figure(230, 260, [[1, 0, 10], [0, 1, 8]])  # a sheet every shape of the drawing matches
    from colorpaint.engine import pipeline

    def no_network(*a, **k):
        raise AssertionError("the network ran although the references decide every region")

    monkeypatch.setattr(pipeline, "run_network", no_network)
    out, res = _run(session, weights, line3, refs=[Reference(ref)])
    assert res.references.matched[1:].all()
    for name, rgb in FILLS.items():
        where = _interior(line, np.all(color == rgb, 2))
        assert (out[where] == rgb).all(), name
    assert (out[_interior(line, np.all(color == 255, 2))] == 255).all()
    assert (out[line < 30] < 40).all()  # the lines stay on top


def test_grayscale_target_takes_reference_chroma(session_weights):
    session, weights = session_weights
    _, color = figure()
    gray = np.repeat(cv2.cvtColor(color, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
    _, ref = figure(220, 250, [[-0.8, 0, 220], [0, 0.8, 30]])
    req = ColorizeRequest(gray, model="auto", weights=str(weights["auto"]), input_kind="gray", references=(Reference(ref),))
    res = jobs.run(colorize(session, req))
    from colorpaint.core.color import rgb_to_lab

    out_lab, true_lab = rgb_to_lab(res.composite), rgb_to_lab(color)
    for name, rgb in FILLS.items():
        where = cv2.erode(np.all(color == rgb, 2).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        # the reference's chroma under the page's own lightness (luma is not Lab L, so not ΔE00)
        ab = np.linalg.norm(out_lab[where][:, 1:] - true_lab[where][:, 1:], axis=1)
        assert np.median(ab) < 4, name
        np.testing.assert_allclose(out_lab[where][:, 0], rgb_to_lab(gray)[where][:, 0], atol=1.0)


def _save(path, rgb):
    Image.fromarray(rgb).save(path)
    return path


@pytest.mark.parametrize("flat", [False, True])
def test_cli_ref_gives_the_engine_frame(tmp_path, session_weights, flat):
    session, weights = session_weights
    line, _ = figure()
    _, ref = figure(210, 250, [[-0.85, 0, 230], [0, 0.85, 25]])
    _save(tmp_path / "page.png", line)
    _save(tmp_path / "sheet.png", ref)
    argv = ["colorize", tmp_path / "page.png", "-o", tmp_path / "out", "--model", "color-apply", "--weights", weights["color-apply"],
            "--input-kind", "lineart", "--ref", tmp_path / "sheet.png"] + (["--flat"] if flat else [])
    assert cli.main([str(a) for a in argv]) == 0
    img = load_image(tmp_path / "page.png")
    want, _ = _run(session, weights, img, refs=[Reference(load_image(tmp_path / "sheet.png"))], flat=flat)
    np.testing.assert_array_equal(load_image(tmp_path / "out" / "page.png"), want)


def test_bad_references_are_skipped_with_one_line_each(tmp_path, session_weights, capsys):
    session, weights = session_weights
    line, _ = figure()
    _save(tmp_path / "page.png", line)
    _, ref = figure(200, 240, [[1, 0, 10], [0, 1, 8]])
    good = _save(tmp_path / "good.png", ref)
    png = good.read_bytes()
    (tmp_path / "corrupt.png").write_bytes(png[: len(png) // 3])
    _save(tmp_path / "dot.png", np.full((1, 1, 3), 200, np.uint8))
    _save(tmp_path / "gray.png", np.repeat(cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)[..., None], 3, 2))
    # a PNG that declares 60000 x 60000 pixels: refused from its header
    import struct
    import zlib

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    (tmp_path / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))
                                        + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    bad = ["corrupt.png", "dot.png", "gray.png", "huge.png"]
    argv = ["colorize", tmp_path / "page.png", "-o", tmp_path / "out", "--model", "color-apply", "--weights", weights["color-apply"],
            "--input-kind", "lineart", "--flat", "--ref", good] + [a for b in bad for a in ("--ref", tmp_path / b)]
    capsys.readouterr()
    rc = cli.main([str(a) for a in argv])
    err = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert rc == 2
    assert len(err) == len(bad), err
    for name, line_ in zip(bad, err):
        assert name in line_ and "skipped" in line_, line_
    got = load_image(tmp_path / "out" / "page.png")
    want, _ = _run(session, weights, load_image(tmp_path / "page.png"), refs=[Reference(load_image(good))], flat=True)
    np.testing.assert_array_equal(got, want)  # the good reference still did its work


def test_assignment_matches_brute_force():
    rng = np.random.default_rng(0)
    for t in range(300):
        n, m = (int(v) for v in rng.integers(1, 7, 2))
        cost = rng.random((n, m)) * 10 if t % 3 else rng.integers(0, 4, (n, m)).astype(float)  # ties too
        rows, cols = linear_assignment(cost)
        assert len(rows) == min(n, m) and len(set(rows)) == len(rows) and len(set(cols)) == len(cols)
        if n <= m:
            best = min(sum(cost[i, p[i]] for i in range(n)) for p in itertools.permutations(range(m), n))
        else:
            best = min(sum(cost[p[j], j] for j in range(m)) for p in itertools.permutations(range(n), m))
        assert cost[rows, cols].sum() == pytest.approx(best, abs=1e-9)
    with pytest.raises(ValueError):
        linear_assignment(np.array([[np.inf]]))


def _dotted(h=220, w=240, m=None):
    """(line art, color) of a figure whose small parts (buttons, 5 px across) are too small
    for the reference's own segmentation to keep once the sheet is shrunk: the figure of
    :func:`figure` plus three outlined buttons of their own colors on the body."""
    m = np.array([[1.0, 0, 0], [0, 1.0, 0]]) if m is None else np.asarray(m, float)
    line, color = figure(h, w, m)
    pt = lambda x, y: (int(round(m[0, 0] * x + m[0, 1] * y + m[0, 2])), int(round(m[1, 0] * x + m[1, 1] * y + m[1, 2])))
    s = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    for (x, y), c in zip([(95, 110), (110, 130), (125, 150)], [(250, 240, 60), (90, 220, 230), (240, 120, 200)]):
        cv2.circle(color, pt(x, y), int(round(7 * s)), c, -1)
        cv2.circle(line, pt(x, y), int(round(7 * s)), 0, 1)
        cv2.circle(color, pt(x, y), int(round(7 * s)), (0, 0, 0), 1)
    return line, color


def test_silhouette_alignment_finds_a_turned_mirrored_sheet():
    from colorpaint.core import reference as refm
    from colorpaint.core.regions import segment

    line, _ = figure()
    ang = np.deg2rad(15)
    a = 0.8 * np.array([[-np.cos(ang), -np.sin(ang)], [-np.sin(ang), np.cos(ang)]])  # turned and mirrored
    m = np.hstack([a, (np.array([130, 110]) - a @ np.array([120, 100]))[:, None]])
    _, ref = figure(230, 260, m)
    labels, n = segment(line, gap_close=2, min_area=None)
    t = refm.describe(labels, n)
    rl, rn = refm.color_regions(ref)
    r = refm.describe(rl, rn, refm.rgb_to_lab(ref), with_color=True)
    aff, cc = refm.align_silhouettes(t, r, mirror=True)
    assert cc > 0.8
    # the sheet's map, undone by the fitted one, lands each figure point within 4 px of where it was
    pts = np.array([[110, 60], [70, 90], [160, 170], [200, 115], [40, 140]], float)
    back = (pts @ m[:, :2].T + m[:, 2]) @ aff[:, :2].T + aff[:, 2]
    assert np.abs(back - pts).max() < 4


def test_small_parts_lost_in_the_sheets_regions_take_its_colors(session_weights):
    """Buttons 5 px across on a sheet drawn at 0.55x: the sheet's own segmentation drops
    them, yet each gets its color read through the fitted map, within ΔE00 < 5."""
    from colorpaint.core.color import rgb_to_lab
    from colorpaint.core.metrics import delta_e2000

    session, weights = session_weights
    line, color = _dotted()
    ang = np.deg2rad(-10)
    a = 0.55 * np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    m = np.hstack([a, (np.array([90, 80]) - a @ np.array([120, 110]))[:, None]])
    _, ref = _dotted(170, 180, m)
    out, res = _run(session, weights, np.repeat(line[..., None], 3, 2), refs=[Reference(ref, name="sheet")], flat=True)
    for (x, y), c in zip([(95, 110), (110, 130), (125, 150)], [(250, 240, 60), (90, 220, 230), (240, 120, 200)]):
        got = rgb_to_lab(out[y - 2:y + 3, x - 2:x + 3].reshape(1, -1, 3))[0]
        want = rgb_to_lab(np.array([[c]], np.uint8))[0, 0]
        assert np.median(delta_e2000(got, np.repeat(want[None], len(got), 0))) < 5, (x, y)


def test_sampling_never_drags_a_missing_part_onto_its_neighbour():
    """A sheet without the arm and the tail: the line flow that follows the pose must not
    pull the arm's samples onto the body next to it; shown parts take their exact colors."""
    from colorpaint.core import reference as refm
    from colorpaint.core.regions import segment

    line, color = figure()
    _, ref = figure(210, 250, [[0.9, 0, 14], [0, 0.9, 12]], parts=("body", "head", "eye", "hat"))
    labels, n = segment(line, gap_close=2, min_area=None)
    t = refm.describe(labels, n)
    rl, rn = refm.color_regions(ref)
    r = refm.describe(rl, rn, refm.rgb_to_lab(ref), with_color=True)
    m = refm.match_regions_to_reference(t, r, align=True, ref_rgb=ref)
    arm, tail = labels[115, 50], labels[140, 175]
    assert not m.sampled[arm] and not m.sampled[tail]
    assert not m.accepted()[arm] and not m.accepted()[tail]
    for name, (x, y) in (("body", (110, 130)), ("head", (100, 75)), ("hat", (110, 25))):
        k = labels[y, x]
        assert m.sampled[k] and np.abs(m.colors(np.zeros((rn + 1, 3), np.uint8))[k].astype(int) - FILLS[name]).max() <= 2, name


def test_close_up_sheet_colors_the_part_it_shows_and_leaves_the_rest(session_weights):
    """A head close-up (drawn twice as large, framed so the body runs off its bottom edge)
    for the whole figure: head, eye and hat take their exact colors in flat mode; the arm
    and the tail, which the sheet does not show, are left to the model instead of taking
    the head's colors from a sheet stretched over the whole figure."""
    session, weights = session_weights
    line, color = figure()
    _, sheet = figure(190, 170, [[2.0, 0, -135], [0, 2.0, 0]])
    line3 = np.repeat(line[..., None], 3, 2)
    plain, _ = _run(session, weights, line3)
    out, res = _run(session, weights, line3, refs=[Reference(sheet, name="head close-up")], flat=True)
    rep = res.references
    for name in ("head", "eye", "hat"):
        where = _interior(line, np.all(color == FILLS[name], 2))
        assert (out[where] == FILLS[name]).all(), (name, np.unique(out[where].reshape(-1, 3), axis=0)[:4])
    for name in ("arm", "tail"):
        where = _interior(line, np.all(color == FILLS[name], 2))
        assert not rep.matched[np.unique(rep.labels[where])].any(), name
        assert (rep.region_map()[where] == 0).all(), name
