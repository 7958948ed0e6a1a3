"""Resumable training of IGFC and ASFN on prepared (Zarr) samples.

:func:`train` runs ``steps`` optimiser steps and writes into ``out_dir``:

* ``last.pt``: model (and discriminator), optimisers, step, loss history, config; written every
  ``ckpt_every`` steps atomically (temporary file + ``os.replace``). A new run with the same
  ``out_dir`` resumes from it; the batch of step k depends only on (seed, k), so an interrupted
  and resumed run sees the same batches as an uninterrupted one.
* ``history.json`` and ``loss.png`` (loss curves, training and held-out validation);
* ``<kind>.onnx`` at the end (:mod:`isvi_models.export`) and ``<kind>_state.pt`` (weights only).

IGFC starts close to the Laplacian fill: the final conv's initial weights are scaled by 0.1, and
the network adds a residual to the pivot's filled flow. (Zero would start exactly at the fill, but
then no gradient reaches the layers before it and the full-resolution head hardly learns.) Augmentations keep inputs as the inference adapter builds
them: flips (with the flow component negated), transposition (components swapped), and the
mirrored windows that :func:`isvi_models.learned.window_indices` produces at the sequence ends.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from isvi_models.atomic import atomic_path, write_bytes


class TrainConfig(BaseModel):
    """Configuration of one training run (``isvi train`` options)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["igfc", "asfn"]
    data: Path = Field(description="prepared samples (Zarr group from `isvi prepare-data`)")
    out_dir: Path = Field(description="checkpoints, curves and the exported ONNX go here")
    variant: str | None = Field(None, description="registered variant; default igfc_base / asfn_base")
    cnum: int = Field(16, ge=2, description="base width of the network")
    steps: int = Field(1000, ge=1)
    batch_size: int = Field(8, ge=1)
    lr: float = Field(1e-4, gt=0)
    lr_decay_at: float = Field(0.8, gt=0, le=1, description="fraction of steps after which lr is divided by 10")
    ckpt_every: int = Field(100, ge=1)
    log_every: int = Field(10, ge=1)
    val_every: int = Field(100, ge=1)
    val_fraction: float = Field(0.05, ge=0, lt=0.5)
    seed: int = 0
    threads: int = Field(2, ge=1)
    disc_nf: int = Field(16, ge=2, description="ASFN's SN-PatchGAN width")
    adv_weight: float = Field(0.01, ge=0)
    ternary_weight: float = Field(0.01, ge=0)
    init_from: Path | None = Field(None, description="start from these weights (a last.pt or state_dict) instead of scratch")
    reinit: list[str] = Field([], description="parameter-name prefixes re-initialised after init_from")
    export: bool = True
    device: str = "cpu"
    amp: bool = Field(False, description="bf16 autocast (on a GPU)")


def atomic_save(obj, path: Path) -> None:
    """torch.save to a temporary file in the same folder, then ``os.replace``."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed train/validation split of ``n`` samples."""
    perm = np.random.default_rng(seed + 12345).permutation(n)
    n_val = int(round(n * val_fraction)) if n > 4 else 0
    return perm[n_val:], perm[:n_val]


# --------------------------------------------------------------------------------------------
# Batches


