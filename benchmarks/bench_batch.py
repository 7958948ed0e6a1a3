"""Benchmarks of ``isvi batch`` (the inpaint-collection flow on a local Dask cluster, one Prefect server).

1. Throughput: a collection of 100-frame clips with 1 and with 2 Dask workers (frames/s, wall time).
2. Peak memory per worker (max RSS of each Dask worker process, sampled every 0.1 s) for one
   100-frame and one 800-frame video (1 worker): flat when memory is bounded by the window.
3. Resume: the 800-frame run cold, then after losing the second half of its finished stages
   (their completion markers removed, as a crash half way leaves them), then with every stage
   cached (output deleted: encode only). These runs keep the cache (``keep_cache``); the throughput
   runs use the default, which removes each finished video's per-shot intermediates.

Clips are a photo panned at 320x240 (``media.watermark_synth.pan_clip``) with a 48x40 box hole,
lossless; method defaults except ``--codec ffv1``.

    python benchmarks/bench_batch.py --out benchmarks/results/batch.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.runtime import offline_env  # noqa: E402

offline_env()

import psutil  # noqa: E402

from flows.config import JobConfig  # noqa: E402
from tasks.config import InpaintConfig  # noqa: E402

SIZE = (240, 320)
BOX = "150,110,48,40"


def make_clip(path: Path, n: int, seed: int) -> Path:
    import skimage.data

    from media.video import FrameWriter, VideoInfo
    from media.watermark_synth import pan_clip
    from fractions import Fraction

    frames = pan_clip(skimage.data.astronaut(), n=n, size=SIZE, seed=seed, travel=0.3)
    with FrameWriter(path, VideoInfo(path, n, SIZE[1], SIZE[0], Fraction(25)), codec="ffv1") as w:
        w.write(frames)
        w.commit()
    return path


class RSSSampler:
    """Max RSS of each Dask worker process (children started by multiprocessing spawn)."""

    def __init__(self, period_s: float = 0.1):
        self.period_s, self.peak, self._stop = period_s, {}, threading.Event()

    def _run(self):
        me = psutil.Process()
        while not self._stop.is_set():
            for p in me.children(recursive=True):
                try:
                    if "spawn_main" in " ".join(p.cmdline()):
                        self.peak[p.pid] = max(self.peak.get(p.pid, 0), p.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(self.period_s)

    def __enter__(self):
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def run(src: Path, dest: Path, cache: Path, workers: int, keep_cache: bool = False) -> dict:
    from flows.inpaint_collection import run_collection

    job = JobConfig(source=str(src), dest=str(dest), cache=str(cache), keep_cache=keep_cache,
                    inpaint=InpaintConfig(box=(BOX,), codec="ffv1"))
    t0 = time.perf_counter()
    with RSSSampler() as rss:
        rows = run_collection(job, workers=workers)
    wall = time.perf_counter() - t0
    assert all(r["status"] == "done" for r in rows), rows
    return {"wall_s": round(wall, 2), "frames": sum(r["frames"] for r in rows),
            "peak_rss_mib_per_worker": sorted(round(v / 2**20) for v in rss.peak.values()),
            "computed_stages": sum(len(r["computed_stages"]) for r in rows),
            "stage_seconds": [r["stage_seconds"] for r in rows]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="benchmarks/results/batch.json")
    ap.add_argument("--clips", type=int, default=4, help="100-frame clips in the throughput collection")
    args = ap.parse_args()
    from flows.runtime import prefect_server

    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                 "platform": platform.platform()}, "clip": {"size": SIZE, "box": BOX}}
    tmp = Path(tempfile.mkdtemp(prefix="isvi-bench-batch-"))
    try:
        with prefect_server(log_file=tmp / "server.log"):
            coll = tmp / "coll"
            coll.mkdir()
            for i in range(args.clips):
                make_clip(coll / f"c{i}.mkv", 100, i)
            for workers in (1, 2):
                r = run(coll, tmp / f"out-w{workers}", tmp / f"cache-w{workers}", workers)
                r["frames_per_s"] = round(r["frames"] / r["wall_s"], 2)
                results[f"throughput_{workers}_workers"] = r
                print(f"throughput, {workers} worker(s): {r}", flush=True)
            for n in (100, 800):
                src = tmp / f"mem{n}"
                src.mkdir()
                make_clip(src / f"v{n}.mkv", n, 7)
                r = run(src, tmp / f"out-mem{n}", tmp / f"cache-mem{n}", 1, keep_cache=n == 800)  # resumed below
                results[f"memory_{n}_frames"] = r
                print(f"memory, {n} frames: {r}", flush=True)
            # resume: drop the markers of the later half of the 800-frame run's window stages
            cache = tmp / "cache-mem800"
            markers = sorted(p for p in cache.rglob("*-w*.complete.json"))
            later = [p for p in markers if int(p.name.split("-w")[1][:4]) >= 8]
            for p in later:
                p.unlink()
            (tmp / "out-mem800" / "v800.mkv").unlink()
            r = run(tmp / "mem800", tmp / "out-mem800", cache, 1, keep_cache=True)
            r["markers_removed"] = len(later)
            results["resume_half_800_frames"] = r
            print(f"resume after losing half: {r}", flush=True)
            (tmp / "out-mem800" / "v800.mkv").unlink()
            r = run(tmp / "mem800", tmp / "out-mem800", cache, 1, keep_cache=True)
            results["rerun_all_cached_800_frames"] = r
            print(f"re-run, all cached: {r}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
