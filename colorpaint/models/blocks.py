"""Layers shared by the network families (no torchvision: every layer is written here).

All generators take ``x: Bx(C)xHxW float32`` with H and W multiples of ``net_multiple``
(the engine pipeline pads) and return a tensor at the same H and W.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin: int, cout: int, k: int = 3, stride: int = 1, norm: str = "none", act: str = "relu") -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=norm == "none")]
    if norm == "batch":
        layers.append(nn.BatchNorm2d(cout))
    elif norm == "instance":
        layers.append(nn.InstanceNorm2d(cout, affine=True))
    if act == "relu":
        layers.append(nn.ReLU(inplace=True))
    elif act == "lrelu":
        layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    """Two 3x3 convolutions with a skip (He et al.); ``norm`` as in :func:`conv`."""

    def __init__(self, ch: int, norm: str = "none"):
        super().__init__()
        self.body = nn.Sequential(conv(ch, ch, norm=norm), conv(ch, ch, norm=norm, act="none"))

    def forward(self, x):
        return F.relu(x + self.body(x))


class BasicBlock(nn.Module):
    """ResNet34's basic block, with an optional stride-2 projection."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.c1 = conv(cin, cout, stride=stride, norm="batch")
        self.c2 = conv(cout, cout, norm="batch", act="none")
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        s = x if self.proj is None else self.proj(x)
        return F.relu(self.c2(self.c1(x)) + s)


class UNet(nn.Module):
    """A compact U-Net that runs at half the working resolution.

    The stem pixel-unshuffles by 2 (HxW -> H/2xW/2, 4x channels): the cheap way to run a
    colorization net on CPU, since chroma is smooth and is restored at full resolution by
    the engine's guided upsampling. ``widths`` gives channels per level; each level halves
    the resolution again. Output: ``out_ch`` maps at the input resolution.
    """

    net_multiple = 32

    def __init__(self, in_ch: int, out_ch: int, widths=(32, 64, 128, 192), blocks: int = 2, unshuffle: int = 2):
        super().__init__()
        self.unshuffle = unshuffle
        self.stem = conv(in_ch * unshuffle * unshuffle, widths[0])
        self.enc = nn.ModuleList()
        self.down = nn.ModuleList()
        for i, w in enumerate(widths):
            self.enc.append(nn.Sequential(*[ResBlock(w) for _ in range(1 if i < len(widths) - 1 else blocks)]))
            if i < len(widths) - 1:
                self.down.append(conv(w, widths[i + 1], stride=2))
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in range(len(widths) - 1, 0, -1):
            self.up.append(conv(widths[i], widths[i - 1], k=1))
            self.dec.append(nn.Sequential(conv(2 * widths[i - 1], widths[i - 1]), ResBlock(widths[i - 1])))
        self.head = nn.Conv2d(widths[0], out_ch * unshuffle * unshuffle, 3, 1, 1)

    def features(self, x):
        x = F.pixel_unshuffle(x, self.unshuffle) if self.unshuffle > 1 else x
        x = self.stem(x)
        skips = []
        for i, enc in enumerate(self.enc):
            x = enc(x)
            if i < len(self.down):
                skips.append(x)
                x = self.down[i](x)
        for up, dec in zip(self.up, self.dec):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = dec(torch.cat([up(x), skips.pop()], 1))
        return x

    def forward(self, x):
        y = self.head(self.features(x))
        return F.pixel_shuffle(y, self.unshuffle) if self.unshuffle > 1 else y


