"""Synthetic inputs with known answers, seeded: real photographs panned by a known motion."""

from __future__ import annotations

import numpy as np


def photo() -> np.ndarray:
    """A real photograph (scikit-image's astronaut, public domain) as float32 RGB in [0, 1]."""
    from skimage.data import astronaut

    return astronaut().astype(np.float32) / 255.0


def panned_clip(frames: int = 10, height: int = 80, width: int = 112, dx: int = 3, dy: int = 0,
                y0: int = 120, x0: int = 120) -> np.ndarray:
    """Frames of a camera moving by (dx, dy) px per frame: content moves by (-dx, -dy)."""
    img = photo()
    return np.stack([img[y0 + dy * t:y0 + dy * t + height, x0 + dx * t:x0 + dx * t + width]
                     for t in range(frames)])


def square_holes(frames: int, height: int, width: int, box=(25, 55, 40, 72)) -> np.ndarray:
    y0, y1, x0, x1 = box
    holes = np.zeros((frames, height, width), bool)
    holes[:, y0:y1, x0:x1] = True
    return holes


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)
