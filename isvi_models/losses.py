"""Training losses of ISVI (CVPR 2022, slides and FGT/LAFC code; see the method notes §4).

Each loss is a plain function with an ``nn.Module`` wrapper. Shapes are NCHW; masks are
(B, 1, H, W) in {0, 1} with 1 = hole.

IGFC: :func:`masked_l1` on the hole and on the valid region (each normalised by its area),
:func:`smoothness_loss` (first- and second-order differences, L1 as the slide states, inside
the hole), :func:`census_loss` (ternary census transform between frame t and frame t+1 warped
back by the completed flow, with the occlusion confidence of LAFC), combined by
:class:`IGFCLoss` at the three output scales.

ASFN: :func:`masked_l1` on gradients (hole + valid) and the hinge GAN losses
:func:`hinge_d_loss` / :func:`hinge_g_loss` for the SN-PatchGAN discriminator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EPS = 1e-6


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``‖M ⊙ (pred − target)‖₁ / ‖M‖₁`` per channel: the mean absolute error over the pixels where mask is 1.

    A constant error ``e`` inside the mask gives exactly ``|e|``; an empty mask gives 0.
    """
    c = pred.shape[1]
    num = ((pred - target).abs() * mask).sum()
    return num / (mask.sum() * c).clamp(min=EPS)


