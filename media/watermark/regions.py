"""Persistent edges to solid regions (step 7 of :mod:`media.watermark`): closing, hole
filling, and the isotropy test that tells a logo's edges from a straight scene edge."""

from __future__ import annotations

import numpy as np

from isvi_models.ops.masks import dilate_holes


def _disc(radius: int) -> np.ndarray:
    import cv2

    r = max(1, int(radius))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _solid_regions(edges: np.ndarray, radius: int) -> np.ndarray:
    """Persistent edges (bool) to solid regions: closing with a disc of ``radius`` joins the
    two sides of each stroke and neighbouring letters, and holes are filled (a logo's inside
    is flat, it has no edges of its own).

    A gap in a letter's outline wider than the closing bridges lets its inside leak to the
    outside, so the hole fill misses it (1080p logos lost the inside of whole letters). A
    closing twice as wide seals such gaps; of what that adds, only pixels within radius/2 of
    an edge are kept: most of a stroke's inside, and not the wide bays between separate
    shapes (keeping everything the wide closing adds cost 0.1-0.2 of "within 5 px of the
    overlay" on text overlays; radius/2 cost under 0.1 and lifted 1080p logo coverage from
    0.92 to 0.96).
    """
    import cv2
    from scipy import ndimage

    closed = cv2.morphologyEx(edges.astype(np.uint8), cv2.MORPH_CLOSE, _disc(radius))
    filled = ndimage.binary_fill_holes(closed)
    sealed = ndimage.binary_fill_holes(cv2.morphologyEx(closed, cv2.MORPH_CLOSE, _disc(2 * radius)))
    near_edge = dilate_holes(edges, max(1, radius // 2))
    return filled | (sealed & near_edge)


def _isotropy(mx: np.ndarray, my: np.ndarray) -> float:
    """Smaller over larger eigenvalue of the summed structure tensor of the given gradients."""
    jxx, jyy, jxy = float((mx * mx).sum()), float((my * my).sum()), float((mx * my).sum())
    tr, det = jxx + jyy, jxx * jyy - jxy * jxy
    disc = max(0.0, tr * tr / 4 - det) ** 0.5
    hi, lo = tr / 2 + disc, tr / 2 - disc
    return lo / hi if hi > 0 else 0.0
