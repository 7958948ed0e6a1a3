"""Flow completion by Laplacian (harmonic) diffusion: ISVI's initialisation of IGFC.

Inside the hole each flow channel solves the discrete Laplace equation with the flow on
the hole's border as boundary values, the smoothest field that agrees with the motion
around the hole. Static holes reuse one factorisation for every frame and channel.
"""

from __future__ import annotations

import numpy as np

from isvi_models.errors import check_shape
from isvi_models.interfaces import Direction
from isvi_models.ops.poisson import poisson_solve


def laplace_fill_flows(flows: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """Harmonic fill of flows (K, H, W, 2) inside holes (K, H, W); values outside are kept."""
    check_shape(flows, "K H W 2", "flows")
    check_shape(holes, f"{flows.shape[0]} {flows.shape[1]} {flows.shape[2]}", "holes")
    out = flows.astype(np.float32, copy=True)
    for k in range(flows.shape[0]):
        if holes[k].any() and not holes[k].all():
            out[k], _ = poisson_solve(flows[k], holes[k])
        elif holes[k].all():
            out[k] = 0.0  # nothing known about this frame's motion: assume none
    return out


class LaplaceCompleter:
    """The classical :class:`~isvi_models.interfaces.FlowCompleter`: direction does not matter."""

    def __call__(self, flows: np.ndarray, holes: np.ndarray, direction: Direction) -> np.ndarray:
        return laplace_fill_flows(flows, holes)
