import numpy as np
import pytest
import torch

from colorpaint.models import registry


@pytest.mark.parametrize("name", registry.names())
def test_every_network_runs_at_32x32(name):
    net = registry.build(name, tiny=True).eval()
    L = torch.rand(2, 1, 32, 32) * 2 - 1
    kind = torch.tensor([0.0, 1.0]).view(2, 1, 1, 1)
    hints = torch.zeros(2, 8, 32, 32)
    prev = torch.zeros(2, 4, 32, 32)
    with torch.inference_mode():
        out = net(L, kind, hints, prev)
    assert out.shape == (2, 3, 32, 32)
    assert torch.isfinite(out).all() and out.abs().max() <= 1.0


def test_unknown_model_lists_known_names():
    with pytest.raises(KeyError) as e:
        registry.spec("sepia")
    for n in ("auto", "histogram", "color-apply", "temporal"):
        assert n in str(e.value)


def test_resnet34_generator_option_for_gan_families():
    net = registry.build("histogram", {"generator": "resnet34", "width": 0.125}, tiny=True).eval()
    with torch.inference_mode():
        out = net(torch.zeros(1, 1, 64, 64), torch.zeros(1, 1, 1, 1), torch.zeros(1, 8, 64, 64), None)
    assert out.shape == (1, 3, 64, 64)


def test_histogram_user_hints_override_and_palette_restricts():
    net = registry.build("histogram", tiny=True).eval()
    L = torch.zeros(1, 1, 64, 64)
    user = torch.zeros(1, 8, 64, 64)
    user[:, :3, 10:14, 10:14] = torch.tensor([0.5, 0.3, -0.2]).view(1, 3, 1, 1)
    user[:, 3, 10:14, 10:14] = 1
    with torch.inference_mode():
        merged = net.generate_hints(L, torch.zeros(1, 1, 1, 1), user)
        assert torch.allclose(merged[:, :3, 10:14, 10:14], user[:, :3, 10:14, 10:14])
        net.allowed_bins = torch.zeros(512, dtype=torch.bool)
        net.allowed_bins[511] = True  # white only
        gen = net.generate_hints(L, torch.zeros(1, 1, 1, 1), None)
        m = gen[:, 3] > 0
        if m.any():
            white = net.bin_lab_net()[511]
            assert torch.allclose(gen[0, :3][:, m[0]].T, white.expand(int(m.sum()), 3), atol=1e-5)


def test_color_apply_hints_replace_proposals():
    net = registry.build("color-apply", tiny=True).eval()
    L = torch.zeros(1, 1, 64, 64)
    hints = torch.zeros(1, 8, 64, 64)
    hints[:, 3, 30, 30] = 1
    with torch.inference_mode():
        a = net(L, torch.zeros(1, 1, 1, 1), hints)
        hints[:, 1, 30, 30] = 0.8  # change only the hint color
        b = net(L, torch.zeros(1, 1, 1, 1), hints)
    assert not torch.allclose(a, b)


def test_auto_decodes_by_annealed_mean():
    from colorpaint.models.auto import AutoNet

    logits = torch.zeros(1, 3, 1, 1)
    logits[0, 2] = 5.0
    bins = torch.tensor([-1.0, 0.0, 1.0])
    hot = AutoNet.annealed_mean(logits, bins, 0.01)
    soft = AutoNet.annealed_mean(logits, bins, 1.0)
    assert abs(hot.item() - 1.0) < 1e-3 and soft.item() < hot.item()


def test_rebalancing_weights_favour_rare_colors():
    from colorpaint.models.auto import GRID_N, rebalance_weights

    counts = np.zeros(GRID_N * GRID_N)
    counts[11 * GRID_N + 11] = 1e6  # near-gray: common
    counts[2 * GRID_N + 18] = 10  # saturated: rare
    w = rebalance_weights(counts)
    assert w[2 * GRID_N + 18] > w[11 * GRID_N + 11]
    assert w[0] == 0  # never seen: out of gamut


@pytest.mark.parametrize("radius", [1, 12, 24])
def test_stroke_neighbourhood_is_the_full_square(radius):
    """Generated hints / proposals near a stroke are dropped within the whole square around it."""
    import torch.nn.functional as F

    from colorpaint.models.blocks import dilate_square

    g = torch.Generator().manual_seed(radius)
    m = (torch.rand(2, 1, 70, 90, generator=g) < 0.003).float()
    assert torch.equal(dilate_square(m, radius), F.max_pool2d(m, 2 * radius + 1, 1, radius))


@pytest.mark.parametrize("name", registry.names())
def test_each_family_declares_what_its_network_takes(name):
    """The spec, not string tests on inputs or attributes, says what a family takes; what
    it says matches the network it builds."""
    s = registry.spec(name)
    net = registry.build(name, tiny=True)
    assert s.size_multiple == getattr(net, "net_multiple", 32)
    assert s.palette_hook == hasattr(net, "allowed_bins")
    assert s.takes_hints == ("hints" in s.inputs) and s.takes_previous_frame == (name == "temporal")


def test_palette_bins_are_one_formula():
    from colorpaint.core.palette import bin_of, rgb_histogram_512

    rgb = np.array([[0, 0, 0], [255, 255, 255], [32, 64, 96], [31, 63, 95]], np.uint8)
    assert bin_of(rgb).tolist() == [0, 511, 1 * 64 + 2 * 8 + 3, 0 * 64 + 1 * 8 + 2]
    assert rgb_histogram_512(rgb.reshape(2, 2, 3))[[0, 511, 83, 10]].tolist() == [1, 1, 1, 1]
