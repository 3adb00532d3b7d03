"""PatchGAN critics (pix2pix's 70x70 receptive field), optionally spectrally normalised."""
from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchGAN(nn.Module):
    """70x70 PatchGAN: 4x4 convs, strides 2, 2, 2, 1, 1 (n_layers=3).

    ``forward(x) -> (logits Bx1xhxw, [feature maps])``; the features serve feature matching.
    ``noise_std`` adds Gaussian noise to the input while training (fu-wang-liu).
    """

    def __init__(self, in_ch: int, ndf: int = 64, n_layers: int = 3, spectral: bool = True, noise_std: float = 0.0,
                 batch_norm: bool = False):
        super().__init__()
        sn = spectral_norm if spectral else (lambda m: m)
        chans = [in_ch] + [ndf * min(2 ** i, 8) for i in range(n_layers + 1)]
        self.blocks = nn.ModuleList()
        for i in range(n_layers + 1):
            stride = 2 if i < n_layers else 1
            # ``batch_norm``: after every convolution but the first, as the DCGAN critic of
            # Arjovsky et al.'s WGAN: with weights clipped to ±0.01 and no normalisation, each
            # 4x4 layer may still grow its input up to 0.16 x channels times, and the clipped
            # critic's scores run away
            norm = [nn.BatchNorm2d(chans[i + 1])] if batch_norm and i > 0 else []
            self.blocks.append(nn.Sequential(sn(nn.Conv2d(chans[i], chans[i + 1], 4, stride, 1)), *norm, nn.LeakyReLU(0.2, True)))
        self.out = sn(nn.Conv2d(chans[-1], 1, 4, 1, 1))
        self.noise_std = noise_std

    def forward(self, x):
        if self.training and self.noise_std > 0:
            x = x + torch.randn_like(x) * self.noise_std
        feats = []
        for b in self.blocks:
            x = b(x)
            feats.append(x)
        return self.out(x), feats
