"""``temporal``: previous-frame-conditioned generator (thasarathan2019, section 3).

Follows the paper: a generator with two stride-2 downsamplings, 8 residual blocks with
instance normalisation and two upsamplings, conditioned on the previous colored frame (a
blank frame when there is none), trained against a 70x70 PatchGAN critic with spectral
norm that also sees the previous frame (``discriminators.py``); loss weights adv 1,
content 1, style 1000, L1 10 (``training/losses.py``).

Deviations, and why:

* A pixel-unshuffle stem first halves the resolution (so the residual blocks run at 1/8):
  the faithful generator takes ~3 s per 512² frame on a 2-core CPU, this one a fraction.
* Besides the previous frame's colors the generator also sees the artist's hints, and the
  engine can hand it the previous colors warped onto the current frame by dense optical
  flow (``warp_prev``), which keeps long shots from drifting.
* ``prev_confidence``: the previous frame's fourth channel, a plain "there is a previous
  frame" 1 in the paper's setting, then carries how far each of its pixels can be trusted
  (the forward-backward consistency of the flow that carried it, 0 where it was
  disoccluded or a hint decides): the network learns to copy where it is sure and to
  fill where it is not. Same tensors; only what the channel holds changes.
* Pretrained VGG19 weights cannot be had offline, so content and style losses use a VGG19
  state-dict the user supplies; without one, critic feature matching replaces them.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import ResBlock, conv


class TemporalGenerator(nn.Module):
    net_multiple = 32

    def __init__(self, ngf=32, n_res=8, use_hints=True, warp_prev=True, prev_confidence=False):
        super().__init__()
        self.use_hints = use_hints
        self.warp_prev = warp_prev
        self.prev_confidence = bool(prev_confidence)
        cin = (2 + 4 + (8 if use_hints else 0)) * 4
        self.enc = nn.Sequential(
            conv(cin, ngf, k=5, norm="instance"),
            conv(ngf, ngf * 2, stride=2, norm="instance"),
            conv(ngf * 2, ngf * 4, stride=2, norm="instance"),
        )
        self.res = nn.Sequential(*[ResBlock(ngf * 4, norm="instance") for _ in range(n_res)])
        self.dec = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), conv(ngf * 4, ngf * 2, norm="instance"),
            nn.Upsample(scale_factor=2, mode="nearest"), conv(ngf * 2, ngf, norm="instance"),
        )
        self.head = nn.Conv2d(ngf + 4, 3 * 4, 3, 1, 1)

    def forward(self, L, kind, hints=None, prev=None):
        if prev is None:
            prev = torch.zeros(L.shape[0], 4, *L.shape[-2:], dtype=L.dtype, device=L.device)
        parts = [L, kind.expand_as(L), prev]
        if self.use_hints:
            parts.append(hints if hints is not None else torch.zeros(L.shape[0], 8, *L.shape[-2:], dtype=L.dtype, device=L.device))
        x = F.pixel_unshuffle(torch.cat(parts, 1), 2)
        y = self.dec(self.res(self.enc(x)))
        # the previous frame's colors at half resolution let the head copy them where they fit
        y = self.head(torch.cat([y, F.avg_pool2d(prev, 2)], 1))
        return torch.tanh(F.pixel_shuffle(y, 2))


def build_temporal(**cfg):
    return TemporalGenerator(**cfg)
