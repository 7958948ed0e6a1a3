"""Scores and clip builders shared by the watermark tests (and by the CLI and batch tests,
which import :func:`overlay_on`)."""

from __future__ import annotations

import cv2
import numpy as np
import skimage.data

from media.watermark_synth import overlay_watermark

# What each confidence term's refusal says (:data:`media.watermark.estimate._SHORTFALL`).
SHORTFALLS = {"motion": "too little of the content moved", "contrast": "edges are faint",
              "clarity": "may miss part of the overlay"}


def near_fraction(mask: np.ndarray, overlay: np.ndarray, tol: float = 5.0) -> float:
    """Fraction of the detected pixels within ``tol`` px of an overlay pixel."""
    dist = cv2.distanceTransform((~overlay).astype(np.uint8), cv2.DIST_L2, 5)
    return float((dist[mask] <= tol).mean())


def coverage(mask: np.ndarray, overlay: np.ndarray) -> float:
    return float((mask & overlay).sum() / overlay.sum())


def overlay_on(n: int, clean: str, count: int) -> np.ndarray:
    """Which of ``n`` frames carry the overlay: all but ``count``, at the clip's start, end or middle."""
    on = np.ones(n, bool)
    start = {"start": 0, "end": n - count, "middle": (n - count) // 2}[clean]
    on[start:start + count] = False
    return on


def shown_on(frames: np.ndarray, marked: np.ndarray, clean: str, count: int) -> np.ndarray:
    """``marked`` on all but ``count`` frames, which stay clean at the clip's start, end or middle."""
    return np.where(overlay_on(len(frames), clean, count)[:, None, None, None], marked, frames)


def static_logo_videos() -> tuple[list[np.ndarray], np.ndarray]:
    """Five static-camera scenes (6 frames each) with the same logo, and the logo's mask."""
    photos = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket(),
              skimage.data.immunohistochemistry()]
    videos, overlay = [], None
    for k, img in enumerate(photos):
        still = np.repeat(img[None, :192, :256], 6, axis=0)
        # Slight sensor noise so consecutive frames are not byte-identical.
        noise = np.random.default_rng(k).normal(0, 1.0, still.shape)
        still = np.clip(still + noise, 0, 255).astype(np.uint8)
        marked, overlay = overlay_watermark(still, "logo", 0, alpha=0.5, colour=(255, 255, 255))
        videos.append(marked)
    return videos, overlay
