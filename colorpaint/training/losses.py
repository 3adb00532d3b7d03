"""The losses of each paper, as one objective per family.

An objective owns the optimisers (and critic, for GAN families) and turns a batch into a
training step: ``step(batch) -> {loss name: value}``.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.color import AB_SCALE
from ..models.auto import A_BINS, B_BINS, GRID_LO, GRID_N, GRID
from ..models.discriminators import PatchGAN
from .torch_color import delta_e2000


def de00(pred, target, weight=None):
    """Mean CIEDE2000 (the evaluation metric) between Lab images in network scaling;
    ``weight`` (N,) weighs each sample of the batch (weighted mean)."""
    d = delta_e2000(pred, target)
    if weight is None:
        return d.mean()
    per = d.flatten(1).mean(1)
    return (per * weight).sum() / weight.numel()


def _t(batch, device):
    return {k: torch.from_numpy(v).to(device) for k, v in batch.items()}


# Adversarial losses: "gan" (BCE with logits), "wgan" (Arjovsky et al.: critic weights
# clipped to ±``clip`` after each of its updates, critic and generator trained 1:1, as
# fu-wang-liu III.E) and "wgan-gp" (Gulrajani et al.: gradient penalty 10 instead of clipping).
GAN_MODES = ("gan", "wgan", "wgan-gp")
WGAN_CLIP = 0.01


def _check_mode(mode: str) -> str:
    if mode not in GAN_MODES:
        raise ValueError(f"unknown adversarial loss {mode!r}; known: {', '.join(GAN_MODES)}")
    return mode


def gan_d_loss(d, real_in, fake_in, mode: str):
    real, _ = d(real_in)
    fake, _ = d(fake_in.detach())
    if mode == "wgan":
        return fake.mean() - real.mean()
    if mode == "wgan-gp":
        eps = torch.rand(real_in.shape[0], 1, 1, 1, device=real_in.device)
        mix = (eps * real_in + (1 - eps) * fake_in.detach()).requires_grad_(True)
        out, _ = d(mix)
        g = torch.autograd.grad(out.sum(), mix, create_graph=True)[0]
        gp = ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()
        return fake.mean() - real.mean() + 10 * gp
    return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def gan_g_loss(d, fake_in, real_in, mode: str, feature_match: bool = False):
    fake, ff = d(fake_in)
    adv = -fake.mean() if mode in ("wgan", "wgan-gp") else F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    fm = torch.zeros((), device=fake.device)
    if feature_match:
        with torch.no_grad():
            _, rf = d(real_in)
        fm = sum(F.l1_loss(a, b) for a, b in zip(ff, rf)) / len(ff)
    return adv, fm


def clip_weights(module: nn.Module, c: float) -> None:
    """WGAN's Lipschitz constraint: every parameter of the critic clamped to [-c, c]."""
    with torch.no_grad():
        for p in module.parameters():
            p.clamp_(-c, c)


def make_critic(in_ch: int, mode: str, cfg: dict, lr: float, device, spectral: bool, noise: float, betas=(0.5, 0.999)):
    """(critic, its optimiser) for an adversarial ``mode``. "wgan" drops spectral norm (the
    clipping bounds the critic instead), puts batch norm after its inner convolutions and
    trains it with RMSprop, as Arjovsky et al. (momentum makes the clipped critic unstable)."""
    d = PatchGAN(in_ch, ndf=cfg.get("ndf", 32), spectral=spectral and mode != "wgan", noise_std=cfg.get("d_noise", noise),
                 batch_norm=mode == "wgan").to(device)
    if mode == "wgan":
        clip_weights(d, float(cfg.get("clip", WGAN_CLIP)))
        return d, torch.optim.RMSprop(d.parameters(), lr=lr)
    return d, torch.optim.Adam(d.parameters(), lr=lr, betas=betas)


