"""``isvi inpaint`` on a real clip (tests/assets/city_small.mp4: cityCC0, 24 frames, 192x108,
30000/1001 fps, with an AAC track), and every bad input the CLI promises to reject cleanly."""

import hashlib
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from isvi.cli import main
from media.video import VideoSource, read_video

CLIP = Path(__file__).resolve().parents[2] / "assets" / "city_small.mp4"
BOX = "120,10,50,30"


def audio_digest(path: Path) -> str:
    h = hashlib.sha256()
    with av.open(str(path)) as c:
        for packet in c.demux(c.streams.audio[0]):
            if packet.size:
                h.update(bytes(packet))
    return h.hexdigest()


def box_holes(n=24):
    holes = np.zeros((n, 108, 192), bool)
    holes[:, 10:40, 120:170] = True
    return holes


def no_leftovers(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if ".part" in p.name]


@pytest.fixture(scope="module")
def lossless_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "clean.mkv"
    assert main(["inpaint", str(CLIP), "--box", BOX, "-o", str(out), "--codec", "ffv1", "--quiet"]) == 0
    return out


class TestInpaintCommand:
    def test_frame_count_rate_size_and_audio_are_kept(self, lossless_run):
        info = VideoSource(lossless_run).info
        assert (info.frames, info.width, info.height) == (24, 192, 108)
        assert info.fps == Fraction(30000, 1001)
        assert audio_digest(lossless_run) == audio_digest(CLIP)

    def test_pixels_outside_the_dilated_hole_are_the_inputs(self, lossless_run):
        src, _ = read_video(CLIP)
        out, _ = read_video(lossless_run)
        grown = box_holes()
        grown[:, 8:42, 118:172] = True  # default dilation is 2 px
        np.testing.assert_array_equal(out[~grown], src[~grown])
        assert (out[:, 10:40, 120:170] != src[:, 10:40, 120:170]).any()  # the hole was really replaced

    def test_h264_output_by_default(self, tmp_path):
        out = tmp_path / "clean.mp4"
        assert main(["inpaint", str(CLIP), "--box", BOX, "-o", str(out), "-q", "--crf", "30"]) == 0
        with av.open(str(out)) as c:
            assert c.streams.video[0].codec_context.name == "h264"
            assert c.streams.video[0].frames == 24
        assert no_leftovers(tmp_path)

    def test_odd_sized_input_gives_playable_h264_one_pixel_larger(self, tmp_path, caplog):
        """A 33x25 4:2:0 input: x264's 4:2:0 needs even sides, so the default H.264 output is 34x26
        yuv420p with the last column and row repeated (it was yuv444p, which many players refuse),
        with one warning line naming the file and both sizes."""
        src, out = tmp_path / "odd.mkv", tmp_path / "clean.mp4"
        rng = np.random.default_rng(3)
        frames = np.stack([cv2.GaussianBlur(f, (0, 0), 2) for f in rng.integers(0, 255, (6, 25, 33, 3), np.uint8)])
        with av.open(str(src), "w") as c:
            st = c.add_stream("ffv1", rate=25)
            st.width, st.height, st.pix_fmt = 33, 25, "yuv420p"
            for i, f in enumerate(frames):
                vf = av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv420p")
                vf.pts = i
                c.mux(st.encode(vf))
            c.mux(st.encode())
        decoded, _ = read_video(src)
        with caplog.at_level("WARNING"):
            assert main(["inpaint", str(src), "--box", "10,8,8,6", "-o", str(out), "--crf", "0", "-q"]) == 0
        err = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(err) == 1 and "\n" not in err[0] and "odd.mkv" in err[0] and "33x25" in err[0] \
            and "34x26" in err[0] and "--codec ffv1" in err[0], err
        with av.open(str(out)) as c:
            st = c.streams.video[0]
            assert (st.codec_context.pix_fmt, st.width, st.height) == ("yuv420p", 34, 26)
            back = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(st)]).astype(int)
        assert len(back) == 6
        hole = np.zeros((25, 33), bool)
        hole[6:16, 8:20] = True  # the box and then some: chroma shared with it
        diff = np.abs(back[:, :25, :33] - decoded)
        assert diff[:, ~hole].mean() < 3  # the input's pixels where they were (4:2:0 re-subsampled)
        assert np.abs(back[:, :, 33] - back[:, :, 32]).mean() < 3  # the padding repeats the edge
        assert np.abs(back[:, 25] - back[:, 24]).mean() < 3
        assert no_leftovers(tmp_path)

    def test_png_folder_output_and_fractional_box(self, tmp_path):
        out = tmp_path / "frames"
        assert main(["inpaint", str(CLIP), "--box", "0.625,0.09,0.26,0.28", "-o", str(out), "-q"]) == 0
        names = sorted(p.name for p in out.iterdir() if p.suffix == ".png")
        assert names[0] == "00000.png" and names[-1] == "00023.png" and len(names) == 24
        assert sorted(p.name for p in out.iterdir() if p.suffix != ".png") == ["timestamps.txt"]
        src, _ = read_video(CLIP)
        first = cv2.cvtColor(cv2.imread(str(out / "00000.png")), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(first[60:], src[0][60:])

    def test_mask_folder_and_frame_folder_input(self, tmp_path):
        src, _ = read_video(CLIP)
        frames_dir, masks_dir = tmp_path / "in", tmp_path / "masks"
        frames_dir.mkdir()
        masks_dir.mkdir()
        for i, (f, h) in enumerate(zip(src[:6], box_holes(6))):
            cv2.imwrite(str(frames_dir / f"{i:05d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            cv2.imwrite(str(masks_dir / f"{i:05d}.png"), h.astype(np.uint8) * 255)
        out = tmp_path / "out.mkv"
        assert main(["inpaint", str(frames_dir), "--mask", str(masks_dir), "-o", str(out), "--codec", "ffv1",
                     "--fps", "30000/1001", "-q"]) == 0
        info = VideoSource(out).info
        assert info.frames == 6 and info.fps == Fraction(30000, 1001)

    def test_empty_mask_copies_the_video_through(self, tmp_path):
        mask = tmp_path / "empty.png"
        cv2.imwrite(str(mask), np.zeros((108, 192), np.uint8))
        out = tmp_path / "same.mkv"
        assert main(["inpaint", str(CLIP), "--mask", str(mask), "-o", str(out), "--codec", "ffv1", "-q"]) == 0
        np.testing.assert_array_equal(read_video(out)[0], read_video(CLIP)[0])

    def test_config_file_supplies_options_and_cli_wins(self, tmp_path):
        cfg = tmp_path / "job.toml"
        cfg.write_text(f'box = ["{BOX}"]\ncodec = "ffv1"\ndilate_px = 0\nquiet = true\n')
        out = tmp_path / "c.mkv"
        assert main(["inpaint", str(CLIP), "--config", str(cfg), "-o", str(out), "--dilate", "2"]) == 0
        src, _ = read_video(CLIP)
        res, _ = read_video(out)
        changed = (res != src).any(axis=(0, 3))
        assert changed[8:42, 118:172].any() and not changed[:7].any() and not changed[44:].any()


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "isvi", "inpaint", *map(str, args)], capture_output=True, text=True)


class TestBadInput:
    """Each gets one line naming the file and the problem, exit code 2, and no output left behind."""

    def check(self, capsys, argv, *needles, out_dir=None):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("isvi: error:")
        for n in needles:
            assert str(n) in err
        if out_dir is not None:
            assert no_leftovers(out_dir)
        return err

    def test_missing_input(self, tmp_path, capsys):
        self.check(capsys, ["inpaint", str(tmp_path / "nope.mp4"), "--box", BOX, "-o", str(tmp_path / "o.mp4")],
                   "nope.mp4", "no such file")

    def test_not_a_video(self, tmp_path, capsys):
        bad = tmp_path / "notes.mp4"
        bad.write_text("this is text, not a video\n" * 20)
        self.check(capsys, ["inpaint", str(bad), "--box", BOX, "-o", str(tmp_path / "o.mp4")], "notes.mp4",
                   "video", out_dir=tmp_path)

    def test_zero_frames(self, tmp_path, capsys):
        empty = tmp_path / "empty.mp4"
        with av.open(str(empty), "w") as c:
            s = c.add_stream("libx264", rate=25)
            s.width, s.height = 64, 48
        self.check(capsys, ["inpaint", str(empty), "--box", "1,1,4,4", "-o", str(tmp_path / "o.mp4")],
                   "empty.mp4", out_dir=tmp_path)

    def test_mask_size_mismatch(self, tmp_path, capsys):
        mask = tmp_path / "small.png"
        cv2.imwrite(str(mask), np.full((50, 50), 255, np.uint8))
        self.check(capsys, ["inpaint", str(CLIP), "--mask", str(mask), "-o", str(tmp_path / "o.mp4")],
                   "small.png", "50x50", "192x108", out_dir=tmp_path)

    def test_mask_frame_count_mismatch(self, tmp_path, capsys):
        masks = tmp_path / "masks"
        masks.mkdir()
        for i in range(5):
            cv2.imwrite(str(masks / f"{i:05d}.png"), np.zeros((108, 192), np.uint8))
        self.check(capsys, ["inpaint", str(CLIP), "--mask", str(masks), "-o", str(tmp_path / "o.mp4")],
                   "masks", "5 mask images", "24 frames")

    def test_output_equal_to_input(self, capsys):
        self.check(capsys, ["inpaint", str(CLIP), "--box", BOX, "-o", str(CLIP)], "city_small.mp4", "input")

    def test_existing_output_without_overwrite_is_kept(self, tmp_path, capsys):
        out = tmp_path / "o.mp4"
        out.write_bytes(b"precious")
        self.check(capsys, ["inpaint", str(CLIP), "--box", BOX, "-o", str(out)], "o.mp4", "--overwrite")
        assert out.read_bytes() == b"precious"

    def test_mask_covering_everything(self, tmp_path, capsys):
        mask = tmp_path / "all.png"
        cv2.imwrite(str(mask), np.full((108, 192), 255, np.uint8))
        self.check(capsys, ["inpaint", str(CLIP), "--mask", str(mask), "-o", str(tmp_path / "o.mp4")],
                   "all.png", "every pixel", out_dir=tmp_path)

    def test_invalid_config_value_names_field_and_range(self, tmp_path, capsys):
        err = self.check(capsys, ["inpaint", str(CLIP), "--box", BOX, "-o", str(tmp_path / "o.mp4"), "--crf", "60"],
                         "crf", "51")
        assert "60" in err

    def test_invalid_config_file(self, tmp_path, capsys):
        cfg = tmp_path / "job.toml"
        cfg.write_text("dilate_px = -3\n")
        self.check(capsys, ["inpaint", str(CLIP), "--box", BOX, "--config", str(cfg), "-o", str(tmp_path / "o.mp4")],
                   "dilate_px", "greater than or equal to 0")

    def test_unknown_output_suffix(self, tmp_path, capsys):
        self.check(capsys, ["inpaint", str(CLIP), "--box", BOX, "-o", str(tmp_path / "out.zzz")], "out.zzz", "folder",
                   out_dir=tmp_path)

    def test_exit_code_seen_by_a_shell(self, tmp_path):
        res = run_cli(tmp_path / "missing.mov", "--box", BOX, "-o", tmp_path / "o.mp4")
        assert res.returncode == 2
        assert "missing.mov" in res.stderr and "Traceback" not in res.stderr

    def test_box_outside_the_frame_is_refused(self, tmp_path, capsys):
        self.check(capsys, ["inpaint", str(CLIP), "--box", "500,10,20,20", "-o", str(tmp_path / "o.mp4")],
                   "500,10,20,20", "outside", "192x108", out_dir=tmp_path)
        assert not (tmp_path / "o.mp4").exists()

    def test_corrupt_video_is_one_plain_line(self, tmp_path, capsys):
        data = bytearray(CLIP.read_bytes())
        for i in range(3000, len(data) - 2000, 7):
            data[i] = (data[i] * 31 + 7) & 255
        bad = tmp_path / "mangled.mp4"
        bad.write_bytes(bytes(data))
        err = self.check(capsys, ["inpaint", str(bad), "--box", BOX, "-o", str(tmp_path / "o.mp4")], "mangled.mp4",
                         "not a readable video", out_dir=tmp_path)
        assert "Errno" not in err and ".cc:" not in err and "Error:" not in err.split("mangled.mp4", 1)[1]


    def test_a_damaged_mkv_is_one_line_on_stderr_without_decords_internals(self, tmp_path):
        """Damaged from its second kilobyte on: decord's failed C++ check was the message, after eight
        lines of its FFmpeg's complaints on stderr."""
        src = tmp_path / "damaged.mkv"
        with av.open(str(src), "w") as c:
            st = c.add_stream("libx264", rate=25)
            st.width, st.height, st.pix_fmt = 128, 96, "yuv420p"
            for i in range(40):
                vf = av.VideoFrame.from_ndarray(np.full((96, 128, 3), i * 6, np.uint8), format="rgb24")
                vf.pts = i
                c.mux(st.encode(vf))
            c.mux(st.encode())
        data = bytearray(src.read_bytes())
        for i in range(1000, len(data), 7):
            data[i] = (data[i] * 31 + 7) & 255
        src.write_bytes(bytes(data))
        res = subprocess.run([sys.executable, "-m", "isvi", "inpaint", str(src), "--box", "10,10,20,20", "-o",
                              str(tmp_path / "o.mkv"), "--codec", "ffv1"], capture_output=True, text=True)
        assert res.returncode == 2
        assert res.stderr.strip().splitlines() == [f"isvi: error: {src}: is not a readable video "
                                                   "(its video stream cannot be decoded)"], res.stderr
        assert [p.name for p in tmp_path.iterdir()] == ["damaged.mkv"]

class TestWriteErrors:
    """A full disk or an unwritable folder: one line naming the output, exit 2, nothing partial."""

    @pytest.mark.parametrize("output", ["o.mkv", "o.mp4", "frames"])
    def test_disk_full_while_writing(self, tmp_path, output):
        import resource

        def small_files():  # a real write error: files past 30 kB fail with EFBIG (SIGXFSZ is ignored)
            resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))

        codec = ["--codec", "ffv1"] if output.endswith(".mkv") else []
        res = subprocess.run([sys.executable, "-m", "isvi", "inpaint", str(CLIP), "--box", BOX, "-o",
                              str(tmp_path / output), *codec], capture_output=True, text=True, preexec_fn=small_files)
        assert res.returncode == 2, res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"isvi: error: {tmp_path / output}: cannot be written")
        assert "Traceback" not in res.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == []

    def test_unwritable_folder(self, tmp_path, capsys):
        import os

        if os.geteuid() == 0:  # root writes through permission bits: use a folder no one may create files in
            folder = Path("/proc/self")
        else:
            folder = tmp_path / "ro"
            folder.mkdir()
            folder.chmod(0o555)
        assert main(["inpaint", str(CLIP), "--box", BOX, "-o", str(folder / "o.mp4")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith(f"isvi: error: {folder / 'o.mp4'}: cannot be written")


def test_sigterm_ends_cleanly_without_temporary_files(tmp_path):
    """SIGTERM is handled like Ctrl-C: the writer aborts, no .part file or folder remains, exit 143."""
    import signal
    import time

    frames = np.repeat(read_video(CLIP)[0], 6, axis=0)  # 144 frames: several seconds of work
    from media.video import FrameWriter, VideoInfo

    long_clip = tmp_path / "long.mkv"
    with FrameWriter(long_clip, VideoInfo(long_clip, len(frames), 192, 108, Fraction(25)), codec="ffv1") as w:
        w.write(frames)
        w.commit()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for output in ("o.mkv", "frames"):
        proc = subprocess.Popen([sys.executable, "-m", "isvi", "inpaint", str(long_clip), "--box", BOX, "-o",
                                 str(out_dir / output), "--codec", "ffv1" if output.endswith(".mkv") else "h264",
                                 "--window", "12", "--overlap", "2"], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not any(".part" in p.name for p in out_dir.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "finished before it could be interrupted"
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err
        assert "Traceback" not in err and "terminated" in err
        assert list(out_dir.iterdir()) == []


def test_a_later_run_removes_what_a_killed_run_left(tmp_path):
    """SIGKILL leaves the temporary output (nothing can run then); the next run writing the same
    output removes it, and leaves a live run's temporary alone."""
    import signal
    import time

    out = tmp_path / "o.mkv"
    proc = subprocess.Popen([sys.executable, "-m", "isvi", "inpaint", str(CLIP), "--box", BOX, "-o", str(out),
                             "--codec", "ffv1", "--window", "6", "--overlap", "2"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(".part" in p.name for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    left = [p for p in tmp_path.iterdir() if ".part" in p.name]
    assert left, "the killed run left nothing to clean"
    live = tmp_path / f".o.mkv.{os.getpid()}-keep.part.mkv"  # a run still going: this test's process
    live.write_bytes(b"in progress")
    assert main(["inpaint", str(CLIP), "--box", BOX, "-o", str(out), "--codec", "ffv1", "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "o.mkv"])
