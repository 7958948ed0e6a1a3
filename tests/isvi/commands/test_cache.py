"""``isvi cache ls|clear`` and ``isvi batch`` argument errors (no server or cluster needed)."""

import numpy as np

from isvi.cli import main
from storage.zarr_cache import StageKey, ZarrCache


def test_ls_and_clear(tmp_path, capsys):
    cache = ZarrCache(str(tmp_path))
    for part in ("w0000", "w0001"):
        cache.write(StageKey("vidA", "shot-0000", "flow", part, "a" * 16), {"x": np.zeros((2, 1, 1))}, 2)
    cache.create(StageKey("vidA", "shot-0000", "fill", "w0000", "b" * 16), {"x": ((2, 1, 1), np.uint8)}, 2)
    cache.write(StageKey("vidB", "shot-0001", "decode", "", "c" * 16), {"x": np.zeros((2, 1, 1))}, 2)
    cache.mark_complete(StageKey("vidB", "video", "probe", "", "d" * 16), shots=[[0, 2]], source="reels/b.mp4")
    # a copy of b.mp4 under another name shares its stages and probe; only its encode names it
    for fp, src in (("e" * 16, "reels/copy.mp4"), ("f" * 16, "reels/b.mp4")):
        cache.mark_complete(StageKey("vidB", "video", "encode", "", fp), output="o", source=src)
    # a finished video whose intermediates the batch removed: only its probe and encode markers
    cache.mark_complete(StageKey("vidC", "video", "probe", "", "g" * 16), shots=[[0, 2]], source="reels/c.mp4")
    cache.mark_complete(StageKey("vidC", "video", "encode", "", "h" * 16), output="o", source="reels/c.mp4")
    assert main(["cache", "ls", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["vidA  flow:2 fill:0(+1 unfinished)", "vidB (reels/b.mp4, reels/copy.mp4)  decode:1",
                   "vidC (reels/c.mp4)  encoded; per-shot intermediates removed"]
    assert main(["cache", "clear", str(tmp_path), "--incomplete"]) == 0
    assert [r["stage"] for r in cache.ls() if r["video"] == "vidA"] == ["flow", "flow"]
    assert main(["cache", "clear", str(tmp_path), "--video", "vidA"]) == 0
    assert {r["video"] for r in cache.ls()} == {"vidB"}
    assert main(["cache", "clear", str(tmp_path), "--video", "vidC"]) == 0 and cache.encoded_videos() == {"vidB"}
    assert main(["cache", "clear", str(tmp_path)]) == 0 and cache.ls() == []


def test_batch_bad_source_exits_2(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nowhere"), "-o", str(tmp_path / "out"), "--box", "1,1,2,2"]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_batch_bad_option_exits_2(tmp_path, capsys):
    (tmp_path / "a.mp4").write_bytes(b"x")
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--window", "2"]) == 2
    assert "inpaint.window_frames" in capsys.readouterr().err


def test_batch_unwritable_destination_exits_2_before_any_work(tmp_path, capsys):
    """It computed every video, failed each encode and then the report with a traceback."""
    import os
    from pathlib import Path

    if os.geteuid() == 0:  # root writes through permission bits: a folder no one may create files in
        dest = Path("/proc/self/isvi-out")
    else:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o555)
        dest = tmp_path / "ro" / "out"
    (tmp_path / "a.mp4").write_bytes(b"x")
    assert main(["batch", str(tmp_path), "-o", str(dest), "--box", "1,1,2,2", "--cache", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(dest) in err[0] and "cannot be written" in err[0], err


def test_batch_writable_check_leaves_no_local_folder_for_object_store_urls(tmp_path, monkeypatch):
    """The report folder of ``-o s3://b/out`` went through PurePosixPath ("s3:/b/out"), read as local,
    and the check made a folder named ``s3:`` in the working directory."""
    from flows.config import JobConfig
    from isvi.commands.batch import _check_writable

    monkeypatch.chdir(tmp_path)
    _check_writable(JobConfig(source="s3://b/in", dest="s3://b/out", cache="memory://c/cache"))
    _check_writable(JobConfig(source="s3://b/in", dest="s3://b/out", report="s3://b/reports/r"))
    assert list(tmp_path.iterdir()) == []
    _check_writable(JobConfig(source="s3://b/in", dest="s3://b/out", report="local-reports/r"))
    assert [p.name for p in tmp_path.iterdir()] == ["local-reports"]


def test_clear_keeps_what_a_running_job_uses_and_ls_names_it(tmp_path, capsys):
    """`isvi cache clear` while a batch job runs on the cache removed the stages (and the unfinished
    outputs it was writing) from under it; now a video with a live lease is kept unless --force."""
    cache = ZarrCache(str(tmp_path))
    for vid in ("vidA", "vidB"):
        cache.write(StageKey(vid, "shot-0000", "flow", "w0000", "a" * 16), {"x": np.zeros((2, 1, 1))}, 2)
        cache.create(StageKey(vid, "shot-0000", "fill", "w0000", "b" * 16), {"x": ((2, 1, 1), np.uint8)}, 2)
    cache.take_lease("vidA", "job-1-running")  # this process: alive
    assert main(["cache", "ls", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "vidA  flow:1 fill:0(+1 unfinished)  [in use by job-1-running]", "vidB  flow:1 fill:0(+1 unfinished)"]
    assert main(["cache", "clear", str(tmp_path), "--incomplete"]) == 0
    assert "kept 1 video(s) that a running batch job uses: vidA" in capsys.readouterr().err
    assert {(r["video"], r["stage"]) for r in cache.ls()} == {("vidA", "flow"), ("vidA", "fill"), ("vidB", "flow")}
    assert main(["cache", "clear", str(tmp_path)]) == 0 and {r["video"] for r in cache.ls()} == {"vidA"}
    assert main(["cache", "clear", str(tmp_path), "--video", "vidA"]) == 0 and len(cache.ls()) == 2
    assert main(["cache", "clear", str(tmp_path), "--force"]) == 0 and cache.ls() == []