class Objective:
    uses_critic = False
    # weight of the CIEDE2000 term (cfg "de00_weight"): the metric ColorPaint is judged by.
    # Without it, the papers' losses make confident wrong hues on line art, which cost more
    # ΔE00 than leaving a fill white; per family, the weights the bundled files used.
    de00_weight = 0.0
    de00_hinted = 1.0

    def __init__(self, net, lr: float, device, cfg: dict):
        self.net, self.device, self.cfg = net, device, cfg
        self.opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999))
        self.d = None
        self.opt_d = None
        self.mode = "gan"
        # each optimiser's learning rate as a multiple of the run's --lr (kept on resume)
        self.lr_scale = {"opt": 1.0, "opt_d": 1.0}

    def step_critic(self, d_loss, sync):
        """One update of the critic; under "wgan" its weights are clipped after it."""
        self._step(d_loss, self.opt_d, list(self.d.parameters()), sync)
        if self.mode == "wgan":
            clip_weights(self.d, float(self.cfg.get("clip", WGAN_CLIP)))

    def de00_weights(self, hints):
        """Per-sample weight of the CIEDE2000 term: 1 for a sample without hints, cfg
        ``de00_hinted`` for one with hints. With no hints a muted color is the safe guess;
        with hints the colors are known, and a strong CIEDE2000 term only holds the network
        back from carrying them across the shape (the L1/L2 terms of the paper then lead)."""
        scale = float(self.cfg.get("de00_hinted", self.de00_hinted))
        if scale == 1.0:
            return None
        has = (hints[:, 3].flatten(1).amax(1) > 0).float()
        return 1.0 + (scale - 1.0) * has

    def add_de00(self, loss, out: dict, terms: dict, distances):
        """``loss`` plus the CIEDE2000 term, weighted by cfg "de00_weight" (the family's
        :attr:`de00_weight` otherwise); with a weight of 0 or less, ``loss`` as it is.
        ``distances()`` gives the term's :func:`de00` values (called only when weighted);
        their sum is weighted, ``out["de00"]`` logs their mean and ``terms["de00"]`` the
        weighted sum."""
        w_de = self.cfg.get("de00_weight", self.de00_weight)
        if not w_de > 0:
            return loss
        parts = distances()
        d = sum(parts[1:], parts[0])
        out["de00"] = d.item() / len(parts)
        terms["de00"] = w_de * d.item()
        return loss + w_de * d

    @staticmethod
    def shares(out: dict, terms: dict) -> dict:
        """Add each loss term's share of the loss to ``out`` as ``share_<name>``: its weighted
        value's magnitude over the sum of all terms' magnitudes (an adversarial term can be
        negative), so a log shows which objective drives the training."""
        mags = {k: abs(float(v)) for k, v in terms.items()}
        total = sum(mags.values()) or 1.0
        out.update({f"share_{k}": v / total for k, v in mags.items()})
        return out

    def modules(self) -> dict[str, nn.Module]:
        m = {"net": self.net}
        if self.d is not None:
            m["critic"] = self.d
        return m

    def optimizers(self) -> dict:
        o = {"opt": self.opt}
        if self.opt_d is not None:
            o["opt_d"] = self.opt_d
        return o

    def _step(self, loss, opt, params, sync):
        opt.zero_grad(set_to_none=True)
        loss.backward()
        sync(params)
        opt.step()


