"""Image gradients as ISVI uses them: forward differences, and the positions a hole touches."""

from __future__ import annotations

import numpy as np


def image_gradients(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward differences of (..., H, W, C) frames; the last column of gx and last row of gy are 0."""
    gx = np.zeros_like(frames, dtype=np.float32)
    gy = np.zeros_like(frames, dtype=np.float32)
    gx[..., :, :-1, :] = frames[..., :, 1:, :] - frames[..., :, :-1, :]
    gy[..., :-1, :, :] = frames[..., 1:, :, :] - frames[..., :-1, :, :]
    return gx, gy


def gradient_hole(holes: np.ndarray) -> np.ndarray:
    """Gradient positions whose forward difference reads a hole pixel: hole | right-shift | down-shift.

    ``gx[y, x]`` reads pixels (y, x) and (y, x+1), so it is unknown if either is in the hole.
    """
    g = holes.copy()
    g[..., :, :-1] |= holes[..., :, 1:]
    g[..., :-1, :] |= holes[..., 1:, :]
    return g
