"""Where a batch runs: one Prefect server for the run, and a Dask cluster (local or existing).

Every Dask worker process talks to the same Prefect API: without ``PREFECT_API_URL`` each
worker would start its own temporary server. So the run starts one ``prefect server start``
on loopback (unless ``PREFECT_API_URL`` is already set) and exports its URL before the
cluster's workers are spawned. Offline settings (no telemetry, generous startup timeout,
project-local ``PREFECT_HOME``) are set before Prefect is imported.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

log = logging.getLogger("isvi.batch")

OFFLINE_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_HOME": str(Path(__file__).resolve().parents[1] / ".prefect"),
    "PREFECT_LOGGING_LEVEL": "INFO",
}


def offline_env() -> None:
    """Set the offline Prefect settings (call before importing prefect)."""
    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(api_url: str, timeout_s: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"Prefect server at {api_url} did not become healthy in {timeout_s:.0f} s")


def _end_with_parent() -> None:
    """In the server's child process, before exec: ask Linux to SIGTERM it when the process that
    started it dies, however that dies (SIGKILL included), so no server outlives its ``isvi``.
    ``prctl(PR_SET_PDEATHSIG)`` through ctypes: Python has no binding; elsewhere a no-op."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def prefect_server(port: int | None = None, log_file: str | os.PathLike | None = None):
    """Yield the API URL of a Prefect server: the configured one, or one started for this block."""
    offline_env()
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    port = port or free_port()
    api = f"http://127.0.0.1:{port}/api"
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    exe = Path(sys.executable).with_name("prefect")
    proc = subprocess.Popen([str(exe), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=out, stderr=subprocess.STDOUT, env={**os.environ}, start_new_session=True,
                            preexec_fn=_end_with_parent)
    try:
        wait_healthy(api, proc=proc)
        os.environ["PREFECT_API_URL"] = api
        log.info("Prefect server (UI): http://127.0.0.1:%d", port)
        yield api
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log_file:
            out.close()


def count_gpus(address: str) -> int:
    """GPUs advertised by the workers of an existing cluster (their ``GPU`` resource)."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        return int(sum(w.get("resources", {}).get("GPU", 0) for w in workers))


def task_runner(cluster: str | None = None, workers: int | None = None, gpus: int = 0,
                threads_per_worker: int = 1):
    """A ``DaskTaskRunner``: on ``cluster`` (``tcp://host:8786``), or a local cluster sized to the machine."""
    from prefect_dask import DaskTaskRunner

    if cluster:
        return DaskTaskRunner(address=cluster)
    n = workers or max(1, os.cpu_count() or 1)
    # ":0": the scheduler's HTTP server on a free port. None means Dask's 8787, and a second job on the
    # host (or any other Dask) then printed "Port 8787 is already in use" into a scheduled job's stderr.
    kwargs = {"n_workers": n, "threads_per_worker": threads_per_worker, "processes": True,
              "dashboard_address": ":0"}
    if gpus:
        kwargs["resources"] = {"GPU": gpus}
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=kwargs)


def default_task_runner():
    """The task runner a deployment run uses: ``ISVI_DASK_ADDRESS``, else a local cluster of
    ``ISVI_DASK_WORKERS`` workers (default: CPU count) advertising ``ISVI_GPUS`` GPUs."""
    workers = os.environ.get("ISVI_DASK_WORKERS")
    return task_runner(os.environ.get("ISVI_DASK_ADDRESS") or None, int(workers) if workers else None,
                       int(os.environ.get("ISVI_GPUS", "0")))
