"""``camizan``: cross-domain (cartoon / live action) GAN colorizer (camizan et al.).

Follows the paper: a U-Net generator, either plain or with a ResNet34 backbone
(``generator: resnet34``, the default, or ``unet``), trained against a discriminator with
L1 + adversarial loss (BCEWithLogits) and Adam (``training/losses.py``,
``CamizanObjective``); the paper trains three of them, on cartoon frames only, on live
action only and on an even mix (``training/camizan.sh``).

Deviations, and why:

* Random initialisation: no ImageNet-pretrained ResNet34 can be had offline.
* ``width`` scales ResNet34's (64, 128, 256, 512) channels. The full-width generator has
  23.7 M parameters (95 MB in float32); width 0.5 (the default) has 5.9 M (23.7 MB), the
  widest that keeps a weights file under 25 MB.
* It predicts Lab (network scaling, as every family) from the luminance and the input
  kind (line art or grayscale); the artist's hints and the previous frame are not inputs.
* No weights are bundled: ``colorpaint-cli models`` lists it without weights, and
  colorizing with it says to train them first (``training/camizan.sh``).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .blocks import make_generator


class CamizanNet(nn.Module):
    net_multiple = 32

    def __init__(self, generator="resnet34", width=0.5, widths=(32, 64, 128, 192), blocks=2):
        super().__init__()
        self.generator = make_generator(generator, 2, 3, width=width, widths=widths, blocks=blocks)

    def forward(self, L, kind, hints=None, prev=None):
        return torch.tanh(self.generator(torch.cat([L, kind.expand_as(L)], 1)))


def build_camizan(**cfg):
    return CamizanNet(**cfg)
