"""The ISVI window pipeline, in the order the method runs, as one set of stage functions.

    crop:      frames + holes -> working region           (``region.crop_to_working``)
    flow:      forward/backward flow on pre-filled frames (``estimate_flow``)
    complete:  flow completed inside the grown hole       (``complete_flow``)
    fill:      propagate gradients, fuse, key frames (looking up reference frames of the
               shot, in the window and beyond it, ``reference_reach``), Poisson (``fill``)
    paste:     result written back into the hole pixels   (``region.paste_back``)

:func:`inpaint_frames` runs them all on one window; ``isvi inpaint``'s window loop calls it,
and the batch runs (and caches) the same functions one stage per task, so the method is wired
once. Arrays in, arrays out: no I/O, no Prefect, no configuration files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from isvi_models.errors import check_shape
from isvi_models.interfaces import FlowCompleter, FlowEstimator, GradientRefiner
from isvi_models.ops.flow import DISFlowEstimator
from isvi_models.ops.flow_completion import LaplaceCompleter, laplace_fill_flows
from isvi_models.ops.masks import dilate_holes
from isvi_models.ops.overlay import Overlay
from isvi_models.ops.poisson import poisson_solve
from isvi_models.ops.propagation import broken_pairs
from isvi_models.ops.reconstruct import Reach, fill_holes
from isvi_models.ops.rigid_flow import clean_noise_flow
from isvi_models.ops.references import ReferenceView, reference_colours
from isvi_models.ops.static_fill import static_fill
from isvi_models.ops.still import is_still, snap_still
from isvi_models.region import Region, WorkingSet, crop_to_working, paste_back, working_region

StageNote = Callable[[str], None]


@dataclass
class MethodSettings:
    """Knobs of the method (a subset of the job config), with the stage implementations."""

    # working region
    max_side: int = 960
    roi: bool = True
    roi_margin_px: int = 64
    # flow, completion, fill
    flow_dilate_px: int = 14
    consistency_px: float = 100.0
    alpha: float = 0.5
    spatial_fill: str = "fsr"
    max_key_frames: int = 8
    max_trace_px: float = math.inf
    zero_motion: bool = False  # copy hole pixels from frames where the scene around them held still
    still_snap_px: float = 2.0  # on still pairs, completed flow under this is set to zero (0: off)
    noise_flow_px: float = 1.0  # on rigid pairs, incoherent flow this far off the homography takes it (0: off)
    reference_fb_px: float = 1.0  # round trip (px) a key-frame position's lookup in a reference must close within
    reference_still_change: float = 0.01  # on still pairs: ring change (mean |difference|, 0-1) up to which a
    # position is copied from the same place in a reference
    estimator: FlowEstimator = field(default_factory=DISFlowEstimator)
    completer: FlowCompleter = field(default_factory=LaplaceCompleter)
    refiner: GradientRefiner | None = None


@dataclass(frozen=True)
class References:
    """Reference frames of the shot (in the window and beyond), each with its own hole: uint8 (R, H, W, 3) and bool
    (R, H, W) at full resolution, or float32 working crops once :func:`crop_references` has cut
    them; ``times`` (R,): each one's index relative to the window's first frame (negative before it)."""

    frames: np.ndarray
    holes: np.ndarray
    times: np.ndarray

    def __len__(self) -> int:
        return self.frames.shape[0]


def crop(frames: np.ndarray, holes: np.ndarray, s: MethodSettings) -> WorkingSet | None:
    """uint8 frames (T, H, W, 3) and holes (T, H, W) cropped and scaled to the working size; None without a hole."""
    region = working_region(holes, roi=s.roi, margin_px=s.roi_margin_px, max_side=s.max_side)
    return None if region is None else crop_to_working(frames, holes, region)


def crop_references(refs: References | None, work: WorkingSet) -> References | None:
    """Reference frames cut to the window's working region (the same crop and scale as its frames)."""
    if refs is None or not len(refs):
        return None
    cut = crop_to_working(refs.frames, refs.holes, work.region)
    return References(cut.frames, cut.holes, refs.times)


def crop_overlay(overlay: Overlay | None, region: Region) -> tuple[np.ndarray, np.ndarray] | None:
    """The overlay's opacity over a window's working region, at its working size (NaN where not
    recoverable; nearest-neighbour scaling, so NaN stays NaN), and its colour: what :func:`fill` takes."""
    if overlay is None:
        return None
    import cv2

    opacity = overlay.over(region.y0, region.x0, region.y1 - region.y0, region.x1 - region.x0)
    if opacity.shape[::-1] != region.working_size:
        opacity = cv2.resize(opacity, region.working_size, interpolation=cv2.INTER_NEAREST)
    return opacity, overlay.colour


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