def igfc_batch(arrays: dict[str, np.ndarray], idx: np.ndarray, rng: np.random.Generator | None):
    """Torch tensors (flows, masks, shifts, gt, frame_t, frame_t1) for samples ``idx``; augmented when ``rng``."""
    import torch

    filled = arrays["filled"][idx].astype(np.float32)  # (B, T, 2, H, W)
    masks = arrays["masks"][idx].astype(np.float32)
    gt = arrays["gt"][idx].astype(np.float32)  # (B, 2, H, W)
    frames = arrays["frames"][idx].astype(np.float32)  # (B, 2, 3, H, W)
    b, t = filled.shape[:2]
    pivot = t // 2
    shifts = np.tile((pivot - np.arange(t)).astype(np.float32), (b, 1))
    if rng is not None:
        for i in range(b):
            if rng.random() < 0.5:  # horizontal flip: u changes sign
                filled[i], masks[i], gt[i], frames[i] = (filled[i][..., ::-1], masks[i][..., ::-1],
                                                         gt[i][..., ::-1], frames[i][..., ::-1])
                filled[i][:, 0] *= -1
                gt[i][0] *= -1
            if rng.random() < 0.5:  # vertical flip: v changes sign
                filled[i], masks[i], gt[i], frames[i] = (filled[i][..., ::-1, :], masks[i][..., ::-1, :],
                                                         gt[i][..., ::-1, :], frames[i][..., ::-1, :])
                filled[i][:, 1] *= -1
                gt[i][1] *= -1
            if rng.random() < 0.5:  # transpose: x and y swap
                filled[i] = filled[i].swapaxes(-1, -2)[:, ::-1]
                masks[i] = masks[i].swapaxes(-1, -2)
                gt[i] = gt[i].swapaxes(-1, -2)[::-1]
                frames[i] = frames[i].swapaxes(-1, -2)
            r = rng.random()
            if t >= 3 and r < 0.15:  # window at the sequence start: mirrored (pivot+1, pivot, pivot+1)
                filled[i][:pivot] = filled[i][pivot + 1:][::-1]
                masks[i][:pivot] = masks[i][pivot + 1:][::-1]
                shifts[i][:pivot] = shifts[i][pivot + 1:][::-1]
            elif t >= 3 and r < 0.30:  # window at the sequence end
                filled[i][pivot + 1:] = filled[i][:pivot][::-1]
                masks[i][pivot + 1:] = masks[i][:pivot][::-1]
                shifts[i][pivot + 1:] = shifts[i][:pivot][::-1]
    c = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return c(filled), c(masks), c(shifts), c(gt), c(frames[:, 0]), c(frames[:, 1])


def asfn_batch(arrays: dict[str, np.ndarray], idx: np.ndarray, rng: np.random.Generator | None):
    """Torch tensors (input, mask, target) for samples ``idx``; flips/sign changes when ``rng``."""
    import torch

    inp = arrays["input"][idx].astype(np.float32)
    tgt = arrays["target"][idx].astype(np.float32)
    mask = arrays["mask"][idx].astype(np.float32)
    if rng is not None:
        for i in range(len(idx)):
            if rng.random() < 0.5:  # a gradient map's sign flips with the image direction; any sign is plausible
                inp[i], tgt[i] = -inp[i], -tgt[i]
            if rng.random() < 0.5:
                inp[i], tgt[i], mask[i] = inp[i][..., ::-1], tgt[i][..., ::-1], mask[i][..., ::-1]
    c = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return c(inp), c(mask), c(tgt)


# --------------------------------------------------------------------------------------------
# Models


def build_models(cfg: TrainConfig):
    """(generator, discriminator or None) for ``cfg``; IGFC's final conv starts small (near the Laplacian fill)."""
    import torch

    from isvi_models.nets import create_model

    torch.manual_seed(cfg.seed)
    variant = cfg.variant or f"{cfg.kind}_base"
    net = create_model(variant, cnum=cfg.cnum)
    disc = None
    if cfg.kind == "igfc":
        with torch.no_grad():
            for p in net.final.parameters():
                p.mul_(0.1)
    else:
        disc = create_model("patchgan_base", nf=cfg.disc_nf) if cfg.adv_weight > 0 else None
    if cfg.init_from is not None:
        state = torch.load(cfg.init_from, map_location="cpu", weights_only=False)
        state = state.get("model", state)
        fresh = {k: v for k, v in net.state_dict().items() if any(k.startswith(p) for p in cfg.reinit)}
        net.load_state_dict({**state, **fresh})
    return net, disc


def _lr_at(cfg: TrainConfig, step: int) -> float:
    return cfg.lr * (0.1 if step >= int(cfg.lr_decay_at * cfg.steps) else 1.0)


