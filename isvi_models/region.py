"""The working region of a window: a crop around its holes, scaled to the working size, and back.

Each window works on a crop around the union of its holes (plus context for the motion),
scaled so its longest side is at most ``max_side``; the result is scaled back and written
only into the hole, so every pixel outside the (dilated) hole is the input's pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Region:
    """Crop (x0, y0, x1, y1) in full-resolution pixels and the scale to the working size."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float

    @property
    def working_size(self) -> tuple[int, int]:
        """(width, height) of the working frames."""
        return (max(8, round((self.x1 - self.x0) * self.scale)), max(8, round((self.y1 - self.y0) * self.scale)))

    def as_list(self) -> list:
        """``[x0, y0, x1, y1, scale]``, the form a cache stores; :meth:`from_list` reads it back."""
        return [self.x0, self.y0, self.x1, self.y1, self.scale]

    @classmethod
    def from_list(cls, values) -> "Region":
        x0, y0, x1, y1, scale = values
        return cls(int(x0), int(y0), int(x1), int(y1), float(scale))


def working_region(holes: np.ndarray, *, roi: bool, margin_px: int, max_side: int) -> Region | None:
    """Region to process for holes (T, H, W): the hole's bounding box plus context, or the frame.

    The context is at least one hole size on every side, so content that moves by up to
    that much between the hole and the frame that shows it stays inside the crop. None when
    there is no hole.
    """
    any_t = holes.any(axis=0)
    if not any_t.any():
        return None
    h, w = any_t.shape
    if roi:
        ys, xs = np.nonzero(any_t)
        by0, by1, bx0, bx1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        m = max(margin_px, by1 - by0, bx1 - bx0)
        x0, y0, x1, y1 = max(0, bx0 - m), max(0, by0 - m), min(w, bx1 + m), min(h, by1 + m)
    else:
        x0, y0, x1, y1 = 0, 0, w, h
    scale = min(1.0, max_side / max(x1 - x0, y1 - y0))
    return Region(int(x0), int(y0), int(x1), int(y1), scale)


def _resize(arr: np.ndarray, size: tuple[int, int], interp: int) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(a, size, interpolation=interp) for a in arr])


@dataclass
class WorkingSet:
    """A window's crop at working size: what the method stages consume."""

    region: Region
    frames: np.ndarray  # float32 (T, h, w, 3) in [0, 1]
    holes: np.ndarray   # bool (T, h, w); covers every full-resolution hole pixel


def crop_to_working(frames: np.ndarray, holes: np.ndarray, region: Region) -> WorkingSet:
    """Crop uint8 frames (T, H, W, 3) and bool holes (T, H, W) to ``region`` at its working size."""
    import cv2

    crop = frames[:, region.y0:region.y1, region.x0:region.x1].astype(np.float32) / 255.0
    crop_holes = holes[:, region.y0:region.y1, region.x0:region.x1]
    if region.scale < 1.0:
        size = region.working_size
        crop = _resize(crop, size, cv2.INTER_AREA)
        # any coverage makes a working pixel a hole, so no full-resolution hole pixel is missed
        crop_holes = _resize(crop_holes.astype(np.float32), size, cv2.INTER_AREA) > 0
    return WorkingSet(region, crop, crop_holes)


def paste_back(frames: np.ndarray, holes: np.ndarray, region: Region, result: np.ndarray) -> np.ndarray:
    """Write the working-size float ``result`` back into the hole pixels of the uint8 full-resolution
    frames; every other pixel is the input's."""
    import cv2

    if region.scale < 1.0:
        result = _resize(result, (region.x1 - region.x0, region.y1 - region.y0), cv2.INTER_LINEAR)
    out = frames.copy()
    view = out[:, region.y0:region.y1, region.x0:region.x1]
    inside = holes[:, region.y0:region.y1, region.x0:region.x1]
    view[inside] = np.clip(result[inside] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out
