"""Draw the bundled sample shot: 4 frames of a simple cartoon cat, black lines on white.

    python resources/samples/make_sample.py      # writes resources/samples/sample_shot/frame_0001.png ...

Every shape is closed (so the fill tool and region hints have areas to work with); the
character walks right and blinks across the frames. 384x288, antialiased 3 px lines.
"""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

W, H = 384, 288
OUT = Path(__file__).resolve().parent / "sample_shot"
INK = (0, 0, 0)
T = 3  # line thickness
AA = cv2.LINE_AA


def ellipse(img, c, axes, angle=0, start=0, end=360, fill=False):
    c, axes = (int(round(c[0])), int(round(c[1]))), (int(axes[0]), int(axes[1]))
    if fill:  # paint over what is behind, then outline: parts occlude each other cleanly
        cv2.ellipse(img, c, axes, angle, start, end, (255, 255, 255), -1, AA)
    cv2.ellipse(img, c, axes, angle, start, end, INK, T, AA)


def poly(img, pts, closed=True, fill=False):
    pts = np.round(np.asarray(pts, np.float64)).astype(np.int32).reshape(-1, 1, 2)
    if fill:
        cv2.fillPoly(img, [pts], (255, 255, 255), AA)
    cv2.polylines(img, [pts], closed, INK, T, AA)


def band(curve, width):
    """A closed outline around a polyline ``curve`` (N x 2), ``width`` px wide."""
    c = np.asarray(curve, np.float64)
    d = np.gradient(c, axis=0)
    n = np.stack([-d[:, 1], d[:, 0]], 1) / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-6)
    return np.concatenate([c + n * width / 2, (c - n * width / 2)[::-1]])


def draw_frame(t: int) -> np.ndarray:
    img = np.full((H, W, 3), 255, np.uint8)
    phase = t * math.pi / 2
    dx = 8 * t  # walks right
    bob = 2 * math.sin(phase)
    # background: ground line, sun, a bush and a cloud (all closed against lines or the frame)
    cv2.line(img, (0, 250), (W, 250), INK, T, AA)
    ellipse(img, (336, 50), (26, 26))
    for cx in (34, 62, 90):
        ellipse(img, (cx, 250), (22, 24), 0, 180, 360, fill=True)
    for cx, cy, r in ((70, 52, 16), (92, 44, 20), (116, 52, 15)):
        ellipse(img, (cx, cy), (r, r), 0, 0, 360, fill=True)
    cv2.rectangle(img, (50, 61), (134, 72), (255, 255, 255), -1)  # a flat cloud base
    poly(img, [(55, 61), (130, 61)], closed=False)

    bx, by = 168 + dx, 186 + bob
    # tail (behind the body)
    k = np.linspace(0, 1, 24)
    curve = np.stack([bx - 50 - 38 * k, by - 8 - 70 * k + 16 * np.sin(k * math.pi + phase) * k], 1)
    poly(img, band(curve, 14), fill=True)
    # legs (behind the body)
    for i, lx in enumerate((bx - 36, bx - 14, bx + 14, bx + 36)):
        step = 6 * math.sin(phase + i * math.pi / 2)
        poly(img, [(lx - 8, by + 14), (lx - 8 + step, 248), (lx + 8 + step, 248), (lx + 8, by + 14)], fill=True)
    # body and belly
    ellipse(img, (bx, by), (62, 40), fill=True)
    ellipse(img, (bx + 12, by + 10), (28, 17))
    # head: ears first, then the head over them
    hx, hy = bx + 56, by - 62
    for s in (-1, 1):
        poly(img, [(hx + s * 8, hy - 30), (hx + s * 38, hy - 62), (hx + s * 42, hy - 12)], fill=True)
    ellipse(img, (hx, hy), (46, 38), fill=True)
    # eyes (closed on frame 3: a blink)
    for s in (-1, 1):
        ex, ey = hx + s * 17, hy - 6
        if t == 2:
            ellipse(img, (ex, ey), (8, 4), 0, 0, 180)
        else:
            ellipse(img, (ex, ey), (8, 11))
            cv2.circle(img, (int(ex + 2), int(ey + 3)), 4, INK, -1, AA)
    # nose, mouth, whiskers
    poly(img, [(hx - 6, hy + 10), (hx + 6, hy + 10), (hx, hy + 17)], fill=True)
    ellipse(img, (hx - 7, hy + 19), (7, 6), 0, 0, 180)
    ellipse(img, (hx + 7, hy + 19), (7, 6), 0, 0, 180)
    for s in (-1, 1):
        for dy in (-3, 5):
            cv2.line(img, (int(hx + s * 26), int(hy + 12 + dy)), (int(hx + s * 58), int(hy + 8 + 2 * dy)), INK, 2, AA)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for t in range(4):
        cv2.imwrite(str(OUT / f"frame_{t + 1:04d}.png"), cv2.cvtColor(draw_frame(t), cv2.COLOR_RGB2BGR))
    print(f"wrote 4 frames to {OUT}")


if __name__ == "__main__":
    main()
