"""Classical baselines: they fill holes, leave everything else alone, and temporal_nearest is exact
where the answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from tasks.evaluation import baselines as B
from tasks.evaluation.metrics import masked_psnr

from .helpers import box_holes, texture


@pytest.mark.parametrize("name", ["telea", "ns", "temporal_nearest", "removelogo", "blank"])
def test_known_pixels_untouched(name):
    frames = np.stack([texture(40, 50, s) for s in range(3)])
    holes = box_holes(3, 40, 50, 10, 25, 12, 30)
    out = B.get_method(name)(frames, holes)
    assert out.shape == frames.shape and out.dtype == np.uint8
    assert np.array_equal(out[~holes], frames[~holes])


def test_spatial_fill_of_a_flat_region_is_exact():
    frames = np.full((2, 40, 40, 3), (30, 120, 200), np.uint8)
    holes = box_holes(2, 40, 40, 15, 25, 15, 25)
    inp = frames.copy()
    inp[holes] = 0
    # Navier-Stokes is exact here; Telea's weighted extrapolation is off by up to 2 levels
    for name, tol in (("telea", 2), ("ns", 0), ("removelogo", 8)):  # removelogo: through 8-bit YUV 4:2:0 and back
        out = B.get_method(name)(inp, holes)
        assert np.abs(out.astype(int) - frames).max() <= tol, name


def test_spatial_fill_beats_blank():
    gt = np.stack([texture(60, 60, 9, sigma=6)] * 2)
    holes = box_holes(2, 60, 60, 25, 35, 25, 35)
    inp = gt.copy()
    inp[holes] = 0
    assert masked_psnr(B.telea(inp, holes)[0], gt[0], holes[0]) > masked_psnr(B.blank(inp, holes)[0], gt[0], holes[0]) + 10


def test_removelogo_fills_a_static_logo_from_its_surroundings():
    gt = np.stack([texture(60, 60, 9, sigma=6)] * 3)
    holes = box_holes(3, 60, 60, 25, 35, 25, 35)
    inp = gt.copy()
    inp[holes] = 255  # a white logo
    out = B.removelogo(inp, holes)
    assert masked_psnr(out[0], gt[0], holes[0]) > masked_psnr(B.blank(inp, holes)[0], gt[0], holes[0]) + 10


def test_nearest_visible_index():
    holes = np.zeros((5, 1, 3), bool)
    holes[:, 0, 0] = [True, True, False, True, True]  # visible only at t=2
    holes[:, 0, 1] = [False, True, True, True, False]  # tie at t=2 -> earlier (0)
    holes[:, 0, 2] = True  # never visible
    idx = B.nearest_visible_index(holes)
    assert idx[:, 0, 0].tolist() == [2, 2, 2, 2, 2]
    assert idx[:, 0, 1].tolist() == [0, 0, 0, 4, 4]
    assert idx[:, 0, 2].tolist() == [-1] * 5


def test_temporal_nearest_recovers_a_static_background_behind_a_moving_hole():
    bg = texture(40, 60, 11)
    gt = np.stack([bg] * 6)
    holes = np.zeros((6, 40, 60), bool)
    for t in range(6):
        holes[t, 10:30, 5 + 8 * t: 15 + 8 * t] = True  # moves right, never covers a pixel forever
    inp = gt.copy()
    inp[holes] = 0
    out = B.temporal_nearest(inp, holes)
    assert np.array_equal(out, gt)


def test_temporal_nearest_falls_back_where_never_visible():
    frames = np.full((3, 30, 30, 3), 90, np.uint8)
    holes = box_holes(3, 30, 30, 10, 20, 10, 20)  # static: never visible
    inp = frames.copy()
    inp[holes] = 0
    out = B.temporal_nearest(inp, holes)
    assert np.abs(out.astype(int) - 90).max() <= 2  # Telea's tolerance on a flat region


def test_unknown_method_and_bad_shapes():
    from isvi_models.errors import ConfigError, StageError

    with pytest.raises(ConfigError, match="unknown method"):
        B.get_method("magic")
    with pytest.raises(StageError):
        B.telea(np.zeros((2, 10, 10, 3), np.uint8), np.zeros((3, 10, 10), bool))
