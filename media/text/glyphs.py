"""Glyph-tight text masks: the text pixels inside each detected text box, not the whole box.

The detector (:mod:`media.text.db`) gives one region per text *line*; a hole that size makes
the inpainter invent the pixels between and around the letters too, farther from known
ones. :func:`glyph_mask` keeps, inside each box (a connected region of the box mask, at full
resolution), the pixels that stand out from the background the box hides:

1. the background under the box is estimated from its surroundings (``cv2.inpaint``, Telea,
   of the box from the pixels around it; every box in the crop is masked, so one line's
   letters do not leak into another's estimate);
2. a pixel's contrast is its largest per-channel difference from that estimate (bright
   text, its dark outline and a coloured glow all count, whatever the polarity);
3. pixels over ``threshold`` times the box's Otsu threshold of the contrast are text; a
   closing of ``close_px`` joins broken strokes, and the non-text pockets the text encloses
   (up to ``max_hole`` times the box height squared) are filled: the middles of thick
   semi-transparent strokes over a like background, which the contrast misses and which,
   left out of the hole, put text back into the fill;
4. the text is grown by ``grow_px`` (anti-aliased edges, outlines, the compression halo)
   and kept inside the box.

Where the segmentation is unsure the whole box is kept (a missed text pixel is burnt-in text
left in the output, worse than a slightly big hole): when the box's text and background are
too alike (Otsu threshold under ``min_contrast`` levels: faint or semi-transparent text) or
when "text" fills more than ``max_fill`` of the box (a busy background).

No temporal smoothing: a vote over 5 frames (the glyph masks of a held subtitle made the
same over its hold) cost 1.7 dB of in-text PSNR on ``city_subtitles`` at the same size and
coverage (``benchmarks/text.md``): the inpainter borrows the background a per-frame mask
leaves visible in the neighbouring frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GlyphParams:
    """What :func:`glyph_mask` does; the defaults are tuned in ``benchmarks/text.md``."""

    threshold: float = 0.5     # times the box's Otsu threshold of the contrast
    close_px: int = 2          # closing radius that fills thick strokes
    grow_px: int = 3           # growth of the text pixels (outlines, halos), full-resolution px
    min_contrast: float = 24.0  # Otsu threshold (levels of 255) under which the box is kept
    max_fill: float = 0.9      # share of the box above which the box is kept
    max_hole: float = 1.0      # pockets inside the text up to this times the box height^2 are filled
    ring_px: int = 4           # radius of the background estimate (cv2.inpaint)


def _disc(radius: int) -> np.ndarray:
    import cv2

    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def box_glyphs(crop: np.ndarray, box: np.ndarray, others: np.ndarray,
               params: GlyphParams = GlyphParams()) -> tuple[np.ndarray, bool]:
    """The text pixels (bool, crop's shape) of one box ``box`` in ``crop`` (h, w, 3) uint8, and
    whether they are glyphs (False: the segmentation was unsure and the box is returned).
    ``others``: every box pixel in the crop (``box`` included), kept out of the background estimate."""
    import cv2

    background = cv2.inpaint(np.ascontiguousarray(crop), others.astype(np.uint8), params.ring_px, cv2.INPAINT_TELEA)
    contrast = np.abs(crop.astype(np.int16) - background.astype(np.int16)).max(axis=-1).astype(np.uint8)
    values = contrast[box]
    otsu, _ = cv2.threshold(values.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if otsu < params.min_contrast:
        return box.copy(), False
    text = (contrast > params.threshold * otsu) & box
    if params.close_px > 0:
        text = (cv2.morphologyEx(text.astype(np.uint8), cv2.MORPH_CLOSE, _disc(params.close_px)) > 0) & box
    text = _fill_holes(text, box, params.max_hole)
    if text.sum() > params.max_fill * box.sum():
        return box.copy(), False
    if params.grow_px > 0:
        text = (cv2.dilate(text.astype(np.uint8), _disc(params.grow_px)) > 0) & box
    return text, True


def _fill_holes(text: np.ndarray, box: np.ndarray, max_hole: float) -> np.ndarray:
    """``text`` with the non-text pockets it encloses filled (the middles of thick strokes, where
    semi-transparent text over a similar background is missed): a pocket is a region of non-text
    box pixels that does not reach the outside of the box, of at most ``max_hole`` times the
    box's height squared."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats((~text).astype(np.uint8), connectivity=4)
    rows = np.flatnonzero(box.any(axis=1))
    height = rows[-1] - rows[0] + 1 if rows.size else 0
    keep = stats[:, cv2.CC_STAT_AREA] > max_hole * height * height  # too big to be a missed stroke
    keep[np.unique(labels[~box])] = True
    keep[0] = True  # label 0: the text itself
    return text | ~keep[labels]


def glyph_mask(frame: np.ndarray, boxes: np.ndarray, params: GlyphParams = GlyphParams()) -> np.ndarray:
    """Bool mask (H, W) of the text pixels of ``frame`` (H, W, 3) uint8 inside the bool text
    boxes ``boxes`` (H, W), one box (8-connected region) at a time; see the module doc."""
    import cv2

    out = np.zeros(boxes.shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(boxes.astype(np.uint8), connectivity=8)
    height, width = boxes.shape
    margin = 2 * params.ring_px + 2
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        x0, y0 = max(0, x - margin), max(0, y - margin)
        x1, y1 = min(width, x + w + margin), min(height, y + h + margin)
        box = labels[y0:y1, x0:x1] == i
        text, _ = box_glyphs(frame[y0:y1, x0:x1], box, boxes[y0:y1, x0:x1], params)
        out[y0:y1, x0:x1] |= text
    return out
