"""Calibrated chroma: how sure each network is, and how much color it may put down.

A colorization network that cannot tell a color still predicts one, and on frames unlike
its training data those guesses (a sepia wash, red blotches) are worse than leaving the
frame gray. Here every prediction comes with a per-pixel confidence in [0, 1], and the
predicted color is moved toward "untouched" (zero chroma on grayscale input, paper white
on line art) by a scale that is a function of that confidence, fitted on the training
split (``benchmarks/calibration.py --fit``, stored in ``resources/models/calibration.json``).

Confidence, per family (the weights are not retrained, so it is read off the network as it is):

* ``auto``: the a and b class distributions: the geometric mean of their largest class
  probabilities (:meth:`~colorpaint.models.auto.AutoNet.forward_with_confidence`).
* the regressors (``histogram``, ``color-apply``, ``temporal``): test-time augmentation,
  agreement between the output for the frame and for its mirror image (flipped back):
  ``exp(-d / 10)`` with ``d`` the ab distance between the two (Lab units). A color the
  network reads off the drawing comes out the same both ways; a guess does not. The
  prediction used is the mean of the two.

Each pixel's confidence is then combined with the frame's mean confidence
(:func:`_with_image_level`). The scale table is piecewise linear in the confidence,
non-decreasing, within [0, 1], one per family and input kind; fine-tuned weights of a
family use the family's table.

Two rules read off the gray input itself come on top (:func:`calibrated_chroma`), both
fitted with the table and stored beside it:

* a frame gate: the networks only know drawings on a white page, and on film frames and
  painted 2D scenes (no page, soft shading) their colors are worse than gray however sure
  they are. A frame's score (:func:`frame_features`: its share of page-white pixels, of
  flat pixels, the network's mean confidence) below the model's threshold sends the whole
  frame's chroma to zero, with a linear ramp of ``width`` above it;
* a white guard: pixels whose lightness is near paper white carry no chroma in a drawing,
  so the scale falls linearly to zero between ``lo`` and ``hi`` (L*).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch

from ..core.color import AB_SCALE

TABLE_PATH = Path(__file__).resolve().parents[2] / "resources" / "models" / "calibration.json"
FLIP_D0 = 10.0  # Lab units of flip disagreement at which the confidence is 1/e


def _t(a, device, dtype):
    a = torch.from_numpy(np.ascontiguousarray(a))
    return (a[None] if a.ndim == 3 else a).to(device=device, dtype=dtype)


def run_with_confidence(net: torch.nn.Module, device: torch.device, L, kind, hints, prev,
                        dtype=torch.float32, raw: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The network's output (3xHxW, network scaling, as ``run_network``) and its per-pixel
    confidence (HxW float32 in [0, 1]; ``raw=False``: already combined with the frame's
    mean, :func:`_with_image_level`). Inputs as for ``pipeline.run_network``."""
    with torch.inference_mode():
        Lt = _t(L, device, dtype).contiguous(memory_format=torch.channels_last)
        k, h, p = _t(kind, device, dtype), _t(hints, device, dtype), _t(prev, device, dtype)
        if hasattr(net, "forward_with_confidence"):
            out, conf = net.forward_with_confidence(Lt, k)
            c = conf[0, 0].float().cpu().numpy()
            return out[0].float().cpu().numpy(), (c if raw else _with_image_level(c))
        flip = lambda x: torch.flip(x, dims=[3])
        both = net(torch.cat([Lt, flip(Lt)]).contiguous(memory_format=torch.channels_last), k.expand(2, -1, -1, -1),
                   torch.cat([h, flip(h)]), torch.cat([p, flip(p)]))
        o1, o2 = both[0].float(), flip(both[1:2])[0].float()
        out = (0.5 * (o1 + o2)).cpu().numpy()
        d = (torch.linalg.vector_norm(o1[1:] - o2[1:], dim=0) * AB_SCALE).cpu().numpy()
    d = cv2.blur(d, (5, 5))  # a pixel's neighbours see the same evidence
    c = np.exp(-d / FLIP_D0).astype(np.float32)
    return out, (c if raw else _with_image_level(c))


def frame_features(gray: np.ndarray, conf: np.ndarray) -> dict[str, float]:
    """What the frame gate reads: ``white``, the share of page-white pixels (gray >= 250);
    ``flat``, the share of pixels whose 3x3 neighbourhood spans at most 2 gray levels;
    ``mconf``, the network's mean confidence. ``gray``: HxW uint8 at the working size."""
    k = np.ones((3, 3), np.uint8)
    rng = cv2.dilate(gray, k).astype(np.int16) - cv2.erode(gray, k)
    return {"white": float((gray >= 250).mean()), "flat": float((rng <= 2).mean()), "mconf": float(conf.mean())}


GATE_SCORES = {  # name -> frame score from frame_features, in [0, 1]
    "white": lambda f: f["white"],
    "flat": lambda f: f["flat"],
    "mconf": lambda f: f["mconf"],
    "flat*mconf": lambda f: float(np.sqrt(f["flat"] * f["mconf"])),
    "white*mconf": lambda f: float(np.sqrt(f["white"] * f["mconf"])),
    "flat+white": lambda f: 0.5 * (f["flat"] + f["white"]),
}


