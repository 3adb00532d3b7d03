"""temporal's previous frame with its confidence: in a keyed line-art shot the network is
told how far each carried pixel can be trusted (the flow's forward-backward check), in
training exactly as the shot job hands it over."""
import cv2
import numpy as np
import pytest

from colorpaint.engine.pipeline import ColorizeRequest, prepare
from colorpaint.engine.weights import load_weights, save_weights
from colorpaint.models import registry

from .helpers import drawing, write_pairs, write_sequence


def _moving_pair(shift=6):
    line, color = drawing(64, 64, seed=3)
    m = np.float32([[1, 0, shift], [0, 1, 0]])
    line2 = cv2.warpAffine(line, m, (64, 64), borderValue=255)
    return line, color, line2


def test_prepare_puts_the_confidence_in_the_fourth_channel_only_for_a_network_that_reads_it():
    line, color, line2 = _moving_pair()
    conf = np.zeros((64, 64), np.float32)
    conf[:, 32:] = 1.0
    req = ColorizeRequest(np.dstack([line2] * 3), model="temporal", prev=color, input_kind="lineart", work_size=64, prev_conf=conf)
    *_, prev_plain, _ = prepare(req, 32, "lineart")
    *_, prev_conf, _ = prepare(req, 32, "lineart", prev_confidence=True)
    assert (prev_plain[3] == 1).all()  # the bundled network: "there is a previous frame"
    assert prev_conf[3][:, :28].max() < 0.05 and prev_conf[3][:, 36:].min() > 0.95
    no_conf = ColorizeRequest(req.image, model="temporal", prev=color, input_kind="lineart", work_size=64)
    assert (prepare(no_conf, 32, "lineart", prev_confidence=True)[3][3] == 1).all()


def test_training_hands_line_art_the_carried_colors_and_their_confidence(tmp_path):
    from colorpaint.training.datasets import Sampler, Still, carried_condition, scan

    line, color, line2 = _moving_pair(shift=8)
    cond, cover = carried_condition(color, line, line2)
    assert cond.shape == (64, 64, 3) and cover.shape == (64, 64) and cover.dtype == np.float32
    assert cover[:, :6].mean() < 0.5 < cover[:, 20:50].mean()  # the band the move uncovered is not trusted
    assert (cond[line2 < 128] < 80).all()  # the current frame's lines on top, not the previous frame's

    seqroot = tmp_path / "seqs"
    for i in range(2):
        write_sequence(seqroot / f"shot{i}", n=4, size=(64, 64))
    _, _, shots, _ = scan([seqroot], scale=64, val_frac=0.0, log=lambda m: None)
    tr = [Still(f, None, "x") for f in shots[0].frames]  # no line art: synthesized
    got = Sampler(tr, shots, 64, "temporal", np.random.default_rng(4), p_gray=0.0, prev_confidence=True).batch(16)
    c = got["prev"][:, 3]
    used = c.reshape(16, -1).max(1) > 0  # half the samples have no previous frame
    assert used.any()
    assert all(0 <= c[i].min() < 0.99 and c[i].max() <= 1 for i in np.flatnonzero(used))  # values, not a flag
    plain = Sampler(tr, shots, 64, "temporal", np.random.default_rng(4), p_gray=0.0).batch(16)["prev"][:, 3]
    assert set(np.unique(plain)) <= {0.0, 1.0}


def test_fine_tuning_from_bundled_weights_can_switch_the_channel_on_but_not_change_the_shape(tmp_path):
    from colorpaint.training.loop import TrainConfig, Trainer

    init = save_weights(tmp_path / "t.safetensors", registry.build("temporal", tiny=True), {"trained": True, "version": "t"})
    data = write_pairs(tmp_path / "pairs", n=4, size=(64, 64))
    cfg = dict(model="temporal", data=[data], size=48, scale=64, batch=2, val_every=2, val_items=2, threads=1, init=str(init))
    tr = Trainer(TrainConfig(steps=2, out=str(tmp_path / "run"), net_config={"prev_confidence": True}, **cfg), emit=lambda rec: None)
    tr.fit()
    net, meta = load_weights(tmp_path / "run" / "temporal.safetensors", family="temporal")
    assert net.prev_confidence and meta["config"]["prev_confidence"] is True
    with pytest.raises(ValueError, match="changes the network's shape"):
        Trainer(TrainConfig(steps=1, out=str(tmp_path / "run2"), net_config={"ngf": 8}, **cfg), emit=lambda rec: None).fit()
