"""Untrained networks whose output depends on every layer, for parity and shape tests.

The registered ASFN variants predict a correction with a zero-initialised last conv, so a fresh
one returns its input unchanged; an export-parity test on it would pass even if the decoder
were wrong. :func:`random_asfn` gives that last conv random weights too.
"""

from __future__ import annotations


def random_asfn(variant: str = "asfn_tiny", **overrides):
    """``create_model(variant)`` with the last conv re-initialised like every other conv."""
    from isvi_models.nets import create_model
    from isvi_models.nets.layers import init_conv

    net = create_model(variant, **overrides)
    init_conv(net.final.conv)
    return net
