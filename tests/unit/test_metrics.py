import numpy as np
import pytest

from colorpaint.core import metrics
from colorpaint.core.color import rgb_to_lab

# Sharma, Wu & Dalal (2005), Table 1: L1 a1 b1 L2 a2 b2 dE00. Rows chosen to hit the G
# correction / rotation term (blue), achromatic hue, the mean-hue wrap-around branches and
# large differences.
SHARMA = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
]


def _img(seed=0, shape=(48, 64, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_psnr_identity_and_known_value():
    a = _img()
    assert metrics.psnr(a, a) == 100.0
    b = np.full((8, 8, 3), 100, np.uint8)
    c = b + 10  # MSE = 100 -> 10*log10(255^2/100)
    assert metrics.psnr(b, c) == pytest.approx(10 * np.log10(255.0 ** 2 / 100.0), abs=1e-9)


def test_ssim_identity_and_ordering():
    a = _img()
    assert metrics.ssim(a, a) == pytest.approx(1.0, abs=1e-9)
    rng = np.random.default_rng(1)
    small = np.clip(a + rng.normal(0, 5, a.shape), 0, 255).astype(np.uint8)
    big = np.clip(a + rng.normal(0, 40, a.shape), 0, 255).astype(np.uint8)
    assert 1.0 > metrics.ssim(a, small) > metrics.ssim(a, big)


def test_ssim_known_value_constant_images():
    # Constant images: variances are 0, so SSIM = (2*mx*my + c1) / (mx^2 + my^2 + c1).
    x, y = np.full((32, 32), 100, np.uint8), np.full((32, 32), 150, np.uint8)
    c1 = (0.01 * 255) ** 2
    assert metrics.ssim(x, y) == pytest.approx((2 * 100 * 150 + c1) / (100 ** 2 + 150 ** 2 + c1), abs=1e-9)


@pytest.mark.parametrize("row", SHARMA)
def test_delta_e2000_sharma(row):
    lab1, lab2, expected = np.array(row[:3]), np.array(row[3:6]), row[6]
    assert float(metrics.delta_e2000(lab1, lab2)) == pytest.approx(expected, abs=1e-4)
    assert float(metrics.delta_e2000(lab2, lab1)) == pytest.approx(expected, abs=1e-4)


def test_delta_e2000_vectorized_shapes():
    d = np.array(SHARMA)
    lab1 = d[:, :3].reshape(2, 4, 3)
    lab2 = d[:, 3:6].reshape(2, 4, 3)
    out = metrics.delta_e2000(lab1, lab2)
    assert out.shape == (2, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out.ravel(), d[:, 6], atol=1e-4)
    assert metrics.delta_e2000(lab1[:, :, None, :], lab2.reshape(1, 1, 8, 3)).shape == (2, 4, 8)


def test_mean_delta_e2000():
    a = _img()
    assert metrics.mean_delta_e2000(a, a) == 0.0
    b = a.copy()
    b[..., 0] = 255 - b[..., 0]
    expected = metrics.delta_e2000(rgb_to_lab(a), rgb_to_lab(b)).mean()
    assert metrics.mean_delta_e2000(a, b) == pytest.approx(float(expected), rel=1e-5) and expected > 1


def test_flicker():
    f0 = np.zeros((4, 4, 3), np.uint8)
    f1 = np.full((4, 4, 3), 10, np.uint8)
    out = [f0, f1, f0]  # changes by 10 each step
    gt = [f0, f0 + 4, f0 + 4]  # changes 4 then 0 -> mean 2
    assert metrics.mean_abs_frame_change(out) == pytest.approx(10.0)
    assert metrics.mean_abs_frame_change([f0]) == 0.0
    assert metrics.flicker(out, gt) == pytest.approx(8.0)
    with pytest.raises(ValueError):
        metrics.flicker(out, gt[:2])
