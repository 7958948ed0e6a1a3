"""Building blocks shared by IGFC, ASFN and the discriminator.

Every block is plain ``Conv2d`` + ``LeakyReLU(0.2)`` so the exported ONNX graph holds only
``Conv``, ``LeakyRelu``, ``Resize`` and elementwise ops. Spectral normalisation uses
``torch.nn.utils.parametrizations.spectral_norm`` during training and is folded into a plain
weight by :func:`fold_spectral_norm` before export (ISVI never calls ``.eval()``, so it runs one
power iteration per call; after folding the weight is fixed, as in PyTorch's eval mode).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

NEGATIVE_SLOPE = 0.2


def init_conv(conv: nn.Conv2d) -> nn.Conv2d:
    """Kaiming-normal (fan-in, gain sqrt(2)) weights and zero bias, the original's ``init_weights``.

    PyTorch's default (kaiming-uniform with a=sqrt(5)) shrinks activations layer by layer, so a
    randomly initialised network would be almost the identity on its residual path; this init
    keeps signal through depth. Applied before spectral norm wraps the conv, so its power
    iteration starts from the final weight.
    """
    nn.init.kaiming_normal_(conv.weight, a=0, mode="fan_in")
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    return conv


class ConvBlock(nn.Module):
    """Conv2d followed by LeakyReLU(0.2) (or nothing when ``act=False``).

    Padding defaults to "same" for odd kernels: ``dilation * (kernel - 1) // 2``.
    ``reflect_pad`` adds a ``ReflectionPad2d`` in front and turns the conv's own padding off,
    as the first 5x5 layer of both generators does.
    """

    def __init__(self, cin: int, cout: int, kernel: int = 3, *, stride: int = 1, dilation: int = 1,
                 act: bool = True, bias: bool = True, spectral: bool = False, reflect_pad: int = 0):
        super().__init__()
        padding = 0 if reflect_pad else dilation * (kernel - 1) // 2
        self.pad = nn.ReflectionPad2d(reflect_pad) if reflect_pad else nn.Identity()
        conv = init_conv(nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias))
        self.conv = spectral_norm(conv) if spectral else conv
        self.act = nn.LeakyReLU(NEGATIVE_SLOPE) if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(self.pad(x)))


class UpConvBlock(nn.Module):
    """x2 upsampling (``nearest`` in IGFC, ``bilinear`` in ASFN) then a 3x3 :class:`ConvBlock`."""

    def __init__(self, cin: int, cout: int, *, mode: str = "nearest", bias: bool = True):
        super().__init__()
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"mode must be 'nearest' or 'bilinear', got {mode!r}")
        self.mode = mode
        self.conv = ConvBlock(cin, cout, 3, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "nearest":
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        else:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.conv(x)


class ResBlock(nn.Module):
    """conv3x3 -> LeakyReLU -> conv3x3, plus the input (no normalisation)."""

    def __init__(self, channels: int, *, bias: bool = True):
        super().__init__()
        self.conv1 = ConvBlock(channels, channels, 3, bias=bias)
        self.conv2 = ConvBlock(channels, channels, 3, bias=bias, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.conv1(x))


def fold_spectral_norm(model: nn.Module) -> nn.Module:
    """Replace every spectral-norm parametrisation by the plain weight it currently yields.

    Call on a model in eval mode (no power iteration runs then), so the folded weight equals what
    the model used in its last eval forward. Modifies ``model`` in place and returns it.
    """
    for module in model.modules():
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
    return model


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars (spectral-norm ``u``/``v`` buffers excluded)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
