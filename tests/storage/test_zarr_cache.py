import json

import numpy as np
import pytest

from isvi_models.errors import StageError
from storage.zarr_cache import StageKey, ZarrCache, check_aligned

KEY = StageKey("vid0", "shot-0000", "flow", "w0001", "0123456789abcdef")


def roundtrip(cache: ZarrCache) -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (10, 6, 8, 3), dtype=np.uint8)
    flow = rng.standard_normal((9, 6, 8, 2)).astype(np.float32)
    assert not cache.is_complete(KEY)
    cache.write(KEY, {"frames": frames, "flow_fwd": flow}, chunk_frames=4, attrs={"region": [0, 0, 8, 6]})
    assert cache.is_complete(KEY)
    got, attrs = cache.read(KEY)
    np.testing.assert_array_equal(got["frames"], frames)
    np.testing.assert_array_equal(got["flow_fwd"], flow)
    assert attrs == {"region": [0, 0, 8, 6]}
    part, _ = cache.read(KEY, ["frames"], slice(4, 8))
    np.testing.assert_array_equal(part["frames"], frames[4:8])
    assert cache.marker(KEY)["shapes"] == {"frames": [10, 6, 8, 3], "flow_fwd": [9, 6, 8, 2]}
    assert cache.ls() == [{"video": "vid0", "group": "shot-0000", "stage": "flow", "part": "w0001",
                           "fp": KEY.fp, "complete": True}]


def unmarked_output_is_not_complete(cache: ZarrCache) -> None:
    """A writer killed before its marker leaves data that counts as missing and is recreated."""
    group = cache.create(KEY, {"frames": ((8, 2, 2, 3), np.uint8)}, chunk_frames=4)
    cache.write_frames(group, "frames", 0, np.ones((4, 2, 2, 3), np.uint8))
    assert not cache.is_complete(KEY)
    assert cache.ls()[0]["complete"] is False
    with pytest.raises(StageError):
        cache.read(KEY)
    assert cache.clear(incomplete_only=True) == 1 and cache.ls() == []
    cache.write(KEY, {"frames": np.full((8, 2, 2, 3), 7, np.uint8)}, chunk_frames=4)
    assert cache.read(KEY)[0]["frames"].min() == 7


class TestZarrCacheLocal:
    def test_roundtrip(self, tmp_path):
        roundtrip(ZarrCache(str(tmp_path / "cache")))

    def test_file_url(self, tmp_path):
        roundtrip(ZarrCache(f"file://{tmp_path}/cache"))

    def test_unmarked_output(self, tmp_path):
        unmarked_output_is_not_complete(ZarrCache(str(tmp_path / "cache")))

    def test_marker_with_other_fp_is_not_complete(self, tmp_path):
        cache = ZarrCache(str(tmp_path))
        cache.write(KEY, {"a": np.zeros((2, 1, 1), np.uint8)}, chunk_frames=2)
        path = cache.marker_path(KEY)
        info = json.loads(open(path).read())
        info["fp"] = "something-else"
        open(path, "w").write(json.dumps(info))
        assert not cache.is_complete(KEY)

    def test_complete_output_is_not_overwritten_and_a_second_writer_is_no_error(self, tmp_path):
        """A key names its inputs, so a second writer (a duplicate video, a retried task) has the
        same content: its write is dropped, the first stays, and neither fails."""
        cache = ZarrCache(str(tmp_path))
        cache.write(KEY, {"a": np.zeros((2, 1, 1), np.uint8)}, chunk_frames=2)
        cache.write(KEY, {"a": np.ones((2, 1, 1), np.uint8)}, chunk_frames=2)
        assert (cache.read(KEY, ["a"])[0]["a"] == 0).all()
        with pytest.raises(ValueError, match="complete"):  # a chunked writer learns it at create
            cache.create(KEY, {"a": ((2, 1, 1), np.uint8)}, chunk_frames=2)

    def test_misaligned_write_is_refused(self, tmp_path):
        cache = ZarrCache(str(tmp_path))
        group = cache.create(KEY, {"frames": ((10, 2, 2, 3), np.uint8)}, chunk_frames=4)
        with pytest.raises(ValueError, match="not aligned"):
            cache.write_frames(group, "frames", 2, np.zeros((4, 2, 2, 3), np.uint8))
        cache.write_frames(group, "frames", 8, np.zeros((2, 2, 2, 3), np.uint8))  # the short last chunk

    def test_clear_one_video(self, tmp_path):
        cache = ZarrCache(str(tmp_path))
        other = StageKey("vid1", "shot-0000", "decode", "", "f" * 16)
        cache.write(KEY, {"a": np.zeros((2, 1, 1), np.uint8)}, chunk_frames=2)
        cache.write(other, {"a": np.zeros((2, 1, 1), np.uint8)}, chunk_frames=2)
        assert cache.clear("vid0") == 1
        assert [r["video"] for r in cache.ls()] == ["vid1"]
        assert cache.ls()[0]["stage"] == "decode" and cache.ls()[0]["part"] == ""


def test_check_aligned():
    check_aligned(0, 4, 4, 10)
    check_aligned(8, 10, 4, 10)
    with pytest.raises(ValueError):
        check_aligned(4, 6, 4, 10)


