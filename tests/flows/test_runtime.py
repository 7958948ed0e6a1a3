"""``flows.runtime``: the Prefect server a batch starts ends with the process that started it.

Through the real CLI (the server, a child of ``isvi batch``, is among the processes checked); a
second test of ``prefect_server`` alone under a bare starter process asserted the same for the
server only and was dropped to keep the suite within its time.
"""

import os
import signal
import subprocess
import sys
import time

import pytest


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
