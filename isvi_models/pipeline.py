"""One window of frames through the ISVI stages: flow -> completion -> propagation -> reconstruction.

Each stage is a plain function in ``isvi_models.ops``; this module only wires them, so the
batch flow can run (and cache) the same stages one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from isvi_models.errors import check_shape
from isvi_models.interfaces import FlowCompleter, FlowEstimator, GradientRefiner
from isvi_models.ops.flow import DISFlowEstimator
from isvi_models.ops.flow_completion import LaplaceCompleter
from isvi_models.ops.masks import dilate_holes
from isvi_models.ops.reconstruct import fill_holes


@dataclass
class MethodSettings:
    """Knobs of the method (a subset of the job config), with the stage implementations."""

    flow_dilate_px: int = 20
    consistency_px: float = 100.0
    alpha: float = 0.5
    spatial_fill: str = "fsr"
    max_key_frames: int = 8
    max_trace_px: float = math.inf
    estimator: FlowEstimator = field(default_factory=DISFlowEstimator)
    completer: FlowCompleter = field(default_factory=LaplaceCompleter)
    refiner: GradientRefiner | None = None


def prefill_for_flow(frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """Frames with the hole smoothly pre-filled (OpenCV Navier-Stokes), for flow estimation only.

    A black or logo-covered hole is a strong static edge that drags the estimated motion
    around it towards zero; on a panning test clip pre-filling cut the completed flow's
    error inside the hole from 0.31 px to 0.08 px (flow hole dilated by 8 px).
    """
    import cv2

    out = frames.copy()
    for t in np.nonzero(holes.any(axis=(1, 2)))[0]:
        u8 = np.clip(frames[t] * 255.0 + 0.5, 0, 255).astype(np.uint8)
        out[t] = cv2.inpaint(u8, holes[t].astype(np.uint8), 3, cv2.INPAINT_NS).astype(np.float32) / 255.0
    return out


def complete_flows(flow_fwd: np.ndarray, flow_bwd: np.ndarray, holes: np.ndarray, completer: FlowCompleter,
                   flow_dilate_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Complete both flow directions inside the (further dilated) hole of each flow's source frame."""
    flow_holes = dilate_holes(holes, flow_dilate_px)
    both = getattr(completer, "complete_both", None)
    if both is not None:  # a completer that can share work between the two directions
        return both(flow_fwd, flow_bwd, flow_holes)
    return completer(flow_fwd, flow_holes[:-1], "forward"), completer(flow_bwd, flow_holes[1:], "backward")


def inpaint_window(frames: np.ndarray, holes: np.ndarray, settings: MethodSettings | None = None,
                   on_stage: Callable[[str], None] | None = None) -> np.ndarray:
    """Inpaint float32 frames (T, H, W, 3) in [0, 1] inside bool holes (T, H, W)."""
    s = settings or MethodSettings()
    check_shape(frames, "T H W 3", "frames")
    check_shape(holes, f"{frames.shape[0]} {frames.shape[1]} {frames.shape[2]}", "holes")
    note = on_stage or (lambda name: None)
    if frames.shape[0] < 2:
        fwd = bwd = np.zeros((0, *frames.shape[1:3], 2), np.float32)
    else:
        fwd, bwd = s.estimator(prefill_for_flow(frames, holes))
    note("flow")
    fwd, bwd = complete_flows(fwd, bwd, holes, s.completer, s.flow_dilate_px)
    note("complete")
    return fill_holes(frames, holes, fwd, bwd, consistency_px=s.consistency_px, alpha=s.alpha,
                      spatial_method=s.spatial_fill, max_key_frames=s.max_key_frames,
                      max_trace_px=s.max_trace_px, refiner=s.refiner,
                      on_stage=note)
