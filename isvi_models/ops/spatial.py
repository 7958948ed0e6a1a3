"""Spatial (single-frame) fill for pixels that no frame ever shows.

Used on key frames only; propagation then carries the result to the other frames, so the
fill is temporally consistent. On the dev set, Telea as the key-frame fill gave the best
in-hole PSNR overall (city_pan_logo, where most of the logo is never uncovered: Telea
12.8 dB, Navier-Stokes 12.8, scikit-image's biharmonic 12.1; benchmarks/bench_inpaint.py
with --spatial-fill), so it is the default; biharmonic stays available.
"""

from __future__ import annotations

import numpy as np

METHODS = ("telea", "ns", "biharmonic")


def spatial_fill(image: np.ndarray, hole: np.ndarray, method: str = "telea") -> np.ndarray:
    """Fill ``hole`` (H, W) of a float32 (H, W, 3) image in [0, 1] from its surroundings."""
    if method not in METHODS:
        raise ValueError(f"spatial fill method must be one of {METHODS}, got {method!r}")
    out = image.astype(np.float32, copy=True)
    if not hole.any():
        return out
    if method == "biharmonic":
        from skimage.restoration import inpaint_biharmonic

        out = inpaint_biharmonic(out, hole, channel_axis=-1).astype(np.float32)
    else:
        import cv2

        flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
        u8 = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
        filled = cv2.inpaint(u8, hole.astype(np.uint8), 5, flag).astype(np.float32) / 255.0
        out[hole] = filled[hole]
    return np.clip(out, 0.0, 1.0)
