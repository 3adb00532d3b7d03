"""The papers' own evaluation numbers, checked against values worked out by hand on 4x4 images."""
import math

import numpy as np

from colorpaint.core.metrics import ab_l2, psnr, ssim, ssim_rgb, varga_indices


def pair():
    o = np.zeros((4, 4, 3), np.uint8)
    o[...] = 100
    d = o.copy()
    d[0, 0] = (110, 100, 90)  # one pixel off: +10 in R, -10 in B
    return d, o


def test_varga_indices_by_hand():
    d, o = pair()
    v = varga_indices(d, o)
    n = 4 * 4 * 3
    assert math.isclose(v["mse"], (100 + 100) / n)
    assert math.isclose(v["psnr"], 10 * math.log10(255 ** 2 / (200 / n)))
    sum_oo = n * 100 ** 2
    sum_od = (n - 2) * 100 * 100 + 100 * 110 + 100 * 90
    sum_dd = (n - 2) * 100 ** 2 + 110 ** 2 + 90 ** 2
    assert math.isclose(v["ncc"], sum_od / sum_oo)
    assert math.isclose(v["ad"], 0.0, abs_tol=1e-12)  # +10 and -10 cancel
    assert math.isclose(v["sc"], sum_oo / sum_dd)
    assert v["md"] == 10
    assert math.isclose(v["nae"], 20 / (n * 100))


def test_identical_images_score_best():
    _, o = pair()
    v = varga_indices(o, o)
    assert v["mse"] == 0 and v["ncc"] == 1 and v["sc"] == 1 and v["md"] == 0 and v["nae"] == 0
    assert ab_l2(o, o) == 0 and ssim_rgb(o, o) > 0.9999


def test_ab_l2_is_the_squared_chroma_distance():
    gray = np.full((4, 4, 3), 128, np.uint8)
    red = gray.copy()
    red[:2] = (200, 60, 60)
    from colorpaint.core.color import rgb_to_lab

    ab_red = rgb_to_lab(red[:1, :1])[0, 0, 1:].astype(np.float64)
    ab_gray = rgb_to_lab(gray[:1, :1])[0, 0, 1:].astype(np.float64)
    expected = 0.5 * float(np.sum((ab_red - ab_gray) ** 2))  # half the pixels red, half unchanged
    assert math.isclose(ab_l2(red, gray), expected, rel_tol=1e-4)


def test_rgb_ssim_sees_colors_that_luma_ssim_misses():
    rng = np.random.default_rng(0)
    gray = rng.integers(60, 200, (32, 32), dtype=np.uint8)
    truth = np.stack([gray, gray, gray], -1)
    # the same luma, different colors: what a colorization of grayscale input changes
    tinted = truth.astype(np.int16)
    tinted[..., 0] += 30
    tinted[..., 2] -= 30 * 299 // 114 // 3
    tinted = np.clip(tinted, 0, 255).astype(np.uint8)
    assert ssim_rgb(tinted, truth) < ssim(tinted, truth)
    assert psnr(truth, truth) == 100.0
