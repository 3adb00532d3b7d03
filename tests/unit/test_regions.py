import cv2
import numpy as np
import pytest

from colorpaint.core import regions as R
from colorpaint.core.color import rgb_to_lab


def _canvas(h=128, w=128):
    return np.full((h, w), 255, np.uint8)


def _n_regions(img, **kw):
    labels, n = R.segment(img, **kw)
    assert labels.dtype == np.int32 and labels.shape == img.shape[:2]
    assert set(np.unique(labels)) == set(range(n + 1))  # contiguous ids, 0 = line
    # regions reach the lines again: only real line pixels are 0
    np.testing.assert_array_equal(labels == 0, R.line_mask(img))
    return labels, n


def _multi_region_drawing(h=256, w=256, seed=3):
    """Grid of rectangles, circles and a nested shape, 2 px anti-aliased lines, white margin."""
    img = _canvas(h, w)
    rng = np.random.default_rng(seed)
    for y in range(24, h - 40, 44):
        for x in range(24, w - 40, 44):
            if rng.random() < 0.5:
                cv2.rectangle(img, (x, y), (x + 34, y + 34), 0, 2, cv2.LINE_AA)
                cv2.line(img, (x, y + 17), (x + 34, y + 17), 0, 1, cv2.LINE_AA)  # split in two
            else:
                cv2.circle(img, (x + 17, y + 17), 16, 0, 2, cv2.LINE_AA)
                cv2.circle(img, (x + 17, y + 17), 6, 0, 1, cv2.LINE_AA)
    return img


# --------------------------------------------------------------------------- line mask
def test_line_mask_gray_and_colored_lines():
    img = np.full((40, 60, 3), 255, np.uint8)
    cv2.line(img, (5, 10), (55, 10), (0, 0, 0), 2, cv2.LINE_AA)
    cv2.line(img, (5, 20), (55, 20), (255, 220, 0), 2)  # yellow: bright luma, but a coloured line
    cv2.rectangle(img, (5, 28), (55, 36), (255, 210, 210), -1)  # pastel fill: not a line
    m = R.line_mask(img)
    assert m.dtype == bool and m[10, 30] and m[20, 30]
    assert not m[32, 30] and not m[2, 2]
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    assert R.line_mask(gray)[10, 30]
    assert not R.line_mask(_canvas()).any()  # blank page: no lines


# --------------------------------------------------------------------------- segmentation
def test_closed_shapes_one_region_each():
    img = _canvas()
    cv2.circle(img, (35, 35), 20, 0, 2, cv2.LINE_AA)
    cv2.rectangle(img, (70, 15), (115, 55), 0, 1)
    labels, n = _n_regions(img)
    assert n == 3  # outside, circle, rectangle
    assert len({labels[5, 5], labels[35, 35], labels[35, 92]}) == 3


def test_nested_shapes():
    img = _canvas()
    cv2.rectangle(img, (10, 10), (117, 117), 0, 2, cv2.LINE_AA)
    cv2.circle(img, (64, 64), 30, 0, 2, cv2.LINE_AA)
    cv2.circle(img, (64, 64), 10, 0, 2, cv2.LINE_AA)
    labels, n = _n_regions(img)
    assert n == 4
    assert len({labels[3, 3], labels[20, 20], labels[64, 40], labels[64, 64]}) == 4


def test_gap_closing():
    img = _canvas(100, 100)
    cv2.rectangle(img, (20, 20), (80, 80), 0, 2, cv2.LINE_AA)
    img[14:27, 49:51] = 255  # a 2-px break in the top edge
    labels, n = _n_regions(img, gap_close=2)
    assert n == 2 and labels[50, 50] != labels[5, 5]
    assert labels[20, 49] > 0 and labels[20, 50] > 0  # the break itself belongs to a region
    labels, n = _n_regions(img, gap_close=0)
    assert n == 1 and labels[50, 50] == labels[5, 5]  # leaks without gap closing


def test_tiny_enclosed_pocket_keeps_own_region():
    img = _canvas(60, 60)
    cv2.rectangle(img, (20, 20), (24, 24), 0, 1)  # 3x3 hole, swallowed by the dilation
    labels, n = _n_regions(img, gap_close=2)
    assert n == 2 and labels[22, 22] != labels[5, 5]


# --------------------------------------------------------------------------- flat fill
def test_region_median_matches_numpy():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, (30, 40)).astype(np.int32)
    values = rng.normal(size=(30, 40, 3)).astype(np.float32)
    med, counts = R.region_median(labels, values, n=6)
    for k in range(5):
        np.testing.assert_allclose(med[k], np.median(values[labels == k], axis=0), rtol=1e-6)
        assert counts[k] == (labels == k).sum()
    assert np.isnan(med[5:]).all() and counts[5] == 0


