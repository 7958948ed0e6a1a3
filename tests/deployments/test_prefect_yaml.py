"""deployments/prefect.yaml (the root prefect.yaml links to it): Prefect's own loader parses it, every
entrypoint names a Prefect flow, every parameter set validates against the pydantic model its flow takes
(inpaint: ``flows.config.JobConfig``; training: ``isvi_models.train.loop.TrainConfig``), and
``prefect deploy --all`` registers every deployment on a real Prefect server, one of which then runs on a
process work pool."""

from flows.runtime import offline_env

offline_env()  # before prefect is imported anywhere in this session

import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from flows.config import JobConfig

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS_FILE = ROOT / "deployments" / "prefect.yaml"
INPAINT = ":inpaint_collection"
TRAIN = ":train_flow"


def load_with_prefect(path: Path) -> tuple[list[dict], dict, str]:
    """The deployment configs and build/push/pull actions exactly as ``prefect deploy`` reads them, and what
    Prefect printed while reading (it skips an unreadable or invalid file with a warning, not an error)."""
    from prefect.cli.deploy._config import _load_deploy_configs_and_actions
    from rich.console import Console

    out = io.StringIO()
    configs, actions = _load_deploy_configs_and_actions(path, console=Console(file=out, width=200))
    return configs, actions, out.getvalue()


CONFIGS, ACTIONS, WARNINGS = load_with_prefect(DEPLOYMENTS_FILE)
BY_NAME = {d["name"]: d for d in CONFIGS}


def flow_of(entrypoint: str):
    """Import ``path/to/module.py:attr`` as a module of this repository and return ``attr``."""
    path, attr = entrypoint.split(":")
    assert (ROOT / path).is_file(), f"entrypoint file {path} does not exist"
    module = importlib.import_module(Path(path).with_suffix("").as_posix().replace("/", "."))
    return getattr(module, attr)


def test_root_prefect_yaml_is_the_deployments_file():
    """``prefect deploy`` reads ./prefect.yaml by default: it must be deployments/prefect.yaml."""
    root = ROOT / "prefect.yaml"
    assert root.resolve() == DEPLOYMENTS_FILE.resolve(), f"{root} should be a symlink to {DEPLOYMENTS_FILE}"
    assert load_with_prefect(root)[0] == CONFIGS


def test_prefect_parses_the_file_without_warnings():
    from prefect.cli.deploy._models import PrefectYamlModel

    PrefectYamlModel.model_validate(yaml.safe_load(DEPLOYMENTS_FILE.read_text()))  # raises, unlike the CLI
    assert WARNINGS == ""
    assert {"archive-restoration", "bulk-watermark-removal", "model-training"} <= set(BY_NAME)
    assert len(BY_NAME) == len(CONFIGS), "deployment names must be unique"
    assert ACTIONS["pull"], "runs need the pull step that sets the working directory"
    assert BY_NAME["archive-restoration"]["schedules"][0]["cron"]
    for d in CONFIGS:
        assert d["work_pool"]["name"] == "isvi-process", d["name"]


def test_no_key_is_silently_dropped():
    """Prefect ignores unknown keys (``schedule`` vs ``schedules``, ``tag``...): every key must be one it reads."""
    from prefect.cli.deploy._models import DeploymentConfig, WorkPoolConfig

    for d in yaml.safe_load(DEPLOYMENTS_FILE.read_text())["deployments"]:
        assert set(d) <= set(DeploymentConfig.model_fields), (d["name"], set(d) - set(DeploymentConfig.model_fields))
        assert set(d["work_pool"]) <= set(WorkPoolConfig.model_fields), d["name"]


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_entrypoint_is_a_flow_that_accepts_the_parameters(name):
    from prefect import Flow

    d = BY_NAME[name]
    f = flow_of(d["entrypoint"])
    assert isinstance(f, Flow), f"{d['entrypoint']} is not a Prefect flow"
    f.validate_parameters(d.get("parameters", {}))  # names and types against the flow's signature


@pytest.mark.parametrize("name", sorted(n for n, d in BY_NAME.items() if d["entrypoint"].endswith(INPAINT)))
def test_inpaint_job_validates(name):
    job = JobConfig.model_validate(BY_NAME[name]["parameters"]["job"])
    assert job.inpaint.mask or job.inpaint.box or job.source.endswith((".csv", ".jsonl"))


def test_watermark_deployment_has_a_box():
    assert JobConfig.model_validate(BY_NAME["bulk-watermark-removal"]["parameters"]["job"]).inpaint.box


@pytest.mark.parametrize("name", sorted(n for n, d in BY_NAME.items() if d["entrypoint"].endswith(TRAIN)))
def test_training_cfg_validates(name):
    from isvi_models.train.loop import TrainConfig

    TrainConfig.model_validate(BY_NAME[name]["parameters"]["cfg"])


def test_every_deployment_is_checked():
    assert all(d["entrypoint"].endswith((INPAINT, TRAIN)) for d in CONFIGS), \
        "a deployment of another flow needs its own parameter check here"


def test_a_typo_in_parameters_is_caught():
    bad = dict(BY_NAME["bulk-watermark-removal"]["parameters"]["job"], inpaint={"boxes": ["1,2,3,4"]})
    with pytest.raises(Exception, match="boxes"):
        JobConfig.model_validate(bad)


def _prefect(args, env, timeout=240):
    return subprocess.run([str(Path(sys.executable).with_name("prefect")), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.slow
def test_deploy_all_and_run_on_a_process_pool(prefect_api, tmp_path):
    """On the session's Prefect server (tests/conftest.py): the work pool and deployments made
    here are this test's own names, and only its run is on the pool."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from media.video import read_video
    from tests.batch_clips import pan_frames, write_clip
    from tests.flows.test_inpaint_collection import BOX, CFG, single

    env = {**os.environ, "PREFECT_API_URL": prefect_api, "ISVI_PROJECT_DIR": str(ROOT), "ISVI_DASK_WORKERS": "2"}
    _prefect(["work-pool", "create", "isvi-process", "--type", "process"], env)
    r = _prefect(["--no-prompt", "deploy", "--all"], env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        with get_client(sync_client=True) as client:
            names = {d.name for d in client.read_deployments()}
        assert set(BY_NAME) <= names
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

