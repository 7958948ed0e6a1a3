"""Estimating and undoing a static semi-transparent overlay (isvi_models.ops.overlay)."""

import numpy as np
import pytest

from isvi_models.ops.overlay import estimate_overlay, overlay_box, recover
from tests.synth import overlaid_scenes, psnr


def _undone(marked, overlay):
    h, w = marked.shape[1:3]
    colours, usable = recover(marked.astype(np.float32) / 255, overlay.over(0, 0, h, w), overlay.colour)
    return colours, usable


@pytest.mark.parametrize("opacity,colour", [(0.5, (1.0, 1.0, 1.0)), (0.4, (0.0, 0.0, 0.0)),
                                            (0.6, (1.0, 0.8, 0.2))])
def test_many_scenes_determine_the_overlay(opacity, colour):
    marked, clean, hole, alpha = overlaid_scenes(opacity=opacity, colour=colour)
    overlay, why = estimate_overlay(marked, hole)
    assert overlay is not None, why
    np.testing.assert_allclose(overlay.colour, colour, atol=0.06)
    a = overlay.over(0, 0, *hole.shape)
    inner = alpha > 0.9 * opacity  # the disc's body (its rim is anti-aliased)
    assert np.isfinite(a[inner]).all()
    assert np.median(np.abs(a[inner] - alpha[inner])) < 0.04
    colours, usable = _undone(marked, overlay)
    got = np.where(usable[None, ..., None], colours, marked / 255.0)
    before, after = psnr(marked[:, hole] / 255.0, clean[:, hole] / 255.0), psnr(got[:, hole], clean[:, hole] / 255.0)
    assert after > before + 10 and after > 30, (before, after)


def test_one_scene_is_refused():
    """A fixed camera: one background per position, which does not determine the overlay."""
    marked, _, hole, _ = overlaid_scenes(scenes=1)
    noisy = np.clip(marked + np.random.default_rng(1).normal(0, 2, marked.shape), 0, 255).astype(np.uint8)
    overlay, why = estimate_overlay(noisy, hole)
    assert overlay is None and "too few scenes" in why


def test_few_scenes_are_refused():
    marked, _, hole, _ = overlaid_scenes(scenes=3)
    overlay, why = estimate_overlay(marked, hole)
    assert overlay is None and why


def test_opaque_overlay_and_blanked_hole_leave_nothing_to_recover():
    marked, clean, hole, _ = overlaid_scenes(opacity=1.0)
    opaque = marked.copy()
    opaque[:, hole] = 255  # an opaque white disc (rim included)
    assert estimate_overlay(opaque, hole)[0] is None
    blank = clean.copy()
    blank[:, hole] = 0  # the benchmark's blanked holes
    assert estimate_overlay(blank, hole)[0] is None


def test_samples_cut_to_the_box_give_the_same_overlay():
    marked, _, hole, _ = overlaid_scenes()
    whole, _ = estimate_overlay(marked, hole)
    y0, y1, x0, x1 = overlay_box(hole)
    cut, _ = estimate_overlay(marked[:, y0:y1, x0:x1], hole[y0:y1, x0:x1], (y0, x0))
    np.testing.assert_array_equal(whole.over(0, 0, *hole.shape), cut.over(0, 0, *hole.shape))
    np.testing.assert_array_equal(whole.colour, cut.colour)


def test_too_few_samples():
    marked, _, hole, _ = overlaid_scenes(frames=8)
    overlay, why = estimate_overlay(marked, hole)
    assert overlay is None and "at least" in why


def test_the_overlay_over_a_working_region():
    """``crop_overlay``: the opacity under a window's crop, scaled to its working size; NaN (not
    recoverable) outside the estimate's box and where it was NaN, never blended into numbers."""
    from isvi_models.ops.overlay import Overlay
    from isvi_models.pipeline import crop_overlay
    from isvi_models.region import Region

    opacity = np.full((20, 30), 0.5, np.float32)
    opacity[:, :10] = np.nan
    overlay = Overlay(opacity, (40, 60), np.ones(3, np.float32))
    a, colour = crop_overlay(overlay, Region(50, 30, 110, 70, 1.0))  # x 50-110, y 30-70
    assert a.shape == (40, 60) and colour is overlay.colour
    assert np.isnan(a[:10]).all() and np.isnan(a[:, :20]).all()  # above the box; left of it and its NaN part
    np.testing.assert_array_equal(a[10:30, 20:40], 0.5)
    assert np.isnan(a[30:]).all() and np.isnan(a[:, 40:]).all()
    half, _ = crop_overlay(overlay, Region(50, 30, 110, 70, 0.5))
    assert half.shape == (20, 30) and set(np.unique(half[np.isfinite(half)])) == {0.5}
    assert crop_overlay(None, Region(0, 0, 10, 10, 1.0)) is None


def test_a_recovered_background_much_rougher_than_its_surroundings_is_not_plausible():
    """A dark logo over a smooth bright wall: an opacity a few percent off (here noise of 0.03) turns
    the wall into grain, which the spatial fill would not make; over a photograph the same error hides
    in the texture."""
    from isvi_models.ops.overlay import plausible
    from tests.synth import panned_clip, square_holes

    rng = np.random.default_rng(0)
    holes = square_holes(4, 80, 112)
    opacity = np.where(holes[0], 0.5, np.nan) + rng.normal(0, 0.03, holes.shape[1:])
    for scene, expected in ((np.full((4, 80, 112, 3), 0.7, np.float32), False), (panned_clip(4, dx=0), True)):
        marked = np.where(holes[..., None], 0.5 * scene, scene).astype(np.float32)  # black at opacity 0.5
        colours, usable = recover(marked, opacity.astype(np.float32), np.zeros(3, np.float32))
        ok, ratio = plausible(marked, holes, colours, usable)
        assert ok is expected, ratio
