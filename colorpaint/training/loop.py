"""The training loop: resumable, validated, exportable, DDP-ready, stoppable every batch.

Under ``torchrun`` (WORLD_SIZE > 1) every process draws its own batches and gradients are
averaged across processes (gloo on CPU, NCCL on GPUs); rank 0 validates and writes files.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.distributed as dist

from ..core.atomic import atomic_write as _atomic_write
from ..core.color import lab_to_rgb, net_to_lab
from ..engine.weights import WeightsError, save_weights
from .losses import OBJECTIVES


@dataclass
class TrainConfig:
    model: str
    data: list
    out: str
    steps: int = 2000
    size: int = 192
    scale: int = 256
    batch: int = 8
    lr: float = 2e-4
    init: str | None = None
    resume: bool = False
    val_every: int = 250
    val_items: int = 24
    ckpt_every: int = 100
    seed: int = 0
    device: str = "auto"
    threads: int = 0
    tiny: bool = False
    max_items: int | None = None
    val_frac: float = 0.1  # share of sources (authors, shots) held out when the data has no split
    ema: float = 0.999  # exported and validated weights: exponential moving average of the trained ones (0: off)
    progress: str = "text"
    net_config: dict = field(default_factory=dict)
    objective: dict = field(default_factory=dict)
    version: str = ""
    recipe: str = ""
    mix: str = "pooled"  # "even": each batch item drawn from a --data folder chosen uniformly (camizan's even mix)





class StopFlag:
    """Set by a signal (SIGTERM/SIGINT) or by the caller; checked every batch."""

    def __init__(self):
        self.stop = False

    def __call__(self) -> bool:
        return self.stop


def _dist():
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class Trainer:
    def __init__(self, cfg: TrainConfig, emit=None):
        self.cfg = cfg
        self.emit = emit or (lambda rec: None)
        self.rank, self.world = _dist()
        from ..engine.device import pick_device

        self.device = pick_device(cfg.device)
        if self.device.type == "cuda" and self.world > 1:
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ setup
    def log(self, msg: str):
        if self.rank == 0:
            if self.cfg.progress == "json":
                self.emit({"event": "log", "message": msg})
            else:
                print(msg, flush=True)

    def build(self, stills):
        from ..engine.weights import load_weights
        from ..models import registry

        cfg = self.cfg
        if cfg.init:
            net, meta = load_weights(cfg.init, family=cfg.model)
            self.base = {"init": str(cfg.init), "init_version": meta.get("version", "")}
            if cfg.net_config and any(net.config.get(k) != v for k, v in cfg.net_config.items()):
                # --net on top of --init: the same weights in a network that reads its inputs
                # differently (temporal's prev_confidence); a change of shape is refused
                changed = registry.build(cfg.model, {**net.config, **cfg.net_config})
                try:
                    changed.load_state_dict(net.state_dict())
                except RuntimeError as e:
                    raise ValueError(f"--net {json.dumps(cfg.net_config)} changes the network's shape; "
                                     f"the weights of --init do not fit it ({str(e).splitlines()[0]})") from None
                net = changed
        else:
            net = registry.build(cfg.model, cfg.net_config, tiny=cfg.tiny)
            self.base = {}
            self._init_stats(net, stills)
        self.net = net.to(self.device)
        self.obj = OBJECTIVES[cfg.model](self.net, cfg.lr, self.device, cfg.objective)
        self.ema, self.ema_n = None, 0
        if cfg.ema > 0:
            import copy

            self.ema = copy.deepcopy(self.net).eval().requires_grad_(False)
        if self.world > 1:  # same start on every process
            for m in self.obj.modules().values():
                for t in list(m.parameters()) + list(m.buffers()):
                    dist.broadcast(t.data, 0)

    def _init_stats(self, net, stills):
        from .datasets import dataset_stats

        if not stills:
            return
        ab_counts, h_counts, h_sums = dataset_stats(stills)
        if hasattr(net, "class_weights"):
            from ..models.auto import rebalance_weights

            net.class_weights.copy_(torch.from_numpy(rebalance_weights(ab_counts)))
        if hasattr(net, "bin_counts"):
            net.bin_counts.copy_(torch.from_numpy(h_counts.astype(np.float32)))
            filled = h_counts > 0
            rgb = net.bin_rgb.clone()
            rgb[torch.from_numpy(filled)] = torch.from_numpy((h_sums[filled] / h_counts[filled, None] / 255.0).astype(np.float32))
            net.bin_rgb.copy_(rgb)

    def update_ema(self) -> None:
        """Move the averaged weights toward the trained ones. The decay ramps up from 0.1
        (``(1 + n) / (10 + n)``), so a short fine-tune is not held back by its start."""
        if self.ema is None:
            return
        self.ema_n += 1
        d = min(self.cfg.ema, (1 + self.ema_n) / (10 + self.ema_n))
        with torch.no_grad():
            for pe, p in zip(self.ema.parameters(), self.net.parameters()):
                pe.mul_(d).add_(p.detach(), alpha=1 - d)
            for be, b in zip(self.ema.buffers(), self.net.buffers()):
                be.copy_(b)

    @property
    def eval_net(self) -> torch.nn.Module:
        """The network that is validated and exported: the average when there is one."""
        return self.ema if self.ema is not None else self.net

    # ------------------------------------------------------------- checkpoints
    @property
    def ckpt_path(self) -> Path:
        return self.out / "checkpoint.pt"

    def save_checkpoint(self, step: int, history: list):
        if self.rank != 0:
            return
        state = {"step": step, "history": json.dumps(history)}
        for k, m in self.obj.modules().items():
            bad = next((n for n, t in m.state_dict().items() if t.is_floating_point() and not torch.isfinite(t).all()), None)
            if bad is not None:  # never replace the last good checkpoint with a diverged one
                raise ValueError(f"training diverged by step {step} (NaN/inf in {k}.{bad}); the checkpoint of the last "
                                 f"good step is kept in {self.ckpt_path.parent}: resume from it with a lower learning rate")
            state[k] = m.state_dict()
        for k, o in self.obj.optimizers().items():
            state[k] = o.state_dict()
        if self.ema is not None:
            state["ema"], state["ema_n"] = self.ema.state_dict(), self.ema_n
        _atomic_write(self.ckpt_path, lambda fh: torch.save(state, fh))
        cfg = json.dumps(asdict(self.cfg) | {"net_config": self.net.config}, indent=2, default=str)
        _atomic_write(self.out / "config.json", lambda fh: fh.write(cfg.encode()))

    def load_checkpoint(self) -> tuple[int, list]:
        # weights_only: a checkpoint is tensors and plain values; nothing else is unpickled
        try:
            state = torch.load(self.ckpt_path, map_location=self.device, weights_only=True)
        except Exception as e:  # a torn or foreign file: say which and what to do, in one line
            msg = str(e).splitlines()[0][:160] if str(e) else e.__class__.__name__
            raise ValueError(f"{self.ckpt_path}: cannot resume from this checkpoint ({msg}); move it away to start over") from None
        for k, m in self.obj.modules().items():
            m.load_state_dict(state[k])
        for k, o in self.obj.optimizers().items():
            if k in state:
                o.load_state_dict(state[k])
                for g in o.param_groups:  # the learning rate asked for now, not the saved one
                    g["lr"] = self.cfg.lr * getattr(self.obj, "lr_scale", {}).get(k, 1.0)
        if self.ema is not None:
            if "ema" in state:  # else (an older checkpoint) the average starts from the loaded weights
                self.ema.load_state_dict(state["ema"])
                self.ema_n = int(state.get("ema_n", 0))
            else:
                self.ema.load_state_dict(self.net.state_dict())
        return int(state["step"]), json.loads(state.get("history", "[]"))

    def export(self, step: int, metrics: dict, history: list) -> Path:
        meta = {"trained": True, "version": self.cfg.version or time.strftime("%Y%m%d-%H%M"), "steps": step,
                "recipe": self.cfg.recipe or f"colorpaint-train --model {self.cfg.model}", "metrics": {"train-val": metrics},
                "data": [str(d) for d in self.cfg.data], "date": time.strftime("%Y-%m-%d %H:%M"), "size": self.cfg.size, **self.base}
        net = self.eval_net
        was_training = net.training
        net.eval()
        try:
            return save_weights(self.out / f"{self.cfg.model}.safetensors", net, meta)
        except WeightsError as e:  # NaN/inf weights: fail the run, keep the last good export
            raise WeightsError(f"{e} (at step {step}; any earlier export is kept)") from None
        finally:
            net.train(was_training)

    # -------------------------------------------------------------- validation
    def validate(self, val_batch: dict, step: int) -> tuple[dict, Path]:
        from ..core import metrics as M

        net = self.eval_net
        was_training = net.training
        net.eval()
        with torch.no_grad():
            b = {k: torch.from_numpy(v).to(self.device) for k, v in val_batch.items()}
            pred = net(b["L"], b["kind"], b["hints"], b["prev"]).float().cpu().numpy()
        net.train(was_training)
        ps, ss, ds, rows = [], [], [], []
        for i in range(pred.shape[0]):
            lab_p = net_to_lab(pred[i].transpose(1, 2, 0))
            lab_t = net_to_lab(val_batch["target"][i].transpose(1, 2, 0))
            if val_batch["kind"][i].item() == 1:
                lab_p[..., 0] = lab_t[..., 0]
            out = lab_to_rgb(lab_p)
            if val_batch["kind"][i].item() == 0:
                out = (out * val_batch["line"][i, 0][..., None] + 0.5).astype(np.uint8)
            gt = lab_to_rgb(lab_t)
            ps.append(M.psnr(out, gt)); ss.append(M.ssim(out, gt)); ds.append(M.mean_delta_e2000(out, gt))
            if i < 8:
                inp = np.repeat(((val_batch["L"][i, 0] + 1) * 127.5).clip(0, 255).astype(np.uint8)[..., None], 3, 2)
                rows.append(np.concatenate([inp, out, gt], 1))
        grid = np.concatenate(rows, 0)
        path = self.out / "samples" / f"step_{step:06d}.png"
        path.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(self.out / "samples" / "latest.png"), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
        return {"psnr": float(np.mean(ps)), "ssim": float(np.mean(ss)), "de00": float(np.mean(ds))}, path

    # --------------------------------------------------------------------- fit
    def fit(self, should_stop=lambda: False) -> Path:
        from .datasets import Sampler, scan

        cfg = self.cfg
        torch.manual_seed(cfg.seed + self.rank)
        from . import augment

        # checked before the data is read: a wrong setting is refused at once
        aug, kw = augment.augment_settings(cfg.objective.get("augment")), augment.kind_weights(cfg.objective.get("kind_weights", "default"))
        tr_s, va_s, tr_q, va_q = scan(cfg.data, scale=cfg.scale, val_frac=cfg.val_frac, max_items=cfg.max_items, log=self.log)
        if not tr_s and not tr_q:
            raise ValueError("no training data found in " + ", ".join(map(str, cfg.data)))
        if cfg.mix not in ("pooled", "even"):
            raise ValueError(f"unknown mix {cfg.mix!r}; known: pooled, even")
        from .datasets import Still

        if not tr_s:  # a family that needs stills can use shot frames as stills
            tr_s = [Still(f, None, q.group, q.source) for q in tr_q for f in q.frames[::4]]
        elif cfg.mix == "even" and cfg.model != "temporal":  # every folder's items take part, shots as stills
            tr_s = tr_s + [Still(f, None, q.group, q.source) for q in tr_q for f in q.frames[::4]]
            va_s = va_s + [Still(f, None, q.group, q.source) for q in va_q for f in q.frames[::4]]
        self.build(tr_s)
        start, history = 0, []
        if cfg.resume and self.ckpt_path.exists():
            start, history = self.load_checkpoint()
            self.log(f"resumed from step {start}")
        rng = np.random.default_rng(cfg.seed * 1000 + self.rank * 7919 + start)
        sampler = Sampler(tr_s, tr_q, cfg.size, cfg.model, rng, warp_prev=getattr(self.net, "warp_prev", True),
                          prev_confidence=getattr(self.net, "prev_confidence", False),
                          hue_jitter=float(cfg.objective.get("hue_jitter", 0.0)), even_sources=cfg.mix == "even", augment=aug, kind_weights=kw)
        if cfg.mix == "even":
            self.log("even mix over " + ", ".join(f"{s} ({n} items)" for s, n in sampler.source_counts().items()))
        va_s = va_s or tr_s[: max(1, len(tr_s) // 10)]
        vsampler = Sampler(va_s, va_q or tr_q, cfg.size, cfg.model, np.random.default_rng(12345),
                           prev_confidence=getattr(self.net, "prev_confidence", False))
        val_batch = vsampler.batch(cfg.val_items)
        sync = self._sync
        self.net.train()
        t0, last_metrics, sample = time.time(), {}, None
        step = start
        losses_acc: dict[str, list] = {}
        while step < cfg.steps:
            if should_stop():
                self.log(f"stopped at step {step}")
                break
            batch = sampler.batch(cfg.batch)
            losses = self.obj.step(batch, sync)
            self.update_ema()
            step += 1
            for k, v in losses.items():
                losses_acc.setdefault(k, []).append(v)
            done_now = step - start
            eta = (time.time() - t0) / done_now * (cfg.steps - step)
            val = step % cfg.val_every == 0 or step == cfg.steps
            if val and self.rank == 0:
                last_metrics, sample = self.validate(val_batch, step)
            if (step % 10 == 0 or val or step == cfg.steps) and self.rank == 0:
                means = {k: float(np.mean(v)) for k, v in losses_acc.items()}
                # each term's share of the loss (share_<term>) is kept apart from the losses
                shares = {k[6:]: v for k, v in means.items() if k.startswith("share_")}
                rec = {"event": "step", "step": step, "total": cfg.steps, "losses": {k: v for k, v in means.items() if not k.startswith("share_")},
                       "shares": shares, "val": last_metrics if val else {}, "eta": round(eta, 1), "sample": str(sample) if sample else None,
                       "elapsed": round(time.time() - t0, 1)}
                history.append({"step": step, **means, **({f"val_{k}": v for k, v in last_metrics.items()} if val else {})})
                losses_acc = {}
                if cfg.progress == "json":
                    self.emit(rec)
                else:
                    ls = " ".join(f"{k} {v:.4f}" for k, v in rec["losses"].items())
                    if shares:
                        ls += " | shares " + " ".join(f"{k} {v:.0%}" for k, v in shares.items())
                    vs = (" | val " + " ".join(f"{k} {v:.3f}" for k, v in last_metrics.items())) if val else ""
                    print(f"step {step}/{cfg.steps} {ls}{vs} | eta {eta / 60:.1f} min", flush=True)
            if step % cfg.ckpt_every == 0 or val:
                self.save_checkpoint(step, history)
                if val and self.rank == 0:
                    self.export(step, last_metrics, history)
        self.save_checkpoint(step, history)
        if self.rank == 0 and not last_metrics:
            last_metrics, sample = self.validate(val_batch, step)
        path = self.out / f"{cfg.model}.safetensors"
        if self.rank == 0:
            path = self.export(step, last_metrics, history)
            _atomic_write(self.out / "history.json", lambda fh: fh.write(json.dumps(history).encode()))
            if cfg.progress == "json":
                self.emit({"event": "done", "step": step, "total": cfg.steps, "weights": str(path), "val": last_metrics, "sample": str(sample) if sample else None})
            else:
                print(f"weights: {path}", flush=True)
        if self.world > 1:
            dist.barrier()
        return path

    def _sync(self, params):
        if self.world <= 1:
            return
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            dist.all_reduce(p.grad)
            p.grad /= self.world
