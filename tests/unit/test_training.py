"""colorpaint-train on tiny data: steps, loss decrease, resume, export, JSON progress, DDP."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from colorpaint.engine.weights import load_weights
from colorpaint.models import registry
from colorpaint.training.datasets import Sampler, Still, sample_video_frames, scan
from colorpaint.training.losses import OBJECTIVES

from .helpers import write_pairs, write_sequence

MAIN_LOSS = {"auto": "ce", "histogram": "l1", "color-apply": "applier", "temporal": "l1", "camizan": "l1"}


@pytest.mark.parametrize("name", registry.names())
def test_loss_decreases_on_a_fixed_batch(name, tmp_path):
    torch.manual_seed(0)
    tr, _, shots, _ = scan([write_pairs(tmp_path / "p", n=3, size=(64, 64))], scale=64, log=lambda m: None)
    net = registry.build(name, tiny=True)
    # the paper's loss alone (the CIEDE2000 term has its own test below)
    cfg = {"de00_weight": 0.0, **({"adv_weight": 0.0} if name in ("histogram", "temporal", "camizan") else {})}
    obj = OBJECTIVES[name](net, 3e-3, torch.device("cpu"), cfg)
    batch = Sampler(tr, shots, 64, name, np.random.default_rng(0)).batch(2)
    losses = [obj.step(batch, lambda p: None)[MAIN_LOSS[name]] for _ in range(25)]
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]), losses


def _train(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "colorpaint.training.cli", *map(str, args)], capture_output=True, text=True, timeout=600, env=env)


def test_train_resume_export_and_json_progress(tmp_path):
    data = write_pairs(tmp_path / "pairs", n=6)
    out = tmp_path / "run"
    common = ["--model", "color-apply", "--data", data, "--tiny", "--batch", "2", "--size", "64", "--scale", "96",
              "--val-every", "2", "--val-items", "2", "--out", out, "--progress", "json"]
    r = _train(*common, "--steps", "4")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    steps = [x for x in recs if x["event"] == "step"]
    assert steps and {"step", "total", "losses", "val", "eta", "sample"} <= set(steps[-1])
    assert steps[-1]["val"]["psnr"] > 0 and os.path.exists(steps[-1]["sample"])
    assert recs[-1]["event"] == "done"
    net, meta = load_weights(out / "color-apply.safetensors", family="color-apply")
    assert meta["trained"] and meta["steps"] == 4
    assert json.loads((out / "config.json").read_text())["model"] == "color-apply"
    r = _train(*common, "--steps", "6", "--resume")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert any("resumed from step 4" in x.get("message", "") for x in recs)
    assert [x["step"] for x in recs if x["event"] == "step"][0] > 4
    _, meta = load_weights(out / "color-apply.safetensors")
    assert meta["steps"] == 6
    # fine-tuning from exported weights
    r = _train("--model", "color-apply", "--data", data, "--init", out / "color-apply.safetensors", "--steps", "2", "--batch", "2",
               "--size", "64", "--scale", "96", "--out", tmp_path / "ft", "--val-every", "2", "--val-items", "2")
    assert r.returncode == 0, r.stderr
    assert load_weights(tmp_path / "ft" / "color-apply.safetensors")[1]["init"].endswith("color-apply.safetensors")


def test_bad_data_reports_json_error(tmp_path):
    r = _train("--model", "auto", "--data", tmp_path / "missing", "--tiny", "--steps", "2", "--out", tmp_path / "o", "--progress", "json")
    assert r.returncode == 1
    rec = json.loads(r.stdout.strip().splitlines()[-1])
    assert rec["event"] == "error" and "missing" in rec["message"]


def test_sequences_and_color_only_data(tmp_path):
    seqroot = tmp_path / "seqs"
    for i in range(3):
        write_sequence(seqroot / f"shot{i}", n=4, size=(64, 64))
    tr, va, shots, vshots = scan([seqroot], scale=64, val_frac=0.0, log=lambda m: None)
    assert len(shots) == 3 and all(len(s.frames) == 4 for s in shots)
    stills = [Still(f, None, "x") for f in shots[0].frames]  # no line art: synthesized
    b = Sampler(stills, shots, 64, "temporal", np.random.default_rng(1)).batch(4)
    assert b["L"].shape == (4, 1, 64, 64) and b["prev"].shape == (4, 4, 64, 64) and b["hints"].shape == (4, 8, 64, 64)


def test_video_sampling_rule():
    picks = sample_video_frames(1000, np.random.default_rng(0))
    assert len(picks) <= 50 and all(b - a >= 20 for a, b in zip(picks, picks[1:]))


def test_ddp_two_cpu_processes(tmp_path):
    data = write_pairs(tmp_path / "pairs", n=4, size=(64, 64))
    out = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "colorpaint.training.cli",
                        "--model", "auto", "--data", str(data), "--tiny", "--steps", "3", "--batch", "2", "--size", "64", "--scale", "64",
                        "--val-every", "3", "--val-items", "2", "--out", str(out), "--device", "cpu"],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert load_weights(out / "auto.safetensors")[1]["steps"] == 3


def test_torch_ciede2000_matches_the_metric_and_has_finite_gradients():
    from colorpaint.core.color import net_to_lab
    from colorpaint.core.metrics import delta_e2000 as metric
    from colorpaint.training.torch_color import delta_e2000

    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-1, 1, (2, 3, 12, 12)).astype(np.float32))
    y = torch.from_numpy(rng.uniform(-1, 1, (2, 3, 12, 12)).astype(np.float32))
    x[0, 1:, :4] = 0  # achromatic pixels
    y[0, 1:, :2] = 0  # achromatic against achromatic
    y[1, :, :3] = x[1, :, :3]  # identical pixels
    x.requires_grad_(True)
    d = delta_e2000(x, y)
    ref = metric(net_to_lab(x.detach().permute(0, 2, 3, 1).numpy()), net_to_lab(y.permute(0, 2, 3, 1).numpy()))
    assert np.abs(d.detach().numpy() - ref).max() < 0.01
    d.mean().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", registry.names())
def test_de00_term_lowers_color_difference(name, tmp_path):
    torch.manual_seed(0)
    tr, _, shots, _ = scan([write_pairs(tmp_path / "p", n=3, size=(64, 64))], scale=64, log=lambda m: None)
    net = registry.build(name, tiny=True)
    cfg = {"de00_weight": 0.5 if name != "color-apply" else 0.05}
    if name in ("histogram", "temporal", "camizan"):
        cfg["adv_weight"] = 0.0
    obj = OBJECTIVES[name](net, 3e-3, torch.device("cpu"), cfg)
    batch = Sampler(tr, shots, 64, name, np.random.default_rng(0)).batch(2)
    d = [obj.step(batch, lambda p: None)["de00"] for _ in range(25)]
    assert np.isfinite(d).all() and np.mean(d[-3:]) < 0.8 * np.mean(d[:3]), d


def test_de00_term_weighs_hinted_samples_by_de00_hinted():
    from colorpaint.training.losses import de00

    net = registry.build("histogram", tiny=True)
    obj = OBJECTIVES["histogram"](net, 1e-3, torch.device("cpu"), {"de00_hinted": 0.25})
    hints = torch.zeros(2, 8, 8, 8)
    hints[1, 3, 2, 2] = 1  # the second sample holds one hint
    w = obj.de00_weights(hints)
    assert w.tolist() == [1.0, 0.25]
    pred, target = torch.zeros(2, 3, 8, 8), torch.zeros(2, 3, 8, 8)
    pred[:, 1] = 0.3  # both samples equally wrong
    full = de00(pred, target)
    assert abs(de00(pred, target, w).item() - full.item() * (1 + 0.25) / 2) < 1e-4
    assert OBJECTIVES["histogram"](net, 1e-3, torch.device("cpu"), {"de00_hinted": 1.0}).de00_weights(hints) is None


def test_temporal_de00_term_weighs_samples_without_a_previous_frame_by_de00_noprev():
    net = registry.build("temporal", tiny=True)
    hints, prev = torch.zeros(3, 8, 8, 8), torch.zeros(3, 4, 8, 8)
    prev[1, 3] = 1.0  # the second sample carries a previous frame
    prev[2, 3, 4, 4] = 0.5  # the third one a partly trusted previous frame
    hints[2, 3, 1, 1] = 1  # and one hint
    obj = OBJECTIVES["temporal"](net, 1e-3, torch.device("cpu"), {"de00_noprev": 3.0, "de00_hinted": 0.5})
    assert obj.de00_weights_prev(hints, prev).tolist() == [3.0, 1.0, 0.5]
    plain = OBJECTIVES["temporal"](net, 1e-3, torch.device("cpu"), {})
    assert plain.de00_weights_prev(hints, prev) is None


def test_exported_weights_are_the_average_and_resume_keeps_it(tmp_path):
    from colorpaint.training.loop import Trainer, TrainConfig

    data = write_pairs(tmp_path / "pairs", n=4, size=(64, 64))
    cfg = dict(model="auto", data=[data], out=str(tmp_path / "run"), size=48, scale=64, batch=2, val_every=3, val_items=2,
               tiny=True, threads=1, lr=3e-3)
    tr = Trainer(TrainConfig(steps=6, **cfg), emit=lambda rec: None)
    tr.fit()
    exported, _ = load_weights(tmp_path / "run" / "auto.safetensors", family="auto")
    ema, raw = tr.ema.state_dict(), tr.net.state_dict()
    k = next(k for k, v in raw.items() if v.dtype.is_floating_point and v.ndim == 4)
    assert torch.allclose(exported.state_dict()[k], ema[k]) and not torch.allclose(ema[k], raw[k])
    tr2 = Trainer(TrainConfig(steps=7, resume=True, **cfg), emit=lambda rec: None)
    tr2.fit()
    assert tr2.ema_n == 7  # the average went on from the checkpoint, not from scratch


def test_resume_takes_the_new_learning_rate(tmp_path):
    from colorpaint.training.loop import Trainer, TrainConfig

    data = write_pairs(tmp_path / "pairs", n=4, size=(64, 64))
    cfg = dict(model="auto", data=[data], out=str(tmp_path / "run"), size=48, scale=64, batch=2, val_every=2, val_items=2,
               tiny=True, threads=1)
    Trainer(TrainConfig(steps=2, lr=3e-3, **cfg), emit=lambda rec: None).fit()
    tr = Trainer(TrainConfig(steps=3, lr=1e-4, resume=True, **cfg), emit=lambda rec: None)
    tr.fit()
    assert all(g["lr"] == 1e-4 for g in tr.obj.opt.param_groups)


def test_hints_in_a_crop_are_as_dense_as_on_the_whole_frame():
    from colorpaint.training.datasets import hint_count

    rng = np.random.default_rng(0)
    whole = np.mean([hint_count(rng, 1.0) for _ in range(20000)])
    quarter = np.mean([hint_count(rng, 0.25) for _ in range(20000)])
    assert 8 < whole < 16  # a frame gets a handful to a few dozen hints
    assert abs(quarter / whole - 0.25) < 0.03  # a quarter of the frame holds a quarter of them


def test_hue_jitter_turns_current_and_previous_frame_alike(tmp_path):
    from colorpaint.core.color import net_to_lab, rgb_to_lab
    from colorpaint.training.datasets import rotate_hue

    red = np.zeros((4, 4, 3), np.uint8)
    red[...] = (200, 40, 40)
    lab0, lab1 = rgb_to_lab(red)[0, 0], rgb_to_lab(rotate_hue(red, np.pi))[0, 0]
    assert abs(lab1[0] - lab0[0]) < 8  # lightness kept (up to gamut clipping)
    assert lab1[1] < 0  # red turned half way round: a green-cyan
    tr, _, shots, _ = scan([write_pairs(tmp_path / "p", n=3, size=(64, 64))], scale=64, log=lambda m: None)
    s = Sampler(tr, shots, 64, "temporal", np.random.default_rng(1), p_gray=0.0, hue_jitter=1.0, warp_prev=False)
    turned = 0
    for _ in range(12):
        it = s.item()
        if it["prev"][3].any():
            cur, prev = net_to_lab(it["target"].transpose(1, 2, 0)), net_to_lab(it["prev"][:3].transpose(1, 2, 0))
            colored = np.hypot(cur[..., 1], cur[..., 2]) > 20
            if colored.mean() > 0.03:
                # the previous frame carries the same (turned) hues as the frame to color
                hc = np.angle(np.exp(1j * np.arctan2(cur[..., 2], cur[..., 1])[colored]).mean())
                hp = np.angle(np.exp(1j * np.arctan2(prev[..., 2], prev[..., 1])[colored]).mean())
                assert abs(np.angle(np.exp(1j * (hc - hp)))) < 0.6
                turned += 1
    assert turned > 0


def test_hue_jitter_gives_the_drawings_other_hues(tmp_path):
    from colorpaint.core.color import net_to_lab, rgb_to_lab

    tr, _, shots, _ = scan([write_pairs(tmp_path / "p", n=3, size=(64, 64))], scale=64, log=lambda m: None)

    def hue_bins(lab):
        colored = np.hypot(lab[..., 1], lab[..., 2]) > 20
        return np.round(np.arctan2(lab[..., 2], lab[..., 1])[colored] / 0.25).astype(int) % 25

    original = set()
    for st in tr:
        b = hue_bins(rgb_to_lab(st.color))
        original |= set(b.tolist()) | set(((b + 1) % 25).tolist()) | set(((b - 1) % 25).tolist())

    def share_of_original_hues(jitter):
        s = Sampler(tr, shots, 64, "temporal", np.random.default_rng(2), p_gray=0.0, hue_jitter=jitter, warp_prev=False)
        shares = []
        for _ in range(16):
            b = hue_bins(net_to_lab(s.item()["target"].transpose(1, 2, 0)))
            if len(b):
                shares.append(np.isin(b, list(original)).mean())
        return np.mean(shares)

    assert share_of_original_hues(0.0) > 0.95
    assert share_of_original_hues(1.0) < 0.7
    gray = Sampler(tr, shots, 64, "temporal", np.random.default_rng(2), p_gray=1.0, hue_jitter=1.0, warp_prev=False)
    for _ in range(8):  # grayscale samples keep their hues
        b = hue_bins(net_to_lab(gray.item()["target"].transpose(1, 2, 0)))
        assert np.isin(b, list(original)).all()


@pytest.mark.parametrize("name", registry.names())
def test_each_term_reports_its_share_of_the_loss(name, tmp_path):
    """What MODELS.md's loss-share table reads: the shares add up to one, and weighing the
    CIEDE2000 term less gives it a smaller share."""
    torch.manual_seed(0)
    tr, _, shots, _ = scan([write_pairs(tmp_path / "p", n=3, size=(64, 64))], scale=64, log=lambda m: None)
    batch = Sampler(tr, shots, 64, name, np.random.default_rng(0)).batch(2)
    got = {}
    for w in (10.0, 0.1):
        torch.manual_seed(0)
        obj = OBJECTIVES[name](registry.build(name, tiny=True), 1e-12, torch.device("cpu"), {"de00_weight": w})
        out = obj.step(batch, lambda p: None)
        shares = {k: v for k, v in out.items() if k.startswith("share_")}
        assert abs(sum(shares.values()) - 1) < 1e-6, shares
        got[w] = shares["share_de00"]
    assert got[0.1] < got[10.0]
