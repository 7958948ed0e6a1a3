"""The drift test's two maps (step 3 of :mod:`media.watermark`): where the edge texture of
the earliest and the latest frames lines up best with no shift at all."""

from __future__ import annotations

import numpy as np

from media.watermark.gradients import _sobel

STRAIGHT_COHERENCE = 0.9  # drift test: structure-tensor coherence above which a window holds one straight edge


def _edge_texture(gx: np.ndarray, gy: np.ndarray, sigma: float) -> np.ndarray:
    """Gradient magnitude minus its Gaussian blur: the edges' fine structure, zero-mean
    locally, so a correlation peaks where the structures line up (sign-free, see step 3,
    "Drift", of :mod:`media.watermark`)."""
    import cv2

    m = np.hypot(gx, gy).astype(np.float32)
    return m - cv2.GaussianBlur(m, (0, 0), sigma)


def _unshifted(a: np.ndarray, b: np.ndarray, max_shift: int, window: int, straight: float = STRAIGHT_COHERENCE
               ) -> np.ndarray:
    """Where the local normalised correlation of ``a`` and ``b`` (box ``window``) is highest
    with no shift, against every integer shift of ``b`` up to ``max_shift`` px in x and y.

    Normalised, so a faint static edge beside strong content that leaks differently into
    the two medians still peaks at zero (unnormalised, a low-contrast timestamp box lost 8%
    of its outline). Where the window holds one straight edge (the coherence of the
    structure tensor of ``a + b`` is at least ``straight``), shifts along the edge (less
    than 1 px across it) are left out: they correlate as well as no shift, and which of
    them wins was the noise's choice, so a static box's long top edge beside busy moving
    content was taken for drift (the aperture problem; drift across the edge is still
    seen). A brute-force block matcher, written here because it needs the score at zero
    shift against the best of all others at every pixel (a running maximum, no stack of
    scores), which OpenCV's matchers and flows do not expose.
    """
    import cv2

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (window, window), normalize=False)

    def ncc(b_shifted: np.ndarray, bb_shifted: np.ndarray) -> np.ndarray:
        return box(a * b_shifted) / (norm_a * np.sqrt(np.maximum(box(bb_shifted), 0.0)) + 1e-3)

    h, w = a.shape
    d = max_shift
    norm_a = np.sqrt(np.maximum(box(a * a), 0.0))
    # The window's dominant gradient direction (its edges' normal), where one edge dominates.
    gx, gy = _sobel(a + b)
    jxx, jxy, jyy = box(gx * gx), box(gx * gy), box(gy * gy)
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + 1e-6)
    theta = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    is_straight = coherence >= straight
    nx, ny = np.cos(theta)[is_straight], np.sin(theta)[is_straight]
    bp, bbp = np.pad(b, d), np.pad(b * b, d)
    best = np.full((h, w), -np.inf, np.float32)
    for dy in range(-d, d + 1):
        for dx in range(-d, d + 1):
            ys, xs = slice(d + dy, d + dy + h), slice(d + dx, d + dx + w)
            score = ncc(bp[ys, xs], bbp[ys, xs])
            if dy or dx:
                along = score[is_straight]
                along[np.abs(dx * nx + dy * ny) < 1.0] = -np.inf
                score[is_straight] = along
                np.maximum(best, score, out=best)
            else:
                zero = score
    return zero >= best
