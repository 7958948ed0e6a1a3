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
