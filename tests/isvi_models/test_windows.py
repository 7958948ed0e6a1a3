"""Window planning and anchors (``isvi_models.windows``): both drivers cut videos with these."""

import numpy as np
import pytest

from isvi_models.windows import apply_anchors, blend_lookahead, finalised, kept, plan_windows


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


class TestBlendLookahead:
    def test_first_frames_fade_from_the_previous_windows_lookahead_inside_the_hole(self):
        """Frames 8-11 were filled by window 0 (its look-ahead) and again by window 1: window 1's
        output for them is cross-faded from window 0's result (weights 4/5 .. 1/5) inside the
        hole, so the border is a ramp, not a step; outside the hole nothing changes."""
        w0, w1 = plan_windows(20, 12, 4)[:2]
        assert (w1.start, w1.anchors, w0.stop) == (4, 4, 12)
        shape = (2, 3, 3)
        prev_out = np.full((w0.stop - w0.start, *shape), 200, np.uint8)  # window 0's fill: 200
        out = np.full((w1.stop - w1.start, *shape), 100, np.uint8)        # window 1's fill: 100
        holes = np.zeros(out.shape[:3], bool)
        holes[:, 0] = True                                                 # row 0 is hole
        out[:, 1] = prev_out[0, 1] = 7                                     # outside: the input
        blend_lookahead(out, holes, w1, kept(prev_out, w0))
        firsts = [int(out[k, 0, 0, 0]) for k in range(w1.anchors, w1.anchors + 5)]  # frames 8-12
        assert firsts == [180, 160, 140, 120, 100]
        assert (out[:, 1] == 7).all()
        assert (out[:w1.anchors, 0] == 100).all()  # anchors are not touched

    def test_no_previous_window_nothing_changes(self):
        w0 = plan_windows(20, 12, 4)[0]
        out = np.full((12, 2, 2, 3), 50, np.uint8)
        blend_lookahead(out, np.ones(out.shape[:3], bool), w0, None)
        assert (out == 50).all()


class TestReferenceTimes:
    def test_multiples_of_the_stride_inside_and_the_nearest_outside_the_window_in_order(self):
        from isvi_models.windows import Window, reference_times

        win = Window(1, 40, 88, 8, 80)
        inside = [40, 50, 60, 70, 80]
        assert reference_times(win, 200, 10, 4) == [20, 30, *inside, 90, 100]
        assert reference_times(win, 200, 10, 8) == [0, 10, 20, 30, *inside, 90, 100, 110, 120]
        assert reference_times(win, 95, 10, 8) == [0, 10, 20, 30, *inside, 90]  # a short shot: what there is
        assert reference_times(win, 200, 0, 8) == [] and reference_times(win, 200, 10, 0) == []
        assert sum(not 40 <= t < 88 for t in reference_times(win, 1000, 7, 30)) == 30
