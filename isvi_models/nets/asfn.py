"""ASFN: adaptive style fusion network (ISVI, CVPR 2022), refining propagated image gradients.

Input: one gradient map (B, 3, H, W) (an x- or a y-gradient of an RGB frame in [0, 1], so values
in [-1, 1]) and its hole mask (B, 1, H, W). An encoder goes to 1/4 resolution; adaptive style
fusion (ASF) blocks re-normalise the hole's features to statistics predicted from the valid
region's and the hole's own mean and standard deviation (AdaIN-like, ``FeatTransferLayer`` in the
original); residual blocks and a decoder with skips give the refined gradient, squashed by tanh.

``residual=True`` (our registered variants) predicts a correction instead: the output is the
input plus the decoder's output, clamped to [-1, 1], and the last conv starts at zero, so an
untrained network returns its input. Gradients are small numbers (mean |g| ~0.01-0.05) that the
propagation already gets mostly right; with the paper's direct output a short training run has
to relearn the whole map and ends worse than its input (model card, first CPU run), while the
residual form can only start from "no change".

The original measures the statistics with boolean indexing in a per-sample Python loop, which
yields NaN (and NaN output everywhere) when the 1/4-scale hole is empty or tiny. Here they are
masked sums with the count clamped to >= 1 (:func:`masked_mean_std`): identical where the
original is defined (unbiased variance + 1e-5, as ``torch.var``), finite everywhere, and free of
data-dependent shapes so the graph exports to ONNX. H and W must be multiples of 4.
"""

from __future__ import annotations

import torch
from torch import nn

from isvi_models.nets.layers import ConvBlock, ResBlock, UpConvBlock

PAD_MULTIPLE = 4
EPS = 1e-5


def masked_mean_std(feat: torch.Tensor, mask: torch.Tensor, eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of ``feat`` over the pixels where ``mask`` is 1.

    Args:
        feat: (B, C, H, W).  mask: (B, 1, H, W) in {0, 1}.

    Returns:
        mean, std, each (B, C, 1, 1); std = sqrt(unbiased variance + eps). With fewer than two
        selected pixels the counts are clamped to 1, so an empty selection gives mean 0 and std
        sqrt(eps) instead of NaN.
    """
    n = mask.sum(dim=(2, 3), keepdim=True)
    mean = (feat * mask).sum(dim=(2, 3), keepdim=True) / torch.clamp(n, min=1.0)
    var = (((feat - mean) * mask) ** 2).sum(dim=(2, 3), keepdim=True) / torch.clamp(n - 1, min=1.0)
    return mean, torch.sqrt(var + eps)


class AdaptiveStyleFusion(nn.Module):
    """ASF layer: hole features -> normalised by hole stats, re-styled by gamma/beta from both regions' stats."""

    def __init__(self, channels: int, *, bias: bool = True):
        super().__init__()
        self.gamma = ConvBlock(2 * channels, channels, 1, bias=bias)
        self.beta = ConvBlock(2 * channels, channels, 1, bias=bias)

    def forward(self, feat: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        valid_mean, valid_std = masked_mean_std(feat, 1 - hole)
        hole_mean, hole_std = masked_mean_std(feat, hole)
        gamma = self.gamma(torch.cat((valid_std, hole_std), dim=1))
        beta = self.beta(torch.cat((valid_mean, hole_mean), dim=1))
        restyled = (feat - hole_mean) / hole_std * gamma + beta
        return feat * (1 - hole) + restyled * hole


class StyleFusionBlock(nn.Module):
    """ASF -> conv3x3 -> ASF -> conv3x3, plus the input (``FeatureTransferBlock`` in the original)."""

    def __init__(self, channels: int, *, bias: bool = True):
        super().__init__()
        self.asf1 = AdaptiveStyleFusion(channels, bias=bias)
        self.conv1 = ConvBlock(channels, channels, 3, bias=bias)
        self.asf2 = AdaptiveStyleFusion(channels, bias=bias)
        self.conv2 = ConvBlock(channels, channels, 3, bias=bias)

    def forward(self, feat: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        x = self.conv1(self.asf1(feat, hole))
        return feat + self.conv2(self.asf2(x, hole))


class ASFN(nn.Module):
    """Adaptive style fusion network (the generator).

    Args:
        cnum: base width c (encoder c -> 2c -> 4c).
        transfer_blocks: :class:`StyleFusionBlock` count at 1/4 resolution.
        res_blocks: residual blocks after them.
        skip_connection: concatenate encoder features into the decoder (as the released config).
        bias: conv biases.
        residual: output = clamp(input + correction, -1, 1) with the last conv zero-initialised.

    Shape:
        image (B, 3, H, W) float32; mask (B, 1, H, W) in {0, 1} (1 = hole) -> (B, 3, H, W) in (-1, 1).
        H and W must be multiples of 4.
    """

    pad_multiple = PAD_MULTIPLE

    def __init__(self, cnum: int = 48, transfer_blocks: int = 1, res_blocks: int = 1, *,
                 skip_connection: bool = True, bias: bool = True, residual: bool = False):
        super().__init__()
        if cnum < 2 or cnum % 2:
            raise ValueError(f"cnum must be even and >= 2, got {cnum}")
        c = cnum
        self.config = dict(cnum=cnum, transfer_blocks=transfer_blocks, res_blocks=res_blocks,
                           skip_connection=skip_connection, bias=bias, residual=residual)
        self.residual = residual
        self.skip_connection = skip_connection
        self.encoder12 = nn.Sequential(ConvBlock(4, c, 5, reflect_pad=2, bias=bias),
                                       ConvBlock(c, 2 * c, 3, stride=2, bias=bias))
        self.encoder24 = nn.Sequential(ConvBlock(2 * c, 2 * c, 3, bias=bias),
                                       ConvBlock(2 * c, 4 * c, 3, stride=2, bias=bias))
        self.transfer = nn.ModuleList([StyleFusionBlock(4 * c, bias=bias) for _ in range(transfer_blocks)])
        self.refine = nn.Sequential(*[ResBlock(4 * c, bias=bias) for _ in range(res_blocks)])
        k = 2 if skip_connection else 1
        self.decoder42 = nn.Sequential(UpConvBlock(4 * c * k, 2 * c, mode="bilinear", bias=bias),
                                       ConvBlock(2 * c, 2 * c, 3, bias=bias))
        self.decoder21 = nn.Sequential(UpConvBlock(2 * c * k, c, mode="bilinear", bias=bias),
                                       ConvBlock(c, c // 2, 3, bias=bias))
        self.final = ConvBlock(c // 2, 3, 3, bias=bias, act=False)
        if residual:
            for p in self.final.parameters():
                nn.init.zeros_(p)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[-2:]
        if h % PAD_MULTIPLE or w % PAD_MULTIPLE:
            raise ValueError(f"H and W must be multiples of {PAD_MULTIPLE}, got {h}x{w} (pad first)")
        hole4 = mask[:, :, ::4, ::4]  # nearest downsampling by 4
        a2 = self.encoder12(torch.cat((image, mask), dim=1))
        a4 = self.encoder24(a2)
        x = a4
        for block in self.transfer:
            x = block(x, hole4)
        x = self.refine(a4 + x)
        if self.skip_connection:
            x = torch.cat((x, a4), dim=1)
        x = self.decoder42(x)
        if self.skip_connection:
            x = torch.cat((x, a2), dim=1)
        out = self.final(self.decoder21(x))
        if self.residual:
            return torch.clamp(image + out, -1.0, 1.0)
        return torch.tanh(out)
