"""Bilinear forward warping (splatting) in plain tensor code, exportable to ONNX.

Replaces the CUDA extension ``forward_warp_cuda`` that ISVI's IGFC uses, with the same
semantics (reference: ``Forward_Warp_Python`` and the CUDA kernel of lizhihao6/Forward-Warp):

* source pixel (x, y) goes to (x + u, y + v); with x0 = floor(x + u), a = x + u - x0 (same for
  y, b), its value is *added* to the four pixels (x0, y0), (x0+1, y0), (x0, y0+1), (x0+1, y0+1)
  with weights (1-a)(1-b), a(1-b), (1-a)b, ab;
* a source is **dropped entirely** unless its whole 2x2 footprint is inside the image,
  i.e. 0 <= x0, x0 + 1 < W, 0 <= y0, y0 + 1 < H. A consequence: even a zero flow drops the
  last row and column (their footprint leaves the frame), so an identity warp is not an identity;
* there is no normalisation by the accumulated weight: target pixels nobody lands on stay 0 and
  collisions add up. Non-finite flow values count as out of frame.

The accumulation is one ``scatter_add`` over the flattened image, which the dynamo ONNX exporter
emits as ``ScatterElements(reduction="add")`` (opset >= 16) and which is exact with repeated
indices (the legacy exporter's ``index_put`` is not).
"""

from __future__ import annotations

import torch
from torch import nn


def forward_splat(src: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Forward-warp ``src`` by ``flow`` with bilinear splatting.

    Args:
        src: features (B, C, H, W).
        flow: displacement in pixels (B, 2, H, W); channel 0 = x (u), channel 1 = y (v).

    Returns:
        (B, C, H, W), same dtype as ``src``: the sum of everything that landed on each pixel.
    """
    if src.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f"expected src (B,C,H,W) and flow (B,2,H,W), got {tuple(src.shape)} and {tuple(flow.shape)}")
    b, c, h, w = src.shape
    flow = flow.to(src.dtype)
    ys = torch.arange(h, device=src.device, dtype=src.dtype).view(1, h, 1)
    xs = torch.arange(w, device=src.device, dtype=src.dtype).view(1, 1, w)
    tx = xs + flow[:, 0]  # (B, H, W)
    ty = ys + flow[:, 1]
    x0 = torch.floor(tx)
    y0 = torch.floor(ty)
    ax = tx - x0
    ay = ty - y0
    valid = (x0 >= 0) & (x0 + 1 < w) & (y0 >= 0) & (y0 + 1 < h)  # NaN compares False -> dropped
    zero = torch.zeros_like(tx)
    # Invalid sources send all four corners to pixel 0 with weight 0, so every index is in range
    # whatever the image size (no shape-dependent branch, which keeps H and W dynamic on export).
    vi = valid.to(torch.int64)
    base = (torch.where(valid, y0, zero) * w + torch.where(valid, x0, zero)).to(torch.int64)
    ax = torch.where(valid, ax, zero)
    ay = torch.where(valid, ay, zero)
    vf = valid.to(src.dtype)
    weights = torch.stack(((1 - ax) * (1 - ay) * vf, ax * (1 - ay) * vf, (1 - ax) * ay * vf, ax * ay * vf), dim=1)
    index = torch.stack((base, base + vi, base + w * vi, base + (w + 1) * vi), dim=1)  # (B, 4, H, W)
    values = src.unsqueeze(2) * weights.unsqueeze(1)  # (B, C, 4, H, W)
    index = index.reshape(b, 1, 4 * h * w).expand(b, c, 4 * h * w)
    out = torch.zeros(b, c, h * w, device=src.device, dtype=src.dtype)
    out = out.scatter_add(2, index, values.reshape(b, c, 4 * h * w))
    return out.view(b, c, h, w)


class ForwardSplat(nn.Module):
    """Module wrapper of :func:`forward_splat`; ``forward(src, flow)``."""

    def forward(self, src: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        return forward_splat(src, flow)