def estimate_flow(frames: np.ndarray, holes: np.ndarray, s: MethodSettings) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward flows (T-1, H, W, 2) between neighbouring working frames; none for one frame.
    With ``noise_flow_px``, noise on rigid pairs is replaced by the pair's global motion
    (:func:`isvi_models.ops.rigid_flow.clean_noise_flow`, which leaves a single pair as it is)."""
    if frames.shape[0] < 2:
        empty = np.zeros((0, *frames.shape[1:3], 2), np.float32)
        return empty, empty
    fwd, bwd = s.estimator(prefill_for_flow(frames, holes))
    if s.noise_flow_px > 0:
        fwd, bwd, _ = clean_noise_flow(frames, holes, fwd, bwd, deviation_px=s.noise_flow_px,
                                       coherence_px=s.noise_flow_px)
    return fwd, bwd


def complete_flow(flow_fwd: np.ndarray, flow_bwd: np.ndarray, holes: np.ndarray,
                  s: MethodSettings) -> tuple[np.ndarray, np.ndarray]:
    """The settings' completer (Laplace or IGFC) on both directions, each inside its source frame's hole
    grown by ``flow_dilate_px``; then, with ``still_snap_px``, noise-level motion on still pairs set to zero."""
    flow_holes = dilate_holes(holes, s.flow_dilate_px)
    both = getattr(s.completer, "complete_both", None)
    if both is not None:  # a completer that can share work between the two directions
        fwd, bwd = both(flow_fwd, flow_bwd, flow_holes)
    else:
        fwd, bwd = s.completer(flow_fwd, flow_holes[:-1], "forward"), s.completer(flow_bwd, flow_holes[1:], "backward")
    if s.still_snap_px > 0 and fwd.shape[0]:
        fwd = snap_still(fwd, flow_holes[:-1], snap_px=s.still_snap_px)
        bwd = snap_still(bwd, flow_holes[1:], snap_px=s.still_snap_px)
    return fwd, bwd


def ring_change(frame: np.ndarray, hole: np.ndarray, ref: np.ndarray, ref_hole: np.ndarray) -> np.ndarray:
    """How much the scene changed between two frames, per position (h, w): the mean absolute
    colour difference where both are known, carried into the holes by a Laplace fill from
    around them. A fixed camera's background that held still gives compression noise (under
    0.01); a passer-by beside the hole gives more (measured in ``benchmarks/devset.md``)."""
    both = ~hole & ~ref_hole
    change = (np.abs(frame - ref).mean(axis=-1) * both)[..., None]
    if not both.all() and both.any():
        change, _ = poisson_solve(change, ~both)
    return change[..., 0]


def reference_reach(refs: References | None, s: MethodSettings, n_frames: int = 0,
                    window_still: bool = True) -> Reach | None:
    """The key-frame lookup in working-size references (:mod:`isvi_models.ops.references`).

    Flows between the key frame and each reference are estimated on the pre-filled pair. The
    flow to the reference is completed inside the key frame's hole as the window's flows are
    (Laplace in the hole grown by ``flow_dilate_px``, then the still snap). The flow back is
    kept as estimated: it matched the reference's content against the key frame's smooth
    pre-fill, so its round trip closes only where the reference agrees with that guess, and
    a textured guess from far away is refused. On a still pair (fixed camera) the positions the
    snap set to zero motion, where the known pixels around the hole did not change between the
    two frames either (:func:`ring_change` under ``reference_still_change``), are zero both ways:
    the same position is taken from the reference, the nearest in time that shows it. References
    inside the window (``n_frames`` long) give that copy only: there the frame-to-frame chains
    are the better evidence, and lookups along one completed flow that they had not confirmed
    lost 0.54 dB on a held-out clip (``benchmarks/devset.md``, fifth round). Where none of the
    window's own neighbouring pairs held still (``window_still`` False: a pan), the references
    inside it are passed over before their flows are estimated. A reference whose flows with the
    key frame fail their round trip almost everywhere (``propagation.broken_pairs``: across a
    cut) is passed over too.
    On the 11 dev clips the estimated flow back scored above a completed one (``benchmarks/devset.md``).
    """
    if refs is None or not len(refs):
        return None

    def reach(t: int, frame: np.ndarray, hole: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        views, grown = [], dilate_holes(hole[None], s.flow_dilate_px)
        for i in np.argsort(np.abs(refs.times - t), kind="stable"):  # nearest first: it wins ties
            if refs.times[i] == t:  # the key frame itself
                continue
            ref, ref_hole = refs.frames[i], refs.holes[i]
            inside = 0 <= refs.times[i] < n_frames
            if inside and not window_still:
                continue
            fwd, bwd = estimate_flow(np.stack([frame, ref]), np.stack([hole, ref_hole]), s)
            if broken_pairs(fwd, bwd, np.stack([hole, ref_hole]))[0]:
                continue  # another scene (a cut that shot detection merged): chance round trips only
            still = s.still_snap_px > 0 and is_still(fwd[0], grown[0]) and is_still(bwd[0], grown[0] | ref_hole)
            if inside and not still:
                continue  # before the flow's Laplace fill: nothing here can pass
            to_ref, back = laplace_fill_flows(fwd, grown)[0], bwd[0]
            if still:
                to_ref = snap_still(to_ref[None], grown, snap_px=s.still_snap_px)[0]
                # snapped and the scene around unchanged: the same position, both ways
                unchanged = ring_change(frame, hole, ref, ref_hole) < s.reference_still_change
                zero = grown[0] & ~to_ref.any(axis=-1) & unchanged
                # inside the window only the copy: the chains there were the better evidence otherwise
                back = np.where(zero[..., None], 0.0, np.full_like(back, np.inf) if inside else back)
            views.append(ReferenceView(ref, ref_hole, to_ref, back))
        return reference_colours(missing, views, s.reference_fb_px)

    return reach


def fill(frames: np.ndarray, holes: np.ndarray, flow_fwd: np.ndarray, flow_bwd: np.ndarray, s: MethodSettings,
         on_stage: StageNote | None = None, references: References | None = None,
         overlay: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Gradient propagation along the completed flows, fusion, key frames and Poisson (``ops.reconstruct``),
    after the zero-motion candidate (``ops.static_fill``) when the settings ask for it. ``references``:
    working-size frames of the shot (:func:`crop_references`) that key frames look positions up in;
    ``overlay``: a semi-transparent overlay's opacity and colour over the working region
    (:func:`crop_overlay`), undone where no chain reaches."""
    if s.zero_motion:
        frames, holes = static_fill(frames, holes, flow_fwd, flow_bwd)
    reach = None
    if references is not None and len(references):
        grown = dilate_holes(holes, s.flow_dilate_px)
        window_still = any(is_still(flow_fwd[k], grown[k]) for k in range(flow_fwd.shape[0]))
        reach = reference_reach(references, s, frames.shape[0], window_still)
    return fill_holes(frames, holes, flow_fwd, flow_bwd, consistency_px=s.consistency_px, alpha=s.alpha,
                      spatial_method=s.spatial_fill, max_key_frames=s.max_key_frames,
                      max_trace_px=s.max_trace_px, refiner=s.refiner,
                      reach=reach, overlay=overlay, on_stage=on_stage)


