"""The drift test (:mod:`media.watermark.drift`, step 3 of :mod:`media.watermark`): edges that
stay within a few pixels are not an overlay, a static straight edge is, and what the test
discards around a mask lowers its confidence."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from media.watermark import DetectionParams, OverlayNotFound, detect_static_overlay
from media.watermark.drift import _edge_texture, _unshifted
from media.watermark.gradients import _sobel
from media.watermark_synth import overlay_watermark
from tests.media.watermark.helpers import SHORTFALLS, coverage, near_fraction


def drifting_patch(frames: np.ndarray, drift_px: float, y0: int = 20, x0: int = 20, size: int = 64) -> np.ndarray:
    """Paste a blurred window grid (a facade: edges in every direction) into the panning
    footage, sliding ``drift_px`` in x and y over the clip instead of following the pan, as a
    far building near a crane shot's rotation centre does. Returns the frames."""
    grid = np.full((size + 16, size + 16), 40, np.float32)
    for y in range(4, size + 16, 12):
        for x in range(4, size + 16, 12):
            grid[y:y + 6, x:x + 6] = 220
    grid = cv2.GaussianBlur(grid, (0, 0), 1.0)
    out = frames.copy()
    for i, f in enumerate(out):
        d = drift_px * i / (len(out) - 1)
        m = np.float32([[1, 0, d - 8], [0, 1, d - 8]])
        patch = cv2.warpAffine(grid, m, (size, size), flags=cv2.INTER_LINEAR)
        f[y0:y0 + size, x0:x0 + size] = np.clip(patch, 0, 255).astype(np.uint8)[..., None]
    return out


def test_edges_that_drift_a_few_pixels_are_not_an_overlay(astronaut_pan):
    """The patch's edges stay within 3 px for the whole clip, so they persist through the
    median and no camera model explains them: without the drift test it is masked as an
    overlay (checked below with max_drift=0); with it only the real overlay is."""
    frames, overlay = overlay_watermark(drifting_patch(astronaut_pan, 3.0), "logo", 0, alpha=0.45,
                                        colour=(255, 255, 255))
    patch = np.zeros(overlay.shape, bool)
    patch[20:84, 20:84] = True
    assert not (patch & overlay).any()
    naive = detect_static_overlay(frames, params=DetectionParams(max_drift=0))
    assert (naive.mask & patch).mean() > 0.5 * patch.mean()  # the facade fools the median alone
    est = detect_static_overlay(frames)
    assert not (est.mask & patch).any()
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80


def test_drift_test_keeps_a_static_straight_edge_and_sees_one_that_moved_across():
    """A box's long top edge whose strength varies along it, differently in the early and the
    late frames (it shows more or less against what passes under it): shifted along itself
    it correlates about as well as unshifted, and the noise used to pick a shift, so the
    edge was taken for drift (a compressed timestamp box lost its top strip). Moved 3 px
    across, it is still drift."""
    rng = np.random.default_rng(0)

    def texture(row: int, phase: float) -> np.ndarray:
        img = cv2.GaussianBlur(rng.normal(0, 2, (120, 200)).astype(np.float32), (0, 0), 1.0)
        strength = 40 + 15 * np.sin(np.arange(20, 180) / 9 + phase)
        img[row:row + 20, 20:180] += strength  # the box, its top edge at ``row``
        return _edge_texture(*_sobel(img), 2.0)

    early = texture(64, 0.0)
    assert _unshifted(early, texture(64, 2.0), 6, 15)[63:66, 40:160].mean() > 0.95
    moved = _unshifted(early, texture(67, 2.0), 6, 15)
    assert moved[63:66, 40:160].mean() < 0.05 and moved[66:69, 40:160].mean() < 0.05


def test_edges_discarded_around_the_mask_lower_the_confidence(astronaut_pan):
    """A drifting facade just above the logo: the logo is still found whole, but the strong
    edges the drift test threw away next to it make the mask less clear-cut, and the
    confidence says so (on the night-city clip this marked the partial masks)."""
    clean, overlay = overlay_watermark(astronaut_pan, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    base = detect_static_overlay(clean)
    frames, _ = overlay_watermark(drifting_patch(astronaut_pan, 3.0, y0=100, x0=150, size=48), "logo", 0,
                                  alpha=0.45, colour=(255, 255, 255))
    est = detect_static_overlay(frames)
    assert coverage(est.mask, overlay) >= 0.95
    assert base.clarity > 0.95
    assert est.clarity < 0.8
    assert est.confidence < base.confidence - 0.2
    weakest = min(est.terms, key=est.terms.get)
    assert est.terms[weakest] < 0.8
    with pytest.raises(OverlayNotFound, match="clarity") as refused:
        est.require(0.99)
    assert SHORTFALLS[weakest] in str(refused.value)


def test_a_still_patch_is_still_found(astronaut_pan):
    """The same grid without drift is, as far as motion can tell, an overlay: kept."""
    frames = drifting_patch(astronaut_pan, 0.0)
    patch = np.zeros(frames.shape[1:3], bool)
    patch[20:84, 20:84] = True
    est = detect_static_overlay(frames)
    assert (est.mask & patch).sum() >= 0.9 * patch.sum()
