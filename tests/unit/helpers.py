"""Tiny data and tiny real weights made inside the tests."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def drawing(h=96, w=128, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """(line art HxW uint8, color HxWx3 uint8 RGB): closed shapes with flat fills."""
    rng = np.random.default_rng(seed)
    color = np.full((h, w, 3), 255, np.uint8)
    line = np.full((h, w), 255, np.uint8)
    for _ in range(4):
        c = tuple(int(v) for v in rng.integers(30, 230, 3))
        cx, cy, r = int(rng.integers(20, w - 20)), int(rng.integers(20, h - 20)), int(rng.integers(8, 20))
        cv2.circle(color, (cx, cy), r, c, -1)
        cv2.circle(line, (cx, cy), r, 0, 2)
    cv2.circle(color, (0, 0), 1, (255, 255, 255), -1)
    color[line == 0] = 0
    return line, color


def write_pairs(folder: Path, n=4, size=(96, 128)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        line, color = drawing(*size, seed=i)
        cv2.imwrite(str(folder / f"p{i:02d}_line.png"), line)
        cv2.imwrite(str(folder / f"p{i:02d}_color.png"), cv2.cvtColor(color, cv2.COLOR_RGB2BGR))
    return folder


def write_sequence(folder: Path, n=5, size=(96, 128)) -> Path:
    """A short shot: one drawing moving right by 3 px a frame (color frames only)."""
    folder.mkdir(parents=True, exist_ok=True)
    _, color = drawing(*size, seed=7)
    for t in range(n):
        m = np.float32([[1, 0, 3 * t], [0, 1, 0]])
        f = cv2.warpAffine(color, m, (size[1], size[0]), borderValue=(255, 255, 255))
        cv2.imwrite(str(folder / f"frame_{t:03d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return folder


def tiny_weights(name: str, path: Path) -> Path:
    from colorpaint.engine.weights import save_weights
    from colorpaint.models import registry

    net = registry.build(name, tiny=True)
    return save_weights(path, net, {"trained": True, "version": "test"})
