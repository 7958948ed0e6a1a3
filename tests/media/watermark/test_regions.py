"""Persistent edges to solid regions (:mod:`media.watermark.regions`, step 7 of
:mod:`media.watermark`)."""

from __future__ import annotations

import cv2
import numpy as np

from media.watermark.regions import _solid_regions


def test_solid_regions_seal_a_stroke_whose_outline_has_a_gap():
    """The outline of a stroke too wide for the closing (radius 4) to bridge, with a 12-px
    break: without sealing, its inside leaks out of the hole fill and stays empty. Sealing
    adds the inside up to radius/2 from the edges, nothing farther, and leaves the wide bay
    between two separate bars empty."""
    edges = np.zeros((80, 160), bool)
    edges[20, 10:100] = edges[30, 10:100] = True          # the stroke's two long sides
    edges[20:31, 10] = edges[20:31, 99] = True            # its ends
    edges[30, 50:62] = False                              # a break in the outline
    inside = np.zeros_like(edges)
    inside[21:30, 11:99] = True
    closed = cv2.morphologyEx(edges.astype(np.uint8), cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))).astype(bool)
    assert (closed & inside)[:, 20:90].sum() == 0           # the closing alone fills none of it
    solid = _solid_regions(edges, 4)
    rims = inside & (cv2.distanceTransform((~edges).astype(np.uint8), cv2.DIST_L2, 5) <= 2)
    assert (solid & rims).sum() >= 0.95 * rims.sum()
    assert not (solid & inside & ~rims)[:, 20:90].any()
    # Two separate bars 30 px apart: the bay between them stays out.
    bars = np.zeros((80, 160), bool)
    bars[50:53, 110:150] = bars[20:23, 110:150] = True
    assert not _solid_regions(bars, 4)[30:45, 115:145].any()
