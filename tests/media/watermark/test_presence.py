"""Overlays on part of the frames (steps 8 and 9 of :mod:`media.watermark`): the estimate made
again from the frames that show the overlay, and which frames to inpaint
(:mod:`media.watermark.presence`)."""

from __future__ import annotations

import numpy as np
import pytest

from media.watermark import (
    AUTO_MASK_MIN_CONFIDENCE,
    OverlayNotFound,
    detect_static_overlay,
    frames_showing_overlay,
    overlay_strengths,
)
from media.watermark.detection import _extends
from media.watermark_synth import overlay_watermark
from tests.media.watermark.helpers import coverage, near_fraction, overlay_on, shown_on


@pytest.mark.parametrize("pan,kind,clean", [("chelsea", "logo", "end"), ("chelsea", "text", "start"),
                                            ("chelsea", "timestamp", "end"), ("astronaut", "logo", "start")])
def test_an_overlay_on_part_of_the_frames_is_found_whole(request, pan, kind, clean):
    """A logo that arrives late or leaves early, on 21 of 30 frames: the drift test read it
    as gone from one third and nothing (or 10%) was found; estimated again from the frames
    that show it, it is found whole and confidently. The frame to preview it on is one
    that carries it, and its template tells the frames that carry it from the others."""
    frames = request.getfixturevalue(f"{pan}_pan")
    marked, overlay = overlay_watermark(frames, kind, 0, alpha=0.45, colour=(255, 255, 255))
    shown = shown_on(frames, marked, clean, 9)
    est = detect_static_overlay(shown)
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80
    assert est.confidence >= AUTO_MASK_MIN_CONFIDENCE
    assert est.frames_showing <= 21 < est.frames_used
    on = overlay_on(len(frames), clean, 9)
    assert on[est.clearest_frame[None]]
    strength = overlay_strengths(shown, est.template)
    assert strength[on].min() >= 0.5 and strength[~on].max() < 0.25


@pytest.mark.parametrize("clean", ["end", "middle"])
def test_an_overlay_on_part_of_the_frames_found_partly_is_refused(astronaut_pan, clean):
    """The timestamp box on 21 of 30 frames comes out partial (its outline fades into the
    busy photograph): refused, not accepted half-masked. (With the middle third clean, a
    mask of 0.56 of it once came within 0.004 of the confidence floor.)"""
    marked, overlay = overlay_watermark(astronaut_pan, "timestamp", 0, alpha=0.45, colour=(255, 255, 255))
    est = detect_static_overlay(shown_on(astronaut_pan, marked, clean, 9))
    assert coverage(est.mask, overlay) < 0.95
    with pytest.raises(OverlayNotFound):
        est.require(AUTO_MASK_MIN_CONFIDENCE)


def test_the_frames_to_inpaint_give_every_doubt_to_masking():
    """Leaving a frame that shows the logo unmasked puts it back on screen; masking a clean
    one costs little. So only long runs without it are left out, with a guard around them."""
    strength = np.array([1.0] * 5 + [0.0] * 20 + [0.9] * 5 + [0.05] * 3 + [0.8] * 3 + [0.0] * 12)
    on = frames_showing_overlay(strength, level=0.1, min_gap=10, guard=2)
    expected = np.ones(len(strength), bool)
    expected[7:23] = False  # the 20-frame break, less 2 guard frames at each end
    expected[38:] = False  # the 12 frames at the end, less the guard; the 3-frame dip is masked
    np.testing.assert_array_equal(on, expected)
    # a video where no frame shows the overlay: the template may not fit it, so mask it all
    assert frames_showing_overlay(np.zeros(8)).all()
    assert frames_showing_overlay(np.ones(8)).all()


def test_a_second_mask_extends_the_first_only_when_it_holds_it_and_is_larger():
    """The rule that prefers the estimate from the frames showing the overlay even when it is
    less confident: it must hold the first mask and add to it, not merely differ."""
    first = np.zeros((40, 40), bool)
    first[10:20, 10:20] = True
    bigger = first.copy()
    bigger[10:20, 20:25] = True  # the rest of the overlay, 1.5x
    assert _extends(bigger, first)
    assert not _extends(first, first)  # the same mask adds nothing
    shifted = np.roll(bigger, 3, axis=0)  # larger, but loses 30% of the first
    assert not _extends(shifted, first)
    assert not _extends(bigger, np.zeros_like(first))
