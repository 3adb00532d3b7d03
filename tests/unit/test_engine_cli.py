"""The engine and colorpaint-cli end to end on tiny files, with weights made here."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from colorpaint import cli
from colorpaint.core.imageio import ImageError, load_image
from colorpaint.engine import jobs
from colorpaint.engine.pipeline import ColorizeRequest, colorize
from colorpaint.engine.session import Session
from colorpaint.engine.weights import WeightsError, load_weights, read_metadata

from .helpers import drawing, tiny_weights, write_pairs, write_sequence


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    d = tmp_path_factory.mktemp("w")
    return {n: tiny_weights(n, d / f"{n}.safetensors") for n in ("auto", "histogram", "color-apply", "temporal")}


@pytest.fixture
def line_png(tmp_path):
    line, _ = drawing(150, 210)
    p = tmp_path / "sketch.png"
    cv2.imwrite(str(p), line)
    return p


@pytest.mark.parametrize("model", ["auto", "histogram", "color-apply", "temporal"])
def test_colorize_keeps_size_and_lines(model, weights, line_png):
    img = load_image(line_png)
    res = jobs.run(colorize(Session("cpu"), ColorizeRequest(img, model=model, weights=str(weights[model]))))
    assert res.composite.shape == img.shape and res.composite.dtype == np.uint8
    assert res.kind == "lineart"
    # the artist's lines stay on top: every ink pixel is at least as dark as the ink
    ink = img[..., 0] < 60
    assert (res.composite[ink].max(1) <= img[ink].max(1) + 1).all()


def test_gray_input_keeps_its_lightness(weights):
    _, color = drawing(100, 100)
    gray = np.repeat(cv2.cvtColor(color, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
    gray = cv2.GaussianBlur(gray, (0, 0), 3)  # mid tones everywhere: a grayscale frame
    res = jobs.run(colorize(Session("cpu"), ColorizeRequest(gray, model="auto", weights=str(weights["auto"]))))
    assert res.kind == "gray"
    from colorpaint.core.color import rgb_to_lab

    assert np.abs(rgb_to_lab(res.composite)[..., 0] - rgb_to_lab(gray)[..., 0]).mean() < 1.5


def test_cancel_stops_a_job(weights, line_png):
    tok = jobs.CancelToken()
    tok.cancel()
    with pytest.raises(jobs.Cancelled):
        jobs.run(colorize(Session("cpu"), ColorizeRequest(load_image(line_png), model="auto", weights=str(weights["auto"])), tok))


def test_weights_errors_are_one_line(tmp_path, weights):
    with pytest.raises(WeightsError, match="not 'auto'"):
        load_weights(weights["temporal"], family="auto")
    trunc = tmp_path / "trunc.safetensors"
    trunc.write_bytes(weights["auto"].read_bytes()[:3000])
    with pytest.raises(WeightsError) as e:
        load_weights(trunc, family="auto")
    assert str(trunc) in str(e.value) and "\n" not in str(e.value)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(WeightsError):
        load_weights(junk)
    with pytest.raises(WeightsError, match="not found"):
        read_metadata(tmp_path / "missing.safetensors")


def _run_cli(*args):
    return subprocess.run([sys.executable, "-m", "colorpaint.cli", *map(str, args)], capture_output=True, text=True, timeout=300)


def test_cli_colorize_with_hints_and_bad_inputs(tmp_path, weights, line_png):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.png").write_bytes(b"")
    png = line_png.read_bytes()
    (bad / "trunc.png").write_bytes(png[: len(png) // 3])
    hints = np.zeros((150, 210, 4), np.uint8)
    hints[40:50, 40:50] = (255, 0, 0, 255)
    Image.fromarray(hints, "RGBA").save(tmp_path / "hints.png")
    out = tmp_path / "out"
    r = _run_cli("colorize", line_png, bad / "empty.png", bad / "trunc.png", tmp_path / "nope.png", "-o", out,
                 "--model", "color-apply", "--weights", weights["color-apply"], "--hints", tmp_path / "hints.png")
    assert r.returncode == 2
    errs = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(errs) == 3, r.stderr
    assert any("empty.png" in l and "empty" in l for l in errs)
    assert any("trunc.png" in l and "corrupt" in l for l in errs)
    assert any("nope.png" in l and "no such file" in l for l in errs)
    res = load_image(out / "sketch.png")
    assert res.shape == (150, 210, 3)


def test_cli_wrong_family_weights(tmp_path, weights, line_png):
    r = _run_cli("colorize", line_png, "-o", tmp_path, "--model", "auto", "--weights", weights["temporal"])
    assert r.returncode == 2 and "temporal" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", ["cmyk", "16bit", "palette_alpha"])
def test_odd_image_formats_load(tmp_path, kind, weights):
    line, color = drawing(64, 80)
    p = tmp_path / f"{kind}.png"
    if kind == "cmyk":
        p = tmp_path / "cmyk.jpg"
        Image.fromarray(color).convert("CMYK").save(p)
    elif kind == "16bit":
        Image.fromarray(line.astype(np.uint16) * 257).save(p)
    else:
        im = Image.fromarray(color).convert("P", palette=Image.ADAPTIVE, colors=8)
        im.info["transparency"] = 0
        im.save(p, transparency=0)
    img = load_image(p)
    assert img.shape == (64, 80, 3) and img.dtype == np.uint8
    if kind == "16bit":
        assert abs(int(img[..., 0].mean()) - int(line.mean())) <= 1
    assert cli.main(["colorize", str(p), "-o", str(tmp_path / "o"), "--model", "auto", "--weights", str(weights["auto"])]) == 0


def test_cli_models_lists_all(capsys, tmp_path, monkeypatch, weights):
    """Every family, and the artist's fine-tuned versions too; a family without weights says how to train them."""
    from colorpaint.engine.model_store import ENV, ModelStore
    from colorpaint.models import registry

    monkeypatch.setenv(ENV, str(tmp_path / "models"))
    ModelStore(tmp_path / "models").add_version("auto", weights["auto"], {"name": "Episode 4"})
    assert cli.main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows if not r.get("fine_tuned")] == registry.names()
    (tuned,) = [r for r in rows if r.get("fine_tuned")]
    assert tuned["name"] == "auto" and tuned["version_name"] == "Episode 4"
    assert cli.main(["models"]) == 0
    text = capsys.readouterr().out
    assert "auto: Episode 4" in text and "fine-tuned" in text
    monkeypatch.setattr(registry, "RESOURCES", tmp_path / "none")  # no bundled files at all
    assert cli.main(["models"]) == 0
    assert "train them: colorpaint-train --model camizan" in capsys.readouterr().out


