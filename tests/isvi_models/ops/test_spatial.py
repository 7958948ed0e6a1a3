import numpy as np
import pytest

from isvi_models.ops.spatial import METHODS, spatial_fill
from tests.synth import photo, psnr


@pytest.mark.parametrize("method", METHODS)
def test_fills_the_hole_only_and_plausibly(method):
    img = photo()[100:196, 100:228]
    hole = np.zeros(img.shape[:2], bool)
    hole[40:56, 50:74] = True
    blank = np.where(hole[..., None], 0.0, img).astype(np.float32)
    out = spatial_fill(blank, hole, method)
    np.testing.assert_array_equal(out[~hole], blank[~hole])
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert psnr(out[hole], img[hole]) > psnr(blank[hole], img[hole]) + 8  # far better than the blank


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="spatial fill"):
        spatial_fill(np.zeros((8, 8, 3), np.float32), np.ones((8, 8), bool), "magic")
