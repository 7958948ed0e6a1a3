"""The per-method subprocess runner: result, time and peak memory of a method with known needs."""

from __future__ import annotations

import numpy as np

from tasks.evaluation.runner import run_in_subprocess


def test_runner_measures_a_known_allocation(tmp_path):
    frames = np.random.default_rng(0).integers(0, 256, (16, 500, 1000, 3), dtype=np.uint8)  # 24 MB
    holes = np.zeros(frames.shape[:3], bool)
    holes[:, 100:200, 100:300] = True
    np.save(tmp_path / "f.npy", frames)
    np.save(tmp_path / "h.npy", holes)
    stats = run_in_subprocess("blank", tmp_path / "f.npy", tmp_path / "h.npy", tmp_path / "out.npy")
    out = np.load(tmp_path / "out.npy")
    assert (out[holes] == 0).all() and np.array_equal(out[~holes], frames[~holes])
    # "blank" copies the frames once (24 MB) and writes zeros into the copy
    assert 20 <= stats["peak_above_inputs_mb"] <= 60, stats
    assert stats["peak_mb"] >= 24 + 8 + stats["peak_above_inputs_mb"] - 1  # inputs are resident too
    assert stats["frames"] == 16 and 0 < stats["seconds_per_frame"] < 1