class AutoObjective(Objective):
    """varga2017: class-rebalanced cross entropy on a (33 bins) and b (20 bins); L1 on L;
    plus the plain (unweighted) cross entropy, see below."""

    de00_weight = 6.0

    def step(self, batch, sync):
        b = _t(batch, self.device)
        net = self.net
        Lp, la, lb = net.logits(b["L"], b["kind"])
        ab = b["target"][:, 1:] * AB_SCALE
        a_idx = torch.bucketize(ab[:, 0].contiguous(), torch.from_numpy((A_BINS[1:] + A_BINS[:-1]) / 2).to(ab))
        b_idx = torch.bucketize(ab[:, 1].contiguous(), torch.from_numpy((B_BINS[1:] + B_BINS[:-1]) / 2).to(ab))
        ij = ((ab - GRID_LO) / GRID).long().clamp(0, GRID_N - 1)
        w = net.class_weights[ij[:, 0] * GRID_N + ij[:, 1]]
        ce_a, ce_b = F.cross_entropy(la, a_idx, reduction="none"), F.cross_entropy(lb, b_idx, reduction="none")
        ce = (ce_a * w).mean() + (ce_b * w).mean()
        # Cartoon frames are mostly paper white: under rebalancing alone a white background
        # costs almost nothing and comes out tinted, so the plain cross entropy is added
        # (weight ``plain_ce``, default 1) to keep white white while rare colors stay lifted.
        plain = self.cfg.get("plain_ce", 1.0) * (ce_a.mean() + ce_b.mean())
        lineart = (b["kind"] == 0).float()
        l1 = (torch.abs(torch.tanh(Lp) - b["target"][:, :1]) * lineart).mean()
        loss = ce + plain + 10 * l1
        out = {"ce": ce.item(), "plain_ce": plain.item(), "l1_L": l1.item()}
        terms = {"ce": ce.item(), "plain_ce": plain.item(), "l1_L": 10 * l1.item()}

        def decoded():
            # CIEDE2000 of the decoded (annealed-mean) colors: where the classes are unsure,
            # a muted color is closer to the truth than a confident wrong hue
            T = net.temperature
            L_out = torch.tanh(Lp) * lineart + b["target"][:, :1] * (1 - lineart)
            lab = torch.cat([L_out, net.annealed_mean(la, net.a_bins, T), net.annealed_mean(lb, net.b_bins, T)], 1)
            return [de00(lab, b["target"])]
        loss = self.add_de00(loss, out, terms, decoded)
        self._step(loss, self.opt, list(net.parameters()), sync)
        return self.shares(out, terms)


PREDICTORS = ("cnn", "gan", "wgan", "wgan-gp")


def paper_training_hints(net, target, patches: int = 8, patch_frac: float = 1 / 16, sigma_frac: float = 1 / 32):
    """fu-wang-liu III.A's training hints: the color image blurred, small patches of it
    whited out, its colors then filled from the histogram (each pixel takes the mean color of
    its 512-bin histogram bin, the colors the hint generator proposes). ``target``: Bx3xHxW
    Lab (network scaling); returns Bx8xHxW hints as in the registry (a dense hint map: mask 1
    everywhere, no spread channels). The paper gives no blur width or patch size: σ is 1/32
    of the crop side, and 8 squares of 1/16 of the side are whited out."""
    from .torch_color import lab_net_to_rgb

    B, _, H, W = target.shape
    rgb = lab_net_to_rgb(target).clamp(0, 1)
    sigma = max(1.0, sigma_frac * min(H, W))
    r = int(3 * sigma)
    x = torch.arange(-r, r + 1, dtype=rgb.dtype, device=rgb.device)
    k = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    k = (k / k.sum()).view(1, 1, 1, -1).repeat(3, 1, 1, 1)
    rgb = F.pad(rgb, (r, r, 0, 0), mode="replicate")
    rgb = F.conv2d(rgb, k, groups=3)
    rgb = F.pad(rgb, (0, 0, r, r), mode="replicate")
    rgb = F.conv2d(rgb, k.transpose(2, 3), groups=3)
    ph, pw = max(1, round(H * patch_frac)), max(1, round(W * patch_frac))
    for i in range(B):
        for _ in range(patches):
            y0, x0 = int(torch.randint(0, max(1, H - ph + 1), ())), int(torch.randint(0, max(1, W - pw + 1), ()))
            rgb[i, :, y0:y0 + ph, x0:x0 + pw] = 1.0
    q = (rgb * 255).round().long().clamp(0, 255) >> 5
    idx = q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]
    lab = net.bin_lab_net().to(target)[idx].permute(0, 3, 1, 2)
    ones = torch.ones_like(lab[:, :1])
    return torch.cat([lab, ones, torch.zeros_like(lab), torch.zeros_like(ones)], 1)


