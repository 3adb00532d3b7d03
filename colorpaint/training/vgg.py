"""VGG19 features for TCVC's content and style losses, from a state-dict the user supplies.

No pretrained weights can be downloaded, so this is used only when ``--vgg19 FILE`` names
a torchvision-layout VGG19 state-dict (.safetensors, or .pth/.pt loaded with
``weights_only=True`` so nothing arbitrary is unpickled). A file of any other layout is
refused with one line.

The taps are the activations after the ReLUs ``relu1_1, relu2_1, relu3_1, relu4_1,
relu5_1`` (thasarathan2019, section 3.A), used by both the content and the style loss.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
# index in ``features`` of the ReLU modules whose outputs are tapped (torchvision numbering:
# features.0 is conv1_1, features.1 relu1_1, features.5 conv2_1, features.6 relu2_1, ...)
TAP_NAMES = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
TAPS = (1, 6, 11, 20, 29)


class VGG19Error(ValueError):
    """A --vgg19 file that is not a torchvision VGG19 state-dict (one line)."""


def _layers() -> nn.Sequential:
    layers, c = [], 3
    for v in CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=False)]
            c = v
    return nn.Sequential(*layers)


def load_vgg19_state(path) -> dict:
    """The ``features.*`` tensors of a torchvision VGG19 state-dict file, checked; raises
    :class:`VGG19Error` in one line for a missing, unreadable or differently shaped file."""
    path = Path(path)
    if not path.is_file():
        raise VGG19Error(f"{path}: --vgg19 file not found")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(path))
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        why = (str(e).splitlines() or [e.__class__.__name__])[0][:120]
        raise VGG19Error(f"{path}: cannot read it as a VGG19 state-dict (torch.save of tensors, or .safetensors): {why}") from None
    if not isinstance(sd, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in sd.items()):
        raise VGG19Error(f"{path}: not a VGG19 state-dict (expected a dict of tensors, as torchvision's vgg19().state_dict())")
    want = {f"features.{k}": v.shape for k, v in _layers().state_dict().items()}
    feats = {k: v for k, v in sd.items() if k.startswith("features.")}
    missing = [k for k in want if k not in feats]
    if missing:
        raise VGG19Error(f"{path}: not a torchvision VGG19 state-dict ({len(missing)} of its {len(want)} feature tensors missing, "
                         f"e.g. {missing[0]})")
    for k, shape in want.items():
        if tuple(feats[k].shape) != tuple(shape) or not feats[k].is_floating_point():
            raise VGG19Error(f"{path}: not a torchvision VGG19 state-dict ({k} is {tuple(feats[k].shape)}, expected {tuple(shape)})")
        if not torch.isfinite(feats[k]).all():
            raise VGG19Error(f"{path}: VGG19 tensor {k} holds NaN/inf")
    return {k[len("features."):]: feats[k].float() for k in want}


class VGG19Features(nn.Module):
    """Frozen VGG19 ``features``; ``path=None`` keeps the random initialisation (tests)."""

    def __init__(self, path: str | None = None):
        super().__init__()
        self.features = _layers()
        if path is not None:
            self.features.load_state_dict(load_vgg19_state(path))
        # only the layers up to the last tap are ever run
        self.features = self.features[: TAPS[-1] + 1]
        for p in self.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def rgb_taps(self, rgb):
        """Activations after relu1_1 .. relu5_1 of an RGB batch in [0, 1]."""
        x = (rgb - self.mean) / self.std
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in TAPS:
                out.append(x)
        return out

    def taps(self, lab_net):
        from .torch_color import lab_net_to_rgb

        return self.rgb_taps(lab_net_to_rgb(lab_net))

    @staticmethod
    def gram(f):
        b, c, h, w = f.shape
        f = f.flatten(2)
        return f @ f.transpose(1, 2) / (c * h * w)

    def content_style(self, fake, real, content_mask=None):
        """(content, style) as equations 3 and 4 of the paper: the mean over the five taps of
        the per-element L1 distance of the activations, and of their Gram matrices.
        ``content_mask`` (B,) weighs each sample's content term (the paper leaves content
        out for grayscale input, whose content already matches)."""
        ff, rf = self.taps(fake), self.taps(real)
        if content_mask is None:
            content = sum(F.l1_loss(a, b.detach()) for a, b in zip(ff, rf)) / len(ff)
        else:
            per = sum((a - b.detach()).abs().flatten(1).mean(1) for a, b in zip(ff, rf)) / len(ff)
            content = (per * content_mask).sum() / content_mask.numel()
        style = sum(F.l1_loss(self.gram(a), self.gram(b.detach())) for a, b in zip(ff, rf)) / len(ff)
        return content, style
