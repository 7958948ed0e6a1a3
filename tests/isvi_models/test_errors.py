import pickle

import numpy as np
import pytest

from isvi_models.errors import InputError, ModelError, StageError, check_shape


@pytest.mark.parametrize("cls", [InputError, ModelError])
def test_path_errors_survive_pickling_with_type_path_and_message(cls):
    err = pickle.loads(pickle.dumps(cls("/data/clip.mp4", "has zero video frames")))
    assert type(err) is cls
    assert (err.path, err.problem) == ("/data/clip.mp4", "has zero video frames")
    assert str(err) == "/data/clip.mp4: has zero video frames"


def test_check_shape_names_the_array_and_both_shapes():
    with pytest.raises(StageError, match=r"flow has shape \(3, 4\), expected \(T, H, W, 2\)"):
        check_shape(np.zeros((3, 4)), "T H W 2", "flow")
