import numpy as np
import pytest

from colorpaint.core.color import lab_to_net, lab_to_rgb, net_to_lab, parse_hex_color, rgb_to_lab
from colorpaint.core.hints import hint_inputs, hints_to_net, rasterize_strokes, resize_hints, simulate_hints, spread_hints
from colorpaint.core.lineart import detect_kind

from .helpers import drawing


def test_lab_round_trip_all_colors_on_a_grid():
    v = np.arange(0, 256, 15, dtype=np.uint8)
    rgb = np.stack(np.meshgrid(v, v, v, indexing="ij"), -1).reshape(1, -1, 3)
    back = lab_to_rgb(rgb_to_lab(rgb))
    assert np.abs(back.astype(int) - rgb).max() <= 1
    lab = rgb_to_lab(rgb)
    assert np.allclose(net_to_lab(lab_to_net(lab)), lab, atol=1e-4)
    assert np.abs(lab_to_net(lab)).max() <= 1.2


def test_hex_colors():
    assert parse_hex_color("#ff8800") == (255, 136, 0)
    assert parse_hex_color("0f8") == (0, 255, 136)
    with pytest.raises(ValueError, match="not a hex color"):
        parse_hex_color("#12345z")


def test_hint_map_parsing_marks_only_alpha_pixels():
    h = np.zeros((20, 30, 4), np.uint8)
    h[5, 7] = (255, 0, 0, 255)
    h[10:12, 20:22] = (0, 0, 255, 40)
    net = hints_to_net(h, 20, 30)
    assert net.shape == (4, 20, 30)
    assert net[3].sum() == 5
    assert net[1, 5, 7] > 0.5  # red has a large positive a
    assert net[2, 10, 20] < -0.5  # blue has a negative b


def test_hints_survive_downscaling():
    h = np.zeros((400, 400, 4), np.uint8)
    h[101, 203] = (0, 255, 0, 255)  # a single-pixel hint
    small = resize_hints(h, 100, 100)
    assert (small[..., 3] > 0).sum() >= 1
    assert tuple(small[small[..., 3] > 0][0, :3]) == (0, 255, 0)


def test_strokes_rasterize_and_erase():
    s = [{"points": [(5, 5), (30, 5)], "color": (255, 0, 0), "size": 4, "opacity": 1.0}]
    m = rasterize_strokes(s, 20, 40)
    assert m[5, 15, 3] == 255 and tuple(m[5, 15, :3]) == (255, 0, 0)
    assert m[15, 15, 3] == 0
    m2 = rasterize_strokes(s + [{"points": [(15, 5)], "color": (0, 0, 0), "size": 6, "erase": True}], 20, 40)
    assert m2[5, 15, 3] == 0 and m2[5, 28, 3] == 255


def test_simulated_hints_carry_ground_truth_colors():
    _, color = drawing()
    rng = np.random.default_rng(0)
    h = simulate_hints(color, 10, rng)
    m = h[..., 3] > 0
    assert 10 <= m.sum() <= 10 * 81
    assert simulate_hints(color, 0, rng)[..., 3].sum() == 0


def test_spread_hints_fill_the_hinted_region_only():
    line, color = drawing(seed=3)
    labels_hint = np.zeros((*line.shape, 4), np.uint8)
    labels_hint[0:3, 0:3] = (10, 200, 10, 255)  # in the background region
    net = hints_to_net(labels_hint, *line.shape)
    sp = spread_hints(line, net)
    assert sp[3].mean() > 0.3  # the background is large
    assert sp[3][line == 0].sum() == 0  # never on the lines
    assert hint_inputs(None, net)[4:].sum() == 0


def test_kind_detection():
    line, color = drawing()
    assert detect_kind(line) == "lineart"
    gray = (color.mean(2) * 0.8 + 20).astype(np.uint8)
    assert detect_kind(gray) == "gray"


