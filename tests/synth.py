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


def overlaid_scenes(frames: int = 48, height: int = 64, width: int = 96, opacity: float = 0.5,
                    colour=(1.0, 1.0, 1.0), seed: int = 0, scenes: int | None = None):
    """One static semi-transparent disc over ``scenes`` different scenes (crops of the photograph at
    random places, some flipped; default one per frame), ``I = (1 - a) B + a W``.
    Returns uint8 ``(marked, clean)`` (T, H, W, 3), the bool hole (the disc grown 2 px) and the float
    opacity map (H, W)."""
    import cv2

    rng = np.random.default_rng(seed)
    img = (photo() * 255).astype(np.uint8)
    n_scenes = scenes or frames
    picks = []
    for _ in range(n_scenes):
        y, x = rng.integers(0, img.shape[0] - height), rng.integers(0, img.shape[1] - width)
        crop = img[y:y + height, x:x + width]
        picks.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
    clean = np.stack([picks[t * n_scenes // frames] for t in range(frames)])
    canvas = np.zeros((height * 4, width * 4), np.uint8)  # drawn 4x larger, then shrunk: anti-aliased edges
    cv2.circle(canvas, (width * 2, height * 2), min(height, width), 255, -1)
    alpha = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255 * opacity
    marked = clean * (1 - alpha[None, ..., None]) + np.asarray(colour, np.float32) * 255 * alpha[None, ..., None]
    hole = cv2.dilate((alpha > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return np.clip(np.rint(marked), 0, 255).astype(np.uint8), clean, hole, alpha
