import numpy as np
import pytest

from isvi_models.errors import StageError
from isvi_models.ops.gradients import image_gradients
from isvi_models.ops.poisson import poisson_solve
from tests.synth import photo


class TestPoissonSolve:
    def setup_method(self):
        self.img = photo()[100:180, 100:212]
        self.hole = np.zeros(self.img.shape[:2], bool)
        self.hole[20:60, 30:90] = True
        self.hole[0:6, 0:10] = True  # touches the image border: Neumann there

    def test_exact_gradients_reproduce_the_image(self):
        gx, gy = image_gradients(self.img)
        blank = np.where(self.hole[..., None], 0.0, self.img)
        out, solved = poisson_solve(blank, self.hole, gx, gy)
        assert solved[self.hole].all()
        np.testing.assert_allclose(out, self.img, atol=1e-5)

    def test_harmonic_fill_of_constant_boundary_is_constant(self):
        img = np.full((30, 40, 2), 2.5, np.float32)
        hole = np.zeros((30, 40), bool)
        hole[5:25, 5:35] = True
        out, _ = poisson_solve(np.where(hole[..., None], -9.0, img), hole)
        np.testing.assert_allclose(out, img, atol=1e-5)

    def test_harmonic_fill_of_linear_ramp_is_exact(self):
        # a linear function is harmonic, so the Laplace fill must reproduce it
        yy, xx = np.mgrid[0:30, 0:40].astype(np.float32)
        ramp = (0.3 * xx - 0.2 * yy)[..., None]
        hole = np.zeros((30, 40), bool)
        hole[5:25, 8:30] = True
        out, _ = poisson_solve(np.where(hole[..., None], 0.0, ramp), hole)
        np.testing.assert_allclose(out, ramp, atol=1e-4)

    def test_pixels_cut_off_by_unknown_gradients_are_reported_unsolved(self):
        gx, gy = image_gradients(self.img)
        ok = np.ones(self.hole.shape, bool)
        ok_x, ok_y = ok.copy(), ok.copy()
        # no usable edge into or inside the inner block 30:50 x 40:80
        ok_x[30:50, 39:80] = False
        ok_y[29:50, 40:80] = False
        out, solved = poisson_solve(self.img, self.hole, gx, gy, ok_x=ok_x, ok_y=ok_y)
        assert not solved[30:50, 40:80].any()
        assert solved[20:28, 30:90].all()
        np.testing.assert_array_equal(out[30:50, 40:80], self.img[30:50, 40:80])  # left as given

    def test_outside_the_hole_is_untouched(self):
        out, _ = poisson_solve(self.img, self.hole)
        np.testing.assert_array_equal(out[~self.hole], self.img[~self.hole])

    def test_whole_image_hole_is_refused(self):
        with pytest.raises(StageError, match="whole image"):
            poisson_solve(self.img, np.ones(self.img.shape[:2], bool))

    def test_shape_mismatch_is_refused(self):
        with pytest.raises(StageError, match="hole"):
            poisson_solve(self.img, np.zeros((5, 5), bool))