def test_cli_sequence_and_evaluate(tmp_path, weights):
    seq = write_sequence(tmp_path / "shot", n=4)
    out = tmp_path / "seq_out"
    key = tmp_path / "key.png"
    cv2.imwrite(str(key), cv2.imread(str(seq / "frame_000.png")))
    assert cli.main(["sequence", str(seq), "-o", str(out), "--model", "temporal", "--weights", str(weights["temporal"]),
                     "--key", f"frame_000.png={key}"]) == 0  # a frame's file name works as well as its name
    assert sorted(p.name for p in out.iterdir()) == [f"frame_{i:03d}.png" for i in range(4)]
    assert np.array_equal(load_image(out / "frame_000.png"), load_image(key))
    pairs = write_pairs(tmp_path / "pairs", n=3)
    js = tmp_path / "e.json"
    assert cli.main(["evaluate", "--model", "color-apply", "--data", str(pairs), "--weights", str(weights["color-apply"]),
                     "--hints", "5", "--json", str(js)]) == 0
    rep = json.loads(js.read_text())["results"]
    assert rep["lineart"]["n"] == 3 and 0 < rep["lineart"]["psnr"] < 100
    for base in ("none", "mean", "region-fill"):
        assert cli.main(["evaluate", "--model", base, "--data", str(pairs), "--hints", "5"]) == 0
    assert cli.main(["evaluate", "--model", "temporal", "--data", str(tmp_path / "shot"), "--weights", str(weights["temporal"]),
                     "--json", str(js)]) == 0
    assert "flicker" in json.loads(js.read_text())["results"]["gray"]


