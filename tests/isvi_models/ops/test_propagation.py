import math

import numpy as np
import pytest

from isvi_models.errors import StageError
from isvi_models.ops.gradients import gradient_hole, image_gradients
from isvi_models.ops.propagation import propagate_gradients, trace_sources
from isvi_models.ops.reconstruct import fill_holes
from tests.synth import panned_clip, square_holes


def exact_pan_flows(t, h, w, dx):
    """Camera moving +dx per frame: content moves -dx, so F_{t->t+1} = (-dx, 0)."""
    fwd = np.zeros((t - 1, h, w, 2), np.float32)
    fwd[..., 0] = -dx
    return fwd, -fwd


class TestPropagateGradients:
    # 16 frames: every position of the 32 px wide hole is seen within 11 steps one way or the
    # other. On the bottom edge (a caption strip) that includes the frame's last row: its
    # content shows on the last row of other frames (gy's last row is 0, not a gradient).
    @pytest.mark.parametrize("box", [(25, 55, 40, 72), (68, 80, 40, 72)], ids=["inside", "bottom-edge"])
    @pytest.mark.parametrize("colours", [False, True], ids=["sampled", "chain-rule"])
    def test_translating_texture_recovers_hidden_gradients(self, box, colours):
        frames = panned_clip(frames=16, dx=3)
        t, h, w = frames.shape[:3]
        holes = gradient_hole(square_holes(t, h, w, box=box))
        gx, gy = image_gradients(frames)
        fwd, bwd = exact_pan_flows(t, h, w, 3)
        blank_x, blank_y = np.where(holes[..., None], 0, gx), np.where(holes[..., None], 0, gy)
        # Under a translation the source colours' differences are the source gradients.
        given = np.where(holes[..., None], 0, frames) if colours else None
        fx, fy, missing = propagate_gradients(blank_x, blank_y, holes, fwd, bwd, frames=given)
        assert not missing.any()
        np.testing.assert_allclose(fx[holes], gx[holes], atol=1e-6)
        np.testing.assert_allclose(fy[holes], gy[holes], atol=1e-6)

    def test_stretching_flow_scales_gradients_by_the_chain_rule(self):
        """Content rising into a hole while the completed flow around it is still: neighbours
        of frame 1's hole land half a pixel apart in frame 0. The gradient there is half the
        source's (chain rule); sampling the source gradient at each landing point doubles
        every edge, which the Poisson solve integrates into an overshoot (a bright smear)."""
        h, w = 8, 40
        ramp = np.broadcast_to((np.arange(w, dtype=np.float32) / w)[None, :, None], (h, w, 3))
        frames = np.stack([ramp, ramp])
        hole = np.zeros((2, h, w), bool)
        hole[1, :, 10:30] = True
        holes = gradient_hole(hole)
        bwd = np.zeros((1, h, w, 2), np.float32)
        xs = np.arange(w, dtype=np.float32)
        bwd[0, :, 10:30, 0] = (20 + 0.5 * (xs[10:30] - 20)) - xs[10:30]  # x -> 20 + (x - 20) / 2 in frame 0
        fwd = -bwd  # round trip within 10 px: accepted
        gx, gy = image_gradients(frames)
        sampled, _, _ = propagate_gradients(gx, gy, holes, fwd, bwd)
        scaled, _, missing = propagate_gradients(gx, gy, holes, fwd, bwd, frames=np.where(holes[..., None], 0, frames))
        assert not missing[1].any()
        np.testing.assert_allclose(sampled[1, :, 12:28], 1 / w, atol=1e-6)
        np.testing.assert_allclose(scaled[1, :, 12:28], 0.5 / w, atol=1e-6)

    def test_static_scene_with_static_hole_reports_everything_missing(self):
        frames = np.repeat(panned_clip(frames=1), 5, axis=0)
        holes = gradient_hole(square_holes(5, *frames.shape[1:3]))
        gx, gy = image_gradients(frames)
        zero = np.zeros((4, *frames.shape[1:3], 2), np.float32)
        _, _, missing = propagate_gradients(gx, gy, holes, zero, zero)
        np.testing.assert_array_equal(missing, holes)

    def test_inconsistent_steps_are_rejected(self):
        frames = panned_clip(frames=4, dx=3)
        t, h, w = frames.shape[:3]
        holes = gradient_hole(square_holes(t, h, w))
        fwd, bwd = exact_pan_flows(t, h, w, 3)
        bad_return = np.zeros_like(fwd)  # round trip error of 3 px everywhere
        src = trace_sources(holes, bwd, bad_return, from_past=True, consistency_px=1.0)
        assert (src.t < 0).all()
        src = trace_sources(holes, bwd, bad_return, from_past=True, consistency_px=10.0)
        found = src.t >= 0
        assert found[1:, 25:55, 69:72].all()  # hole rows, within one step of the right edge
        np.testing.assert_allclose(src.err[found], 3.0, atol=1e-5)  # round trip misses by the whole step

    def test_sources_are_the_nearest_visible_frame(self):
        frames = panned_clip(frames=12, dx=3)
        t, h, w = frames.shape[:3]
        holes = gradient_hole(square_holes(t, h, w))
        fwd, bwd = exact_pan_flows(t, h, w, 3)
        src = trace_sources(holes, bwd, fwd, from_past=True, consistency_px=100.0)
        # the hole spans x 40..71; x=66 shows, 2 frames back, content then at x=72: first known column
        y, x = 40, 66
        assert src.t[8, y, x] == 8 - 2
        assert src.x[8, y, x] == pytest.approx(x + 2 * 3)

    def test_nearer_source_in_time_weighs_more(self):
        """A still scene whose hole covers frames 1-5: frame 1's past source is 1 frame away,
        its future source 5. Both chains are exact (zero flow), so only the distance in time
        tells them apart; frame 3, halfway, takes the plain mean."""
        t, h, w = 7, 24, 24
        holes = np.zeros((t, h, w), bool)
        holes[1:6, 8:16, 8:16] = True
        gx = np.zeros((t, h, w, 1), np.float32)
        gx[:] = 0.5  # what frames 1-5 hold is ignored; frame 0 says 0, frame 6 says 1
        gx[0], gx[6] = 0.0, 1.0
        gy = np.zeros_like(gx)
        zero = np.zeros((t - 1, h, w, 2), np.float32)
        fx, _, missing = propagate_gradients(gx, gy, holes, zero, zero, time_scale=10.0)
        assert not missing.any()
        w_near, w_far = np.exp(-1 / 10.0), np.exp(-5 / 10.0)
        np.testing.assert_allclose(fx[1, 8:16, 8:16], w_far / (w_near + w_far), atol=1e-6)  # ~0.40, nearer 0
        np.testing.assert_allclose(fx[3, 8:16, 8:16], 0.5, atol=1e-6)
        fx, _, _ = propagate_gradients(gx, gy, holes, zero, zero, time_scale=math.inf)
        np.testing.assert_allclose(fx[1, 8:16, 8:16], 0.5, atol=1e-6)  # distance off: the plain mean

    def test_chains_longer_than_max_trace_are_cut(self):
        """The hole spans x 40..71 and the pan is 3 px a frame: x=44 first shows 10 frames
        back (at x=74), a 30 px path. A 20 px cap leaves it untraced, nearer pixels not."""
        frames = panned_clip(frames=12, dx=3)
        t, h, w = frames.shape[:3]
        holes = gradient_hole(square_holes(t, h, w))
        fwd, bwd = exact_pan_flows(t, h, w, 3)
        full = trace_sources(holes, bwd, fwd, from_past=True, consistency_px=100.0)
        cut = trace_sources(holes, bwd, fwd, from_past=True, consistency_px=100.0, max_trace_px=20.0)
        y = 40
        assert full.t[11, y, 44] == 1 and cut.t[11, y, 44] == -1
        assert cut.t[11, y, 66] == full.t[11, y, 66] == 9  # 6 px away: well within the cap
        traced = cut.t >= 0
        assert (full.t[traced] == cut.t[traced]).all()  # the cap only removes sources
        assert (np.abs(cut.x[traced] - np.nonzero(traced)[2]) <= 20 + 1e-4).all()

    def test_bad_shapes_are_refused(self):
        gx = np.zeros((3, 8, 8, 3), np.float32)
        with pytest.raises(StageError, match="flow_fwd"):
            propagate_gradients(gx, gx, np.zeros((3, 8, 8), bool), np.zeros((3, 8, 8, 2)), np.zeros((2, 8, 8, 2)))


