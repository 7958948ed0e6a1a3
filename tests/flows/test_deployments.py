"""prefect.yaml: parameters validate against the flows' pydantic models; ``prefect deploy --all`` registers
every deployment on a real Prefect server; a deployment run executes on a process work pool."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from flows.config import JobConfig
from media.video import read_video
from tests.batch_clips import pan_frames, write_clip
from tests.flows.test_inpaint_collection import BOX, CFG, single

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def test_every_deployment_parameter_set_validates():
    names = {d["name"]: d for d in DEPLOYMENTS}
    assert {"archive-restoration", "bulk-watermark-removal", "model-training"} <= set(names)
    for d in DEPLOYMENTS:
        if d["entrypoint"].endswith(":inpaint_collection"):
            job = JobConfig.model_validate(d["parameters"]["job"])
            assert job.inpaint.mask or job.inpaint.box or job.source.endswith((".csv", ".jsonl"))
    assert names["archive-restoration"]["schedules"][0]["cron"]
    assert JobConfig.model_validate(names["bulk-watermark-removal"]["parameters"]["job"]).inpaint.box
    train = pytest.importorskip("isvi_models.train.loop")
    train.TrainConfig(**names["model-training"]["parameters"]["cfg"])


def test_a_typo_in_parameters_is_caught():
    bad = dict(DEPLOYMENTS[1]["parameters"]["job"], inpaint={"boxes": ["1,2,3,4"]})
    with pytest.raises(Exception, match="boxes"):
        JobConfig.model_validate(bad)


def _prefect(args, env, timeout=240):
    return subprocess.run([str(Path(sys.executable).with_name("prefect")), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_deploy_all_and_run_on_a_process_pool(prefect_api, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env = {**os.environ, "PREFECT_API_URL": prefect_api, "ISVI_PROJECT_DIR": str(ROOT), "ISVI_DASK_WORKERS": "2"}
    _prefect(["work-pool", "create", "isvi-process", "--type", "process"], env)
    r = _prefect(["--no-prompt", "deploy", "--all"], env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        with get_client(sync_client=True) as client:
            names = {d.name for d in client.read_deployments()}
        assert {"archive-restoration", "bulk-watermark-removal", "model-training"} <= names
        src = tmp_path / "in"
        src.mkdir()
        clip = write_clip(src / "a.mkv", pan_frames(16))
        job = {"source": str(src), "dest": str(tmp_path / "out"), "inpaint": CFG.model_dump(mode="json")}
        job["inpaint"]["box"] = [BOX]
        run = run_deployment("inpaint-collection/bulk-watermark-removal", parameters={"job": job}, timeout=0)
        w = _prefect(["worker", "start", "--pool", "isvi-process", "--run-once"], env)
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run.id).state
    assert state.is_completed(), f"{state}\n{w.stdout[-3000:]}\n{w.stderr[-3000:]}"
    np.testing.assert_array_equal(read_video(tmp_path / "out" / "a.mkv")[0], single(clip, tmp_path))