class ResNet34UNet(nn.Module):
    """U-Net generator with a ResNet34 encoder (camizan), randomly initialised.

    Encoder stages follow ResNet34 ([3, 4, 6, 3] basic blocks); ``width`` scales the
    standard (64, 128, 256, 512) channels so the generator fits a CPU budget. The 7x7
    stride-2 stem and max-pool of ResNet are kept; the decoder upsamples with skip
    connections back to the input resolution.
    """

    net_multiple = 32

    def __init__(self, in_ch: int, out_ch: int, width: float = 0.5, layers=(3, 4, 6, 3)):
        super().__init__()
        ch = [max(8, int(c * width)) for c in (64, 128, 256, 512)]
        self.stem = nn.Sequential(nn.Conv2d(in_ch, ch[0], 7, 2, 3, bias=False), nn.BatchNorm2d(ch[0]), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(3, 2, 1)
        stages, cin = [], ch[0]
        for i, (c, n) in enumerate(zip(ch, layers)):
            blocks = [BasicBlock(cin, c, stride=1 if i == 0 else 2)] + [BasicBlock(c, c) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = c
        self.stages = nn.ModuleList(stages)
        self.dec = nn.ModuleList()
        for i in range(3, 0, -1):
            self.dec.append(conv(ch[i] + ch[i - 1], ch[i - 1]))
        self.dec0 = conv(ch[0] + ch[0], ch[0])  # with the stem features (1/2)
        self.head = nn.Sequential(conv(ch[0] + in_ch, ch[0] // 2 if ch[0] >= 16 else ch[0]), nn.Conv2d(ch[0] // 2 if ch[0] >= 16 else ch[0], out_ch, 3, 1, 1))

    def forward(self, x):
        s0 = self.stem(x)  # 1/2
        y = self.pool(s0)  # 1/4
        feats = []
        for st in self.stages:
            y = st(y)
            feats.append(y)  # 1/4, 1/8, 1/16, 1/32
        y = feats[3]
        for i, dec in zip((2, 1, 0), self.dec):
            y = F.interpolate(y, size=feats[i].shape[-2:], mode="nearest")
            y = dec(torch.cat([y, feats[i]], 1))
        y = F.interpolate(y, size=s0.shape[-2:], mode="nearest")
        y = self.dec0(torch.cat([y, s0], 1))
        y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(torch.cat([y, x], 1))


class ResidualCNN(nn.Module):
    """fu-wang-liu's CNN baseline (section III.C): convolution + ReLU layers down, transposed
    convolutions up (as Frans' tandem networks), with two residual connections from the
    convolution to the deconvolution layers: the two finest encoder levels are added to the
    decoder's features of the same size. ``widths`` gives channels per level (each level
    halves the resolution: 2^(levels-1) must divide the input size)."""

    net_multiple = 32

    def __init__(self, in_ch: int, out_ch: int, widths=(32, 64, 128, 192)):
        super().__init__()
        widths = tuple(widths)
        self.stem = conv(in_ch, widths[0])
        self.down = nn.ModuleList(conv(widths[i], widths[i + 1], stride=2) for i in range(len(widths) - 1))
        self.up = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose2d(widths[i], widths[i - 1], 4, 2, 1), nn.ReLU(inplace=True)) for i in range(len(widths) - 1, 0, -1))
        self.residual_levels = set(range(min(2, len(widths) - 1)))  # the two residual connections
        self.head = nn.Conv2d(widths[0], out_ch, 3, 1, 1)

    def forward(self, x):
        x = self.stem(x)
        skips = []
        for d in self.down:
            skips.append(x)
            x = d(x)
        for up in self.up:
            x = up(x)
            level = len(skips) - 1
            s = skips.pop()
            if level in self.residual_levels:
                x = x + s
        return self.head(x)


def make_generator(kind: str, in_ch: int, out_ch: int, **cfg) -> nn.Module:
    """Generator option shared by the GAN families: 'unet' (compact), 'resnet34' (camizan)
    or 'cnn' (fu-wang-liu's CNN baseline)."""
    if kind == "cnn":
        return ResidualCNN(in_ch, out_ch, widths=tuple(cfg.get("widths", (32, 64, 128, 192))))
    if kind == "unet":
        return UNet(in_ch, out_ch, widths=tuple(cfg.get("widths", (32, 64, 128, 192))), blocks=cfg.get("blocks", 2))
    if kind == "resnet34":
        return ResNet34UNet(in_ch, out_ch, width=cfg.get("width", 0.5))
    raise ValueError(f"unknown generator {kind!r}; known: unet, resnet34, cnn")


def dilate_square(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """Max over a (2r+1)² square around each pixel (same as one ``max_pool2d``, stride 1).

    Done as a row pass then a column pass: 2(2r+1) comparisons per pixel instead of (2r+1)²
    (r = 24 on 256², `histogram`'s radius: about 20x faster on a 2-core CPU)."""
    k = 2 * radius + 1
    m = F.max_pool2d(mask, (1, k), 1, (0, radius))
    return F.max_pool2d(m, (k, 1), 1, (radius, 0))
