"""Seeded mask generators: deterministic, the right shapes and motions."""

from __future__ import annotations

import numpy as np
import pytest

from tasks.evaluation import mask_generators as G
from isvi_models.errors import ConfigError, InputError


@pytest.mark.parametrize("kind", ["squares", "blobs", "text"])
def test_same_seed_same_masks_other_seed_other_masks(kind):
    a = G.generate(f"{kind}:7", 12, 90, 160)
    b = G.generate(f"{kind}:7", 12, 90, 160)
    c = G.generate(f"{kind}:8", 12, 90, 160)
    assert a.dtype == bool and a.shape == (12, 90, 160)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.any(axis=(1, 2)).all()  # a hole in every frame
    assert a.mean() < 0.5


def test_squares_keep_their_size_and_move_continuously():
    m = G.moving_squares(40, 120, 200, seed=3, size_frac=0.25, max_speed_px=5)
    side = 30
    for t in range(40):
        ys, xs = np.nonzero(m[t])
        assert ys.max() - ys.min() + 1 == side and xs.max() - xs.min() + 1 == side
        assert m[t].sum() == side * side
    tops = np.array([np.argwhere(f)[0] for f in m])
    steps = np.abs(np.diff(tops, axis=0)).max(axis=1)
    assert steps.max() <= 6  # continuous trace: at most the speed (rounded) per frame
    assert len({tuple(p) for p in tops}) > 10  # it does move
    assert all((m[t] & m[t + 1]).any() for t in range(39))  # consecutive masks overlap


def test_several_squares():
    one = G.moving_squares(5, 100, 100, seed=1, count=1)
    three = G.generate("squares:1,count=3", 5, 100, 100)
    assert three.sum() > one.sum()


def test_blobs_move_and_can_be_static():
    moving = G.moving_blobs(30, 120, 200, seed=5)
    centroids = np.array([np.argwhere(f).mean(axis=0) for f in moving])
    assert np.abs(centroids[-1] - centroids[0]).max() > 3
    assert np.abs(np.diff(centroids, axis=0)).max() < 12  # smooth, no jumps
    static = G.moving_blobs(10, 120, 200, seed=5, p_static=1.0)
    assert all(np.array_equal(static[0], f) for f in static)


def test_text_overlay_is_static_and_in_a_corner():
    m = G.text_overlay(6, 240, 320, seed=2, corner="br")
    assert all(np.array_equal(m[0], f) for f in m)
    ys, xs = np.nonzero(m[0])
    assert ys.min() > 120 and xs.min() > 100  # bottom right
    assert 0.002 < m[0].mean() < 0.2


def test_folder_masks_round_trip(tmp_path):
    import cv2

    m = G.moving_squares(4, 32, 48, seed=0)
    for i, f in enumerate(m):
        cv2.imwrite(str(tmp_path / f"{i:05d}.png"), f.astype(np.uint8) * 255)
    assert np.array_equal(G.generate(str(tmp_path), 4, 32, 48), m)
    with pytest.raises(InputError, match="5 frames"):
        G.folder_masks(tmp_path, 5, 32, 48)


def test_bad_specs_are_config_errors():
    with pytest.raises(ConfigError, match="unknown kind"):
        G.generate("circles:1", 3, 20, 20)
    with pytest.raises(ConfigError, match="seed"):
        G.generate("squares:x", 3, 20, 20)
    with pytest.raises(ConfigError, match="squares"):
        G.generate("squares:1,wobble=2", 3, 20, 20)
    assert G.generate({"kind": "squares", "seed": 4}, 3, 40, 40).shape == (3, 40, 40)
