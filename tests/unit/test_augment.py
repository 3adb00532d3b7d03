"""Studio-look training inputs: colored trace lines, line widths, pencil, XDoG, cel shading,
screentone, character weighting. Only the input changes, never the target; same seed, same
sample; off unless asked for."""
import csv
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from colorpaint.core.color import net_to_lab, rgb_to_luma
from colorpaint.training import augment as A
from colorpaint.training.datasets import Sampler, Still, scan

BASE, SHADOW, LIGHT = (235, 150, 70), (175, 105, 45), (250, 200, 150)  # one orange in three tones


def shaded_drawing(size=128):
    """(line art HxW, color HxWx3): a disc outlined in black, painted orange with a shadow
    (bottom-right) and a highlight (top-left) that the line art has no lines for."""
    color = np.full((size, size, 3), 255, np.uint8)
    c, r = size // 2, int(size * 0.4)
    cv2.circle(color, (c, c), r, BASE, -1)
    shadow = np.zeros((size, size), np.uint8)
    cv2.circle(shadow, (c, c), r, 1, -1)
    cv2.circle(shadow, (c - r // 3, c - r // 3), r, 0, -1)  # a crescent: the disc minus a shifted disc
    color[shadow > 0] = SHADOW
    cv2.circle(color, (c - r // 2, c - r // 2), r // 5, LIGHT, -1)
    line = np.full((size, size), 255, np.uint8)
    cv2.circle(line, (c, c), r, 0, 2)
    cv2.circle(color, (c, c), r, (0, 0, 0), 2)
    return line, color, shadow > 0


def _boundary(mask):
    m = mask.astype(np.uint8)
    return (cv2.dilate(m, np.ones((3, 3), np.uint8)) != cv2.erode(m, np.ones((3, 3), np.uint8)))


def _blue(img):
    i = img.astype(int)
    return (i[..., 2] > i[..., 0] + 80) & (i[..., 2] > i[..., 1] + 60)


def _red(img):
    i = img.astype(int)
    return (i[..., 0] > i[..., 1] + 100) & (i[..., 0] > i[..., 2] + 100)


# ------------------------------------------------------------------ line art


def test_trace_lines_are_blue_on_shadow_boundaries_and_red_on_highlights():
    line, color, shadow = shaded_drawing()
    size = line.shape[0]
    c, r = size // 2, int(size * 0.4)
    light = np.zeros(shadow.shape, np.uint8)
    cv2.circle(light, (c - r // 2, c - r // 2), r // 5, 1, -1)
    inside = np.zeros(shadow.shape, np.uint8)
    cv2.circle(inside, (c, c), r - 4, 1, -1)
    shadow_edge = cv2.dilate((_boundary(shadow) & (inside > 0)).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    light_edge = cv2.dilate(_boundary(light > 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    both = 0
    for seed in range(6):
        out = A.trace_lines(line, color, np.random.default_rng(seed))
        assert out.shape == color.shape and out.dtype == np.uint8
        blue, red = _blue(out), _red(out)
        assert blue.sum() >= 15, (seed, blue.sum())  # the shadow's boundary (the longest) is always drawn
        both += red.sum() >= 8  # the highlight's most of the time (some boundaries are left undrawn)
        assert (blue & shadow_edge).sum() >= 0.9 * blue.sum()  # blue where the shadow meets the base
        assert (red & light_edge).sum() >= 0.9 * red.sum()  # red around the highlight
        assert np.array_equal(out[line < 128], np.zeros(((line < 128).sum(), 3), np.uint8))  # black lines stay black
        assert (out[~(shadow_edge | light_edge) & (line > 200)] == 255).all()  # nothing drawn elsewhere
        # the network reads the line art as luma, as the engine does: mid-gray lines there
        lum = rgb_to_luma(out)
        assert 40 < np.median(lum[blue]) < 160
        if red.any():
            assert 60 < np.median(lum[red]) < 180
    assert both >= 3


def test_flat_drawings_and_gradients_get_no_trace_lines():
    line, color, _ = shaded_drawing()
    flat = color.copy()
    flat[(flat != 255).any(2) & (flat != 0).any(2)] = BASE
    assert not (_blue(A.trace_lines(line, flat, np.random.default_rng(0))) | _red(A.trace_lines(line, flat, np.random.default_rng(0)))).any()
    ramp = np.repeat(np.linspace(90, 250, 128)[None, :, None] * np.array([1.0, 0.6, 0.3]), 128, 0).astype(np.uint8)
    out = A.trace_lines(np.full((128, 128), 255, np.uint8), ramp, np.random.default_rng(0))
    assert not (_blue(out) | _red(out)).any()  # a smooth gradient has no boundary to trace


def _sampler_items(stills, aug, kind, n=6, size=128, family="auto", shots=()):
    """The first item of a fresh sampler per seed (so runs with and without augmentation
    draw the same still, flip and crop)."""
    out = []
    for seed in range(n):
        s = Sampler(stills, list(shots), size, family, np.random.default_rng(seed), p_gray=1.0 if kind == "gray" else 0.0,
                    augment=aug, warp_prev=False)
        out.append(s.item())
    return out


def test_sampler_trace_lines_change_only_the_line_art_input():
    line, color, shadow = shaded_drawing()
    stills = [Still(color, line, "g")]
    plain = _sampler_items(stills, None, "lineart")
    traced = _sampler_items(stills, {"trace_lines": 1.0}, "lineart")
    changed = 0
    for a, b in zip(plain, traced):
        assert np.array_equal(a["target"], b["target"])  # the color to learn is untouched
        diff = np.abs(a["L"] - b["L"])[0] > 0.05
        if diff.any():
            changed += 1
            # the new lines are mid-gray (colored ink read as luma), never black
            L = (b["L"][0][diff] + 1) * 50
            assert L.min() > 25 and L.max() < 85
        assert np.array_equal(b["line"][0] < 0.1, a["line"][0] < 0.1)  # the black lines are where they were
    assert changed >= 5
    # grayscale samples: trace lines never apply
    for a, b in zip(_sampler_items(stills, None, "gray"), _sampler_items(stills, {"trace_lines": 1.0}, "gray")):
        assert np.array_equal(a["L"], b["L"]) and np.array_equal(a["target"], b["target"])


def test_width_makes_lines_thicker_or_thinner_but_never_removes_them():
    line, _, _ = shaded_drawing(160)
    ink0 = (255 - line.astype(float)).sum()
    ratios = []
    for seed in range(12):
        out = A.vary_width(line, np.random.default_rng(seed))
        assert out.shape == line.shape and out.dtype == np.uint8
        ratios.append((255 - out.astype(float)).sum() / ink0)
        near = cv2.erode(out, np.ones((3, 3), np.uint8))
        assert (near[line < 128] < 200).all()  # every stroke is still there
    assert max(ratios) > 1.3 and min(ratios) < 0.9  # both thicker and thinner lines are drawn


def test_pencil_gives_gray_grainy_broken_lines_on_toned_paper():
    line, _, _ = shaded_drawing(160)
    for seed in range(4):
        out = A.pencil(line, np.random.default_rng(seed))
        paper = out[line == 255]
        assert 225 < np.median(paper) < 253 and paper.std() > 0.5  # a paper tone with grain, not pure white
        ink = out[line == 0].astype(float)
        assert ink.min() > 0 and np.median(ink) > 10  # graphite: gray, not black
        assert ink.std() > 5  # grainy
        assert (ink > 0.7 * np.median(paper)).mean() > 0.005  # some breaks in the strokes
        assert np.median(ink) < np.median(paper) - 60  # still clearly a line


def test_xdog_lines_follow_the_color_not_the_vector_lines():
    line, color, _ = shaded_drawing()
    color[60:75, 30:100] = (30, 40, 200)  # a saturated blue band the line art has no lines for
    band = np.zeros(line.shape, bool)
    band[60:75, 30:100] = True
    band_edge = _boundary(band) & (line == 255)
    for seed in range(3):
        out = A.xdog(color, np.random.default_rng(seed))
        assert out.shape == line.shape and out.dtype == np.uint8
        assert (out[line == 0] < 128).mean() > 0.8  # the outline is found in the color
        assert (out[band_edge] < 128).mean() > 0.3  # and the band's edges, which the vector lines lack
        assert (out[cv2.erode(band.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0] > 200).all()  # a dark fill is not ink
        assert (out > 200).mean() > 0.75  # fills come out as paper, not as dark areas


def test_line_augments_are_deterministic_and_leave_the_target_alone():
    line, color, _ = shaded_drawing()
    stills = [Still(color, line, "g")]
    on = {k: 1.0 for k in A.LINE_AUGMENTS}
    a = _sampler_items(stills, on, "lineart", n=3)
    b = _sampler_items(stills, on, "lineart", n=3)
    plain = _sampler_items(stills, None, "lineart", n=3)
    for x, y, p in zip(a, b, plain):
        assert all(np.array_equal(x[k], y[k]) for k in x)
        assert np.array_equal(x["target"], p["target"])
        assert not np.array_equal(x["L"], p["L"])
    assert not np.array_equal(a[0]["L"], a[1]["L"])


# ------------------------------------------------------------------ grayscale


def gradient_frame(size=128):
    """(line art, color, labels of the two shapes): a disc with a vertical gradient and a
    flat square, both outlined."""
    color = np.full((size, size, 3), 255, np.uint8)
    disc = np.zeros((size, size), np.uint8)
    cv2.circle(disc, (40, 64), 34, 1, -1)
    ramp = np.linspace(60, 220, size)[:, None, None] * np.array([1.0, 0.8, 0.9])
    color[disc > 0] = np.broadcast_to(ramp, color.shape)[disc > 0].astype(np.uint8)
    color[30:100, 85:120] = (120, 120, 200)
    line = np.full((size, size), 255, np.uint8)
    cv2.circle(line, (40, 64), 34, 0, 2)
    cv2.rectangle(line, (85, 30), (119, 99), 0, 2)
    color[line == 0] = 0
    return line, color, disc


def test_cel_shading_leaves_two_tones_per_region():
    line, color, disc = gradient_frame()
    gray = rgb_to_luma(color)
    labels, n = A.regions(line, color)
    inner = cv2.erode(disc, np.ones((7, 7), np.uint8)) > 0
    assert len(np.unique(gray[inner])) > 30
    for seed in range(4):
        out = A.cel_shade(gray, labels, n, np.random.default_rng(seed))
        for k in range(1, n + 1):
            assert len(np.unique(out[labels == k])) <= 2  # base and shadow tone, nothing else
        assert len(np.unique(out[inner])) == 2
        # the shadow is the darker half: top (dark end of the ramp) darker than bottom
        assert out[inner & (np.arange(128)[:, None] < 50)].mean() < out[inner & (np.arange(128)[:, None] > 80)].mean()
        assert abs(out[inner].astype(float).mean() - gray[inner].mean()) < 4  # brightness kept
        flat = labels == labels[64, 100]
        assert np.array_equal(out[flat], gray[flat])  # a flat fill stays as it is
        assert np.array_equal(out[labels == 0], gray[labels == 0])  # lines untouched


def test_screentone_dots_keep_the_local_gray():
    size = 192
    color = np.full((size, size, 3), 255, np.uint8)
    color[20:172, 20:172] = (150, 150, 150)
    line = np.full((size, size), 255, np.uint8)
    cv2.rectangle(line, (20, 20), (171, 171), 0, 2)
    color[line == 0] = 0
    gray = rgb_to_luma(color)
    labels, n = A.regions(line, color)
    for seed in range(4):
        out = A.screentone(gray, labels, n, np.random.default_rng(seed))
        inner = np.zeros_like(gray, bool)
        inner[40:152, 40:152] = True
        vals = out[inner]
        assert len(np.unique(vals)) == 2 and vals.min() <= 30 and vals.max() == 255  # dots of ink on paper
        assert 0.25 < (vals < 128).mean() < 0.6  # about 40 % ink at gray 150
        local = cv2.blur(out.astype(np.float32), (15, 15))
        assert np.abs(local[inner] - 150).mean() < 8 and np.abs(local[inner] - 150).max() < 30  # local mean ~ the gray
        dots, _ = cv2.connectedComponents((out < 128).astype(np.uint8) * inner.astype(np.uint8))
        assert dots > 50  # a pattern of many dots, not a few blobs
        assert (out[gray == 255] == 255).all()  # the paper is not toned


def test_gray_augments_are_deterministic_and_only_on_gray_samples():
    line, color, _ = gradient_frame()
    stills = [Still(color, line, "g")]
    on = {"cel": 1.0, "screentone": 1.0}
    a, b = _sampler_items(stills, on, "gray", n=3), _sampler_items(stills, on, "gray", n=3)
    plain = _sampler_items(stills, None, "gray", n=3)
    changed = 0
    for x, y, p in zip(a, b, plain):
        assert all(np.array_equal(x[k], y[k]) for k in x)
        assert np.array_equal(x["target"], p["target"])
        changed += not np.array_equal(x["L"], p["L"])
    assert changed == 3
    for x, p in zip(_sampler_items(stills, on, "lineart", n=3), _sampler_items(stills, None, "lineart", n=3)):
        assert np.array_equal(x["L"], p["L"])


def test_temporal_samples_from_shots_augment_current_and_previous_frame():
    line, color, _ = gradient_frame(96)
    frames = [np.roll(color, 2 * t, axis=1) for t in range(4)]
    from colorpaint.training.datasets import Shot

    shots = [Shot(frames, "s")]
    s = Sampler([Still(color, line, "g")], shots, 96, "temporal", np.random.default_rng(0), augment="studio", warp_prev=True)
    for _ in range(12):
        it = s.item()
        assert np.isfinite(it["L"]).all() and it["prev"].shape == (4, 96, 96)


# ------------------------------------------------------------------ weighting


def _kind_folder(folder, kinds, with_kind=True):
    """Pairs whose color says their kind: characters red, icons blue, others green."""
    folder.mkdir(parents=True, exist_ok=True)
    fill = {"character": (220, 30, 30), "icon": (30, 30, 220)}
    rows = []
    for i, kind in enumerate(kinds):
        color = np.full((32, 32, 3), 255, np.uint8)
        color[4:28, 4:28] = fill.get(kind, (30, 200, 30))
        line = np.full((32, 32), 255, np.uint8)
        cv2.rectangle(line, (4, 4), (27, 27), 0, 1)
        cv2.imwrite(str(folder / f"k{i:03d}_color.png"), cv2.cvtColor(color, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(folder / f"k{i:03d}_line.png"), line)
        rows.append({"id": f"k{i:03d}", "split": "train", **({"kind": kind} if with_kind else {})})
    with open(folder / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return folder


def _drawn(stills, weights, n=300):
    s = Sampler(stills, [], 32, "auto", np.random.default_rng(0), kind_weights=weights)
    red = blue = 0
    for _ in range(n):
        ab = net_to_lab(s.item()["target"].transpose(1, 2, 0))[16, 16, 1:]
        red += ab[0] > 40 and ab[1] > 20
        blue += ab[1] < -40
    return red, blue


def test_characters_are_drawn_more_often_than_icons(tmp_path):
    logs = []
    tr, _, _, _ = scan([_kind_folder(tmp_path / "k", ["character"] * 8 + ["icon"] * 8)], scale=32, log=logs.append)
    assert sorted({st.subject for st in tr}) == ["character", "icon"]
    assert any("character 8" in m and "icon 8" in m for m in logs)
    red, blue = _drawn(tr, A.kind_weights())
    assert red + blue > 280 and red > 4 * blue  # 3 : 0.5 by default
    red, blue = _drawn(tr, A.kind_weights({"icon": 3}))
    assert 0.7 < red / blue < 1.4  # configurable
    red, blue = _drawn(tr, A.kind_weights("uniform"))
    assert 0.7 < red / blue < 1.4


def test_a_folder_without_a_kind_column_is_drawn_uniformly(tmp_path):
    tr, _, _, _ = scan([_kind_folder(tmp_path / "k", ["character"] * 8 + ["icon"] * 8, with_kind=False)], scale=32, log=lambda m: None)
    assert {st.subject for st in tr} == {""}
    s = Sampler(tr, [], 32, "auto", np.random.default_rng(0), kind_weights=A.kind_weights())
    assert s._cum == [None]  # the plain uniform draw, as before
    red, blue = _drawn(tr, A.kind_weights())
    assert 0.7 < red / blue < 1.4


def test_the_even_mix_weighs_kinds_inside_each_folder(tmp_path):
    a = _kind_folder(tmp_path / "a", ["character"] * 4 + ["icon"] * 12)
    b = _kind_folder(tmp_path / "b", ["object"] * 4)
    tr, _, _, _ = scan([a, b], scale=32, log=lambda m: None)
    s = Sampler(tr, [], 32, "auto", np.random.default_rng(0), even_sources=True, kind_weights=A.kind_weights())
    picks = [s._pick(s.by_source[0], s._cum[0]).subject for _ in range(2000)]
    assert picks.count("character") > 1.5 * picks.count("icon")  # 4 x 3 against 12 x 0.5
    assert s._cum[1] is None


# ------------------------------------------------------------------ settings


def test_settings_parse_and_refuse_in_one_line():
    assert A.augment_settings(None) == A.OFF and A.augment_settings("off") == A.OFF
    assert A.augment_settings("studio") == A.STUDIO and A.augment_settings(True) == A.STUDIO
    assert A.augment_settings({"pencil": 0.5}) == {**A.OFF, "pencil": 0.5}
    assert A.augment_settings({"preset": "studio", "xdog": 0}) == {**A.STUDIO, "xdog": 0.0}
    assert A.augment_settings('{"cel": 1}')["cel"] == 1.0
    for bad in ({"pencils": 0.2}, {"cel": 2}, {"cel": "x"}, "lots", {"preset": "anime"}, "{bad json"):
        with pytest.raises(ValueError) as e:
            A.augment_settings(bad)
        assert "\n" not in str(e.value) and str(e.value).startswith("augment:")
    assert A.kind_weights() == A.KIND_WEIGHTS and A.kind_weights("uniform") is None
    assert A.kind_weights({"icon": 0})["icon"] == 0 and A.kind_weights({"icon": 0})["character"] == 3
    for bad in ({"icon": -1}, "heavy", {"icon": "x"}):
        with pytest.raises(ValueError):
            A.kind_weights(bad)


def test_off_by_default_and_for_fine_tunes():
    from colorpaint.training.finetune import TrainSettings, train_argv

    line, color, _ = shaded_drawing()
    assert Sampler([Still(color, line, "g")], [], 64, "auto", np.random.default_rng(0)).augment == A.OFF
    argv = train_argv("color-apply", ["d"], "r", TrainSettings())
    assert "--augment" not in argv and "--objective" not in argv and "--kind-weights" not in argv


def _train(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "colorpaint.training.cli", *map(str, args)], capture_output=True, text=True, timeout=600, env=env)


def test_cli_refuses_a_bad_setting_before_reading_data(tmp_path):
    r = _train("--model", "auto", "--data", tmp_path / "missing", "--tiny", "--steps", "1", "--out", tmp_path / "o", "--augment", "lots")
    assert r.returncode == 2 and "--augment" in r.stderr and "missing" not in r.stderr
    r = _train("--model", "auto", "--data", tmp_path / "missing", "--tiny", "--steps", "1", "--out", tmp_path / "o",
               "--objective", '{"augment": {"pencils": 1}}')
    assert r.returncode == 2 and "pencils" in r.stderr


def test_a_tiny_run_with_studio_augments_and_kind_weights(tmp_path):
    data = _kind_folder(tmp_path / "k", ["character", "icon", "scene", "object"] * 3)
    out = tmp_path / "run"
    r = _train("--model", "color-apply", "--data", data, "--tiny", "--batch", "2", "--size", "32", "--scale", "32", "--steps", "2",
               "--val-every", "2", "--val-items", "2", "--out", out, "--augment", "studio", "--kind-weights", '{"icon": 0}')
    assert r.returncode == 0, r.stderr
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["objective"]["augment"] == "studio" and cfg["objective"]["kind_weights"] == {"icon": 0}