class HistogramObjective(Objective):
    """fu-wang-liu: hint generator (cross entropy over the 512 bins) and a color predictor
    trained, as cfg "predictor" says, as the paper's three methods:

    * "gan" (default): L1 + adversarial loss, Gaussian noise on the critic's input;
    * "wgan": Wasserstein loss, critic weights clipped to ±0.01 (cfg "clip") after every
      critic update, critic and generator updated 1:1 (III.E);
    * "cnn": L2 loss alone, no critic (III.C; build the net with ``generator: cnn`` for the
      paper's CNN with two residual connections);
    * "wgan-gp": WGAN with gradient penalty instead of clipping (the paper's future work).

    cfg "hint_source": "simulated" (default: artist-like hint dabs from the ground truth) or
    "blur" (the paper's training hints, :func:`paper_training_hints`)."""

    de00_weight = 10.0

    uses_critic = True

    def __init__(self, net, lr, device, cfg):
        super().__init__(net, lr, device, cfg)
        self.predictor = cfg.get("predictor", cfg.get("gan", "gan"))
        if self.predictor not in PREDICTORS:
            raise ValueError(f"unknown histogram predictor {self.predictor!r}; known: {', '.join(PREDICTORS)}")
        self.hint_source = cfg.get("hint_source", "simulated")
        if self.hint_source not in ("simulated", "blur"):
            raise ValueError(f"unknown hint_source {self.hint_source!r}; known: simulated, blur")
        if self.predictor == "cnn":
            self.uses_critic = False
        else:
            self.mode = _check_mode(self.predictor)
            self.d, self.opt_d = make_critic(2 + 3, self.mode, cfg, lr, device, spectral=self.mode != "wgan-gp", noise=0.1)
        counts = net.bin_counts.clamp(min=1)
        p = counts / counts.sum()
        w = 1.0 / (0.5 * p + 0.5 / 512)
        self.bin_w = (w / (w * p).sum()).to(device)

    def step(self, batch, sync):
        b = _t(batch, self.device)
        net = self.net
        x = torch.cat([b["L"], b["kind"].expand_as(b["L"])], 1)
        logits = net.hint_gen(x)
        rgb = torch.from_numpy(batch["rgb_small"]).to(self.device).long() if "rgb_small" in batch else None
        tgt = (rgb[:, 0] >> 5) * 64 + (rgb[:, 1] >> 5) * 8 + (rgb[:, 2] >> 5)
        ce = F.cross_entropy(logits, tgt, weight=self.bin_w)
        # the color predictor sees ground-truth hints, or (30 %) the generator's own hints
        hints = b["hints"]
        if self.hint_source == "blur":
            hints = paper_training_hints(net, b["target"])
        if np.random.random() < 0.3:
            with torch.no_grad():
                hints = net.generate_hints(b["L"], b["kind"], b["hints"] * (torch.rand(()) < 0.5).float())
        fake = net.color(b["L"], b["kind"], hints)
        out = {"hint_ce": ce.item()}
        terms = {"hint_ce": ce.item()}
        if self.predictor == "cnn":
            l2 = F.mse_loss(fake, b["target"])
            loss = ce + self.cfg.get("l2_weight", 100.0) * l2
            out["l2"] = l2.item()
            terms["l2"] = self.cfg.get("l2_weight", 100.0) * l2.item()
        else:
            cond = torch.cat([b["L"], b["kind"].expand_as(b["L"])], 1)
            real_in, fake_in = torch.cat([cond, b["target"]], 1), torch.cat([cond, fake], 1)
            adv_w = self.cfg.get("adv_weight", 1.0)
            d_loss = torch.zeros(())
            if adv_w > 0:
                d_loss = gan_d_loss(self.d, real_in, fake_in, self.mode)
                self.step_critic(d_loss, sync)
                adv, _ = gan_g_loss(self.d, fake_in, real_in, self.mode)
            else:
                adv = torch.zeros((), device=self.device)
            l1 = F.l1_loss(fake, b["target"])
            loss = ce + self.cfg.get("l1_weight", 100.0) * l1 + adv_w * adv
            out.update(l1=l1.item(), adv=adv.item(), d=d_loss.item())
            terms.update(l1=self.cfg.get("l1_weight", 100.0) * l1.item(), adv=adv_w * adv.item())
        loss = self.add_de00(loss, out, terms, lambda: [de00(fake, b["target"], self.de00_weights(b["hints"]))])
        self._step(loss, self.opt, list(net.parameters()), sync)
        return self.shares(out, terms)


