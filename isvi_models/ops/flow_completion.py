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

    def complete_both(self, flow_fwd: np.ndarray, flow_bwd: np.ndarray,
                      frame_holes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fill forward flows F_{k->k+1} and backward flows F_{k->k-1} together, frame by frame.

        Both flows leaving frame k use frame k's hole, so one factorisation serves the four
        channels; completing the directions one after the other would factorise every hole
        twice (an LU of a 31k-pixel hole is ~33 MB, too big to cache a window's worth).
        """
        check_shape(frame_holes, f"{flow_fwd.shape[0] + 1} {flow_fwd.shape[1]} {flow_fwd.shape[2]}", "frame_holes")
        fwd, bwd = flow_fwd.astype(np.float32, copy=True), flow_bwd.astype(np.float32, copy=True)
        t = frame_holes.shape[0]
        for k in range(t):
            parts = ([fwd[k]] if k < t - 1 else []) + ([bwd[k - 1]] if k > 0 else [])
            if not parts:
                continue
            stacked = np.concatenate(parts, axis=-1)
            if frame_holes[k].all():
                stacked = np.zeros_like(stacked)  # nothing known about this frame's motion: assume none
            elif frame_holes[k].any():
                stacked, _ = poisson_solve(stacked, frame_holes[k])
            if k < t - 1:
                fwd[k] = stacked[..., :2]
            if k > 0:
                bwd[k - 1] = stacked[..., -2:]
        return fwd, bwd
