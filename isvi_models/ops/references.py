"""Reference frames beyond the window: long temporal reach for positions no chain reaches.

Propagation follows flow between neighbouring frames of one window, so a hole position that
no frame of the window shows is filled spatially on a key frame, even when a frame of the
shot outside the window shows it (the content is revealed later, or was visible before the
window began), or, on a fixed camera, when the frame-to-frame chains inside the window stopped
on the way. ProPainter and E2FGVI take
every k-th frame of the video as non-local references for this; here each reference is such a
frame with its own hole, inside the window or beyond it, and each of a key frame's positions
that no chain reached looks it up directly, along a flow from the key frame to the reference.

That flow is estimated between the two frames (pre-filled) and completed inside the key
frame's hole the way the window's flows are (:func:`isvi_models.pipeline.reference_reach`),
so a position inside a static logo lands inside the reference's logo too and keeps its
spatial fill; a position takes a reference's colour only where the target is known in the
reference (not within 1 px of its hole) and the round trip through the reference's own flow
back to the key frame closes within ``fb_px``. Among references the smallest round trip wins
(the first given, on a tie). Measured per clip in ``benchmarks/devset.md`` (fifth round).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReferenceView:
    """A reference frame as seen from one key frame: the frame, its hole, and the flows between them."""

    frame: np.ndarray     # float32 (h, w, 3) in [0, 1], working size
    hole: np.ndarray      # bool (h, w): unknown in the reference
    to_ref: np.ndarray    # float32 (h, w, 2): key -> reference, completed inside the key frame's hole
    from_ref: np.ndarray  # float32 (h, w, 2): reference -> key


def reference_colours(missing: np.ndarray, views: Sequence[ReferenceView], fb_px: float = 1.0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Colours (h, w, 3) for ``missing`` positions (h, w) of a key frame from ``views``, and
    the positions (h, w) that got one; the others are zero and False."""
    import cv2

    h, w = missing.shape
    colours = np.zeros((h, w, 3), np.float32)
    best = np.full((h, w), np.inf, np.float32)
    ys, xs = np.nonzero(missing)
    if not len(ys):
        return colours, np.zeros((h, w), bool)
    for v in views:
        tx = (xs + v.to_ref[ys, xs, 0]).astype(np.float32)[:, None]
        ty = (ys + v.to_ref[ys, xs, 1]).astype(np.float32)[:, None]
        inside = ((tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1))[:, 0]
        back = cv2.remap(v.from_ref, tx, ty, cv2.INTER_LINEAR)[:, 0]
        err = np.hypot(v.to_ref[ys, xs, 0] + back[:, 0], v.to_ref[ys, xs, 1] + back[:, 1])
        # bilinear samples must not mix in the reference's hole: its 1 px ring is out too
        near_hole = cv2.dilate(v.hole.astype(np.uint8), np.ones((3, 3), np.uint8))
        known = cv2.remap(near_hole, np.rint(tx), np.rint(ty), cv2.INTER_NEAREST,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=1)[:, 0] == 0
        ok = inside & known & (err < fb_px) & (err < best[ys, xs])
        sampled = cv2.remap(v.frame, tx, ty, cv2.INTER_LINEAR)[:, 0]
        best[ys[ok], xs[ok]] = err[ok]
        colours[ys[ok], xs[ok]] = sampled[ok]
    return colours, np.isfinite(best)