class ColorApplyObjective(Objective):
    """webtoon: applier L2 on ground truth ab with dropout keep 0.01; coloring network L2
    ("color generator loss") plus the applier's L2 on its sparsified proposals ("color loss")."""

    de00_weight = 0.03

    def step(self, batch, sync):
        b = _t(batch, self.device)
        net = self.net
        L, kind, gt = b["L"], b["kind"], b["target"]
        keep = self.cfg.get("keep_prob", 0.01)
        m = (torch.rand_like(L) < keep).float()
        hm, raw, spread = b["hints"][:, 3:4], b["hints"][:, :4], b["hints"][:, 4:]
        sparse_gt = torch.cat([gt * m, m], 1)
        sparse_gt = sparse_gt * (1 - hm) + raw * hm  # artist-like patch hints too
        applied_gt = net.apply(L, kind, sparse_gt, spread)
        loss_applier = F.mse_loss(applied_gt, gt)
        prop = net.propose(L, kind)
        m2 = (torch.rand_like(L) < keep).float()
        sparse_p = torch.cat([prop * m2, m2], 1)
        sparse_p = sparse_p * (1 - hm) + raw * hm
        applied_p = net.apply(L, kind, sparse_p, spread)
        loss_gen = F.mse_loss(prop, gt)
        loss_color = F.mse_loss(applied_p, gt)
        loss = loss_applier + loss_gen + loss_color
        out = {"applier": loss_applier.item(), "coloring": loss_gen.item(), "color": loss_color.item()}
        terms = dict(out)

        def distances():
            wh = self.de00_weights(b["hints"])
            return [de00(applied_gt, gt, wh), de00(prop, gt), de00(applied_p, gt, wh)]
        loss = self.add_de00(loss, out, terms, distances)
        self._step(loss, self.opt, list(net.parameters()), sync)
        return self.shares(out, terms)


class TemporalObjective(Objective):
    """thasarathan2019: adversarial (PatchGAN conditioned on the previous frame, spectral
    norm) + content + style (VGG19 relu1_1 .. relu5_1, when a state-dict is supplied;
    content left out for grayscale samples, as the paper) + L1; weights 1, 1, 1000, 10.
    The critic learns at one tenth of the generator's rate (cfg "d_lr_ratio", default 0.1,
    as the paper). Without VGG19 weights, critic feature matching (L1 between the critic's
    features of the output and of the truth, weight ``content_weight``) stands in for the
    content loss and there is no style loss."""

    de00_weight = 8.0
    d_lr_ratio = 0.1

    uses_critic = True

    def __init__(self, net, lr, device, cfg):
        super().__init__(net, lr, device, cfg)
        self.mode = _check_mode(cfg.get("gan", "gan"))
        ratio = float(cfg.get("d_lr_ratio", self.d_lr_ratio))
        if not 0 < ratio <= 100:
            raise ValueError(f"d_lr_ratio must be above 0 and at most 100, got {ratio:g}")
        self.lr_scale["opt_d"] = ratio
        self.d, self.opt_d = make_critic(2 + 4 + 3, self.mode, cfg, lr * ratio, device, spectral=True, noise=0.0)
        self.vgg = None
        if cfg.get("vgg19"):
            from .vgg import VGG19Features

            self.vgg = VGG19Features(cfg["vgg19"]).to(device).eval()

    def step(self, batch, sync):
        b = _t(batch, self.device)
        net = self.net
        fake = net(b["L"], b["kind"], b["hints"], b["prev"])
        cond = torch.cat([b["L"], b["kind"].expand_as(b["L"]), b["prev"]], 1)
        real_in, fake_in = torch.cat([cond, b["target"]], 1), torch.cat([cond, fake], 1)
        w = self.cfg
        adv_w = w.get("adv_weight", 1.0)
        if adv_w > 0:
            d_loss = gan_d_loss(self.d, real_in, fake_in, self.mode)
            self.step_critic(d_loss, sync)
            adv, fm = gan_g_loss(self.d, fake_in, real_in, self.mode, feature_match=self.vgg is None)
        else:
            d_loss = adv = fm = torch.zeros((), device=self.device)
        l1 = F.l1_loss(fake, b["target"])
        content = style = torch.zeros((), device=self.device)
        if self.vgg is not None:
            content, style = self.vgg.content_style(fake, b["target"], content_mask=(b["kind"].flatten() == 0).float())
        loss = adv_w * adv + w.get("content_weight", 1.0) * (content + fm) + w.get("style_weight", 1000.0) * style + w.get("l1_weight", 10.0) * l1
        out = {"l1": l1.item(), "adv": adv.item(), "fm": fm.item(), "d": d_loss.item()}
        terms = {"l1": w.get("l1_weight", 10.0) * l1.item(), "adv": adv_w * adv.item(), "fm": w.get("content_weight", 1.0) * fm.item()}
        if self.vgg is not None:
            out.update(content=content.item(), style=style.item())
            terms.update(content=w.get("content_weight", 1.0) * content.item(), style=w.get("style_weight", 1000.0) * style.item())
        loss = self.add_de00(loss, out, terms, lambda: [de00(fake, b["target"], self.de00_weights_prev(b["hints"], b["prev"]))])
        self._step(loss, self.opt, list(net.parameters()), sync)
        return self.shares(out, terms)

    def de00_weights_prev(self, hints, prev):
        """:meth:`de00_weights` times cfg ``de00_noprev`` (default 1) on samples whose
        previous frame is blank (its fourth channel all 0): the first frame of a shot, which
        has nothing to carry, is where a muted color is the safe guess."""
        w = self.de00_weights(hints)
        scale = float(self.cfg.get("de00_noprev", 1.0))
        if scale == 1.0:
            return w
        blank = (prev[:, 3].flatten(1).amax(1) <= 0).float()
        return (torch.ones_like(blank) if w is None else w) * (1.0 + (scale - 1.0) * blank)


