"""``run_stage``: skip a finished stage; a stage another writer finished meanwhile is not an error."""

import numpy as np

from storage.zarr_cache import StageKey, ZarrCache
from tasks.refs import cached, run_stage

KEY = StageKey("vid", "shot-0000", "decode", "", "f" * 16)


def test_a_finished_stage_is_skipped(tmp_path):
    cache = ZarrCache(str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        cache.write(KEY, {"x": np.ones((2, 1, 1), np.uint8)}, 2)

    first = run_stage(cache, KEY, "v", compute)
    again = run_stage(cache, KEY, "v", compute)
    assert first.computed and not again.computed and calls == [1]
    assert cached(cache, KEY, "v") == again


def test_a_second_writer_of_the_same_key_gets_the_first_ones_output(tmp_path):
    """Two tasks on one key (two copies of one video, a retried task, two jobs on one cache):
    the one that finds the stage finished by the other as it starts writing returns that output."""
    cache = ZarrCache(str(tmp_path))

    def compute():
        cache.write(KEY, {"x": np.ones((2, 1, 1), np.uint8)}, 2)  # the other writer, finishing first
        group = cache.create(KEY, {"x": ((2, 1, 1), np.uint8)}, 2)  # this one, chunk by chunk
        cache.write_frames(group, "x", 0, np.zeros((2, 1, 1), np.uint8))

    ref = run_stage(cache, KEY, "v", compute)
    assert not ref.computed and (cache.read(KEY, ["x"])[0]["x"] == 1).all()