def test_flat_fill_one_color_per_region_and_hints():
    img = _canvas()
    cv2.circle(img, (40, 40), 25, 0, 2, cv2.LINE_AA)
    cv2.rectangle(img, (75, 75), (120, 120), 0, 2)
    labels, n = R.segment(img)
    rng = np.random.default_rng(1)
    pred = rgb_to_lab(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8))
    flat = R.flat_fill(labels, pred)
    assert flat.shape == pred.shape and flat.dtype == np.float32
    for k in range(1, n + 1):
        assert len(np.unique(flat[labels == k], axis=0)) == 1
        np.testing.assert_allclose(flat[labels == k][0], np.median(pred[labels == k], axis=0), atol=1e-4)
    np.testing.assert_array_equal(flat[labels == 0], pred[labels == 0])

    hints = np.zeros((128, 128, 4), np.uint8)
    hints[38:43, 38:43] = (255, 0, 0, 255)  # red scribble inside the circle
    flat = R.flat_fill(labels, pred, hints)
    red = rgb_to_lab(np.array([[[255, 0, 0]]], np.uint8))[0, 0]
    k = labels[40, 40]
    np.testing.assert_allclose(np.unique(flat[labels == k], axis=0)[0], red, atol=1e-4)
    assert not np.allclose(flat[labels == labels[100, 100]][0], red)  # other regions untouched

    # a blue dab across the circle's outline: inside, the clean red dab still decides
    hints[8:24, 30:50] = (0, 0, 255, 255)  # crosses the circle's top edge (y = 15)
    flat = R.flat_fill(labels, pred, hints)
    np.testing.assert_allclose(np.unique(flat[labels == k], axis=0)[0], red, atol=1e-4)
    blue = rgb_to_lab(np.array([[[0, 0, 255]]], np.uint8))[0, 0]
    np.testing.assert_allclose(flat[5, 40], blue, atol=1e-4)  # outside, the page has only that dab


def test_ignore_slips_drops_a_strokes_small_part_past_an_outline_only():
    labels = np.ones((60, 120), np.int32)
    labels[:, 60:] = 2
    labels[:, 59:61] = 0  # a wall
    labels[20:30, 100:110] = 3  # a small shape inside the right one
    hints = np.zeros((60, 120, 4), np.uint8)
    hints[5:15, 10:64] = (0, 0, 255, 255)  # mostly left, slips 3 px past the wall
    hints[40:50, 40:80] = (255, 0, 0, 255)  # along the wall: half on each side
    hints[18:32, 98:112] = (0, 255, 0, 255)  # covers the small shape (and some of its surroundings)
    out = R.ignore_slips(hints, labels)
    assert (out[5:15, 10:59] == hints[5:15, 10:59]).all()
    assert (out[5:15, 61:64, 3] == 0).all()  # the slip is gone
    assert (out[40:50, 40:80] == hints[40:50, 40:80]).all()
    assert (out[18:32, 98:112] == hints[18:32, 98:112]).all()
    assert R.ignore_slips(hints[..., :] * 0, labels).sum() == 0


# --------------------------------------------------------------------------- palettes
def test_snap_to_palette_and_regions():
    palette = [(255, 0, 0), (0, 128, 0), (0, 0, 255), (255, 255, 255)]
    pal_lab = R.palette_to_lab(palette)
    rgb = np.array([[[230, 30, 20], [10, 110, 30], [240, 240, 250], [20, 20, 200]]], np.uint8)
    queries = rgb_to_lab(rgb)[0]
    assert list(R.snap_to_palette(queries, pal_lab)) == [0, 1, 3, 2]

    labels = np.array([[0, 1, 2], [2, 3, 0]], np.int32)
    table = np.vstack([[np.nan] * 3, queries[:3], queries[3:]]).astype(np.float32)  # rows 0..4
    snapped, idx = R.snap_regions(labels, table, palette)
    assert list(idx) == [-1, 0, 1, 3, -1]  # label 4 is absent from the image
    np.testing.assert_allclose(snapped[1:4], pal_lab[[0, 1, 3]])
    np.testing.assert_array_equal(snapped[4], table[4])


# --------------------------------------------------------------------------- frame matching
def test_estimate_shift():
    img = _multi_region_drawing()
    moved = cv2.warpAffine(img, np.float32([[1, 0, 7], [0, 1, -5]]), img.shape[::-1], borderValue=255)
    assert R.estimate_shift(R.line_mask(img), R.line_mask(moved)) == (7, -5)
    assert R.estimate_shift(R.line_mask(img), R.line_mask(img)) == (0, 0)


