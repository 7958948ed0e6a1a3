"""DBNet post-processing: a text probability map to a mask of text regions, in a few lines of cv2.

Hand-written on purpose: PaddleOCR's and RapidOCR's versions return rotated boxes for
recognition and pull in pyclipper, shapely and their own OpenCV build; inpainting needs only
a pixel mask, which connected components and a distance transform give with the OpenCV the
project already has.

DBNet predicts a *shrunk* kernel of every text region (each polygon shrunk by
``D = A (1 - 0.4^2) / L``, area A, perimeter L). :func:`text_mask`:

1. thresholds the probability at ``threshold`` and takes 8-connected components;
2. drops a component whose mean probability is below ``box_threshold`` (a weak blob is not
   text), whose size after step 3 is under ``min_height`` px of the *full-resolution* frame
   (``scale`` = analysis px per full-resolution px) on its shorter side, or whose bounding
   box is less than ``min_aspect`` times as wide as it is tall: lines of horizontal text are
   wide, while the blobs the network also fires on (a grid of lit windows, a pair of eyes)
   are about square or tall (vertical text is out of reach with the default);
3. grows each kept component by its own unclip distance ``D' = A * unclip_ratio / L``
   (A, L of its bounding box), as DB's unclip does with a polygon offset: every pixel
   within ``D'`` of the component joins it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DBParams:
    """Thresholds of :func:`text_mask` (PaddleOCR's defaults, except ``box_threshold`` and
    ``unclip_ratio``: tuned on all cases of ``benchmarks/text.md`` together)."""

    threshold: float = 0.3
    box_threshold: float = 0.6
    unclip_ratio: float = 1.2
    min_height: float = 6.0  # full-resolution px
    min_aspect: float = 1.5  # width / height of a component's box


def text_mask(prob: np.ndarray, params: DBParams = DBParams(), scale: float = 1.0) -> np.ndarray:
    """Bool mask (h, w) of the text regions in one probability map ``prob`` (h, w) in [0, 1]."""
    import cv2

    bitmap = (prob > params.threshold).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bitmap, connectivity=8)
    if n <= 1:
        return np.zeros(prob.shape, bool)
    sums = np.bincount(labels.ravel(), weights=prob.ravel(), minlength=n)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    bw, bh = stats[:, cv2.CC_STAT_WIDTH].astype(np.float64), stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    unclip = bw * bh * params.unclip_ratio / (2.0 * (bw + bh))
    grown_short = np.minimum(bw, bh) + 2.0 * unclip
    keep = ((sums / np.maximum(area, 1.0) >= params.box_threshold) & (grown_short >= params.min_height * scale)
            & (bw >= params.min_aspect * bh))
    keep[0] = False
    if not keep.any():
        return np.zeros(prob.shape, bool)
    kernels = keep[labels]
    # Distance of every pixel to the nearest kept kernel pixel, and which component that is.
    dist, nearest = cv2.distanceTransformWithLabels((~kernels).astype(np.uint8), cv2.DIST_L2, 5,
                                                    labelType=cv2.DIST_LABEL_PIXEL)
    # nearest: the index of the nearest zero pixel of the input (a kernel pixel), numbered in
    # scan order from 1; map each to its component's unclip distance.
    ys, xs = np.nonzero(kernels)
    radius_of = np.zeros(len(ys) + 1, np.float32)
    radius_of[1:] = unclip[labels[ys, xs]]
    return dist <= radius_of[nearest]
