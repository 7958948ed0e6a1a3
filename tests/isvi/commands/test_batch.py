"""``--cluster`` (an existing Dask scheduler) and ``--gpus`` (GPU resources for the GPU stages)."""

import json

import numpy as np
import pytest

from isvi.cli import main
from media.video import read_video
from tests.batch_clips import pan_frames, write_clip
from tests.flows.test_inpaint_collection import METHOD, single

pytestmark = pytest.mark.slow  # a real Prefect server and Dask cluster per run

NO_WORKERS = METHOD[:-2]
assert METHOD[-2:] == ["--workers", "2"]


def test_existing_cluster_without_gpus_falls_back_to_cpu(prefect_api, tmp_path):
    from distributed import LocalCluster

    src = tmp_path / "in"
    src.mkdir()
    clip = write_clip(src / "a.mkv", pan_frames(16, seed=5))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        code = main(["batch", str(src), "-o", str(tmp_path / "out"), *NO_WORKERS, "--gpus", "1",
                     "--cluster", cluster.scheduler_address])
    assert code == 0  # GPU stages did not wait forever for a GPU no worker has
    np.testing.assert_array_equal(read_video(tmp_path / "out" / "a.mkv")[0], single(clip, tmp_path))


def test_local_cluster_advertising_a_gpu(prefect_api, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    clip = write_clip(src / "a.mkv", pan_frames(16, seed=6))
    assert main(["batch", str(src), "-o", str(tmp_path / "out"), *METHOD, "--gpus", "1"]) == 0
    row = json.loads((tmp_path / "out" / "isvi-report.json").read_text())["videos"][0]
    assert row["status"] == "done"
    np.testing.assert_array_equal(read_video(tmp_path / "out" / "a.mkv")[0], single(clip, tmp_path))
