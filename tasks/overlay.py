"""A video's semi-transparent overlay, for the method (:mod:`isvi_models.ops.overlay`).

Frames spread evenly over the whole video (across its shots: the estimate needs many scenes
under the overlay) are read with their grown holes; those that have the hole, cut to the part
of the frame the estimate reads, go to :func:`isvi_models.ops.overlay.estimate_overlay`.
``isvi inpaint`` and the batch's overlay stage both call :func:`video_overlay`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from isvi_models.ops.overlay import Overlay, estimate_overlay, overlay_box

log = logging.getLogger(__name__)

# read(start, stop) -> (uint8 frames (n, H, W, 3), grown holes (n, H, W)), as the window drivers read
Reader = Callable[[int, int], tuple[np.ndarray, np.ndarray]]


def video_overlay(read: Reader, n_frames: int, samples: int, name: str = "") -> tuple[Overlay | None, str]:
    """The overlay under the video's static hole from ``samples`` frames spread over its ``n_frames``,
    or ``(None, reason)``: off (``samples`` 0), a mask that is not one static hole in the sampled
    frames, or samples that do not determine the overlay. Memory: the samples' cut-outs only."""
    if samples <= 0:
        return None, "off"
    times = np.unique(np.linspace(0, max(n_frames - 1, 0), min(samples, n_frames)).round().astype(int))
    hole, box, cuts = None, None, []
    for t in times:
        frames, holes = read(int(t), int(t) + 1)
        if not holes[0].any():
            continue  # a detected overlay's hole only in the frames that show it
        if hole is None:
            hole, box = holes[0], overlay_box(holes[0])
        elif not np.array_equal(holes[0], hole):
            return _note(name, None, "the mask is not one static hole")
        y0, y1, x0, x1 = box
        cuts.append(frames[0, y0:y1, x0:x1])
    if hole is None:
        return _note(name, None, "no hole in the sampled frames")
    y0, y1, x0, x1 = box
    return _note(name, *estimate_overlay(np.stack(cuts), hole[y0:y1, x0:x1], (y0, x0)))


def describe(overlay: Overlay) -> str:
    """One line for the user: what was estimated and what is done with it."""
    a = overlay.opacity[np.isfinite(overlay.opacity)]
    return (f"semi-transparent overlay undone where no frame shows what it covers (opacity up to "
            f"{float(a.max()):.2f}, colour {np.round(overlay.colour * 255).astype(int).tolist()})")


def _note(name: str, overlay: Overlay | None, reason: str) -> tuple[Overlay | None, str]:
    if overlay is None:
        log.info("%s: no semi-transparent overlay undone: %s", name, reason)
    else:
        log.info("%s: %s", name, describe(overlay))
    return overlay, reason
