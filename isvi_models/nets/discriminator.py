"""SN-PatchGAN discriminator used to train ASFN (training only; never exported or run in the pipeline).

Six 5x5 stride-2 convolutions, all spectrally normalised (no bias, as in the original when SN is
on), LeakyReLU(0.2) between them and no activation at the end: each output pixel is a hinge-loss
logit for one patch of the input gradient map.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from isvi_models.nets.layers import NEGATIVE_SLOPE, init_conv


class PatchDiscriminator(nn.Module):
    """SN-PatchGAN.

    Args:
        in_channels: input channels (3 for an RGB gradient map).
        nf: width of the first layer; the widths are nf, 2nf, 4nf, 4nf, 4nf, 4nf.
        spectral: spectral-normalise every conv (the bias is dropped when on).

    Shape:
        (B, in_channels, H, W) -> (B, 4nf, ceil(H/64), ceil(W/64)) patch logits.
    """

    def __init__(self, in_channels: int = 3, nf: int = 64, *, spectral: bool = True):
        super().__init__()
        self.config = dict(in_channels=in_channels, nf=nf, spectral=spectral)
        widths = [in_channels, nf, 2 * nf, 4 * nf, 4 * nf, 4 * nf, 4 * nf]
        layers: list[nn.Module] = []
        for k, (cin, cout) in enumerate(zip(widths[:-1], widths[1:])):
            conv = init_conv(nn.Conv2d(cin, cout, 5, stride=2, padding=2, bias=not spectral))
            layers.append(spectral_norm(conv) if spectral else conv)
            if k < len(widths) - 2:
                layers.append(nn.LeakyReLU(NEGATIVE_SLOPE))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
