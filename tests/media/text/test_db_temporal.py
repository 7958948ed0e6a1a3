"""DB post-processing (media.text.db) and temporal clean-up (media.text.temporal) on made-up maps."""

from __future__ import annotations

import numpy as np

from media.text.db import DBParams, text_mask
from media.text.temporal import drop_flashes, fill_gaps, hold


def test_kernel_is_grown_by_its_unclip_distance():
    prob = np.zeros((200, 300), np.float32)
    prob[40:46, 20:120] = 0.9        # a line kernel 100 x 6: unclip 600 * 1.6 / 212 = 4.5 px
    prob[100:140, 150:280] = 0.9     # a block 130 x 40: unclip 24.5 px
    mask = text_mask(prob, DBParams(min_height=0, unclip_ratio=1.6))
    assert mask[36, 70] and mask[49, 70] and not mask[34, 70] and not mask[51, 70]
    assert mask[76, 200] and mask[163, 200] and not mask[73, 200]
    assert not mask[0:30].any()


def test_weak_tall_and_small_blobs_are_not_text():
    prob = np.zeros((200, 300), np.float32)
    prob[20:26, 20:120] = 0.4        # weak: mean below box_threshold
    prob[60:140, 20:60] = 0.95       # taller than wide (a grid of lit windows)
    prob[170:172, 200:210] = 0.95    # 2 px kernel: under min_height
    assert not text_mask(prob, DBParams(min_height=8)).any()
    assert text_mask(prob, DBParams(box_threshold=0.3, min_aspect=0.1, min_height=0)).any()


def test_min_height_is_in_full_resolution_pixels():
    prob = np.zeros((100, 200), np.float32)
    prob[50:54, 20:150] = 0.9        # grown to about 4 + 2 * 3.1 = 10 analysis px
    assert text_mask(prob, DBParams(min_height=8), scale=1.0).any()
    assert not text_mask(prob, DBParams(min_height=8), scale=2.0).any()   # analysis at 2x: 5 px in the frame


def test_fill_gaps_bridges_a_missed_frame_but_not_a_change():
    probs = np.zeros((12, 1, 2), np.float32)
    probs[0:5, 0, 0] = 0.9
    probs[6:12, 0, 0] = 0.9           # frame 5 missed
    probs[0:4, 0, 1] = 0.9            # text that ends at frame 3 and does not come back
    out = fill_gaps(probs, gap=2)
    assert out[5, 0, 0] == np.float32(0.9)
    assert (out[4:, 0, 1] == 0).all() and (out[:4, 0, 1] == np.float32(0.9)).all()


def test_drop_flashes_keeps_text_held_from_the_first_frame():
    probs = np.zeros((10, 1, 2), np.float32)
    probs[5, 0, 0] = 0.9              # one frame: a flash
    probs[0:3, 0, 1] = 0.9            # there when the video starts
    out = drop_flashes(probs, min_frames=2)
    assert out[:, 0, 0].max() == 0
    assert (out[0:3, 0, 1] == np.float32(0.9)).all()


def test_hold_extends_a_mask_by_frames():
    masks = np.zeros((8, 1, 1), bool)
    masks[3] = True
    assert hold(masks, 1)[:, 0, 0].tolist() == [False, False, True, True, True, False, False, False]