class TestZarrCacheS3:
    """Against a real S3-compatible server on loopback (moto_server)."""

    def test_roundtrip(self, s3_bucket):
        roundtrip(ZarrCache(f"{s3_bucket}/cache"))

    def test_unmarked_output(self, s3_bucket):
        unmarked_output_is_not_complete(ZarrCache(f"{s3_bucket}/cache"))


def test_two_writers_of_one_unfinished_stage_never_mix_their_chunks(tmp_path):
    """Two jobs on one cache write the same stage at the same time, chunk by chunk: each writes
    under its own name, the first marker names the data readers get, and the later writer's
    data is dropped. (Before, the second writer's create wiped the first's chunks, and the
    first marked complete an output missing them.)"""
    a, b = ZarrCache(str(tmp_path)), ZarrCache(str(tmp_path))
    ga = a.create(KEY, {"x": ((4, 1, 1), np.uint8)}, chunk_frames=2)
    a.write_frames(ga, "x", 0, np.full((2, 1, 1), 1, np.uint8))  # A is half way
    gb = b.create(KEY, {"x": ((4, 1, 1), np.uint8)}, chunk_frames=2)
    b.write_frames(gb, "x", 0, np.full((4, 1, 1), 7, np.uint8))
    b.mark_complete(KEY)  # B finishes first
    a.write_frames(ga, "x", 2, np.full((2, 1, 1), 1, np.uint8))
    a.mark_complete(KEY)  # A finishes second: B's output stays
    assert (ZarrCache(str(tmp_path)).read(KEY, ["x"])[0]["x"] == 7).all()
    writers = [p.name for p in (tmp_path / f"{KEY.relpath}.zarr").iterdir()]
    assert writers == [ZarrCache(str(tmp_path)).marker(KEY)["writer"]]  # A's copy was removed


def test_drop_shots_keeps_the_video_group_and_other_videos(tmp_path):
    cache = ZarrCache(str(tmp_path))
    for vid in ("vidA", "vidB"):
        for group in ("shot-0000", "shot-0001"):
            cache.write(StageKey(vid, group, "flow", "w0000", "a" * 16), {"x": np.zeros((2, 1, 1))}, 2)
        cache.mark_complete(StageKey(vid, "video", "encode", "", "e" * 16), output="o")
        cache.write(StageKey(vid, "video", "textmask", "", "t" * 16), {"x": np.ones((2, 1, 1))}, 2)
    assert cache.drop_shots("vidA") == 2
    assert {(r["video"], r["group"], r["stage"]) for r in cache.ls()} == {
        ("vidA", "video", "textmask"), ("vidB", "video", "textmask"),
        ("vidB", "shot-0000", "flow"), ("vidB", "shot-0001", "flow")}
    assert cache.is_complete(StageKey("vidA", "video", "encode", "", "e" * 16))
    assert not list(tmp_path.glob("vidA/shot-*")) and cache.drop_shots("vidA") == 0


def _shots_with_lease(tmp_path, lease: dict | bytes | None) -> ZarrCache:
    """A cache holding two shot groups of ``vidA`` and, if given, another job's lease on it."""
    cache = ZarrCache(str(tmp_path))
    for group in ("shot-0000", "shot-0001"):
        cache.write(StageKey("vidA", group, "flow", "w0000", "a" * 16), {"x": np.zeros((2, 1, 1))}, 2)
    if lease is not None:
        (tmp_path / "vidA" / "leases").mkdir(parents=True)
        body = lease if isinstance(lease, bytes) else json.dumps(lease).encode()
        (tmp_path / "vidA" / "leases" / "job-other.lease.json").write_bytes(body)
    return cache


def test_drop_shots_waits_for_another_live_job_on_the_host(tmp_path):
    """Two jobs on one cache: the one that finishes first must not remove stages the other still reads."""
    import socket
    import subprocess
    import sys

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        cache = _shots_with_lease(tmp_path, {"host": socket.gethostname(), "pid": other.pid, "taken": 0})
        cache.take_lease("vidA", "job-me")
        cache.end_lease("vidA", "job-me")
        cache.end_lease("vidA", "job-me")  # ending twice is no error
        assert cache.live_leases("vidA") == ["job-other"]
        assert cache.drop_shots("vidA") == 0
        assert len(list(tmp_path.glob("vidA/shot-*/*.complete.json"))) == 2  # markers kept too
    finally:
        other.kill()
        other.wait()
    assert cache.live_leases("vidA") == []  # its process is gone: a crashed job's lease
    assert cache.drop_shots("vidA") == 2 and not list(tmp_path.glob("vidA/shot-*"))


@pytest.mark.parametrize("lease, live", [
    ({"host": "another-host", "pid": 1, "taken": "now"}, True),       # another host, recent: may still run
    ({"host": "another-host", "pid": 1, "taken": 0.0}, False),        # another host, days old: crashed
    (b"{not json", True),                                               # unreadable: keep the data
])
def test_leases_from_other_hosts_and_unreadable_ones(tmp_path, lease, live):
    import time

    if isinstance(lease, dict) and lease["taken"] == "now":
        lease = {**lease, "taken": time.time()}
    cache = _shots_with_lease(tmp_path, lease)
    assert cache.live_leases("vidA") == (["job-other"] if live else [])
    assert cache.drop_shots("vidA") == (0 if live else 2)
    assert len(cache.ls()) == (2 if live else 0)
