"""Run one inpainting method in a fresh Python process and measure its time and peak memory.

Why a subprocess: most of the memory of these methods is numpy, OpenCV and torch buffers
that ``tracemalloc`` does not see, and a process's peak RSS only ever grows, so methods run
one after another in one process would hide each other's peaks. Each method therefore runs
in its own interpreter:

1. load the inputs (``.npy``) and import the method's modules (torch, for the pipeline);
2. reset the kernel's peak-RSS counter (Linux: write ``5`` to ``/proc/self/clear_refs``)
   and note the current RSS (``baseline``);
3. run the method under ``time.perf_counter``;
4. read the peak RSS (``VmHWM`` in ``/proc/self/status``).

``peak_mb`` is the process's peak RSS during the call (inputs, libraries and interpreter
included, i.e. what a machine must have); ``peak_above_inputs_mb`` is that minus the
baseline (what the method itself allocated). Where ``clear_refs`` cannot be written, a
thread samples RSS every 5 ms instead (``memory_method`` in the output says which).
Seconds exclude interpreter start, imports and input loading.

Command line (used by the benchmark flow)::

    python -m tasks.evaluation.runner METHOD FRAMES.npy HOLES.npy OUT.npy STATS.json [CONFIG_JSON]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from isvi_models.atomic import atomic_path


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _hwm_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise OSError("VmHWM not in /proc/self/status")


class _Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = _rss_kb()
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.005):
            self.peak = max(self.peak, _rss_kb())


def measure(method_name: str, frames: np.ndarray, holes: np.ndarray, config: dict) -> tuple[np.ndarray, dict]:
    """Run the method in *this* process with the measurement protocol above."""
    from tasks.evaluation.baselines import get_method

    method = get_method(method_name, **config)
    if method_name == "isvi":
        import tasks.inpaint_video  # noqa: F401  (imports, not the method's work)
    baseline = _rss_kb()
    sampler = None
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        mem_method = "VmHWM after clear_refs"
    except OSError:
        sampler = _Sampler()
        sampler.start()
        mem_method = "RSS sampled every 5 ms"
    t0 = time.perf_counter()
    result = method(frames, holes)
    seconds = time.perf_counter() - t0
    if sampler is not None:
        sampler.stop.set()
        sampler.join()
        peak = max(sampler.peak, _rss_kb())
    else:
        peak = _hwm_kb()
    stats = {
        "method": method_name,
        "frames": int(len(frames)),
        "seconds": seconds,
        "seconds_per_frame": seconds / max(1, len(frames)),
        "peak_mb": peak / 1024,
        "peak_above_inputs_mb": max(0, peak - baseline) / 1024,
        "memory_method": mem_method,
    }
    return result, stats


def run_in_subprocess(method_name: str, frames_path: Path, holes_path: Path, out_path: Path,
                      config: dict | None = None, timeout_s: float | None = None) -> dict:
    """Run :func:`measure` in a fresh interpreter; returns its stats (the result is at ``out_path``)."""
    stats_path = out_path.with_suffix(".stats.json")
    cmd = [sys.executable, "-m", "tasks.evaluation.runner", method_name, str(frames_path), str(holes_path),
           str(out_path), str(stats_path), json.dumps(config or {})]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-20:]
        raise RuntimeError(f"method {method_name} failed (exit {proc.returncode}):\n" + "\n".join(tail))
    return json.loads(stats_path.read_text())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    method_name, frames_path, holes_path, out_path, stats_path = argv[:5]
    config = json.loads(argv[5]) if len(argv) > 5 else {}
    frames = np.load(frames_path)
    holes = np.load(holes_path)
    result, stats = measure(method_name, frames, holes, config)
    with atomic_path(out_path, ".npy") as tmp:
        np.save(tmp, result)
    Path(stats_path).write_text(json.dumps(stats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
