"""End to end: ``isvi batch`` -> ``inpaint-collection`` on a 2-worker local Dask cluster with a real Prefect server."""

import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from isvi.cli import main
from tasks.config import InpaintConfig
from media.video import read_video
from tests.batch_clips import cut_clip, pan_frames, write_clip

pytestmark = pytest.mark.slow  # a real Prefect server and Dask cluster per run

BOX = "20,14,14,12"
METHOD = ["--box", BOX, "--window", "10", "--overlap", "3", "--flow-preset", "ultrafast", "--codec", "ffv1",
          "--workers", "2"]
CFG = InpaintConfig(box=(BOX,), window_frames=10, overlap_frames=3, flow_preset="ultrafast", codec="ffv1")


def single(clip: Path, tmp: Path) -> np.ndarray:
    """The reference: ``isvi inpaint`` on the same clip."""
    from tasks.inpaint_video import inpaint_video

    out = tmp / f"ref-{clip.stem}.mkv"
    inpaint_video(clip, out, CFG)
    return read_video(out)[0]


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    src = tmp_path_factory.mktemp("collection")
    (src / "sub").mkdir()
    write_clip(src / "a.mkv", pan_frames(24))
    write_clip(src / "sub" / "b.mkv", pan_frames(16, seed=2))
    write_clip(src / "cut.mkv", cut_clip(20, 20))
    (src / "bad.mp4").write_bytes(b"this is not a video")
    return src


def test_folder_batch_with_a_bad_video(prefect_api, collection, tmp_path):
    dest = tmp_path / "out"
    assert main(["batch", str(collection), "-o", str(dest), *METHOD]) == 1  # one video failed
    report = json.loads((dest / "isvi-report.json").read_text())["videos"]
    status = {r["name"]: r for r in report}
    assert {n: r["status"] for n, r in status.items()} == {"a.mkv": "done", "bad.mp4": "failed",
                                                           "cut.mkv": "done", "sub/b.mkv": "done"}
    assert "bad.mp4" in status["bad.mp4"]["error"] and "InputError" in status["bad.mp4"]["error"]
    assert status["cut.mkv"]["shots"] == 2 and status["a.mkv"]["shots"] == 1
    assert status["a.mkv"]["frames"] == 24 and set(status["a.mkv"]["stage_seconds"]) >= {"flow", "fill", "encode"}
    assert status["a.mkv"]["frames_with_hole"] == 24  # the box is on every frame
    with open(dest / "isvi-report.csv") as f:
        assert {r["name"]: r["status"] for r in csv.DictReader(f)}["bad.mp4"] == "failed"
    np.testing.assert_array_equal(read_video(dest / "a.mkv")[0], single(collection / "a.mkv", tmp_path))
    np.testing.assert_array_equal(read_video(dest / "sub" / "b.mkv")[0],
                                  single(collection / "sub" / "b.mkv", tmp_path))
    assert not (dest / "bad.mp4").exists()
    assert not [p for p in dest.rglob("*") if ".part" in p.name]  # atomic outputs: no leftovers
    # a second run skips finished outputs
    assert main(["batch", str(collection), "-o", str(dest), *METHOD]) == 1
    again = {r["name"]: r["status"] for r in json.loads((dest / "isvi-report.json").read_text())["videos"]}
    assert again == {"a.mkv": "skipped", "bad.mp4": "failed", "cut.mkv": "skipped", "sub/b.mkv": "skipped"}


def _markers(cache: Path) -> set[str]:
    """Completion markers under ``cache``, read while a run may still write it: ``os.walk``
    skips a folder that vanishes between listing and reading (zarr's ``mode="w"`` clears a
    new stage group's folder and recreates it), where ``Path.rglob`` raised."""
    return {str((Path(root) / f).relative_to(cache))[:-len(".complete.json")]
            for root, _, files in os.walk(cache) for f in files if f.endswith(".complete.json")}


