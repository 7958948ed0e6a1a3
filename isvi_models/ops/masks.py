"""Mask morphology shared by the stages."""

from __future__ import annotations

import numpy as np


def dilate_holes(holes: np.ndarray, radius: int) -> np.ndarray:
    """Grow bool holes (..., H, W) by ``radius`` pixels with a disc, frame by frame."""
    import cv2

    if radius <= 0:
        return holes.astype(bool, copy=True)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    flat = holes.reshape(-1, *holes.shape[-2:]).astype(np.uint8)
    out = np.stack([cv2.dilate(m, kernel) for m in flat]).astype(bool) if flat.size else flat.astype(bool)
    return out.reshape(holes.shape)