def _open_box_with_red_and_blue_strokes():
    """One region (a box with no inner line): a red stroke on the left, a blue one on the right."""
    line = np.full((40, 60), 255, np.uint8)
    line[0, :] = line[-1, :] = 0
    line[:, 0] = line[:, -1] = 0
    hints = np.zeros((40, 60, 4), np.uint8)
    hints[18:22, 5:9] = (220, 20, 20, 255)
    hints[18:22, 50:54] = (20, 20, 220, 255)
    return line, hints


def test_two_strokes_in_one_open_shape_split_it_between_them():
    line, hints = _open_box_with_red_and_blue_strokes()
    sp = spread_hints(line, hints_to_net(hints, 40, 60))
    a = sp[2]  # network-scaled Lab b: red > 0, blue < 0
    assert sp[3][1:-1, 1:-1].all()
    assert a[20, 10] > 0.3 and a[20, 48] < a[20, 10] - 0.3  # each side keeps its own stroke
    assert a[5, 12] == a[20, 10] and a[35, 45] == a[20, 48]  # not mixed into one color


def test_hints_own_their_regions_split_by_nearest_stroke():
    from colorpaint.engine.pipeline import _hints_own_their_regions
    from colorpaint.core.color import rgb_to_lab

    gray, hints = _open_box_with_red_and_blue_strokes()
    lab = np.zeros((40, 60, 3), np.float32)
    lab[..., 0] = 100
    out = _hints_own_their_regions(lab, gray, hints, only_agreeing=False)
    red, blue = rgb_to_lab(np.array([[[220, 20, 20], [20, 20, 220]]], np.uint8))[0]
    assert np.allclose(out[20, 12], red, atol=0.5) and np.allclose(out[20, 45], blue, atol=0.5)


def test_agreeing_hints_own_their_region_and_disagreeing_ones_leave_it_to_the_network():
    from colorpaint.engine.pipeline import _hints_own_their_regions
    from colorpaint.core.color import rgb_to_lab

    gray = np.full((40, 80), 255, np.uint8)
    gray[0, :] = gray[-1, :] = 0
    gray[:, 0] = gray[:, -1] = gray[:, 40] = 0  # two closed boxes
    hints = np.zeros((40, 80, 4), np.uint8)
    hints[5:8, 5:8] = hints[30:33, 30:33] = (220, 20, 20, 255)  # left box: two red strokes
    hints[5:8, 45:48] = (220, 20, 20, 255)  # right box: red and blue
    hints[30:33, 70:73] = (20, 20, 220, 255)
    net = np.zeros((40, 80, 3), np.float32)
    net[..., 0] = 70.0
    out = _hints_own_their_regions(net, gray, hints)
    red = rgb_to_lab(np.array([[[220, 20, 20]]], np.uint8))[0, 0]
    assert np.allclose(out[2:38, 2:38], red, atol=0.5)  # the whole left box, flat
    assert np.allclose(out[2:38, 42:78], net[2:38, 42:78])  # the network's own split


def test_a_dab_that_crosses_a_line_does_not_outvote_a_clean_dab():
    """Two closed boxes. A red dab spills across the wall from the left box into the right
    one, where the artist also dabbed blue cleanly: the right box is blue, flat; the left
    box, whose only hint is the spilled dab, is red."""
    from colorpaint.engine.pipeline import _hints_own_their_regions
    from colorpaint.core.color import rgb_to_lab

    gray = np.full((40, 80), 255, np.uint8)
    gray[0, :] = gray[-1, :] = 0
    gray[:, 0] = gray[:, -1] = gray[:, 40] = 0
    hints = np.zeros((40, 80, 4), np.uint8)
    hints[18:23, 34:47] = (220, 20, 20, 255)  # across the wall at x = 40
    hints[28:31, 60:63] = (20, 20, 220, 255)  # clean, inside the right box
    net = np.full((40, 80, 3), 70.0, np.float32)
    out = _hints_own_their_regions(net, gray, hints)
    red, blue = rgb_to_lab(np.array([[[220, 20, 20], [20, 20, 220]]], np.uint8))[0]
    assert np.allclose(out[2:38, 42:78], blue, atol=0.5)
    assert np.allclose(out[2:38, 2:38], red, atol=0.5)


