"""Networks of ISVI (IGFC, ASFN, SN-PatchGAN) and the splatting op they need.

Importing this package imports torch; ``isvi_models`` itself does not.
"""

from isvi_models.nets.asfn import ASFN, AdaptiveStyleFusion, StyleFusionBlock, masked_mean_std
from isvi_models.nets.discriminator import PatchDiscriminator
from isvi_models.nets.igfc import IGFC, FlowFusion, SpatialAttention
from isvi_models.nets.layers import ConvBlock, ResBlock, UpConvBlock, count_parameters, fold_spectral_norm
from isvi_models.nets.registry import create_model, list_models, register_model
from isvi_models.nets.splat import ForwardSplat, forward_splat

__all__ = [
    "ASFN",
    "AdaptiveStyleFusion",
    "ConvBlock",
    "FlowFusion",
    "ForwardSplat",
    "IGFC",
    "PatchDiscriminator",
    "ResBlock",
    "SpatialAttention",
    "StyleFusionBlock",
    "UpConvBlock",
    "count_parameters",
    "create_model",
    "fold_spectral_norm",
    "forward_splat",
    "list_models",
    "masked_mean_std",
    "register_model",
]
