import numpy as np
import pytest

from isvi_models.ops.gradients import gradient_hole, image_gradients
from isvi_models.ops.reconstruct import fill_key_frame


def _ramp(h=64, w=80):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([0.2 + 0.5 * x / w, 0.3 + 0.4 * y / h, 0.5 + 0.2 * (x + y) / (h + w)], axis=-1)


@pytest.mark.parametrize("method", ["fsr", "telea"])
def test_a_stray_propagated_gradient_does_not_seed_the_spatial_fill(method):
    """A key frame whose hole no frame shows, except one gradient at its edge that propagation
    found (and got wrong): the fill must stay close to the smooth scene everywhere. Solving that
    one gradient first made its pixel a 'known' seed of the spatial fill, 0.6 off."""
    truth = _ramp()
    hole = np.zeros(truth.shape[:2], bool)
    hole[20:40, 25:55] = True
    frame = truth.copy()
    frame[hole] = 0.0
    gx, gy = image_gradients(frame)
    missing = gradient_hole(hole)
    missing[30, 24] = False  # gx[30, 24] reads (30, 24) outside and (30, 25) inside the hole
    gx[30, 24] = 0.6
    out = fill_key_frame(frame, hole, gx, gy, missing, method)
    np.testing.assert_array_equal(out[~hole], frame[~hole])
    assert np.abs(out - truth)[hole].max() < 0.3


def test_propagated_gradients_are_kept_where_they_exist():
    """Where every gradient of the hole was propagated, the result is their Poisson solve, not the spatial fill."""
    y, x = np.mgrid[0:48, 0:48].astype(np.float32)
    truth = np.repeat((0.5 + 0.4 * np.sin(x / 3.0))[..., None], 3, axis=-1)  # stripes a spatial fill blurs
    hole = np.zeros((48, 48), bool)
    hole[16:32, 16:32] = True
    frame = truth.copy()
    frame[hole] = 0.0
    gx, gy = image_gradients(truth)  # as if propagated exactly
    missing = np.zeros_like(hole)
    out = fill_key_frame(frame, hole, gx, gy, missing, "telea")
    assert np.abs(out - truth)[hole].max() < 1e-3


def _overlaid(frames, holes, opacity, colour):
    a = np.where(holes, opacity, 0.0)[..., None]
    return (1 - a) * frames + a * np.asarray(colour, np.float32)


def test_an_overlay_is_undone_where_no_chain_reaches():
    """A fixed camera under a static semi-transparent overlay: no frame shows what it covers, so the
    spatial fill guesses it; with the overlay's opacity and colour, each frame's own pixels give it."""
    from isvi_models.ops.reconstruct import fill_holes
    from tests.synth import panned_clip, psnr, square_holes

    clean = panned_clip(frames=6, dx=0)
    holes = square_holes(6, *clean.shape[1:3])
    marked = _overlaid(clean, holes, 0.5, (1.0, 1.0, 1.0)).astype(np.float32)
    zero = np.zeros((5, *clean.shape[1:3], 2), np.float32)
    opacity = np.where(holes[0], 0.5, np.nan).astype(np.float32)
    with_overlay = fill_holes(marked, holes, zero, zero, overlay=(opacity, np.ones(3, np.float32)))
    without = fill_holes(marked, holes, zero, zero)
    assert psnr(with_overlay[holes], clean[holes]) > 45 > psnr(without[holes], clean[holes]) + 15
    np.testing.assert_array_equal(with_overlay[~holes], marked[~holes])
    nowhere = fill_holes(marked, holes, zero, zero, overlay=(np.full_like(opacity, np.nan), np.ones(3, np.float32)))
    np.testing.assert_array_equal(nowhere, without)  # nothing recoverable: the fill as without


def test_a_panning_camera_under_an_overlay():
    """A pan reveals part of what the hole covers to each frame; the positions no chain reaches (most of
    the hole's middle, in the window's first and last frames) take the recovered background's gradients."""
    from isvi_models.pipeline import MethodSettings, inpaint_window
    from tests.synth import panned_clip, psnr, square_holes

    clean = panned_clip(frames=10, dx=3)
    holes = square_holes(10, *clean.shape[1:3])
    marked = _overlaid(clean, holes, 0.5, (1.0, 1.0, 1.0)).astype(np.float32)
    s = MethodSettings(noise_flow_px=0.0)
    plain = inpaint_window(marked, holes, s)
    undone = inpaint_window(marked, holes, s, overlay=(np.where(holes[0], 0.5, np.nan).astype(np.float32),
                                                      np.ones(3, np.float32)))
    assert psnr(undone[holes], clean[holes]) > psnr(plain[holes], clean[holes]) + 10
    np.testing.assert_array_equal(undone[~holes], marked[~holes])
