"""``isvi batch`` against a real S3-compatible server (moto_server), and the loss of a Dask worker mid-run."""

import json
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from isvi.cli import main
from media.video import read_video
from storage.manifests import _scratch_folder
from tasks.automask import scratch_dir
from tests.batch_clips import pan_frames, write_clip
from tests.flows.test_inpaint_collection import METHOD, single

pytestmark = pytest.mark.slow  # a real Prefect server, S3 server and Dask cluster per run


def _local_copies(url: str) -> list[Path]:
    """The batch's local copies of ``url``: ``<temp>/isvi-sources/<job folder>/<url hash>/<name>``."""
    return list(Path(scratch_dir(None)).glob(f"*/{_scratch_folder(url, '').name}/*"))


def test_s3_source_dest_and_cache(prefect_api, s3_bucket, tmp_path):
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    clip = write_clip(tmp_path / "a.mkv", pan_frames(16))
    fs.put_file(str(clip), f"{s3_bucket[5:]}/in/x/a.mkv")
    assert main(["batch", f"{s3_bucket}/in", "-o", f"{s3_bucket}/out", "--cache", f"{s3_bucket}/cache",
                 *METHOD]) == 0
    assert fs.exists(f"{s3_bucket[5:]}/out/x/a.mkv")
    fs.get_file(f"{s3_bucket[5:]}/out/x/a.mkv", str(tmp_path / "got.mkv"))
    np.testing.assert_array_equal(read_video(tmp_path / "got.mkv")[0], single(clip, tmp_path))
    report = json.loads(fs.cat_file(f"{s3_bucket[5:]}/out/isvi-report.json"))["videos"]
    assert [(r["name"], r["status"]) for r in report] == [("x/a.mkv", "done")]
    # the finished video's per-shot intermediates are gone from the bucket; its probe and encode markers stay
    cached = fs.find(f"{s3_bucket[5:]}/cache")
    assert any("/video/encode-" in p for p in cached) and not any("/shot-" in p for p in cached)
    assert not any("/leases/" in p for p in cached)  # the job's lease on the video ended with it
    # the source's local copy (made for decoding) is removed once the video is done: a batch over a
    # remote collection used to keep every source it had downloaded in the temp folder
    assert _local_copies(f"{s3_bucket}/in/x/a.mkv") == []


def test_videos_in_work_bounds_the_downloaded_sources(prefect_api, s3_bucket, tmp_path, monkeypatch):
    """With --videos-in-work 1, three remote videos are downloaded one at a time (the flow used to
    probe, and so download, every video of the job before any stage ran, and kept every copy).
    The report is rewritten as videos end, the others "pending" (it used to appear at the end only)."""
    import s3fs

    import flows.inpaint_collection

    monkeypatch.setattr(flows.inpaint_collection, "REPORT_EVERY_S", 0.0)
    report = tmp_path / "out" / "isvi-report.json"

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    urls = []
    for k in range(3):  # v2 a copy of v0, whose stages are gone (done) by the time v2 is probed
        clip = write_clip(tmp_path / f"v{k}.mkv", pan_frames(12, seed=k % 2))
        fs.put_file(str(clip), f"{s3_bucket[5:]}/in/v{k}.mkv")
        urls.append(f"{s3_bucket}/in/v{k}.mkv")

    seen, stop = [], threading.Event()

    reports = set()

    def watch():
        while not stop.is_set():
            seen.append(sum(len(_local_copies(u)) for u in urls))
            try:
                reports.add(tuple(r["status"] for r in json.loads(report.read_text())["videos"]))
            except (OSError, ValueError):
                pass
            time.sleep(0.02)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        code = main(["batch", f"{s3_bucket}/in", "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "c"),
                     "--videos-in-work", "1", *METHOD])
    finally:
        stop.set()
        t.join()
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mkv")) == ["v0.mkv", "v1.mkv", "v2.mkv"]
    assert max(seen) == 1 and not any(_local_copies(u) for u in urls)
    assert ("done", "pending", "pending") in reports and ("done", "done", "done") in reports
    rows = {r["name"]: r for r in json.loads((tmp_path / "out" / "isvi-report.json").read_text())["videos"]}
    assert rows["v2.mkv"]["duplicate_of"] == "" and len(rows["v2.mkv"]["computed_stages"]) > 1
    out = tmp_path / "out"
    np.testing.assert_array_equal(read_video(out / "v2.mkv")[0], read_video(out / "v0.mkv")[0])


def test_pooled_auto_mask_over_remote_videos_holds_one_copy_at_a_time(prefect_api, s3_bucket, tmp_path):
    """A pooled ``--mask auto`` detection needs every member's bytes (the pool's id) and frames; it
    used to download the whole pool and keep every copy until that video's turn came, so the
    local disk had to hold the pool, whatever ``--videos-in-work`` said. Now one copy per pool
    (two pools here, detected side by side), then one per video in work."""
    import s3fs

    from tests.batch_clips import logo_stills

    _, marked, _ = logo_stills(7)  # fewer are too static together
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    urls = []
    for k, frames in enumerate(marked):
        clip = write_clip(tmp_path / f"v{k}.mkv", frames)
        fs.put_file(str(clip), f"{s3_bucket[5:]}/chan/v{k}.mkv")
        urls.append(f"{s3_bucket}/chan/v{k}.mkv")
    fs.put_file(str(tmp_path / "v0.mkv"), f"{s3_bucket[5:]}/solo/s.mkv")  # a pool of one: too static
    urls.append(f"{s3_bucket}/solo/s.mkv")
    seen, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            seen.append(sum(len(_local_copies(u)) for u in urls))
            time.sleep(0.01)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        code = main(["batch", s3_bucket, "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "c"),
                     "--mask", "auto", "--auto-mask-pool", "folder", "--no-shots", "--videos-in-work", "1",
                     *METHOD[2:]])
    finally:
        stop.set()
        t.join()
    assert code == 1
    rows = {r["name"]: r for r in json.loads((tmp_path / "out" / "isvi-report.json").read_text())["videos"]}
    assert [rows[f"chan/v{k}.mkv"]["status"] for k in range(7)] == ["done"] * 7
    # the refusal names the source, not the local copy (removed by then)
    assert rows["solo/s.mkv"]["status"] == "failed" and "too static" in rows["solo/s.mkv"]["error"]
    assert f"{s3_bucket}/solo/s.mkv" in rows["solo/s.mkv"]["error"] and "isvi-sources" not in rows["solo/s.mkv"]["error"]
    assert max(seen) <= 2 and not any(_local_copies(u) for u in urls)


def _dask_workers() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline())]


def test_killing_a_dask_worker_mid_run(prefect_api, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    clip = write_clip(src / "long.mkv", pan_frames(48, seed=4))
    cache, dest = tmp_path / "cache", tmp_path / "out"
    killed = []

    def killer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(cache.rglob("composite-w0001-*.complete.json")):
                workers = _dask_workers()
                if workers:
                    workers[0].kill()
                    killed.append(workers[0].pid)
                return
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    code = main(["batch", str(src), "-o", str(dest), "--cache", str(cache), *METHOD])
    t.join()
    assert killed, "no worker was killed"
    assert code == 0
    np.testing.assert_array_equal(read_video(dest / "long.mkv")[0], single(clip, tmp_path))