def plot_history(history: dict, path: Path, title: str) -> None:
    """Loss curves (log scale) of the training terms and the validation loss, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    steps = history["step"]
    for key, vals in history["train"].items():
        if vals and len(vals) == len(steps):
            k = max(1, len(vals) // 50)
            sm = np.convolve(vals, np.ones(k) / k, mode="valid")
            ax.plot(steps[k - 1:], sm, label=key, lw=1)
    if history["val"]["step"]:
        ax.plot(history["val"]["step"], history["val"]["loss"], "ko-", label="validation (hole L1)", ms=3)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# Loop


def _validate(cfg, net, arrays, val_idx) -> float:
    """In-hole L1 over all validation samples (no augmentation): Σ|pred − gt|·M / (ΣM · C)."""
    import torch

    if len(val_idx) == 0:
        return float("nan")
    net.eval()
    num = den = 0.0
    with torch.no_grad():
        for s in range(0, len(val_idx), cfg.batch_size):
            idx = val_idx[s:s + cfg.batch_size]
            if cfg.kind == "igfc":
                flows, masks, shifts, gt, _, _ = igfc_batch(arrays, idx, None)
                out = net(flows.to(cfg.device), masks.to(cfg.device), shifts.to(cfg.device))[0].cpu()
                mask = masks[:, masks.shape[1] // 2]
            else:
                inp, mask, gt = asfn_batch(arrays, idx, None)
                out = net(inp.to(cfg.device), mask.to(cfg.device)).cpu()
            num += float(((out - gt).abs() * mask).sum())
            den += float(mask.sum()) * out.shape[1]
    net.train()
    return num / max(den, 1e-6)


def baseline_val(kind: str, arrays: dict[str, np.ndarray], val_idx: np.ndarray) -> float:
    """The same in-hole L1 for the input itself: the Laplacian fill (IGFC) or the simulated propagation (ASFN)."""
    if kind == "igfc":
        t = arrays["filled"].shape[1]
        pred, gt, mask = arrays["filled"][val_idx][:, t // 2], arrays["gt"][val_idx], arrays["masks"][val_idx][:, t // 2]
    else:
        pred, gt, mask = arrays["input"][val_idx], arrays["target"][val_idx], arrays["mask"][val_idx]
    mask = mask.astype(np.float32)
    num = float((np.abs(pred.astype(np.float32) - gt.astype(np.float32)) * mask).sum())
    return num / max(float(mask.sum()) * pred.shape[1], 1e-6)


def train(cfg: TrainConfig, *, stop_after: int | None = None, log=print) -> dict:
    """Train (or resume) per ``cfg``. ``stop_after`` ends the process-level run after that many new
    steps without exporting (to simulate an interruption in tests). Returns the summary dict."""
    import torch

    from isvi_models.losses import ASFNLoss, IGFCLoss, hinge_d_loss
    from isvi_models.train.data import read_zarr

    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arrays, attrs = read_zarr(cfg.data)
    if attrs.get("kind") != cfg.kind:
        raise ValueError(f"{cfg.data} holds {attrs.get('kind')!r} samples, not {cfg.kind!r}")
    n = len(next(iter(arrays.values())))
    train_idx, val_idx = split_indices(n, cfg.val_fraction, cfg.seed)
    net, disc = build_models(cfg)
    net.to(cfg.device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    opt_d = None
    if disc is not None:
        disc.to(cfg.device)
        opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    history = {"step": [], "train": {}, "val": {"step": [], "loss": []}, "wall_s": 0.0}
    step = 0
    ckpt = out / "last.pt"
    if ckpt.is_file():
        state = torch.load(ckpt, map_location=cfg.device, weights_only=False)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        if disc is not None and state.get("disc") is not None:
            disc.load_state_dict(state["disc"])
            opt_d.load_state_dict(state["opt_d"])
        step, history = state["step"], state["history"]
        log(f"resumed from {ckpt} at step {step}")
    if cfg.kind == "igfc":
        crit = IGFCLoss(ternary=cfg.ternary_weight)
    else:
        crit = ASFNLoss(adv=cfg.adv_weight if disc is not None else 0.0)

    def save() -> None:
        atomic_save({"model": net.state_dict(), "opt": opt.state_dict(),
                     "disc": disc.state_dict() if disc is not None else None,
                     "opt_d": opt_d.state_dict() if opt_d is not None else None,
                     "step": step, "history": history, "config": cfg.model_dump(mode="json")}, ckpt)
        write_bytes(out / "history.json", json.dumps(history).encode())
        plot_history(history, out / "loss.png", f"{cfg.kind} ({cfg.variant or cfg.kind + '_base'}, cnum {cfg.cnum})")

    amp = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if cfg.amp and cfg.device.startswith("cuda") else None
    new_steps = 0
    t_start = time.time()
    wall0 = history.get("wall_s", 0.0)
    net.train()
    while step < cfg.steps:
        if stop_after is not None and new_steps >= stop_after:
            history["wall_s"] = wall0 + time.time() - t_start
            save()
            return {"step": step, "interrupted": True}
        rng = np.random.default_rng([cfg.seed, step])
        idx = rng.choice(train_idx, size=min(cfg.batch_size, len(train_idx)), replace=len(train_idx) < cfg.batch_size)
        for g in opt.param_groups:
            g["lr"] = _lr_at(cfg, step)
        if opt_d is not None:
            for g in opt_d.param_groups:
                g["lr"] = _lr_at(cfg, step)
        with amp if amp is not None else _null():
            if cfg.kind == "igfc":
                flows, masks, shifts, gt, f0, f1 = (x.to(cfg.device) for x in igfc_batch(arrays, idx, rng))
                outs = net(flows, masks, shifts)
                loss, parts = crit(tuple(o.float() for o in outs), gt, masks[:, masks.shape[1] // 2], f0, f1)
            else:
                inp, mask, tgt = (x.to(cfg.device) for x in asfn_batch(arrays, idx, rng))
                pred = net(inp, mask)
                comp = pred * mask + tgt * (1 - mask)
                if disc is not None:
                    d_loss = hinge_d_loss(disc(tgt), disc(comp.detach()))
                    opt_d.zero_grad(set_to_none=True)
                    d_loss.backward()
                    opt_d.step()
                loss, parts = crit(pred.float(), tgt, mask, disc(comp) if disc is not None else None)
                if disc is not None:
                    parts["disc"] = float(d_loss.detach())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if not math.isfinite(parts["total"]):
            raise FloatingPointError(f"loss is {parts['total']} at step {step}")
        step += 1
        new_steps += 1
        history["step"].append(step)
        for k, v in parts.items():
            history["train"].setdefault(k, []).append(v)
        if step % cfg.log_every == 0 or step == cfg.steps:
            log(f"step {step}/{cfg.steps} " + " ".join(f"{k} {v:.4g}" for k, v in parts.items()))
        if len(val_idx) and (step % cfg.val_every == 0 or step == cfg.steps):
            v = _validate(cfg, net, arrays, val_idx)
            history["val"]["step"].append(step)
            history["val"]["loss"].append(v)
            log(f"step {step} validation hole-L1 {v:.4g}")
        if step % cfg.ckpt_every == 0 or step == cfg.steps:
            history["wall_s"] = wall0 + time.time() - t_start
            save()
    history["wall_s"] = wall0 + time.time() - t_start
    save()
    atomic_save(net.state_dict(), out / f"{cfg.kind}_state.pt")
    summary = {"step": step, "interrupted": False, "wall_s": history["wall_s"],
               "val_hole_l1": _validate(cfg, net, arrays, val_idx) if len(val_idx) else None,
               "val_hole_l1_input": baseline_val(cfg.kind, arrays, val_idx) if len(val_idx) else None}
    if cfg.export:
        from isvi_models.export import export_asfn, export_igfc

        net_cpu = net.to("cpu")
        variant = cfg.variant or f"{cfg.kind}_base"
        path = (export_igfc if cfg.kind == "igfc" else export_asfn)(net_cpu, out / f"{cfg.kind}.onnx", variant=variant)
        summary["onnx"] = str(path)
        log(f"exported {path}")
    write_bytes(out / "summary.json", json.dumps(summary, indent=1).encode())
    return summary


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False
