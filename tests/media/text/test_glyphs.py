"""media.text.glyphs: the text pixels inside a detected text box, or the box where unsure."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from media.text.glyphs import GlyphParams, box_glyphs, glyph_mask

H, W = 80, 240


def _scene(seed: int = 0) -> np.ndarray:
    """A textured background: a colour gradient with noise and a few soft blobs (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    frame = np.stack([60 + 0.3 * x, 90 + 0.5 * y, 120 - 0.2 * x], axis=-1)
    frame += cv2.GaussianBlur(rng.normal(0, 25, (H, W, 3)).astype(np.float32), (0, 0), 3)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _subtitle(frame: np.ndarray, text: str = "Hello world", colour=(255, 255, 255), outline: bool = True):
    """``frame`` with ``text`` burnt in (white with a black outline, by default), the true text
    pixels, and the text line's box (its bounding rectangle + 4 px, as the detector gives)."""
    out, drawn = frame.copy(), np.zeros((H, W), np.uint8)
    org = (20, 50)
    if outline:
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_DUPLEX, 1.0, (0, 0, 0), 5, cv2.LINE_AA)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_DUPLEX, 1.0, colour, 2, cv2.LINE_AA)
    cv2.putText(drawn, text, org, cv2.FONT_HERSHEY_DUPLEX, 1.0, 255, 5 if outline else 2, cv2.LINE_AA)
    truth = drawn > 0
    ys, xs = np.nonzero(truth)
    box = np.zeros((H, W), bool)
    box[ys.min() - 4:ys.max() + 5, xs.min() - 4:xs.max() + 5] = True
    return out, truth, box


def test_glyphs_cover_the_text_and_are_much_smaller_than_the_box():
    frame, truth, box = _subtitle(_scene())
    mask = glyph_mask(frame, box)
    assert (mask & truth).sum() / truth.sum() > 0.98
    assert mask.sum() < 0.75 * box.sum()
    assert not (mask & ~box).any()  # never outside the detected box


def test_coloured_text_without_outline():
    frame, truth, box = _subtitle(_scene(1), colour=(255, 220, 0), outline=False)
    mask = glyph_mask(frame, box)
    assert (mask & truth).sum() / truth.sum() > 0.98
    assert mask.sum() < 0.75 * box.sum()


def test_low_contrast_text_falls_back_to_the_box():
    flat = np.full((H, W, 3), 100, np.uint8) + np.random.default_rng(2).integers(0, 3, (H, W, 3), dtype=np.uint8)
    frame, truth, box = _subtitle(flat, colour=(110, 110, 110), outline=False)
    text, sure = box_glyphs(frame, box, box)
    assert not sure and (text == box).all()
    assert (glyph_mask(frame, box) == box).all()


def test_two_boxes_are_cut_separately_and_grow_is_a_parameter():
    frame, truth, box = _subtitle(_scene(3))
    second = np.zeros_like(box)
    second[2:12, 200:230] = True  # a box over plain background: nothing stands out there
    boxes = box | second
    mask = glyph_mask(frame, boxes)
    assert (mask & truth).sum() / truth.sum() > 0.98
    thin = glyph_mask(frame, boxes, GlyphParams(grow_px=0))
    assert thin.sum() < mask.sum() and (thin <= mask).all()


@pytest.mark.parametrize("shape", ["glyph", "box", ""])
def test_text_shape_is_checked(shape):
    from isvi_models.errors import ConfigError
    from media.text import TextParams

    with pytest.raises(ConfigError):
        TextParams(shape=shape)