def inpaint_window(frames: np.ndarray, holes: np.ndarray, settings: MethodSettings | None = None,
                   on_stage: StageNote | None = None, references: References | None = None,
                   overlay: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Inpaint float32 working frames (T, H, W, 3) in [0, 1] inside bool holes (T, H, W).

    ``on_stage(name)`` is called after each stage ("flow", "complete", then the fill's own).
    """
    s = settings or MethodSettings()
    check_shape(frames, "T H W 3", "frames")
    check_shape(holes, f"{frames.shape[0]} {frames.shape[1]} {frames.shape[2]}", "holes")
    note = on_stage or (lambda name: None)
    fwd, bwd = estimate_flow(frames, holes, s)
    note("flow")
    fwd, bwd = complete_flow(fwd, bwd, holes, s)
    note("complete")
    return fill(frames, holes, fwd, bwd, s, on_stage=note, references=references, overlay=overlay)


def inpaint_frames(frames: np.ndarray, holes: np.ndarray, settings: MethodSettings,
                   on_stage: StageNote | None = None, references: References | None = None,
                   overlay: Overlay | None = None) -> np.ndarray:
    """Inpaint uint8 frames (T, H, W, 3) inside (already grown) holes: crop, the method, paste back.
    ``references``: full-resolution reference frames of the shot, raw, with their holes; ``overlay``:
    the video's semi-transparent overlay (:func:`isvi_models.ops.overlay.estimate_overlay`), or None.

    Every pixel outside ``holes`` is returned bit-identical.
    """
    work = crop(frames, holes, settings)
    if work is None:
        return frames.copy()
    result = inpaint_window(work.frames, work.holes, settings, on_stage=on_stage,
                            references=crop_references(references, work), overlay=crop_overlay(overlay, work.region))
    return paste_back(frames, holes, work.region, result)