def test_hints_only_on_lines_change_nothing():
    from colorpaint.engine.pipeline import _hints_own_their_regions

    gray, _ = _open_box_with_red_and_blue_strokes()
    hints = np.zeros((40, 60, 4), np.uint8)
    hints[0, 10:20] = (220, 20, 20, 255)  # on the top line only
    lab = np.full((40, 60, 3), 50.0, np.float32)
    assert np.array_equal(_hints_own_their_regions(lab, gray, hints), lab)


def test_a_stroke_inside_an_open_shape_fills_the_shape_not_the_page():
    """A box whose outline has a 4 px gap, on a white page: a red stroke deep inside, a
    blue stroke on the page right outside the far wall. Inside pixels next to that wall are
    closer to the blue stroke in a straight line, but the blue can only reach them through
    the gap, so the whole inside stays red and the page beyond stays blue."""
    line = np.full((60, 80), 255, np.uint8)
    line[10, 10:70] = line[50, 10:70] = 0
    line[10:51, 10] = line[10:51, 69] = 0
    line[28:32, 10] = 255  # the gap, in the left wall
    hints = np.zeros((60, 80, 4), np.uint8)
    hints[28:32, 14:18] = (220, 20, 20, 255)  # red, inside near the gap
    hints[28:32, 73:77] = (20, 20, 220, 255)  # blue, on the page by the right wall
    sp = spread_hints(line, hints_to_net(hints, 60, 80))
    b = sp[2]
    assert sp[3][11:50, 11:69].all()
    inside_red = b[11:50, 11:69] > 0.3
    assert inside_red.mean() > 0.99  # the straight-line split would give blue from x≈45 on
    assert (b[:, 71:] < -0.3).all()


def test_nearest_in_region_fills_one_color_regions_and_splits_mixed_ones():
    """Three boxes: two strokes of one color, a red and a blue stroke, no stroke at all."""
    from colorpaint.core.regions import nearest_in_region

    labels = np.zeros((30, 92), np.int32)
    labels[1:29, 1:30], labels[1:29, 31:60], labels[1:29, 61:91] = 1, 2, 3
    mask = np.zeros((30, 92), bool)
    values = np.zeros((30, 92, 3), np.float32)
    for (y, x), v in {(5, 5): (1, 2, 3), (25, 25): (1, 2, 3), (15, 33): (9, 0, 0), (15, 57): (0, 0, 9)}.items():
        mask[y, x], values[y, x] = True, v
    mask[0, 70], values[0, 70] = True, (5, 5, 5)  # on a line: colors nothing
    out, covered = nearest_in_region(labels, mask, values)
    assert np.array_equal(covered, (labels == 1) | (labels == 2))
    assert (out[labels == 1] == (1, 2, 3)).all()
    assert (out[1:29, 31:44] == (9, 0, 0)).all() and (out[1:29, 47:60] == (0, 0, 9)).all()
    assert (out[~covered] == 0).all()


def test_masked_copy_matches_numpy_for_every_layout():
    from colorpaint.core.arrays import masked_copy

    rng = np.random.default_rng(3)
    mask = rng.random((37, 53)) < 0.4
    for shape, dtype in (((37, 53, 3), np.uint8), ((37, 53, 3), np.float32), ((37, 53), np.int32), ((37, 53, 6), np.float32)):
        dst = (rng.random(shape) * 200).astype(dtype)
        src = (rng.random(shape) * 200).astype(dtype)
        want = dst.copy()
        np.copyto(want, src, where=mask if len(shape) == 2 else mask[..., None])
        got = dst.copy()
        assert masked_copy(got, src, mask) is got
        assert np.array_equal(got, want)
    big = np.zeros((60, 80, 3), np.uint8)
    view = big[10:47, 20:73]  # not contiguous: still written in place
    masked_copy(view, np.full((37, 53, 3), 9, np.uint8), mask)
    assert (big[10:47, 20:73][mask] == 9).all() and (big[10:47, 20:73][~mask] == 0).all() and big[:10].sum() == 0
