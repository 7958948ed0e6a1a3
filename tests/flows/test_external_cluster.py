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


def _cluster(tmp_path, hide=None):
    """A scheduler on loopback and one worker whose working folder is not the job's (``/``); with
    ``hide``, the worker runs in a mount namespace of its own with an empty tmpfs over that folder,
    as a worker on another host sees a folder that is not shared. Yields the scheduler's address."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    scheduler_file = tmp_path / "scheduler.json"
    dask = os.path.join(os.path.dirname(sys.executable), "dask")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
                               "--scheduler-file", str(scheduler_file)],
                              env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    worker = [dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--nworkers", "1",
              "--no-dashboard"]
    if hide is not None:
        worker = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                  f'mount -t tmpfs none "{hide}" && exec "$@"', "sh", *worker]
    procs.append(subprocess.Popen(worker, env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        from distributed import Client

        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture
def external_cluster(tmp_path):
    yield from _cluster(tmp_path)


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


def _can_unshare() -> bool:
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="needs mount namespaces (unshare -m) to hide a folder from a worker")
def test_a_folder_the_workers_do_not_share_is_refused_up_front(prefect_api, tmp_path, monkeypatch, capsys):
    """A worker on another host writes a local cache to its own disk, where the other workers
    cannot read it; the job now checks, before any work, that every worker sees its local paths."""
    job = tmp_path / "job"
    (job / "in").mkdir(parents=True)
    write_clip(job / "in" / "a.mkv", pan_frames(16))
    monkeypatch.chdir(job)
    for address in _cluster(tmp_path, hide=job):
        assert main(["batch", "in", "-o", "out", "--cluster", address, *METHOD[:-2]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not visible on Dask worker" in err[0] and str(job) in err[0]
    assert not list((job / "out").glob("*.mkv")) and not list(job.glob("out*/.isvi-visible-*"))
