"""VGG19 features for TCVC's content and style losses, from a state-dict the user supplies.

No pretrained weights can be downloaded, so this is used only when ``--vgg19 FILE`` names
a torchvision-layout VGG19 state-dict (.safetensors, or .pth loaded with
``weights_only=True`` so nothing arbitrary is unpickled).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
TAPS = (3, 8, 17, 26, 35)  # relu1_2, relu2_2, relu3_4, relu4_4, relu5_4


class VGG19Features(nn.Module):
    def __init__(self, path: str):
        super().__init__()
        layers, c = [], 3
        for v in CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=False)]
                c = v
        self.features = nn.Sequential(*layers)
        if str(path).endswith(".safetensors"):
            from safetensors.torch import load_file

            sd = load_file(path)
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)
        sd = {k[len("features."):]: v for k, v in sd.items() if k.startswith("features.")}
        self.features.load_state_dict(sd)
        for p in self.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def taps(self, lab_net):
        from .torch_color import lab_net_to_rgb

        x = (lab_net_to_rgb(lab_net) - self.mean) / self.std
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i + 1 in TAPS:
                out.append(x)
        return out

    @staticmethod
    def gram(f):
        b, c, h, w = f.shape
        f = f.flatten(2)
        return f @ f.transpose(1, 2) / (c * h * w)

    def content_style(self, fake, real):
        ff, rf = self.taps(fake), self.taps(real)
        content = F.l1_loss(ff[3], rf[3].detach())
        style = sum(F.l1_loss(self.gram(a), self.gram(b.detach())) for a, b in zip(ff, rf))
        return content, style
