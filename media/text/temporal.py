"""Temporal clean-up of per-frame text detections, so a mask holds while the text does.

A detector run frame by frame misses the odd frame (motion blur, a compression burst) and
fires on the odd texture for a frame or two; in the output the first is a flash of text and
the second a flicker. Both are fixed on the probability maps (t, h, w) of consecutive frames
before they are thresholded, per pixel along time:

* :func:`fill_gaps`: grey closing along time over ``gap + 1`` frames: a pixel's probability
  that dips for at most ``gap`` frames between frames that both see text is raised to the
  lower of the two (a subtitle held over a missed frame stays one region). Text that changes
  (subtitle A, then B) is not a dip: nothing is added between them.
* :func:`drop_flashes`: grey opening along time over ``min_frames`` frames: probability that
  stays up for fewer frames is lowered to its neighbours' (text held < ``min_frames`` frames
  is taken for a false detection).
* :func:`hold`: the final masks, grown by ``frames`` frames before and after (the frames a
  subtitle fades in or out in are covered when only its middle was seen).

Each needs :func:`context` frames of the neighbours on both sides; the caller passes a
window with that margin and keeps its middle.
"""

from __future__ import annotations

import numpy as np


def context(gap: int, min_frames: int, hold_frames: int) -> int:
    """Frames of context each side that :func:`fill_gaps`, :func:`drop_flashes` and :func:`hold` read."""
    return gap + 1 + max(0, min_frames) + hold_frames


def fill_gaps(probs: np.ndarray, gap: int) -> np.ndarray:
    """Probabilities (t, h, w) with dips of up to ``gap`` frames between two detections filled.

    Before the first and after the last frame there is no text (zero padding), so nothing is
    extended past what was seen.
    """
    from scipy.ndimage import grey_closing

    if gap <= 0 or len(probs) < 3:
        return probs
    pad = gap + 2
    padded = np.pad(probs, ((pad, pad), (0, 0), (0, 0)))
    return grey_closing(padded, size=(gap + 1, 1, 1))[pad:-pad]


def drop_flashes(probs: np.ndarray, min_frames: int) -> np.ndarray:
    """Probabilities (t, h, w) with peaks shorter than ``min_frames`` frames flattened.

    The first and last frames repeat outwards (edge padding): text that is already there when
    the video starts is not taken for a flash.
    """
    from scipy.ndimage import grey_opening

    if min_frames <= 1 or len(probs) < 2:
        return probs
    pad = min_frames + 1
    padded = np.pad(probs, ((pad, pad), (0, 0), (0, 0)), mode="edge")
    return grey_opening(padded, size=(min_frames, 1, 1))[pad:-pad]


def hold(masks: np.ndarray, frames: int) -> np.ndarray:
    """Bool masks (t, h, w), each also on in the ``frames`` frames before and after it is."""
    from scipy.ndimage import maximum_filter1d

    if frames <= 0 or len(masks) < 2:
        return masks
    return maximum_filter1d(masks.view(np.uint8), size=2 * frames + 1, axis=0, mode="nearest").astype(bool)
