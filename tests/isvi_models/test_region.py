"""The working region (``isvi_models.region``): crop around the hole, scale, paste back."""

import numpy as np

from isvi_models.region import Region, crop_to_working, paste_back, working_region


class TestWorkingRegion:
    def test_crop_keeps_a_hole_sized_context_and_scale(self):
        holes = np.zeros((2, 720, 1280), bool)
        holes[:, 40:100, 1100:1200] = True
        r = working_region(holes, roi=True, margin_px=16, max_side=960)
        assert (r.x0, r.y0, r.x1, r.y1) == (1000, 0, 1280, 200)
        assert r.scale == 1.0
        full = working_region(holes, roi=False, margin_px=16, max_side=960)
        assert full == Region(0, 0, 1280, 720, 0.75)

    def test_no_hole_means_no_region(self):
        assert working_region(np.zeros((3, 10, 10), bool), roi=True, margin_px=8, max_side=64) is None

    def test_paste_back_changes_only_hole_pixels(self):
        rng = np.random.default_rng(0)
        frames = rng.integers(0, 256, (2, 40, 60, 3), dtype=np.uint8)
        holes = np.zeros((2, 40, 60), bool)
        holes[:, 10:20, 30:40] = True
        r = working_region(holes, roi=True, margin_px=4, max_side=16)
        work = crop_to_working(frames, holes, r)
        assert work.frames.shape[1:3][::-1] == r.working_size and work.holes.sum() > 0
        out = paste_back(frames, holes, r, np.ones_like(work.frames))
        np.testing.assert_array_equal(out[~holes], frames[~holes])
        assert (out[holes] == 255).all()
        assert Region.from_list(r.as_list()) == r