class CamizanObjective(Objective):
    """camizan: L1 + adversarial loss (BCEWithLogits) against a PatchGAN conditioned on the
    input, Adam for both. The paper gives no loss weights or rates: L1 weighs 100 (as
    pix2pix, cfg "l1_weight"), both optimisers use --lr with betas (0.5, 0.999). cfg "gan"
    may pick "wgan" or "wgan-gp" instead; "de00_weight" adds the CIEDE2000 term (default 0:
    the paper's losses only)."""

    uses_critic = True

    def __init__(self, net, lr, device, cfg):
        super().__init__(net, lr, device, cfg)
        self.opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999))
        self.mode = _check_mode(cfg.get("gan", "gan"))
        self.d, self.opt_d = make_critic(2 + 3, self.mode, cfg, lr, device, spectral=False, noise=0.0)

    def step(self, batch, sync):
        b = _t(batch, self.device)
        net = self.net
        fake = net(b["L"], b["kind"])
        cond = torch.cat([b["L"], b["kind"].expand_as(b["L"])], 1)
        real_in, fake_in = torch.cat([cond, b["target"]], 1), torch.cat([cond, fake], 1)
        adv_w = self.cfg.get("adv_weight", 1.0)
        if adv_w > 0:
            d_loss = gan_d_loss(self.d, real_in, fake_in, self.mode)
            self.step_critic(d_loss, sync)
            adv, _ = gan_g_loss(self.d, fake_in, real_in, self.mode)
        else:
            d_loss = adv = torch.zeros((), device=self.device)
        l1 = F.l1_loss(fake, b["target"])
        loss = self.cfg.get("l1_weight", 100.0) * l1 + adv_w * adv
        out = {"l1": l1.item(), "adv": adv.item(), "d": d_loss.item()}
        terms = {"l1": self.cfg.get("l1_weight", 100.0) * l1.item(), "adv": adv_w * adv.item()}
        loss = self.add_de00(loss, out, terms, lambda: [de00(fake, b["target"])])
        self._step(loss, self.opt, list(net.parameters()), sync)
        return self.shares(out, terms)


OBJECTIVES = {"auto": AutoObjective, "histogram": HistogramObjective, "color-apply": ColorApplyObjective, "temporal": TemporalObjective,
              "camizan": CamizanObjective}
