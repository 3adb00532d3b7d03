import cv2
import numpy as np
import pytest

from colorpaint.core import palette as P


def test_histogram_512_bins():
    img = np.array([[[0, 0, 0], [255, 255, 255], [31, 32, 64], [255, 0, 0]]], np.uint8)
    h = P.rgb_histogram_512(img)
    assert h.shape == (512,) and h.dtype == np.float64 and h.sum() == 4
    assert h[0] == 1 and h[511] == 1 and h[0 * 64 + 1 * 8 + 2] == 1 and h[7 * 64] == 1
    mask = np.array([[True, False, False, False]])
    assert P.rgb_histogram_512(img, mask).sum() == 1


def test_accumulate_and_bin_colors():
    counts, sums = np.zeros(512), np.zeros((512, 3))
    P.accumulate(np.array([[[10, 20, 30], [20, 30, 0]]], np.uint8), counts, sums)
    P.accumulate(np.array([[[200, 100, 50]]], np.uint8), counts, sums)
    assert counts.sum() == 3 and counts[0] == 2
    colors = P.bin_colors(counts, sums)
    assert colors.shape == (512, 3) and colors.dtype == np.uint8
    assert tuple(colors[0]) == (15, 25, 15)
    assert tuple(colors[6 * 64 + 3 * 8 + 1]) == (200, 100, 50)
    assert tuple(colors[511]) == (240, 240, 240)  # empty bin: its centre


def test_gpl_round_trip(tmp_path):
    entries = [("Skin tone", (255, 204, 170)), ("Black", (0, 0, 0)), ("sky", (90, 160, 255))]
    path = tmp_path / "p.gpl"
    P.write_gpl(path, entries, name="Test")
    assert path.read_text().startswith("GIMP Palette\nName: Test\n")
    assert P.read_gpl(path) == entries


def test_gpl_read_gimp_style(tmp_path):
    path = tmp_path / "g.gpl"
    path.write_text("GIMP Palette\nName: Bears\nColumns: 16\n#\n# a comment\n\n"
                    "  8   8   8\tGrey 1\n 68  44  44 \n")
    assert P.read_gpl(path) == [("Grey 1", (8, 8, 8)), ("#442c2c", (68, 44, 44))]


@pytest.mark.parametrize("body, line", [
    ("GIMP Palette\n255 0 0 red\n12 x 3 bad\n", 3),
    ("GIMP Palette\nName: x\n300 0 0 too big\n", 3),
    ("GIMP Palette\n1 2\n", 2),
    ("JASC-PAL\n0100\n", 1),
])
def test_gpl_bad_content(tmp_path, body, line):
    path = tmp_path / "bad.gpl"
    path.write_text(body)
    with pytest.raises(ValueError, match=rf"bad\.gpl:{line}:"):
        P.read_gpl(path)


def test_palette_from_flat_image_is_exact():
    img = np.full((60, 60, 3), 255, np.uint8)
    img[10:50, 10:30] = (200, 30, 30)
    img[10:50, 30:50] = (30, 30, 200)
    img[25:30, 15:20] = (255, 255, 255)  # white inside the drawing: kept
    pal = P.palette_from_image(img, k=4)
    # page white dropped, and <= k distinct colours come back exactly
    assert set(pal) == {(200, 30, 30), (30, 30, 200), (255, 255, 255)}


def test_palette_from_image_kmeans_skips_background():
    rng = np.random.default_rng(0)
    img = np.full((120, 120, 3), 255, np.uint8)  # white page dominates
    cv2.circle(img, (40, 60), 30, (220, 40, 40), -1)
    cv2.circle(img, (85, 60), 25, (40, 160, 60), -1)
    cv2.circle(img, (85, 60), 8, (255, 255, 255), -1)  # genuinely used white (an eye)
    noisy = np.clip(img.astype(int) + rng.integers(-4, 5, img.shape), 0, 255).astype(np.uint8)
    pal = P.palette_from_image(noisy, k=3)
    assert len(pal) == 3
    targets = [(220, 40, 40), (40, 160, 60), (255, 255, 255)]
    for t in targets:
        assert min(np.abs(np.subtract(p, t)).max() for p in pal) <= 8, (t, pal)
    assert pal[0] == min(pal, key=lambda p: abs(p[0] - 220) + abs(p[1] - 40))  # largest first


def test_parse_palette_arg():
    assert P.parse_palette_arg("#ff0000,00ff00, f80") == [(255, 0, 0), (0, 255, 0), (255, 136, 0)]
    with pytest.raises(ValueError):
        P.parse_palette_arg("#ff0000,nothex")
    with pytest.raises(ValueError):
        P.parse_palette_arg(" , ")
