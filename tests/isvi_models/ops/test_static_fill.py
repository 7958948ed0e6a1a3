"""The zero-motion candidate: exact copies on a still scene, nothing where the scene moves."""

import numpy as np

from isvi_models.ops.static_fill import static_fill


def _moving_square(frames, T=10):
    holes = np.zeros((T, 40, 60), bool)
    for t in range(T):
        holes[t, 10:20, 5 + 4 * t:15 + 4 * t] = True
    blank = frames.copy()
    blank[holes] = 0
    return blank, holes


def test_a_still_scene_is_copied_exactly_from_the_nearest_frame():
    bg = np.random.default_rng(0).random((40, 60, 3)).astype(np.float32)
    frames = np.repeat(bg[None], 10, axis=0)
    blank, holes = _moving_square(frames)
    zero = np.zeros((9, 40, 60, 2), np.float32)
    out, left = static_fill(blank, holes, zero, zero)
    assert not left.any()
    np.testing.assert_array_equal(out, frames)


def test_a_pan_is_left_to_the_flow_guided_fill():
    bg = np.random.default_rng(0).random((40, 60, 3)).astype(np.float32)
    frames = np.stack([np.roll(bg, 2 * t, axis=1) for t in range(10)])
    blank, holes = _moving_square(frames)
    out, left = static_fill(blank, holes)  # the ring around the hole differs between frames
    np.testing.assert_array_equal(left, holes)
    np.testing.assert_array_equal(out, blank)


def test_flow_that_moves_through_the_hole_vetoes_the_copy():
    """A still ring but moving content inside (the completed flow says so): no copy."""
    bg = np.random.default_rng(0).random((40, 60, 3)).astype(np.float32)
    frames = np.repeat(bg[None], 10, axis=0)
    blank, holes = _moving_square(frames)
    moving = np.zeros((9, 40, 60, 2), np.float32)
    moving[..., 0] = 1.5
    out, left = static_fill(blank, holes, moving, -moving)
    np.testing.assert_array_equal(left, holes)