class TestFillHoles:
    def test_translating_texture_is_recovered_almost_exactly(self):
        frames = panned_clip(frames=16, dx=3)
        t, h, w = frames.shape[:3]
        holes = square_holes(t, h, w)
        fwd, bwd = exact_pan_flows(t, h, w, 3)
        out = fill_holes(np.where(holes[..., None], 0, frames), holes, fwd, bwd)
        assert np.abs(out - frames)[holes].max() < 1e-4
        np.testing.assert_array_equal(out[~holes], frames[~holes])

    def test_never_visible_hole_is_filled_once_and_carried_to_every_frame(self):
        frames = np.repeat(panned_clip(frames=1), 6, axis=0)
        holes = square_holes(6, *frames.shape[1:3])
        zero = np.zeros((5, *frames.shape[1:3], 2), np.float32)
        out = fill_holes(np.where(holes[..., None], 0, frames), holes, zero, zero)
        assert np.isfinite(out).all()
        # one key frame, propagated: the fill is identical in every frame (no flicker)
        np.testing.assert_allclose(out, np.repeat(out[:1], 6, axis=0), atol=1e-5)
        # and it is a plausible fill, not the blanked zeros
        assert out[0][holes[0]].mean() > 0.1


class TestCuts:
    """A cut inside a window (a short shot that shot detection merged into the next): flows across it
    are noise, and no content may come from the other side (``propagation.broken_pairs``)."""

    @staticmethod
    def _cut_clip():
        before = panned_clip(frames=5, dx=3, y0=40, x0=300)  # the astronaut's background
        after = panned_clip(frames=7, dx=3, y0=250, x0=150)  # her suit, another part of the photograph
        return np.concatenate([before, after]).astype(np.float32)

    def test_only_the_cut_is_broken(self):
        from isvi_models.ops.flow import DISFlowEstimator
        from isvi_models.ops.propagation import broken_pairs

        frames = self._cut_clip()
        holes = square_holes(*frames.shape[:3], box=(25, 55, 40, 72))
        fwd, bwd = DISFlowEstimator()(frames)
        assert np.nonzero(broken_pairs(fwd, bwd, holes))[0].tolist() == [4]

    def test_no_step_crosses_a_broken_pair(self):
        t, h, w = 6, 40, 50
        holes = np.zeros((t, h, w), bool)
        holes[3:, 10:30, 10:30] = True  # frames 0-2 show every position
        zero = np.zeros((t - 1, h, w, 2), np.float32)
        broken = np.zeros(t - 1, bool)
        assert (trace_sources(holes, zero, zero, from_past=True, consistency_px=1.0).t[3:][holes[3:]] == 2).all()
        broken[2] = True  # frames 2 and 3
        src = trace_sources(holes, zero, zero, from_past=True, consistency_px=1.0, broken=broken)
        assert (src.t[3:][holes[3:]] == -1).all()

    def test_the_fill_carries_no_texture_from_across_a_cut(self):
        """After the cut a still shot whose hole no frame of its own shows; before it another scene
        that shows every position. Without the wall the fill took that scene's gradients (their
        correlation with the fill 0.25; with it -0.02)."""
        from isvi_models.ops.gradients import image_gradients
        from isvi_models.pipeline import MethodSettings, inpaint_window

        before = panned_clip(frames=5, dx=3, y0=40, x0=300)
        after = panned_clip(frames=7, dx=0, y0=250, x0=150)
        frames = np.concatenate([before, after]).astype(np.float32)
        holes = np.zeros(frames.shape[:3], bool)
        holes[5:, 25:55, 40:72] = True
        out = inpaint_window(np.where(holes[..., None], 0, frames), holes, MethodSettings())
        filled, other = image_gradients(out[5])[0][27:53, 42:70], image_gradients(frames[4])[0][27:53, 42:70]
        assert np.corrcoef(filled.ravel(), other.ravel())[0, 1] < 0.1
