"""The papers as implemented: every generator and predictor option trains, TCVC's VGG taps
and critic rate, WGAN's weight clipping, the even data mix, and camizan's missing weights."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from colorpaint.models import registry
from colorpaint.training.datasets import Sampler, scan
from colorpaint.training.losses import OBJECTIVES, paper_training_hints

from .helpers import write_pairs, write_sequence

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("papers")
    tr, _, shots, _ = scan([write_pairs(root / "p", n=3, size=(64, 64))], scale=64, log=lambda m: None)
    return tr, shots


def _two_steps(family, net_cfg, obj_cfg, data):
    torch.manual_seed(0)
    tr, shots = data
    net = registry.build(family, net_cfg, tiny=True)
    obj = OBJECTIVES[family](net, 1e-3, CPU, {"de00_weight": 0.0, **obj_cfg})
    batch = Sampler(tr, shots, 64, family, np.random.default_rng(0)).batch(2)
    before = [p.detach().clone() for p in net.parameters()]
    outs = [obj.step(batch, lambda p: None) for _ in range(2)]
    assert all(np.isfinite(list(o.values())).all() for o in outs), outs
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))  # it learned something
    with torch.inference_mode():
        y = net.eval()(torch.zeros(1, 1, 64, 64), torch.zeros(1, 1, 1, 1), torch.zeros(1, 8, 64, 64), torch.zeros(1, 4, 64, 64))
    assert y.shape == (1, 3, 64, 64) and torch.isfinite(y).all()
    return obj, outs


@pytest.mark.parametrize("generator", ["resnet34", "unet"])
def test_camizan_generators_train(generator, data):
    cfg = {"generator": generator} if generator == "resnet34" else {"generator": "unet", "widths": [8, 8, 8, 8], "blocks": 1}
    _, outs = _two_steps("camizan", cfg, {}, data)
    assert {"l1", "adv", "d"} <= set(outs[-1])


@pytest.mark.parametrize("generator", ["unet", "resnet34", "cnn"])
def test_histogram_generators_train(generator, data):
    _two_steps("histogram", {"generator": generator, "width": 0.125}, {}, data)


@pytest.mark.parametrize("predictor", ["cnn", "gan", "wgan", "wgan-gp"])
def test_histogram_predictors_train(predictor, data):
    net_cfg = {"generator": "cnn"} if predictor == "cnn" else {}
    obj, outs = _two_steps("histogram", net_cfg, {"predictor": predictor}, data)
    if predictor == "cnn":  # L2 alone, no critic
        assert obj.d is None and "l2" in outs[-1] and "adv" not in outs[-1]
    else:
        assert obj.d is not None and "adv" in outs[-1]


def test_histogram_trains_on_the_papers_blurred_hints(data):
    _two_steps("histogram", {}, {"hint_source": "blur"}, data)
    net = registry.build("histogram", tiny=True)
    target = torch.zeros(2, 3, 64, 64)
    target[:, 1] = 0.4  # a reddish image
    h = paper_training_hints(net, target)
    assert h.shape == (2, 8, 64, 64) and (h[:, 3] == 1).all() and (h[:, 4:] == 0).all()
    bins = net.bin_lab_net()
    colors = h[:, :3].permute(0, 2, 3, 1).reshape(-1, 3)
    # every hint color is a histogram bin's color; some patches are white
    assert torch.cdist(colors, bins).min(1).values.max() < 1e-5
    white = bins[511]
    assert ((colors - white).abs().max(1).values < 1e-5).any() and ((colors - white).abs().max(1).values > 0.1).any()


def test_the_cnn_has_two_residual_connections():
    from colorpaint.models.blocks import ResidualCNN

    net = ResidualCNN(10, 3, widths=(8, 16, 32, 64))
    assert net.residual_levels == {0, 1}
    assert net(torch.zeros(1, 10, 32, 32)).shape == (1, 3, 32, 32)


@pytest.mark.parametrize("family,cfg", [("histogram", {"predictor": "wgan"}), ("temporal", {"gan": "wgan"}), ("camizan", {"gan": "wgan"})])
def test_weight_clipping_keeps_the_critic_within_001(family, cfg, data):
    obj, _ = _two_steps(family, {}, cfg, data)
    assert isinstance(obj.opt_d, torch.optim.RMSprop)
    assert not any(hasattr(m, "parametrizations") for m in obj.d.modules())  # no spectral norm under clipping
    # batch norm after the inner convolutions, as the WGAN critic: clipping alone lets the scores run away
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in obj.d.modules()) == len(obj.d.blocks) - 1
    worst = max(p.detach().abs().max().item() for p in obj.d.parameters())
    assert worst <= 0.01 + 1e-9, worst
    # and the critic did train (not every weight sits at zero)
    assert worst > 0


def test_temporal_critic_learns_at_one_tenth_by_default():
    net = registry.build("temporal", tiny=True)
    obj = OBJECTIVES["temporal"](net, 2e-4, CPU, {})
    assert obj.opt.param_groups[0]["lr"] == pytest.approx(2e-4)
    assert obj.opt_d.param_groups[0]["lr"] == pytest.approx(2e-5)
    obj = OBJECTIVES["temporal"](net, 2e-4, CPU, {"d_lr_ratio": 1.0})
    assert obj.opt_d.param_groups[0]["lr"] == pytest.approx(2e-4)
    with pytest.raises(ValueError):
        OBJECTIVES["temporal"](net, 2e-4, CPU, {"d_lr_ratio": 0})


def test_temporal_critic_rate_is_kept_on_resume(tmp_path):
    from colorpaint.training.loop import TrainConfig, Trainer

    data = write_pairs(tmp_path / "pairs", n=3, size=(64, 64))
    cfg = dict(model="temporal", data=[data], out=str(tmp_path / "run"), size=32, scale=64, batch=1, val_every=100, val_items=1,
               tiny=True, threads=1, lr=1e-3, val_frac=0.0)
    Trainer(TrainConfig(steps=1, **cfg), emit=lambda rec: None).fit()
    tr = Trainer(TrainConfig(steps=2, resume=True, **cfg), emit=lambda rec: None)
    tr.fit()
    assert tr.obj.opt_d.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert tr.obj.opt.param_groups[0]["lr"] == pytest.approx(1e-3)


# ------------------------------------------------------------------ VGG19 taps
def test_vgg_taps_sit_after_the_relus():
    from colorpaint.training.vgg import TAP_NAMES, VGG19Features

    torch.manual_seed(0)
    vgg = VGG19Features(None).eval()  # random weights: nothing is downloaded
    rgb = torch.rand(1, 3, 32, 32)
    taps = vgg.rgb_taps(rgb)
    assert len(taps) == 5 and TAP_NAMES == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    # relu_k_1 by hand: the first conv of block k, after the block before (convs, ReLUs, pool)
    convs = [m for m in vgg.features if isinstance(m, torch.nn.Conv2d)]
    per_block = [2, 2, 4, 4, 1]  # conv layers of each block up to relu5_1
    x = (rgb - vgg.mean) / vgg.std
    i = 0
    for block, n in enumerate(per_block):
        if block:
            x = F.max_pool2d(x, 2)
        pre = F.conv2d(x, convs[i].weight, convs[i].bias, padding=1)
        relu = F.relu(pre)
        assert torch.allclose(taps[block], relu, atol=1e-5), TAP_NAMES[block]
        assert (pre < 0).any() and (taps[block] >= 0).all()  # not the pre-ReLU output
        x = relu
        for _ in range(n - 1):
            i += 1
            x = F.relu(F.conv2d(x, convs[i].weight, convs[i].bias, padding=1))
        i += 1


def test_vgg19_file_loads_and_a_wrong_one_is_refused_in_one_line(tmp_path):
    from colorpaint.training.cli import main
    from colorpaint.training.vgg import VGG19Error, VGG19Features, _layers, load_vgg19_state

    torch.manual_seed(1)
    sd = {f"features.{k}": v for k, v in _layers().state_dict().items()}
    sd["classifier.0.weight"] = torch.zeros(4, 4)  # torchvision files carry the classifier too
    good = tmp_path / "vgg19.pth"
    torch.save(sd, good)
    vgg = VGG19Features(str(good))
    assert torch.equal(vgg.features[0].weight, sd["features.0.weight"])
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in sd.items()}, str(tmp_path / "vgg19.safetensors"))
    assert torch.equal(load_vgg19_state(tmp_path / "vgg19.safetensors")["28.bias"], sd["features.28.bias"])
    # a VGG16 (fewer feature convs), a text file, a pickled object
    vgg16 = {k: v for k, v in sd.items() if k not in ("features.34.weight", "features.34.bias")}
    torch.save(vgg16, tmp_path / "vgg16.pth")
    (tmp_path / "notes.pth").write_text("hello")
    torch.save({"features.0.weight": object()}, tmp_path / "pickled.pth")
    for bad in ("vgg16.pth", "notes.pth", "pickled.pth", "missing.pth"):
        with pytest.raises(VGG19Error) as e:
            load_vgg19_state(tmp_path / bad)
        assert "\n" not in str(e.value) and bad in str(e.value)
    with pytest.raises(SystemExit) as e:
        main(["--model", "temporal", "--data", str(tmp_path), "--vgg19", str(tmp_path / "vgg16.pth")])
    assert e.value.code == 2


def test_temporal_trains_with_a_vgg19_file(tmp_path, data):
    from colorpaint.training.vgg import _layers

    torch.save({f"features.{k}": v for k, v in _layers().state_dict().items()}, tmp_path / "vgg19.pth")
    _, outs = _two_steps("temporal", {}, {"vgg19": str(tmp_path / "vgg19.pth")}, data)
    assert outs[-1]["style"] > 0 and outs[-1]["fm"] == 0  # VGG content/style replace feature matching


# ------------------------------------------------------------------ even mix, camizan weights
def test_even_mix_draws_each_data_folder_equally():
    from colorpaint.training.datasets import Still

    red, blue = np.zeros((48, 48, 3), np.uint8), np.zeros((48, 48, 3), np.uint8)
    red[..., 0], blue[..., 2] = 255, 255
    stills = [Still(red, None, f"c{i}", "cartoon") for i in range(9)] + [Still(blue, None, "l0", "live")]
    def live_share(even):
        s = Sampler(stills, [], 32, "camizan", np.random.default_rng(0), even_sources=even)
        t = s.batch(200)["target"]  # Lab, network scaling: blue has b < 0
        return float((t[:, 2].mean((1, 2)) < -0.2).mean())
    assert 0.4 < live_share(True) < 0.6
    assert live_share(False) < 0.2
    assert Sampler(stills, [], 32, "camizan", np.random.default_rng(0)).source_counts() == {"cartoon": 9, "live": 1}


def test_even_mix_trains_camizan(tmp_path):
    from colorpaint.training.loop import TrainConfig, Trainer

    cartoon = write_pairs(tmp_path / "cartoon", n=4, size=(64, 64))
    live = tmp_path / "live"
    write_sequence(live / "shot_a", n=8, size=(64, 64))
    logs = []
    tr = Trainer(TrainConfig(model="camizan", data=[cartoon, live], out=str(tmp_path / "run"), steps=2, size=32, scale=64, batch=2,
                             val_every=100, val_items=1, tiny=True, threads=1, mix="even", val_frac=0.0), emit=logs.append)
    tr.log = logs.append
    assert tr.fit().exists()
    assert any("even mix over" in str(m) and str(live) in str(m) for m in logs)


def test_camizan_fits_25_mb_is_bundled_and_a_family_without_weights_says_how_to_train(tmp_path, monkeypatch):
    from colorpaint.engine.session import Session
    from colorpaint.engine.weights import WeightsError

    net = registry.build("camizan")
    assert sum(p.numel() * p.element_size() for p in net.parameters()) < 25e6
    spec = registry.spec("camizan")
    assert "camizan" in registry.names() and spec.default_weights.exists()
    assert spec.default_weights.stat().st_size < 25e6
    Session(device="cpu").get("camizan")  # the bundled ResNet34-U-Net loads
    monkeypatch.setattr(registry, "RESOURCES", tmp_path)  # a family whose file is not there
    with pytest.raises(WeightsError) as e:
        Session(device="cpu").get("camizan")
    assert "no bundled weights" in str(e.value) and "colorpaint-train --model camizan" in str(e.value)
