"""The detector's tuning (:class:`DetectionParams`): one frozen value instead of a score of
keywords, so a caller changes what it means to (``DetectionParams(motion_model="dense")``,
:func:`dataclasses.replace`) and the second estimate reuses the first's exactly."""

from __future__ import annotations

from dataclasses import dataclass

MOTION_MODELS = ("homography", "dense")
ANALYSIS_MAX_SIDE = 1280  # analysis scale: frames larger than this are reduced
DEDUPE_LEVEL = 1.5  # mean absolute thumbnail difference (grey levels) below which a frame is redundant


@dataclass(frozen=True)
class DetectionParams:
    """How :func:`media.watermark.detect_static_overlay` reads the evidence; the defaults are
    the detector's (the steps are those of :mod:`media.watermark`). Frozen, so one default
    instance can be every function's default argument."""

    # Safety margin around the mask, in analysis pixels (scaled to full size; step 7).
    margin: int = 3
    # Frames are analysed at most this many pixels on the long side (memory; the mask is scaled back up).
    analysis_max_side: int = ANALYSIS_MAX_SIDE
    # A frame within this mean thumbnail difference (grey levels) of a kept one is redundant (step 1; 0 keeps all).
    dedupe_level: float = DEDUPE_LEVEL
    # Gradient magnitude below which a pixel is untextured, and the threshold's floor (steps 5, 6).
    abs_floor: float = 24.0
    # Strong edges: persistent-edge strength above this times the moving background's 99th percentile (step 6).
    k_background: float = 2.0
    # Weak edges (hysteresis): above this times the background level, kept in regions with strong ones (step 6).
    k_weak: float = 1.5
    # Strong edge pixels a region needs to be kept (step 6).
    min_strong: int = 30
    # R = |median - prediction| / mean |g| at or above this is persistent (step 4).
    min_persistence: float = 0.35
    # Share of the textured content that must have moved, else the clip is refused as too static (step 5).
    min_motion: float = 0.5
    # Regions smaller than this share of the frame are dropped (step 7).
    min_area: float = 2e-4
    # Regions whose edges' structure-tensor isotropy is below this (one direction only) are dropped (step 7).
    min_isotropy: float = 0.08
    # Closing disc radius, as a share of the frame diagonal, that joins strokes and letters (step 7).
    close_frac: float = 0.012
    # Px: shots moving less have no camera model (step 2); edges the scene moved less across count against clarity.
    min_shift: float = 4.0
    # How the moving scene is predicted: one of MOTION_MODELS (a homography per shot, or dense DIS flow; step 2).
    motion_model: str = "homography"
    # Dense model: px a pair's flow must move the content to predict it there (step 2).
    min_flow: float = 1.5
    # Dense model: flow is computed at most this many pixels wide (step 2).
    flow_max_side: int = 640
    # Dense model: a pair whose warped frame stays this many grey levels off on average is skipped (a cut; step 2).
    cut_level: float = 20.0
    # Drift test: largest shift (px) an edge is compared against; 0 turns the test off (step 3).
    max_drift: int = 6
    # Drift test: side (px) of the window the edge textures are correlated in (step 3).
    drift_window: int = 15
    # Clarity: edges within this share of the frame diagonal around the mask are counted (confidence).
    ambiguity_reach: float = 0.05
