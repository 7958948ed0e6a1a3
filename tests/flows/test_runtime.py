"""``flows.runtime``: the Prefect server a batch starts ends with the process that started it."""

import os
import signal
import subprocess
import sys
import time

import pytest

STARTER = """
import os, sys, time
os.environ.pop("PREFECT_API_URL", None)
from flows.runtime import prefect_server
with prefect_server():
    print("up", flush=True)
    time.sleep(600)
"""


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie has ended; only its exit status is left
        return f.read().split(") ", 1)[1][0] != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_server_ends_when_its_starter_is_killed(how, tmp_path):
    starter = subprocess.Popen([sys.executable, "-c", STARTER], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PREFECT_HOME": str(tmp_path)})
    assert starter.stdout.readline().strip() == "up"
    servers = _children(starter.pid)
    assert servers, "no server process"
    starter.send_signal(how)
    starter.wait(30)
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in servers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in servers if _alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, "the Prefect server outlived the process that started it"


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_batch_leaves_no_server_or_dask_worker(how, tmp_path):
    """The real CLI, killed once its Prefect server and Dask workers are up: every process it started
    ends (the server outlived SIGTERM and SIGKILL before, holding its port and ~230 MB)."""
    import psutil

    from tests.batch_clips import pan_frames, write_clip

    src = tmp_path / "in"
    src.mkdir()
    write_clip(src / "a.mkv", pan_frames(200, size=(96, 128)))
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.Popen([sys.executable, "-m", "isvi", "batch", str(src), "-o", str(tmp_path / "out"),
                             "--box", "40,30,30,20", "--workers", "2"], env={**env, "PREFECT_HOME": str(tmp_path)},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=(tmp_path / "err").open("w"))
    started, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        started = psutil.Process(proc.pid).children(recursive=True)
        cmds = [_cmdline(p) for p in started]
        if any("server start" in c for c in cmds) and sum("spawn_main" in c for c in cmds) >= 2:
            break
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the server and two workers never came up")
    proc.send_signal(how)
    code = proc.wait(60)
    assert code == (-signal.SIGKILL if how == signal.SIGKILL else 143), (tmp_path / "err").read_text()[-3000:]
    gone, alive = psutil.wait_procs(started, timeout=30)
    for p in alive:
        p.kill()
    assert not alive, f"outlived isvi batch: {[_cmdline(p) for p in alive]}"


def _cmdline(p) -> str:
    import psutil

    try:
        return " ".join(p.cmdline())
    except psutil.Error:  # ended meanwhile (or a zombie)
        return ""