def hole_valid_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(L_hole, L_valid): :func:`masked_l1` inside the hole and outside it."""
    return masked_l1(pred, target, mask), masked_l1(pred, target, 1.0 - mask)


def _diffs1(x: torch.Tensor) -> list[torch.Tensor]:
    return [x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]]


def _diffs2(x: torch.Tensor) -> list[torch.Tensor]:
    """The [1, -2, 1] stencils along x, y and both diagonals (LAFC's second-order smoothness)."""
    return [x[..., :, 2:] - 2 * x[..., :, 1:-1] + x[..., :, :-2],
            x[..., 2:, :] - 2 * x[..., 1:-1, :] + x[..., :-2, :],
            x[..., 2:, 2:] - 2 * x[..., 1:-1, 1:-1] + x[..., :-2, :-2],
            x[..., 2:, :-2] - 2 * x[..., 1:-1, 1:-1] + x[..., :-2, 2:]]


def _crop_like(mask: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """The mask cropped to a difference map's size (differences are anchored at the top-left)."""
    return mask[..., : d.shape[-2], : d.shape[-1]]


def smoothness_loss(flow: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(first-order, second-order) L1 smoothness of ``flow`` (B, C, H, W), averaged over the mask.

    Each is the mean over the listed stencils of ``Σ M·|D F| / (Σ M · C)``; without a mask every
    pixel counts. A constant flow gives (0, 0); a ramp of slope s along x gives (s/2, 0), since the
    y-difference of that ramp is zero and the two stencils are averaged.
    """
    if mask is None:
        mask = torch.ones_like(flow[:, :1])
    first = torch.stack([masked_l1(d, torch.zeros_like(d), _crop_like(mask, d)) for d in _diffs1(flow)]).mean()
    second = torch.stack([masked_l1(d, torch.zeros_like(d), _crop_like(mask, d)) for d in _diffs2(flow)]).mean()
    return first, second


def backward_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample ``image`` (B, C, H, W) at x + flow(x): frame t+1 warped into frame t by the flow t->t+1.

    Pixel-exact convention (``align_corners=True`` with a ``linspace(-1, 1, W)`` grid): a zero flow
    returns the image, an integer flow a shifted copy; outside samples are 0. (LAFC builds the
    grid for align_corners=True and calls grid_sample with False, a sub-pixel mismatch fixed here.)
    """
    b, _, h, w = image.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=image.dtype, device=image.device),
                            torch.arange(w, dtype=image.dtype, device=image.device), indexing="ij")
    gx = (xs + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def _census(image: torch.Tensor) -> torch.Tensor:
    """3x3 ternary census of RGB ``image`` in [0, 1]: soft signs of (neighbour − centre) of grey·255."""
    grey = (0.299 * image[:, 0:1] + 0.587 * image[:, 1:2] + 0.114 * image[:, 2:3]) * 255.0
    patches = F.unfold(F.pad(grey, (1, 1, 1, 1), mode="replicate"), 3).view(grey.shape[0], 9, *grey.shape[-2:])
    t = patches - grey
    return t / torch.sqrt(0.81 + t * t)


def census_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-pixel ternary census distance (B, 1, H, W): ``Σ d²/(0.1 + d²)`` over the 9 census channels."""
    d = _census(a) - _census(b)
    d2 = d * d
    return (d2 / (0.1 + d2)).sum(dim=1, keepdim=True)


def census_loss(frame_t: torch.Tensor, frame_t1: torch.Tensor, flow: torch.Tensor, mask: torch.Tensor,
                gt_flow: torch.Tensor | None = None) -> torch.Tensor:
    """Ternary census loss between frame t and frame t+1 warped back by ``flow`` (t->t+1), inside the hole.

    With ``gt_flow`` each pixel is weighted by the occlusion confidence
    ``exp(−50 (Σ_c |I_t − warp(I_{t+1}, F_gt)|)²)`` (LAFC), so pixels that the true flow cannot
    explain (occlusions, lighting) do not pull the prediction. Normalised by the hole area.
    """
    dist = census_distance(frame_t, backward_warp(frame_t1, flow))
    weight = mask
    if gt_flow is not None:
        with torch.no_grad():
            err = (frame_t - backward_warp(frame_t1, gt_flow)).abs().sum(dim=1, keepdim=True)
            weight = mask * torch.exp(-50.0 * err * err)
    return (dist * weight).sum() / mask.sum().clamp(min=EPS)


def hinge_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator hinge loss ``E[ReLU(1 − D(real))] + E[ReLU(1 + D(fake))]`` (0 when real ≥ 1, fake ≤ −1)."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def hinge_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator adversarial loss ``−E[D(fake)]``."""
    return -fake_logits.mean()


def downsample_flow(flow: torch.Tensor, factor: int) -> torch.Tensor:
    """Average-pool a flow by ``factor`` and divide its values by ``factor`` (pixels at the coarse scale)."""
    return F.avg_pool2d(flow, factor) / factor if factor > 1 else flow


def downsample_mask(mask: torch.Tensor, factor: int) -> torch.Tensor:
    """A coarse pixel is a hole if any of its fine pixels is."""
    return F.max_pool2d(mask, factor) if factor > 1 else mask


class IGFCLoss(nn.Module):
    """The IGFC objective: λ1 L_hole + λ2 L_valid + λ3 (L_smooth1 + L_smooth2) + λ4 L_ternary per scale.

    Scales: the full-resolution output and the 1/2 and 1/4 heads (targets average-pooled and
    divided by the factor), weighted by ``scale_weights``. Smoothness and census are measured on
    the *combined* flow (ground truth outside the hole, prediction inside) as in LAFC. Defaults
    follow LAFC's config (L1 1, smoothness 1 + 1 with a Charbonnier there, ternary 0.01); we use
    plain L1 smoothness (the slide's formula) at 0.1 so it does not blur true motion boundaries.
    """

    def __init__(self, hole: float = 1.0, valid: float = 1.0, smooth: float = 0.1, smooth2: float = 0.1,
                 ternary: float = 0.01, scale_weights: tuple[float, float, float] = (1.0, 0.5, 0.25)):
        super().__init__()
        self.w = dict(hole=hole, valid=valid, smooth=smooth, smooth2=smooth2, ternary=ternary)
        self.scale_weights = scale_weights

    def forward(self, outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor], gt_flow: torch.Tensor,
                mask: torch.Tensor, frame_t: torch.Tensor | None = None,
                frame_t1: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        flow, flow4, flow2 = outputs
        total = flow.new_zeros(())
        parts: dict[str, float] = {}
        for (pred, factor), sw in zip(((flow, 1), (flow2, 2), (flow4, 4)), self.scale_weights):
            gt = downsample_flow(gt_flow, factor)
            m = downsample_mask(mask, factor)
            l_hole, l_valid = hole_valid_l1(pred, gt, m)
            combined = gt * (1 - m) + pred * m
            s1, s2 = smoothness_loss(combined, m)
            terms = dict(hole=l_hole, valid=l_valid, smooth=s1, smooth2=s2)
            if frame_t is not None and frame_t1 is not None and self.w["ternary"] > 0:
                ft = F.avg_pool2d(frame_t, factor) if factor > 1 else frame_t
                ft1 = F.avg_pool2d(frame_t1, factor) if factor > 1 else frame_t1
                terms["ternary"] = census_loss(ft, ft1, combined, m, gt)
            for k, v in terms.items():
                total = total + sw * self.w[k] * v
                if factor == 1:
                    parts[k] = float(v.detach())
        parts["total"] = float(total.detach())
        return total, parts


class ASFNLoss(nn.Module):
    """ASFN generator objective: L_hole + L_valid on gradients, plus ``adv`` · (−E[D(fake)]) when logits are given."""

    def __init__(self, hole: float = 1.0, valid: float = 1.0, adv: float = 0.01):
        super().__init__()
        self.hole, self.valid, self.adv = hole, valid, adv

    def forward(self, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
                fake_logits: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        l_hole, l_valid = hole_valid_l1(pred, target, mask)
        total = self.hole * l_hole + self.valid * l_valid
        parts = {"hole": float(l_hole.detach()), "valid": float(l_valid.detach())}
        if fake_logits is not None and self.adv > 0:
            g = hinge_g_loss(fake_logits)
            total = total + self.adv * g
            parts["adv"] = float(g.detach())
        parts["total"] = float(total.detach())
        return total, parts
