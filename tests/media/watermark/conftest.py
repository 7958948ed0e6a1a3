"""Real photographs panned like a camera: the footage most watermark tests burn a logo into."""

import numpy as np
import pytest
import skimage.data

from media.watermark_synth import pan_clip


@pytest.fixture(scope="module")
def astronaut_pan() -> np.ndarray:
    return pan_clip(skimage.data.astronaut(), n=30, size=(192, 256), seed=1)


@pytest.fixture(scope="module")
def chelsea_pan() -> np.ndarray:
    return pan_clip(skimage.data.chelsea(), n=30, size=(192, 256), seed=3)