def frame_gate(features: dict[str, float], gate: dict | None) -> float:
    """The frame's chroma multiplier in [0, 1] for a table entry's ``gate`` (None: 1)."""
    if not gate:
        return 1.0
    q = GATE_SCORES[gate["score"]](features)
    return float(np.clip((q - gate["threshold"]) / max(gate.get("width", 0.1), 1e-6), 0.0, 1.0))


def white_guard(L: np.ndarray, guard: dict | None) -> np.ndarray | float:
    """Per-pixel multiplier: 1 below ``guard['lo']`` (L*), 0 above ``guard['hi']``."""
    if not guard or guard["hi"] <= guard["lo"]:
        return 1.0
    return np.clip((guard["hi"] - L) / (guard["hi"] - guard["lo"]), 0.0, 1.0).astype(np.float32)


def frame_gate_of(conf: np.ndarray, gray: np.ndarray, model: str, kind: str = "gray") -> float | None:
    """The frame gate's chroma multiplier in [0, 1] for this frame (0: the frame stays gray),
    or None when the model has no table or no gate (same arguments as :func:`calibrated_chroma`)."""
    t = _tables().get(model, {}).get(kind)
    if not t or not t.get("gate"):
        return None
    return frame_gate(frame_features(gray, conf), t["gate"])


def calibrated_chroma(conf: np.ndarray, gray: np.ndarray, model: str, kind: str = "gray") -> np.ndarray | None:
    """Per-pixel chroma scale in [0, 1] (HxW float32) for a frame: ``conf`` the network's
    per-pixel confidence (:func:`run_with_confidence`), ``gray`` the input (HxW uint8) at
    the same size. None when the model has no table. The table's bins, gate and guard are
    read from ``calibration.json``."""
    t = _tables().get(model, {}).get(kind)
    if not t:
        return None
    gate = frame_gate(frame_features(gray, conf), t.get("gate"))
    if gate <= 0.0:
        return np.zeros(conf.shape, np.float32)
    s = np.interp(_with_image_level(conf), np.asarray(t["conf"], np.float32), np.asarray(t["scale"], np.float32))
    from ..core.color import luma_to_L

    return (s * gate * white_guard(luma_to_L(gray), t.get("guard"))).astype(np.float32)


def _with_image_level(conf: np.ndarray) -> np.ndarray:
    """Geometric mean of each pixel's confidence and the whole frame's mean confidence.

    A pixel's own confidence does not tell a frame like the training drawings from a frame
    unlike them (on photographic film frames and 2D cartoon scenes ``auto`` is as sure of
    single pixels as on a clip-art still, but its mean confidence over the frame is a
    quarter of a still's), and the frame's mean alone would treat a sure shape and an
    unsure one alike."""
    return np.sqrt(conf * float(conf.mean())).astype(np.float32)


@lru_cache(maxsize=1)
def _tables() -> dict:
    try:
        return json.loads(TABLE_PATH.read_text())
    except (OSError, ValueError):
        return {}


def scale_table(model: str, kind: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(confidence knots, scale at each knot) for a model and input kind, or None when the
    table has none (the prediction is then used as it is)."""
    t = _tables().get(model, {}).get(kind)
    if not t:
        return None
    return np.asarray(t["conf"], np.float32), np.asarray(t["scale"], np.float32)


def chroma_scale(conf: np.ndarray, model: str, kind: str) -> np.ndarray | None:
    """Per-pixel scale in [0, 1] for ``conf`` (any shape), or None without a table."""
    t = scale_table(model, kind)
    if t is None:
        return None
    return np.interp(conf, t[0], t[1]).astype(np.float32)


def fit_scale(conf: np.ndarray, dot: np.ndarray, sq: np.ndarray, bins: int = 10, min_count: int = 200):
    """Least-squares chroma scale per confidence bin, made non-decreasing and kept in [0, 1].

    ``conf``: N confidences; ``dot``: N values of <predicted, true> chroma (deviation from
    untouched); ``sq``: N values of |predicted|². In each bin the scale minimising the
    squared error of ``s * predicted`` against the truth is ``sum(dot) / sum(sq)``.
    Returns (knots at bin centres, scales, counts per bin)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges) - 1, 0, bins - 1)
    sd = np.bincount(idx, dot, bins)
    ss = np.bincount(idx, sq, bins)
    cnt = np.bincount(idx, minlength=bins)
    s = np.where(cnt >= min_count, sd / np.maximum(ss, 1e-9), np.nan)
    s = np.clip(s, 0.0, 1.0)
    # empty bins take their lower neighbour's value (0 below the first filled bin)
    last = 0.0
    for i in range(bins):
        if np.isnan(s[i]):
            s[i] = last
        last = s[i]
    # non-decreasing in confidence (pool adjacent violators, weighted by |pred|²)
    vals, wts, sizes = [], [], []
    for v, w in zip(s, np.maximum(ss, 1e-9)):
        vals.append(v), wts.append(w), sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            w2 = wts[-2] + wts[-1]
            v2 = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w2
            n2 = sizes[-2] + sizes[-1]
            vals[-2:], wts[-2:], sizes[-2:] = [v2], [w2], [n2]
    s = np.repeat(vals, sizes)
    centres = 0.5 * (edges[:-1] + edges[1:])
    return centres, s, cnt
