"""Synthetic test material: periodic textures (np.roll shifts them exactly) and tiny clips."""

from __future__ import annotations

import numpy as np


def texture(h: int, w: int, seed: int = 0, sigma: float = 2.0) -> np.ndarray:
    """Smooth periodic RGB texture, uint8, spanning roughly 20..235."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    noise = rng.random((h, w, 3))
    smooth = np.stack([gaussian_filter(noise[..., c], sigma, mode="wrap") for c in range(3)], -1)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    return (20 + 215 * smooth).astype(np.uint8)


def panning_clip(t: int, h: int, w: int, dx: int = 2, seed: int = 0) -> np.ndarray:
    """A texture translating ``dx`` pixels right per frame (wrapping)."""
    base = texture(h, w, seed)
    return np.stack([np.roll(base, dx * i, axis=1) for i in range(t)])


def box_holes(t: int, h: int, w: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    holes = np.zeros((t, h, w), bool)
    holes[:, y0:y1, x0:x1] = True
    return holes