def test_flat_mode_gives_one_color_per_region(tmp_path, weights, line_png):
    out = tmp_path / "flat"
    assert cli.main(["colorize", str(line_png), "-o", str(out), "--model", "auto", "--weights", str(weights["auto"]), "--flat",
                     "--palette", "#ff0000,#00ff00,#0000ff,#ffffff"]) == 0
    res = load_image(out / "sketch.png")
    from colorpaint.core.regions import segment

    labels, n = segment(load_image(line_png)[..., 0])
    inner = cv2.erode((labels > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    colors = {tuple(c) for c in res[inner].reshape(-1, 3)}
    assert colors <= {(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)}


def test_flat_sequence_carries_region_colors(tmp_path, weights):
    # line-art shot: the same closed shapes moving right; the key's colors must follow them
    line, color = drawing(96, 128, seed=5)
    frames, keys = [], None
    for t in range(3):
        m = np.float32([[1, 0, 2 * t], [0, 1, 0]])
        frames.append(np.repeat(cv2.warpAffine(line, m, (128, 96), borderValue=255)[..., None], 3, 2))
    key = color.copy()
    from colorpaint.engine.sequence import colorize_sequence

    base = ColorizeRequest(frames[0], model="temporal", weights=str(weights["temporal"]), input_kind="lineart", options={"flat": True})
    results, _ = jobs.run(colorize_sequence(Session("cpu"), frames, base, keys={0: key}))
    from colorpaint.core.regions import segment

    lab, n = segment(frames[2][..., 0])
    big = [k for k in range(1, n + 1) if (lab == k).sum() > 200]
    shifted = cv2.warpAffine(color, np.float32([[1, 0, 4], [0, 1, 0]]), (128, 96), borderValue=(255, 255, 255))
    right = 0
    for k in big:
        got = np.median(results[2][lab == k], axis=0)
        want = np.median(shifted[lab == k], axis=0)
        right += np.abs(got - want).max() <= 12
    assert right >= 0.8 * len(big)


def test_steady_colors_hold_still_areas_and_leave_changed_ones():
    from colorpaint.core.color import rgb_to_lab
    from colorpaint.engine.sequence import steady_colors

    rng = np.random.default_rng(0)
    frame = (rng.random((64, 64, 3)) * 60 + 100).astype(np.uint8)  # textured, so flow is sure
    cur_in = frame.copy()
    cur_in[:, 40:] = 20  # the right part of the picture changed (went dark)
    prev_out = np.zeros_like(frame)
    prev_out[:] = (200, 60, 60)  # last frame: red
    cur_out = np.zeros_like(frame)
    cur_out[:] = (60, 60, 200)  # the network now says blue
    out, = steady_colors(frame, cur_in, prev_out, 1.0, cur_out)
    lab, red, blue = rgb_to_lab(out), rgb_to_lab(prev_out), rgb_to_lab(cur_out)
    assert np.abs(lab[10:50, 5:25, 1:] - red[10:50, 5:25, 1:]).max() < 3  # still: keeps red chroma
    assert np.abs(lab[10:50, 5:25, 0] - blue[10:50, 5:25, 0]).max() < 3  # with the current lightness
    assert np.array_equal(out[10:50, 50:60], cur_out[10:50, 50:60])  # changed: the network's colors


def test_fast_guided_filter_matches_the_full_one():
    """A big frame's upscale computes the filter on a coarser grid; colors must not move.
    As in the engine: network colors at 128 px, a 1024 px frame, radius 2x the scale."""
    import cv2
    from colorpaint.engine.pipeline import guided_filter

    rng = np.random.default_rng(0)
    guide = np.full((1024, 1024), 0.95, np.float32)
    cv2.circle(guide, (500, 520), 240, 0.4, -1)
    cv2.rectangle(guide, (80, 80), (320, 280), 0.7, -1)
    small = cv2.GaussianBlur(rng.random((128, 128, 3)).astype(np.float32) * 100, (0, 0), 1.0)
    src = cv2.resize(small, (1024, 1024), interpolation=cv2.INTER_LINEAR)
    src[guide < 0.5] += 30  # a color step along the circle's edge
    exact = guided_filter(guide, src, 16, 1e-3)
    fast = guided_filter(guide, src, 16, 1e-3, subsample=4)
    assert np.abs(exact - fast).mean() < 0.5
    assert np.percentile(np.abs(exact - fast), 99) < 3.0
    assert fast[520, 500].mean() - fast[520, 800].mean() > 15  # the edge stays where the guide has it


@pytest.mark.parametrize("model", ["histogram", "color-apply"])
def test_a_stroke_in_one_shape_leaves_other_closed_shapes_alone(model):
    """With the bundled weights: one blue stroke inside the left circle. The right circle,
    which holds no stroke, keeps the colors it gets with no hints at all (the networks alone
    would tint it blue too); the stroked circle takes the stroke's color."""
    import cv2

    line = np.full((96, 160), 255, np.uint8)
    cv2.circle(line, (40, 48), 25, 0, 2)
    cv2.circle(line, (120, 48), 25, 0, 2)
    img = np.repeat(line[..., None], 3, 2)
    hints = np.zeros((96, 160, 4), np.uint8)
    hints[44:52, 36:44] = (30, 60, 220, 255)
    s = Session("cpu")
    run = lambda **kw: jobs.run(colorize(s, ColorizeRequest(img, model=model, input_kind="lineart", **kw))).color
    plain, hinted = run(), run(hints=hints)
    right = (slice(35, 62), slice(107, 134))  # inside the right circle
    assert np.array_equal(hinted[right], plain[right])
    assert np.abs(hinted[48, 40].astype(int) - (30, 60, 220)).max() <= 3
    network = run(hints=hints, options={"hint_reach": "network"})
    assert not np.array_equal(network[right], plain[right])  # the option that lets the network reach everywhere


@pytest.mark.parametrize("model", ["histogram", "color-apply"])
def test_a_stroke_that_slips_across_an_outline_does_not_color_the_shape_next_door(model):
    """With the bundled weights: two boxes side by side sharing a wall. A blue stroke fills
    much of the left box and runs 3 px past the wall into the right one. The right box keeps
    its no-hint colors; with ``ignore_slips`` off it turns blue."""
    line = np.full((96, 160), 255, np.uint8)
    cv2.rectangle(line, (4, 4), (80, 90), 0, 2)
    cv2.rectangle(line, (80, 4), (156, 90), 0, 2)
    img = np.repeat(line[..., None], 3, 2)
    hints = np.zeros((96, 160, 4), np.uint8)
    hints[40:52, 20:85] = (30, 60, 220, 255)  # the wall is x = 79..81
    s = Session("cpu")
    run = lambda **kw: jobs.run(colorize(s, ColorizeRequest(img, model=model, input_kind="lineart", **kw))).color
    plain, hinted = run(), run(hints=hints)
    right = (slice(10, 85), slice(90, 150))
    assert np.array_equal(hinted[right], plain[right])
    assert np.abs(hinted[46, 40].astype(int) - (30, 60, 220)).max() <= 3
    slipped = run(hints=hints, options={"ignore_slips": False})
    assert np.abs(slipped[20, 120].astype(int) - (30, 60, 220)).max() <= 3


def test_quick_pass_sizes():
    """Which pages get a quick first pass before the full one, and at what size: a large
    page at 512 px, a 512² frame at half its size, a small one none (its one pass is quick)."""
    from colorpaint.engine.pipeline import ColorizeRequest
    from colorpaint.engine.progressive import PREVIEW_WORK, preview_request

    def quick(h, w):
        r = preview_request(ColorizeRequest(np.full((h, w, 3), 255, np.uint8), work_size=256))
        return None if r is None else (r.image.shape[:2], r.work_size)

    assert quick(2048, 2048) == ((512, 512), PREVIEW_WORK)
    assert quick(1200, 1600) == ((384, 512), PREVIEW_WORK)
    assert quick(512, 512) == ((256, 256), PREVIEW_WORK)
    assert quick(300, 300) is None and quick(96, 128) is None
