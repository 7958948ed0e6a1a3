import numpy as np
import pytest

from isvi_models.errors import StageError
from isvi_models.ops.flow import DISFlowEstimator
from isvi_models.ops.flow_completion import LaplaceCompleter, laplace_fill_flows
from tests.synth import panned_clip


class TestDISFlowEstimator:
    def test_pan_of_two_pixels_gives_flow_minus_two(self):
        frames = panned_clip(frames=3, height=96, width=128, dx=2)
        fwd, bwd = DISFlowEstimator("medium")(frames)
        assert fwd.shape == (2, 96, 128, 2) and fwd.dtype == np.float32
        inner = (slice(None), slice(16, -16), slice(16, -16))
        assert np.median(fwd[inner][..., 0]) == pytest.approx(-2.0, abs=0.1)
        assert np.median(bwd[inner][..., 0]) == pytest.approx(2.0, abs=0.1)
        assert np.median(np.abs(fwd[inner][..., 1])) < 0.1

    def test_the_default_fine_preset_halves_the_error_of_medium_under_a_known_affine_motion(self):
        """A photograph rotated, zoomed and shifted by sub-pixel amounts: the exact flow is known."""
        import cv2

        from tests.synth import photo

        img = photo()[96:352, 96:352]
        h, w = img.shape[:2]
        a, s, tx, ty = 0.012, 1.01, 1.7, -2.3
        m = np.array([[s * np.cos(a), -s * np.sin(a), tx], [s * np.sin(a), s * np.cos(a), ty]])
        moved = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        exact = np.stack([m[0, 0] * xs + m[0, 1] * ys + m[0, 2] - xs, m[1, 0] * xs + m[1, 1] * ys + m[1, 2] - ys], -1)
        inner = (slice(24, -24), slice(24, -24))
        errors = {}
        for preset in ("medium", "fine"):
            fwd, _ = DISFlowEstimator(preset)(np.stack([img, moved]).astype(np.float32))
            errors[preset] = float(np.hypot(*(fwd[0] - exact)[inner].transpose(2, 0, 1)).mean())
        assert DISFlowEstimator().preset == "fine"
        assert errors["fine"] < 0.7 * errors["medium"], errors

    def test_unknown_preset_is_refused(self):
        with pytest.raises(ValueError, match="preset"):
            DISFlowEstimator("slowest")

    def test_bad_shape_is_refused(self):
        with pytest.raises(StageError):
            DISFlowEstimator()(np.zeros((2, 10, 10), np.float32))


class TestLaplaceFillFlows:
    def test_uniform_motion_is_continued_into_the_hole(self):
        flows = np.zeros((2, 40, 50, 2), np.float32)
        flows[..., 0], flows[..., 1] = 1.5, -0.5
        holes = np.zeros((2, 40, 50), bool)
        holes[:, 10:30, 10:40] = True
        garbage = np.where(holes[..., None], 99.0, flows)
        out = laplace_fill_flows(garbage, holes)
        np.testing.assert_allclose(out, flows, atol=1e-4)
        np.testing.assert_allclose(LaplaceCompleter()(garbage, holes, "backward"), out)

    def test_outside_values_are_kept(self):
        rng = np.random.default_rng(0)
        flows = rng.normal(size=(1, 20, 20, 2)).astype(np.float32)
        holes = np.zeros((1, 20, 20), bool)
        holes[:, 5:10, 5:10] = True
        out = laplace_fill_flows(flows, holes)
        np.testing.assert_array_equal(out[~holes], flows[~holes])


def test_complete_both_equals_completing_each_direction():
    rng = np.random.default_rng(1)
    fwd = rng.normal(size=(4, 30, 40, 2)).astype(np.float32)
    bwd = rng.normal(size=(4, 30, 40, 2)).astype(np.float32)
    holes = np.zeros((5, 30, 40), bool)
    for k in range(5):
        holes[k, 5 + k:15 + k, 8:20 + 2 * k] = True
    holes[2] = True  # a fully masked frame: its flows become zero
    c = LaplaceCompleter()
    both_f, both_b = c.complete_both(fwd, bwd, holes)
    np.testing.assert_allclose(both_f, c(fwd, holes[:-1], "forward"), atol=1e-5)
    np.testing.assert_allclose(both_b, c(bwd, holes[1:], "backward"), atol=1e-5)