def test_sigkill_mid_run_then_resume(prefect_api, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    clip = write_clip(src / "long.mkv", pan_frames(40, seed=3))
    dest, cache = tmp_path / "out", tmp_path / "cache"
    cmd = [sys.executable, "-m", "isvi", "batch", str(src), "-o", str(dest), "--cache", str(cache), *METHOD]
    proc = subprocess.Popen(cmd, env={**os.environ, "PREFECT_API_URL": prefect_api}, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not any("composite-w0001" in m for m in _markers(cache)):
            assert proc.poll() is None and time.monotonic() < deadline, "run ended before it could be killed"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # the flow process
        proc.wait(10)
    finally:
        time.sleep(1.0)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its Dask workers, orphaned
        except ProcessLookupError:
            pass
    assert not dest.joinpath("long.mkv").exists()
    done = _markers(cache)
    assert any("composite" in m for m in done) and not any("encode" in m for m in done)
    # (--keep-cache: the markers after the run are compared with those after the kill)
    assert main(["batch", str(src), "-o", str(dest), "--cache", str(cache), "--keep-cache", *METHOD]) == 0
    row = json.loads((dest / "isvi-report.json").read_text())["videos"][0]
    computed = set(row["computed_stages"])

    def stage_of(marker: str) -> str:  # "{video}/shot-0000/flow-w0003-{fp}" -> "shot-0000/flow/w0003"
        _, group, name = marker.split("/")
        return f"{group}/" + name.rsplit("-", 1)[0].replace("-", "/", 1)

    # the re-run computed exactly the stages that had no marker after the kill
    assert computed == {stage_of(m) for m in _markers(cache) - done}
    assert "shot-0000/decode" not in computed and row["cached_stages"] > 0
    np.testing.assert_array_equal(read_video(dest / "long.mkv")[0], single(clip, tmp_path))


def test_manifest_with_own_masks_and_a_failure_after_probe(prefect_api, tmp_path):
    """A frame folder whose 5th frame has another size passes probe and fails in decode: the
    failure is reported with the file's name and the other video (its own mask) finishes."""
    import cv2

    from tasks.inpaint_video import inpaint_video

    clip = write_clip(tmp_path / "good.mkv", pan_frames(16, seed=8))
    mask = np.zeros((48, 64), np.uint8)
    mask[10:22, 30:44] = 255
    cv2.imwrite(str(tmp_path / "good_mask.png"), mask)
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, f in enumerate(pan_frames(12, seed=9)):
        cv2.imwrite(str(frames / f"{i:05d}.png"), f if i != 4 else f[:40])
    (tmp_path / "jobs.jsonl").write_text(
        json.dumps({"video": "good.mkv", "mask": "good_mask.png", "output": "clean/good.mkv"}) + "\n"
        + json.dumps({"video": "frames", "output": "frames_out"}) + "\n")
    dest = tmp_path / "out"
    assert main(["batch", str(tmp_path / "jobs.jsonl"), "-o", str(dest), *METHOD]) == 1
    rows = {r["name"]: r for r in json.loads((dest / "isvi-report.json").read_text())["videos"]}
    assert rows["clean/good.mkv"]["status"] == "done"
    assert rows["frames_out"]["status"] == "failed" and "00004.png" in rows["frames_out"]["error"]
    ref = tmp_path / "ref.mkv"
    inpaint_video(clip, ref, CFG.model_copy(update={"mask": str(tmp_path / "good_mask.png"), "box": ()}))
    np.testing.assert_array_equal(read_video(dest / "clean" / "good.mkv")[0], read_video(ref)[0])
    assert not (dest / "frames_out").exists()


def test_auto_masks_pooled_per_folder(prefect_api, tmp_path):
    """``--mask auto --auto-mask-pool folder``: a channel folder of static shots, each too static
    alone, gets its logo from the pool and removed; a folder with one such shot fails, named."""
    from tests.batch_clips import logo_stills

    clean, marked, footprint = logo_stills(7)
    src = tmp_path / "in"
    (src / "chan").mkdir(parents=True)
    (src / "solo").mkdir()
    for k, frames in enumerate(marked):
        write_clip(src / "chan" / f"v{k}.mkv", frames)
    write_clip(src / "solo" / "s.mkv", marked[0])
    dest = tmp_path / "out"
    auto = ["--mask", "auto", "--auto-mask-pool", "folder", "--no-shots", *METHOD[2:]]
    assert main(["batch", str(src), "-o", str(dest), *auto]) == 1
    rows = {r["name"]: r for r in json.loads((dest / "isvi-report.json").read_text())["videos"]}
    assert rows["solo/s.mkv"]["status"] == "failed" and "too static" in rows["solo/s.mkv"]["error"]
    assert {n: r["status"] for n, r in rows.items() if n.startswith("chan/")} == {
        f"chan/v{k}.mkv": "done" for k in range(7)}
    import cv2

    near_logo = cv2.dilate(footprint.astype(np.uint8), np.ones((17, 17), np.uint8)).astype(bool)
    errors = []
    for k in range(7):
        result = read_video(dest / "chan" / f"v{k}.mkv")[0]
        changed = (result != marked[k]).any(axis=(0, 3))
        assert changed[footprint].mean() > 0.95 and near_logo[changed].mean() > 0.8  # the logo, little else
        errors.append([float(np.mean((x.astype(float) - clean[k].astype(float))[:, footprint] ** 2))
                       for x in (result, marked[k])])
    # Nothing ever uncovers a logo on a static shot, so this is spatial fill: less than half the error in all.
    after, before = np.mean(errors, axis=0)
    assert after < before / 2
    # A preview per video of the mask it was inpainted with, beside the report; none for the failed one.
    assert rows["solo/s.mkv"]["mask_preview"] == ""
    for k in range(7):
        preview = Path(rows[f"chan/v{k}.mkv"]["mask_preview"])
        assert preview == dest / "isvi-report-masks" / "chan" / f"v{k}.mkv.png"
        image = cv2.cvtColor(cv2.imread(str(preview)), cv2.COLOR_BGR2RGB).astype(int)
        w = footprint.shape[1]
        tinted = (image[:, w:, 0] - image[:, :w, 0]) - (image[:, w:, 1] - image[:, :w, 1]) > 20
        assert tinted[footprint].mean() > 0.9 and near_logo[tinted].mean() > 0.9
    # A re-run skips the finished videos; their rows still point at the previews.
    assert main(["batch", str(src), "-o", str(dest), *auto]) == 1
    again = {r["name"]: r for r in json.loads((dest / "isvi-report.json").read_text())["videos"]}
    assert {n: (r["status"], r["mask_preview"]) for n, r in again.items() if n.startswith("chan/")} == {
        n: ("skipped", r["mask_preview"]) for n, r in rows.items() if n.startswith("chan/")}


@pytest.mark.slow
@contextlib.contextmanager
def _port_taken(port: int):
    """Hold ``port`` on all interfaces for the block (if something else holds it already, so be it)."""
    sock = socket.socket()
    try:
        sock.bind(("0.0.0.0", port))
        sock.listen()
    except OSError:
        pass
    try:
        yield
    finally:
        sock.close()


def test_copies_of_one_video_are_computed_once_and_each_written(prefect_api, tmp_path):
    """Three copies under other names: one set of stages (the keys are content-addressed), three
    outputs, the report naming the copies; before, two of the three failed on the shared keys.
    Run as a scheduled job runs it (a subprocess, no terminal), which the stderr checks need."""
    src = tmp_path / "in"
    src.mkdir()
    write_clip(src / "a.mkv", pan_frames(24))
    for name in ("b.mkv", "c.mkv"):
        (src / name).write_bytes((src / "a.mkv").read_bytes())
    dest = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    cmd = [sys.executable, "-m", "isvi", "batch", str(src), "-o", str(dest), *METHOD]
    with _port_taken(8787):  # Dask's default dashboard port, as another job on the host holds it
        quiet = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    # Without a terminal, stderr (a scheduled job's log) is the per-video summary, not Prefect's and
    # Dask's INFO lines (about 80 for 3 clips before), nor Dask's "Port 8787 is already in use".
    lines = quiet.stderr.strip().splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [[n, "done"] for n in ("a.mkv", "b.mkv", "c.mkv")]
    assert len(lines) == 4 and lines[3].startswith("report:")
    rows = {r["name"]: r for r in json.loads((dest / "isvi-report.json").read_text())["videos"]}
    assert {n: (r["status"], r["duplicate_of"]) for n, r in rows.items()} == {
        "a.mkv": ("done", ""), "b.mkv": ("done", "a.mkv"), "c.mkv": ("done", "a.mkv")}
    assert len(rows["a.mkv"]["computed_stages"]) > 5
    assert [s.split("/")[-1] for s in rows["b.mkv"]["computed_stages"]] == ["encode"]
    ref = read_video(dest / "a.mkv")[0]
    for name in ("b.mkv", "c.mkv"):
        np.testing.assert_array_equal(read_video(dest / name)[0], ref)
    from storage.zarr_cache import ZarrCache  # `isvi cache ls` names all three files under the one id

    assert [sorted(Path(s).name for s in v) for v in ZarrCache(str(dest) + ".isvi-cache").sources().values()] \
        == [["a.mkv", "b.mkv", "c.mkv"]]
    # -v brings Prefect's and Dask's INFO lines back (a re-run: every output is skipped)
    loud = subprocess.run([*cmd, "-v"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert loud.returncode == 0 and "INFO" in loud.stderr and len(loud.stderr.splitlines()) > 5
    assert {r["status"] for r in json.loads((dest / "isvi-report.json").read_text())["videos"]} == {"skipped"}


def test_a_job_leaves_the_stages_another_job_on_the_cache_uses(prefect_api, tmp_path):
    """Two jobs on one cache and one video (a scheduled run starting while the last one still runs):
    the first to finish removed the shot stages under the other, whose video then failed. A job
    now holds a lease on each video it works on, and removes nothing another live job holds."""
    from tasks.keys import content_id

    src = tmp_path / "in"
    src.mkdir()
    clip = write_clip(src / "a.mkv", pan_frames(24))
    dest, cache = tmp_path / "out", tmp_path / "cache"
    leases = cache / content_id(clip, None, (BOX,)) / "leases"  # the video's id, as the probe makes it
    leases.mkdir(parents=True)
    run = ["batch", str(src), "-o", str(dest), "--cache", str(cache), *METHOD]
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # the other job
    try:
        (leases / "job-other.lease.json").write_text(
            json.dumps({"host": socket.gethostname(), "pid": other.pid, "taken": time.time()}))
        assert main(run) == 0
        assert list(leases.parent.glob("shot-*/*.complete.json"))  # kept for the other job
        assert [p.name for p in leases.iterdir()] == ["job-other.lease.json"]  # this job's own lease ended
    finally:
        other.kill()
        other.wait()
    assert main([*run, "--overwrite"]) == 0  # the other job is gone (its lease left behind, as after a crash)
    assert not list(leases.parent.glob("shot-*"))
