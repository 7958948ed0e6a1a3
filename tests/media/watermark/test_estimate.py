"""The estimate's refusal (:meth:`media.watermark.WatermarkEstimate.require`) names the
confidence terms that fell short."""

from __future__ import annotations

import numpy as np
import pytest

from media.watermark import OverlayNotFound, WatermarkEstimate
from tests.media.watermark.helpers import SHORTFALLS


@pytest.mark.parametrize("weak", ["motion", "contrast", "clarity"])
def test_a_refusal_says_which_confidence_terms_fell_short(weak):
    """The weakest term is named, and terms that cost little (here 0.9) are not."""
    terms = {"motion": 0.9, "contrast": 0.9, "clarity": 0.9, weak: 0.3}
    mask = np.zeros((8, 8), bool)
    mask[2:4, 2:4] = True
    est = WatermarkEstimate(mask=mask, confidence=0.3, frames_sampled=10, frames_used=10, videos=1, motion=0.7,
                            contrast=2.0, clarity=0.6, threshold=50.0, components=1,
                            persistent_edges=np.zeros((8, 8)), terms=terms)
    with pytest.raises(OverlayNotFound, match=r"^clip.mp4: overlay found with confidence 0.30") as refused:
        est.require(0.6, what="clip.mp4")
    message = str(refused.value)
    assert SHORTFALLS[weak] in message and "--box" in message
    assert not any(text in message for term, text in SHORTFALLS.items() if term != weak)
    assert est.require(0.3) is est
