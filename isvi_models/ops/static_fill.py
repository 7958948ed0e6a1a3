"""The zero-motion candidate: copy a hole pixel from the nearest frame that shows it, where the
scene around the hole did not change between the two frames.

On a fixed camera with a still background (a moving square over a static scene, a blob over
pedestrians' floor) the same pixel in another frame is the right content, exactly: copying
its colour beats any propagation along estimated flow, whose completion inside the hole is
smoothed from the boundary (where people move) and whose gradients go through a Poisson
solve. Elsewhere (a pan, a tilt) the copy would be wrong, so it is only taken where the
evidence says the scene held still: per connected piece of the hole, the ring of known
pixels around it must agree between the two frames (a share ``min_agree`` of the ring within
``tol``). Frames are tried nearest first, both directions, so each pixel gets the nearest
frame that passes. What no frame gives stays a hole for the flow-guided fill.
"""

from __future__ import annotations

import numpy as np


def _ring_labels(labels: np.ndarray, ring_px: int) -> np.ndarray:
    """Each pixel within ``ring_px`` of a hole piece gets that piece's label (ties: the larger)."""
    import cv2

    size = 2 * ring_px + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.dilate(labels.astype(np.float32), kernel).astype(np.int32)


def static_fill(frames: np.ndarray, holes: np.ndarray, flow_fwd: np.ndarray | None = None,
                flow_bwd: np.ndarray | None = None, *, tol: float = 16 / 255, min_agree: float = 0.8,
                ring_px: int = 6, min_ring: int = 16, still_px: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Fill what the zero-motion candidate can in float frames (T, H, W, C) and bool holes (T, H, W).

    Returns the frames with those pixels copied in (others unchanged) and the holes left.
    A piece of frame t's hole takes frame s's pixels where s shows them when at least
    ``min_agree`` of its ring (known in both frames, at least ``min_ring`` pixels) differs by
    less than ``tol`` in every channel.
    """
    import cv2

    T = frames.shape[0]
    out = frames.copy()
    left = holes.copy()
    # where the (completed) flow says a pixel stays put between neighbouring frames
    still_f = None if flow_fwd is None else np.hypot(flow_fwd[..., 0], flow_fwd[..., 1]) < still_px
    still_b = None if flow_bwd is None else np.hypot(flow_bwd[..., 0], flow_bwd[..., 1]) < still_px
    for t in range(T):
        if not holes[t].any():
            continue
        n, labels = cv2.connectedComponents(holes[t].astype(np.uint8), connectivity=8)
        near = _ring_labels(labels, ring_px)
        ring = (near > 0) & ~holes[t]
        path = {-1: np.ones(holes.shape[1:], bool), 1: np.ones(holes.shape[1:], bool)}  # still all the way
        for d in range(1, T):
            for s in (t - d, t + d):
                if not 0 <= s < T:
                    continue
                step = 1 if s > t else -1
                if still_f is not None and still_b is not None:
                    path[step] &= still_f[s - 1] if step > 0 else still_b[s]
                cand = left[t] & ~holes[s] & path[step]
                if not cand.any():
                    continue
                both = ring & ~holes[s]
                same = np.abs(frames[t] - frames[s]).max(axis=-1) < tol
                count = np.bincount(near[both], minlength=n)
                agree = np.bincount(near[both], weights=same[both], minlength=n)
                ok = (count >= min_ring) & (agree >= min_agree * np.maximum(count, 1))
                ok[0] = False
                take = cand & ok[labels]
                if take.any():
                    out[t][take] = frames[s][take]
                    left[t] &= ~take
            if not left[t].any() or (t - d < 0 and t + d >= T):
                break
    return out, left
