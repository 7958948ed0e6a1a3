"""The three places where a learned model can replace a classical stage.

The classical pipeline ships one implementation of each (OpenCV DIS flow, Laplacian flow
fill, identity gradient refinement); ONNX models (IGFC, ASFN, a flow network) plug in by
implementing the same call. Conventions: frames float32 RGB in [0, 1], channels last;
flow float32 in pixels, last axis (dx, dy); holes bool, True = missing.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np

Direction = Literal["forward", "backward"]


class FlowEstimator(Protocol):
    def __call__(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """frames (T, H, W, 3) -> forward flows t->t+1 and backward flows t+1->t, each (T-1, H, W, 2)."""


class FlowCompleter(Protocol):
    def __call__(self, flows: np.ndarray, holes: np.ndarray, direction: Direction) -> np.ndarray:
        """Fill ``flows`` (T-1, H, W, 2) inside ``holes`` (T-1, H, W); values outside stay as given.

        ``holes[k]`` is the hole of the flow's source frame. For ``"backward"`` the flows are
        F_{k+1->k} in time order; a completer that needs the inertia order reverses them itself.

        A completer may also offer ``complete_both(flow_fwd, flow_bwd, frame_holes)`` returning
        both completed directions, when it can share work between them (the pipeline prefers it).
        """


class GradientRefiner(Protocol):
    def __call__(self, gx: np.ndarray, gy: np.ndarray, holes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Refine propagated gradients gx, gy (T, H, W, 3) inside ``holes`` (T, H, W) (ASFN's place)."""
