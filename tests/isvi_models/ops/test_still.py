"""Still pairs: noise-level completed flow in the hole becomes exactly zero; motion is kept."""

import numpy as np

from isvi_models.ops.still import snap_still


def _hole(n=3, h=40, w=60):
    holes = np.zeros((n, h, w), bool)
    holes[:, 10:25, 20:40] = True
    return holes


def test_noise_in_the_hole_of_a_still_pair_is_set_to_zero():
    rng = np.random.default_rng(0)
    holes = _hole()
    flows = rng.normal(0, 0.03, (3, 40, 60, 2)).astype(np.float32)  # DIS noise floor on a fixed camera
    out = snap_still(flows, holes, snap_px=0.5)
    assert np.all(out[holes] == 0)
    np.testing.assert_array_equal(out[~holes], flows[~holes])  # known flow is never changed


def test_something_moving_through_the_hole_keeps_its_flow():
    holes = _hole()
    flows = np.zeros((3, 40, 60, 2), np.float32)
    flows[:, 12:18, 22:30, 0] = 1.5  # a walker crossing the hole, faster than snap_px
    flows[:, 20:24, 30:38, 1] = 0.2  # and noise next to it
    out = snap_still(flows, holes, snap_px=0.5)
    np.testing.assert_array_equal(out[:, 12:18, 22:30], flows[:, 12:18, 22:30])
    assert np.all(out[:, 20:24, 30:38] == 0)


def test_a_slow_pan_is_left_alone():
    holes = _hole()
    flows = np.zeros((3, 40, 60, 2), np.float32)
    flows[..., 0] = 0.3  # every known pixel moves: the camera pans
    out = snap_still(flows, holes, snap_px=0.5)
    np.testing.assert_array_equal(out, flows)


def test_only_the_still_pairs_of_a_clip_are_snapped():
    holes = _hole()
    flows = np.full((3, 40, 60, 2), 0.02, np.float32)
    flows[1, ..., 0] = 0.4  # the camera moves between frames 1 and 2 only
    out = snap_still(flows, holes, snap_px=0.5)
    assert np.all(out[0][holes[0]] == 0) and np.all(out[2][holes[2]] == 0)
    np.testing.assert_array_equal(out[1], flows[1])
