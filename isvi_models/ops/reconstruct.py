"""From propagated gradients to colours: the key-frame loop and the final Poisson solves (ISVI S8-S10).

Propagation leaves some positions without a source when no frame ever shows them (a
static logo over a static shot). As in ISVI, the frame with the most such positions
becomes a key frame: its colours are solved from the gradients it does have, the rest is
filled spatially, the frame becomes fully known, and propagation runs again so the other
frames borrow the key frame's content. This repeats until every position has a source.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from isvi_models.interfaces import GradientRefiner
from isvi_models.ops.gradients import gradient_hole, image_gradients
from isvi_models.ops.overlay import plausible, recover
from isvi_models.ops.poisson import poisson_solve
from isvi_models.ops.propagation import broken_pairs, propagate_gradients
from isvi_models.ops.spatial import spatial_fill


# (t, frame, hole, missing) -> (colours, found): colours for frame t's missing positions from
# reference frames (``isvi_models.ops.references``)
Reach = Callable[[int, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def fill_key_frame(frame: np.ndarray, hole: np.ndarray, gx: np.ndarray, gy: np.ndarray, missing: np.ndarray,
                   method: str, reach: Reach | None = None, t: int = 0) -> np.ndarray:
    """Fill a key frame's hole: a spatial fill of the whole hole, then one Poisson solve that takes
    the propagated gradients where there are any and the spatial fill's gradients where not.
    With ``reach``, missing positions that a reference frame shows (``t``: the frame's index in the
    window; :mod:`isvi_models.ops.references`) take its colours first and the spatial fill works around them.

    Solving the propagated gradients first and filling only what they cannot reach (as before)
    left a few isolated pixels solved from gradients at a static hole's edge, which the spatial
    fill then took as known (up to 160 levels off on the burnt-in watermark clip). On the 11 dev
    clips (``benchmarks/devset.md``) this order scored 25.30 dB against 25.12 (vtest_static_blob
    +1.79, testmovie_burnt_text +0.19, fish_static_text -0.30, city_subtitles -0.12).
    """
    base = np.clip(frame, 0.0, 1.0)
    todo = hole
    if reach is not None and missing.any():
        colours, found = reach(t, frame, hole, missing)
        base, todo = base.copy(), hole & ~found
        base[found] = colours[found]
    spatial = spatial_fill(base, todo, method) if todo.any() else base
    sgx, sgy = image_gradients(spatial)
    use_spatial = missing[..., None]
    out, _ = poisson_solve(spatial, hole, np.where(use_spatial, sgx, gx), np.where(use_spatial, sgy, gy))
    return np.clip(out, 0.0, 1.0)


def _recovered_gradients(frames: np.ndarray, holes: np.ndarray, overlay: tuple[np.ndarray, np.ndarray]):
    """Gradients of the background recovered from under the overlay, and where each is usable: both of
    its pixels recovered or outside the hole. Returns (gx, gy, ok_x, ok_y), or None where the recovered
    background is much rougher than the scene around the hole (:func:`~isvi_models.ops.overlay.plausible`)."""
    colours, usable = recover(frames, *overlay)
    if not plausible(frames, holes, colours, usable)[0]:
        return None
    gx, gy = image_gradients(colours)
    known = usable[None] | ~holes
    ok_x, ok_y = np.zeros_like(known), np.zeros_like(known)
    ok_x[:, :, :-1] = known[:, :, :-1] & known[:, :, 1:]
    ok_y[:, :-1] = known[:, :-1] & known[:, 1:]
    return gx, gy, ok_x, ok_y


def _take_recovered(gxf, gyf, missing, unreached, own):
    """The recovered gradients at the positions ``unreached`` marks; those with both directions usable are
    no longer missing."""
    gx, gy, ok_x, ok_y = own
    at_x, at_y = unreached & ok_x, unreached & ok_y
    gxf[at_x], gyf[at_y] = gx[at_x], gy[at_y]
    return gxf, gyf, missing & ~(at_x & at_y)


def fill_holes(frames: np.ndarray, holes: np.ndarray, flow_fwd: np.ndarray, flow_bwd: np.ndarray, *,
               consistency_px: float = 100.0, alpha: float = 0.5, spatial_method: str = "fsr",
               max_key_frames: int = 8, max_trace_px: float = math.inf, refiner: GradientRefiner | None = None,
               reach: Reach | None = None, overlay: tuple[np.ndarray, np.ndarray] | None = None,
               on_stage: Callable[[str], None] | None = None) -> np.ndarray:
    """Inpaint ``holes`` (T, H, W) of float32 frames (T, H, W, 3) given completed flows; ``reach``
    (see :func:`fill_key_frame`) looks up key-frame positions no chain reached in reference frames.
    ``overlay``: the opacity (H, W; NaN where not recoverable) and colour of a semi-transparent
    overlay over the holes (:mod:`isvi_models.ops.overlay`); positions of a frame that no chain
    reached take the gradients of the background recovered from that frame's own pixels instead
    of what the key frames' spatial fill carried there (where no position of a frame is reached,
    the Poisson solve gives the recovered colours themselves). Where chains reach, their
    gradients stay: on moving cameras they scored above the recovered background
    (``benchmarks/devset.md``, twelfth round). A window whose recovered background is much rougher
    than the scene around the hole keeps the fill (:func:`~isvi_models.ops.overlay.plausible`).

    Returns float32 frames in [0, 1]; pixels outside ``holes`` are returned unchanged.
    """
    frames = frames.astype(np.float32, copy=True)
    own = None if overlay is None else _recovered_gradients(frames, holes, overlay)
    holes = holes.copy()
    unreached = None
    gx, gy = image_gradients(frames)
    ghole = gradient_hole(holes)
    note = on_stage or (lambda name: None)
    broken = broken_pairs(flow_fwd, flow_bwd, holes)  # cuts inside the window: no chain crosses them
    for round_ in range(max_key_frames + 1):
        gxf, gyf, missing = propagate_gradients(gx, gy, ghole, flow_fwd, flow_bwd,
                                                consistency_px=consistency_px, alpha=alpha,
                                                max_trace_px=max_trace_px, frames=frames, broken=broken)
        note("propagate")
        if own is not None:
            if unreached is None:  # what no chain reaches before any key frame: behind the overlay
                unreached = missing.copy()
            gxf, gyf, missing = _take_recovered(gxf, gyf, missing, unreached, own)
        if not missing.any():
            break
        if round_ == max_key_frames:
            # Budget spent: fill the remaining frames on their own rather than loop on.
            for t in np.nonzero(missing.any(axis=(1, 2)))[0]:
                frames[t] = fill_key_frame(frames[t], holes[t], gxf[t], gyf[t], missing[t], spatial_method, reach, t)
                holes[t] = False
            break
        key = int(np.argmax(missing.sum(axis=(1, 2))))
        frames[key] = fill_key_frame(frames[key], holes[key], gxf[key], gyf[key], missing[key], spatial_method,
                                     reach, key)
        holes[key] = False
        ghole[key] = False
        gx[key], gy[key] = image_gradients(frames[key])
        note("key-frame")
    if refiner is not None:
        gxf, gyf = refiner(gxf, gyf, holes)
        note("style-fusion")
    for t in np.nonzero(holes.any(axis=(1, 2)))[0]:
        frames[t], _ = poisson_solve(frames[t], holes[t], gxf[t], gyf[t])
    note("reconstruct")
    return np.clip(frames, 0.0, 1.0)
