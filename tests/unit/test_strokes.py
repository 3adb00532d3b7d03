"""The eraser removes what it covers: a hand never retraces a stroke exactly, and the
crumbs a same-size eraser leaves along the edges must not stay behind as full hints."""
import numpy as np

from colorpaint.project.strokes import Stroke, rasterize


def _path(n=40):
    t = np.linspace(0, 1, n)
    return [(30 + 240 * x, 100 + 50 * np.sin(6 * x)) for x in t]


def test_erasing_along_a_stroke_by_hand_leaves_no_hint():
    brush = Stroke("brush", tuple(_path()), (160, 40, 200), 12.0)
    rng = np.random.default_rng(0)
    # the eraser wobbles around the path the brush took, or runs beside it
    for jitter, (dx, dy) in ((1.0, (0, 0)), (2.0, (0, 0)), (1.0, (3, -2)), (0.0, (-3, 3))):
        er = Stroke("erase", tuple((x + dx + rng.normal(0, jitter), y + dy + rng.normal(0, jitter)) for x, y in _path()), size=12.0)
        assert (rasterize([brush, Stroke("erase", er.points, size=8.0)], 200, 300)[..., 3] > 0).any()  # a smaller one leaves some
        out = rasterize([brush, er], 200, 300)
        assert not (out[..., 3] > 0).any(), f"{int((out[..., 3] > 0).sum())} hint pixels left (jitter {jitter}, offset {dx, dy})"


def test_eraser_keeps_what_it_did_not_reach():
    brush = Stroke("brush", tuple(_path()), (160, 40, 200), 12.0)
    dab = Stroke("brush", ((150, 20),), (10, 200, 10), 6.0)  # another stroke, away from the eraser
    thin = Stroke("brush", ((30, 130), (270, 130)), (0, 0, 255), 2.0)  # a thin line the eraser never touches
    er = Stroke("erase", tuple(_path()[:20]), size=12.0)  # the first half of the stroke only
    full = rasterize([brush], 200, 300)[..., 3] > 0
    out = rasterize([brush, dab, thin, er], 200, 300)
    m = out[..., 3] > 0
    assert out[20, 150, 3] == 255 and tuple(out[20, 150, :3]) == (10, 200, 10)
    thin_left = rasterize([thin, er], 200, 300)[..., 3] > 0  # what the eraser's own footprint leaves of it
    assert (m & thin_left).sum() == thin_left.sum()  # another color crossing the stroke loses nothing more
    right = np.zeros_like(full)
    right[:, 175:] = True  # well past where the eraser stopped
    assert (m & full & right).sum() == (full & right).sum()