def test_match_regions_after_shift():
    img = _multi_region_drawing()
    dx, dy = 7, -5
    moved = cv2.warpAffine(img, np.float32([[1, 0, dx], [0, 1, dy]]), img.shape[::-1], borderValue=255)
    lp, n_prev = R.segment(img)
    lc, n_cur = R.segment(moved)
    assert n_prev > 30
    rng = np.random.default_rng(0)
    colors_prev = rng.uniform([0, -80, -80], [100, 80, 80], (n_prev + 1, 3)).astype(np.float32)

    colors, matched = R.match_regions(lp, colors_prev, lc)
    assert colors.shape == (n_cur + 1, 3) and matched.dtype == bool and not matched[0]

    truth = R.shift_image(lp, dx, dy)  # previous labels moved onto the current frame
    right = 0
    for k in range(1, n_cur + 1):
        src = np.bincount(truth[lc == k]).argmax()
        right += bool(matched[k]) and np.allclose(colors[k], colors_prev[src])
    assert right / n_cur >= 0.95
    assert np.isnan(colors[~matched]).all()


def test_match_regions_flags_new_regions():
    a = _canvas()
    cv2.circle(a, (40, 40), 25, 0, 2, cv2.LINE_AA)
    b = a.copy()
    cv2.rectangle(b, (80, 80), (120, 120), 0, 2)  # a new shape appears
    la, na = R.segment(a)
    lb, nb = R.segment(b)
    colors, matched = R.match_regions(la, np.zeros((na + 1, 3), np.float32), lb)
    assert matched[lb[40, 40]] and matched[lb[5, 5]]
    assert not matched[lb[100, 100]]  # small new region inside the old background: flagged


def test_segment_cached_gives_the_same_regions_and_private_copies():
    from colorpaint.core.regions import segment, segment_cached

    line = np.full((60, 80), 255, np.uint8)
    line[30, :] = 0
    a, na = segment_cached(line, gap_close=2)
    b, nb = segment_cached(line, gap_close=2)
    ref, nref = segment(line, gap_close=2)
    assert na == nb == nref == 2 and np.array_equal(a, ref) and np.array_equal(b, ref)
    a[:] = 0  # a caller scribbling on its labels does not change what the next one gets
    c, _ = segment_cached(line, gap_close=2)
    assert np.array_equal(c, ref)
    line2 = line.copy()
    line2[:, 40] = 0  # other lines: other regions
    assert segment_cached(line2, gap_close=2)[1] == 4


def test_a_stroke_traced_on_an_outline_colors_the_figure_not_the_page():
    """A short stroke lying along an outline, partly on the page: it colors the shape it
    touches, the page stays unhinted; a stroke wholly on the page still colors the page."""
    import cv2

    from colorpaint.core.regions import ignore_slips, segment

    img = np.full((200, 200), 255, np.uint8)
    cv2.circle(img, (100, 100), 60, 0, 4)
    labels, _ = segment(img)
    inside, page = labels == labels[100, 100], labels == labels[5, 5]
    for x in (40, 41, 42):  # centred on the outline, a little more on the page or in the shape
        h = np.zeros((200, 200, 4), np.uint8)
        cv2.line(h, (x, 90), (x, 110), (255, 0, 0, 255), 7)
        out = ignore_slips(h, labels)[..., 3] > 0
        assert (out & inside).any() and not (out & page).any(), x
    h = np.zeros((200, 200, 4), np.uint8)
    cv2.line(h, (20, 90), (20, 110), (255, 0, 0, 255), 7)  # on the page, off the line
    assert np.array_equal(ignore_slips(h, labels), h)


def test_outline_rule_with_more_regions_than_the_stroke_touches():
    """Regions elsewhere on the page (labels beyond those under the stroke) do not trip it."""
    import cv2

    from colorpaint.core.regions import ignore_slips, segment

    img = np.full((200, 300), 255, np.uint8)
    cv2.circle(img, (100, 100), 60, 0, 4)
    for i in range(8):
        cv2.rectangle(img, (190 + (i % 2) * 50, 10 + (i // 2) * 45), (230 + (i % 2) * 50, 45 + (i // 2) * 45), 0, 2)
    cv2.line(img, (250, 199), (299, 170), 0, 2)  # a corner cut off at the bottom: a page region found last
    labels, _ = segment(img)
    h = np.zeros((200, 300, 4), np.uint8)
    cv2.line(h, (41, 90), (41, 110), (255, 0, 0, 255), 7)
    out = ignore_slips(h, labels)[..., 3] > 0
    assert (out & (labels == labels[100, 100])).any() and not (out & (labels == labels[5, 5])).any()
