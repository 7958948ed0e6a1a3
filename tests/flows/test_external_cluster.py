"""``isvi batch --cluster``: a Dask scheduler and worker started apart from the job, as on a GPU cluster."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from isvi.cli import main
from media.video import read_video
from tests.batch_clips import pan_frames, write_clip
from tests.flows.test_inpaint_collection import METHOD

pytestmark = pytest.mark.slow  # a real Prefect server, Dask scheduler and worker


@pytest.fixture
def external_cluster(tmp_path):
    """A scheduler on loopback and one worker whose working folder is not the job's (``/``)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    scheduler_file = tmp_path / "scheduler.json"
    bin_dir = os.path.dirname(sys.executable)
    procs = [subprocess.Popen([os.path.join(bin_dir, "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--dashboard-address", ":0", "--scheduler-file", str(scheduler_file)],
                              env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    procs.append(subprocess.Popen([os.path.join(bin_dir, "dask"), "worker", "--scheduler-file", str(scheduler_file),
                                   "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
                                  env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        yield json.loads(scheduler_file.read_text())["address"]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_relative_paths_on_an_external_cluster(prefect_api, external_cluster, tmp_path, monkeypatch):
    """``isvi batch in -o out --cluster ...`` with relative paths: the worker, started in another
    folder, read ``in/a.mkv`` and wrote ``out/`` and the cache relative to its own folder (the video
    failed); the job's paths are now absolute before anything is submitted."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    write_clip(tmp_path / "in" / "a.mkv", pan_frames(16))
    code = main(["batch", "in", "-o", "out", "--cache", "cache", "--cluster", external_cluster,
                 *METHOD[:-2]])  # without --workers
    rows = json.loads((tmp_path / "out" / "isvi-report.json").read_text())["videos"]
    assert code == 0, rows
    assert [(r["name"], r["status"]) for r in rows] == [("a.mkv", "done")]
    result = read_video(tmp_path / "out" / "a.mkv")[0]
    assert result.shape == (16, 48, 64, 3) and not np.array_equal(result, read_video(tmp_path / "in" / "a.mkv")[0])
    assert (tmp_path / "cache").is_dir() and not os.path.exists("/out") and not os.path.exists("/cache")
