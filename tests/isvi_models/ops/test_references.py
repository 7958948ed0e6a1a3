"""Key-frame lookups in reference frames outside the window (``isvi_models.ops.references``)."""

import numpy as np

from isvi_models.ops.references import ReferenceView, reference_colours
from tests.synth import photo


def _view(ref, ref_hole, dx, dy, back_error=0.0):
    h, w = ref_hole.shape
    to_ref = np.zeros((h, w, 2), np.float32)
    to_ref[..., 0], to_ref[..., 1] = dx, dy
    return ReferenceView(ref, ref_hole, to_ref, -to_ref + back_error)


def _scene():
    img = photo()[:80, :112].astype(np.float32)
    missing = np.zeros(img.shape[:2], bool)
    missing[30:50, 40:60] = True
    return img, missing


def test_colours_come_from_where_the_flow_lands_in_the_reference():
    img, missing = _scene()
    ref = np.roll(img, (3, 5), axis=(0, 1))  # the reference sees the scene moved by (5, 3)
    colours, found = reference_colours(missing, [_view(ref, np.zeros_like(missing), 5, 3)])
    assert found[missing].all() and not found[~missing].any()
    np.testing.assert_allclose(colours[missing], img[missing], atol=1e-5)


def test_a_target_inside_or_next_to_the_references_hole_is_not_taken():
    img, missing = _scene()
    ref_hole = np.zeros_like(missing)
    ref_hole[30:40, 40:60] = True  # the reference's own hole covers the upper half (zero motion)
    colours, found = reference_colours(missing, [_view(img, ref_hole, 0, 0)])
    assert not found[30:41, 40:60].any()  # the hole and its 1 px ring
    assert found[41:50, 40:60].all()


def test_a_round_trip_that_does_not_close_is_refused_and_the_best_reference_wins():
    img, missing = _scene()
    bad = _view(np.zeros_like(img), np.zeros_like(missing), 0, 0, back_error=1.5)
    good = _view(img, np.zeros_like(missing), 0, 0, back_error=0.2)
    assert not reference_colours(missing, [bad])[1].any()
    colours, found = reference_colours(missing, [bad, good])
    assert found[missing].all()
    np.testing.assert_allclose(colours[missing], img[missing], atol=1e-5)
    worse = _view(np.zeros_like(img), np.zeros_like(missing), 0, 0, back_error=0.5)
    colours, _ = reference_colours(missing, [good, worse])  # the smaller round trip, in either order
    np.testing.assert_allclose(colours[missing], img[missing], atol=1e-5)


def test_a_target_outside_the_frame_is_not_taken():
    img, missing = _scene()
    colours, found = reference_colours(missing, [_view(img, np.zeros_like(missing), 80, 0)])
    assert not found.any()
