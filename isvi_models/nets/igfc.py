"""IGFC: inertia-guided flow completion (Zhang, Fu, Liu, "Inertia-Guided Flow Completion and
Style Fusion for Video Inpainting", CVPR 2022), written fresh for PyTorch 2.x and ONNX export.

One call completes the *pivot* flow of a window of ``num_frames`` consecutive flows (pivot =
``num_frames // 2``). Every flow of the window, Laplacian-filled inside its hole and stacked with
that hole, goes through a shared encoder to 1/4 resolution. Each neighbour's features are then
forward-warped (bilinear splatting, :mod:`isvi_models.nets.splat`) by that neighbour's own flow,
scaled to the feature resolution and multiplied by its temporal shift (pivot index minus
neighbour index: +1 for the previous flow, -1 for the next). This is the inertia prior
F_t(x + F_{t-1}(x)) ~= F_{t-1}(x): the neighbour's motion is carried to where it would be at the
pivot. An attention module fuses the warped neighbour features into the pivot's hole, four
dilated convs widen the receptive field and a decoder predicts the flow at 1/4, 1/2 and full
resolution; the full-resolution output is a residual on the pivot's filled flow.

Differences from the original code (kept on purpose): shifts are a float tensor input (B, T)
instead of a Python list, so one ONNX graph serves every pivot including the mirrored ends; the
encoder runs once on the (B*T) stack; spectral norm is a parametrisation folded before export.
H and W must be multiples of 8 (the attention branch halves H/4 once more).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from isvi_models.nets.layers import ConvBlock, ResBlock, UpConvBlock
from isvi_models.nets.splat import forward_splat

PAD_MULTIPLE = 8


class SpatialAttention(nn.Module):
    """Attention logit map (B, 1, h, w) from pivot features and one (warped) neighbour's features."""

    def __init__(self, channels: int, *, bias: bool = True):
        super().__init__()
        q = channels // 4
        self.shrink_target = ConvBlock(channels, q, 1, bias=bias)
        self.shrink_ref = ConvBlock(channels, q, 1, bias=bias)
        self.body = nn.Sequential(
            ConvBlock(2 * q, 3 * q, 3, bias=bias),
            ConvBlock(3 * q, channels, 3, stride=2, bias=bias),
            ConvBlock(channels, channels, 3, bias=bias),
            ConvBlock(channels, channels // 2, 3, bias=bias),
            UpConvBlock(channels // 2, q, mode="nearest", bias=bias),
            ConvBlock(q, 1, 3, bias=bias, act=False),
        )

    def forward(self, target: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat((self.shrink_target(target), self.shrink_ref(ref)), dim=1))


class FlowFusion(nn.Module):
    """Fuse T feature maps into the pivot's hole with per-pixel temporal modulation (no softmax)."""

    def __init__(self, channels: int, num_frames: int, *, bias: bool = True):
        super().__init__()
        self.attention = SpatialAttention(channels, bias=bias)
        self.temporal_selection = ConvBlock(num_frames, num_frames, 1, spectral=True)

    def forward(self, target: torch.Tensor, refs: torch.Tensor, hole4: torch.Tensor) -> torch.Tensor:
        """target (B, C, h, w); refs (B, T, C, h, w), pivot included; hole4 (B, 1, h, w) -> (B, C, h, w)."""
        b, t, c, h, w = refs.shape
        targets = target.unsqueeze(1).expand(b, t, c, h, w).reshape(b * t, c, h, w)
        logits = self.attention(targets, refs.reshape(b * t, c, h, w)).reshape(b, t, h, w)
        modulation = self.temporal_selection(logits).unsqueeze(2)  # (B, T, 1, h, w)
        fused = (refs * modulation).sum(dim=1)
        return hole4 * fused + target * (1 - hole4)


class IGFC(nn.Module):
    """Inertia-guided flow completion network.

    Args:
        cnum: base width c; the encoder goes c -> 2c -> 4c channels.
        res_blocks: residual blocks after the encoder (4c channels).
        num_frames: window length T (odd); the pivot is ``T // 2``.
        use_residual: add the pivot's input flow to the full-resolution output.
        bias: conv biases.

    Shape:
        flows (B, T, 2, H, W) float32 pixels, Laplacian-filled; masks (B, T, 1, H, W) in {0, 1}
        (1 = hole); shifts (B, T) float32, pivot index minus each window index (0 at the pivot).
        Returns flow (B, 2, H, W), flow_4 (B, 2, H/4, W/4), flow_2 (B, 2, H/2, W/2).
        H and W must be multiples of 8.
    """

    pad_multiple = PAD_MULTIPLE

    def __init__(self, cnum: int = 48, res_blocks: int = 1, num_frames: int = 3, *,
                 use_residual: bool = True, bias: bool = True):
        super().__init__()
        if num_frames < 1 or num_frames % 2 == 0:
            raise ValueError(f"num_frames must be odd and positive, got {num_frames}")
        if cnum < 2 or cnum % 2:
            raise ValueError(f"cnum must be even and >= 2, got {cnum}")
        c = cnum
        self.config = dict(cnum=cnum, res_blocks=res_blocks, num_frames=num_frames,
                           use_residual=use_residual, bias=bias)
        self.num_frames = num_frames
        self.use_residual = use_residual
        self.conv1 = ConvBlock(3, c, 5, reflect_pad=2, bias=bias)
        self.conv2 = ConvBlock(c, 2 * c, 3, stride=2, bias=bias)
        self.conv3 = ConvBlock(2 * c, 2 * c, 3, bias=bias)
        self.conv4 = ConvBlock(2 * c, 4 * c, 3, stride=2, bias=bias)
        self.middle = nn.Sequential(*[ResBlock(4 * c, bias=bias) for _ in range(res_blocks)])
        self.fusion = FlowFusion(4 * c, num_frames, bias=bias)
        self.dilated = nn.Sequential(*[ConvBlock(4 * c, 4 * c, 3, dilation=d, bias=bias) for d in (8, 4, 2, 1)])
        self.recon4 = ConvBlock(4 * c, 2, 1, spectral=True)
        self.deconv1 = UpConvBlock(8 * c, 2 * c, mode="nearest", bias=bias)
        self.conv5 = ConvBlock(2 * c, 2 * c, 3, bias=bias)
        self.conv6 = ConvBlock(2 * c, 2 * c, 3, bias=bias)
        self.recon2 = ConvBlock(2 * c, 2, 1, spectral=True)
        self.deconv2 = UpConvBlock(4 * c, c, mode="nearest", bias=bias)
        self.conv7 = ConvBlock(c, c // 2, 3, bias=bias)
        self.final = ConvBlock(c // 2, 2, 3, bias=bias, act=False)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(N, 3, H, W) -> features (N, 4c, H/4, W/4) and the skips c2 (N, 2c, H/2, W/2), c4 (N, 4c, H/4, W/4)."""
        c2 = self.conv2(self.conv1(x))
        c4 = self.conv4(self.conv3(c2))
        return self.middle(c4), c2, c4

    def forward(self, flows: torch.Tensor, masks: torch.Tensor, shifts: torch.Tensor):
        b, t, _, h, w = flows.shape
        if t != self.num_frames:
            raise ValueError(f"expected a window of {self.num_frames} flows, got {t}")
        if h % PAD_MULTIPLE or w % PAD_MULTIPLE:
            raise ValueError(f"H and W must be multiples of {PAD_MULTIPLE}, got {h}x{w} (pad first)")
        pivot = t // 2
        x = torch.cat((flows, masks), dim=2).reshape(b * t, 3, h, w)
        feats, c2, c4 = self.encode(x)
        _, fc, fh, fw = feats.shape
        feats = feats.reshape(b, t, fc, fh, fw)
        c2 = c2.reshape(b, t, -1, c2.shape[-2], c2.shape[-1])[:, pivot]
        c4 = c4.reshape(b, t, fc, fh, fw)[:, pivot]
        refs = []
        for i in range(t):
            if i == pivot:  # the pivot is never warped: a zero-flow splat would drop its last row/col
                refs.append(feats[:, i])
                continue
            small = F.interpolate(flows[:, i], size=(fh, fw), mode="bilinear", align_corners=False)
            small = small / 4 * shifts[:, i].view(b, 1, 1, 1)
            refs.append(forward_splat(feats[:, i], small))
        hole4 = masks[:, pivot, :, ::4, ::4]  # nearest downsampling by 4, as F.interpolate(nearest)
        fused = self.fusion(feats[:, pivot], torch.stack(refs, dim=1), hole4)
        a4 = self.dilated(fused)
        flow4 = self.recon4(a4)
        d4 = self.conv6(self.conv5(self.deconv1(torch.cat((a4, c4), dim=1))))
        flow2 = self.recon2(d4)
        flow = self.final(self.conv7(self.deconv2(torch.cat((d4, c2), dim=1))))
        if self.use_residual:
            flow = flow + flows[:, pivot]
        return flow, flow4, flow2
