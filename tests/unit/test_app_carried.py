"""Where a shot's colors came from, shape by shape, without a window."""
import cv2
import numpy as np

from colorpaint.app.carried import CARRIED, OWN, PARTLY, CarriedMaps, carried_overlay, shape_confidence


def drawing():
    img = np.full((120, 160), 255, np.uint8)
    cv2.rectangle(img, (10, 10), (70, 110), 0, 2)  # left shape
    cv2.rectangle(img, (90, 10), (150, 110), 0, 2)  # right shape
    return img


def test_each_shape_is_tinted_by_how_much_of_it_was_carried():
    conf = np.zeros((120, 160), np.uint8)
    conf[:, :80] = 255  # the left shape carried, the right one the network's own
    conf[60:, 80:] = 128  # ... except its lower half, half sure
    out = carried_overlay(conf, drawing())
    assert out.shape == (120, 160, 4)
    assert tuple(out[60, 40, :3]) == CARRIED
    assert tuple(out[60, 120, :3]) in (PARTLY, OWN)  # the right shape's mean is about 0.25
    assert out[10, 40, 3] == 0  # lines stay clear
    labels, mean = shape_confidence(conf, drawing())
    assert mean[labels[60, 40]] > 0.99 and 0.2 < mean[labels[60, 120]] < 0.3


def test_a_small_map_tints_the_full_size_drawing():
    big = cv2.resize(drawing(), (640, 480), interpolation=cv2.INTER_NEAREST)
    conf = np.zeros((120, 160), np.uint8)
    conf[:, :80] = 255
    out = carried_overlay(conf, big)
    assert out.shape == (480, 640, 4) and tuple(out[240, 160, :3]) == CARRIED and tuple(out[240, 480, :3]) == OWN


def test_maps_belong_to_one_result_and_stay_small():
    m = CarriedMaps(limit=2)
    m.take("a", np.ones((2000, 1000), np.float32), rev=1)
    assert m.get("a", 1).shape == (512, 256) and m.get("a", 1).max() == 255
    assert m.get("a", 2) is None  # colorized again since: stale
    m.take("a", None)  # a key: nothing carried
    assert m.get("a", 1) is None
    for k in "bcd":
        m.take(k, np.zeros((8, 8), np.float32), rev=0)
    assert m.get("b", 0) is None and m.get("d", 0) is not None  # only the latest frames are kept


def test_the_page_around_the_drawing_is_not_tinted():
    conf = np.full((120, 160), 255, np.uint8)
    out = carried_overlay(conf, drawing())
    assert out[2, 2, 3] == 0 and out[115, 80, 3] == 0 and out[60, 40, 3] > 0


def test_on_the_page_only_what_was_not_carried_shows():
    conf = np.full((120, 160), 255, np.uint8)
    conf[0:8, 0:8] = 0  # a corner of the page the network colored on its own
    out = carried_overlay(conf, drawing())
    assert tuple(out[2, 2, :3]) == OWN and out[2, 2, 3] > 0 and out[115, 80, 3] == 0
