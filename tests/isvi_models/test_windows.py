"""Window planning and anchors (``isvi_models.windows``): both drivers cut videos with these."""

import numpy as np
import pytest

from isvi_models.windows import apply_anchors, finalised, kept, plan_windows


class TestPlanWindows:
    @pytest.mark.parametrize("n,window,overlap", [(5, 48, 8), (48, 48, 8), (100, 48, 8), (801, 40, 6), (17, 8, 3)])
    def test_every_frame_is_finalised_once_in_order(self, n, window, overlap):
        wins = plan_windows(n, window, overlap)
        finalised = [f for w in wins for f in range(w.start + w.anchors, w.final_stop)]
        assert finalised == list(range(n))
        assert all(w.stop - w.start <= window for w in wins)  # memory bounded by the window

    def test_anchors_are_previous_output(self):
        wins = plan_windows(100, 40, 8)
        for prev, cur in zip(wins, wins[1:]):
            assert cur.anchors == 8 and cur.start + cur.anchors == prev.final_stop

    def test_anchor_frames_come_from_the_previous_windows_output(self):
        wins = plan_windows(30, 12, 3)
        frames = np.arange(30)[:, None, None, None] * np.ones((1, 2, 2, 3), np.int64)
        outs, previous = [], None
        for w in wins:
            f = frames[w.start:w.stop].copy() + 1000  # "output" differs from the input
            h = np.ones(f.shape[:3], bool)
            apply_anchors(f, h, w, previous)
            assert not h[:w.anchors].any() and h[w.anchors:].all()
            if w.anchors:  # the previous window's output for the same frames, not the input
                np.testing.assert_array_equal(f[:w.anchors], frames[w.start:w.start + w.anchors] + 1000)
            outs.append(finalised(f, w))
            previous = kept(f, w)
        np.testing.assert_array_equal(np.concatenate(outs), frames + 1000)
