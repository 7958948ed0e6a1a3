from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from media.video import FrameWriter, VideoInfo, read_video

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("size,codec,suffix", [((96, 64), "ffv1", ".mkv"), ((96, 64), "h264", ".mp4"),
                                               ((128, 64), "ffv1", ".mkv")])
def test_written_video_reads_back_with_its_frame_count_and_rate(tmp_path, size, codec, suffix):
    """Includes 96x64, a size at which decord's batch decode fails: the reader falls back to PyAV."""
    w, h = size
    frames = RNG.integers(0, 255, (7, h, w, 3), dtype=np.uint8)
    info = VideoInfo(Path("src"), 7, w, h, Fraction(30000, 1001))
    dest = tmp_path / f"v{suffix}"
    with FrameWriter(dest, info, codec=codec, crf=0) as writer:
        writer.write(frames)
        writer.commit()
    back, got = read_video(dest)
    assert back.shape == frames.shape and got.fps == Fraction(30000, 1001)
    if codec == "ffv1":
        np.testing.assert_array_equal(back, frames)  # lossless round trip
    assert [p.name for p in tmp_path.iterdir()] == [dest.name]  # no temporary files left


@pytest.mark.parametrize("output", ["clip.mkv", "frames"])
def test_commit_never_replaces_an_output_that_appeared_meanwhile(tmp_path, output):
    """Two runs writing one new output: the one that commits second fails by name and the first
    run's result stays whole (a no-replace rename, not a check at start)."""
    from isvi_models.errors import InputError

    info = VideoInfo(tmp_path / "src.mkv", 3, 16, 8, Fraction(25))
    frames = np.full((3, 8, 16, 3), 200, np.uint8)
    dest = tmp_path / output
    with pytest.raises(InputError, match="appeared while this run was writing"):
        with FrameWriter(dest, info, codec="ffv1", overwrite=False) as w:
            w.write(frames)
            with FrameWriter(dest, info, codec="ffv1", overwrite=False) as other:  # the other run, faster
                other.write(frames[:1])
                other.commit()
            w.commit()
    kept, _ = read_video(dest)
    assert len(kept) == 1  # the other run's output, untouched
    assert [p.name for p in tmp_path.iterdir()] == [output]  # no temporary left
    with FrameWriter(dest, info, codec="ffv1", overwrite=True) as w:  # --overwrite replaces
        w.write(frames)
        w.commit()
    assert len(read_video(dest)[0]) == 3


def _tagged_source(path):
    """A clip with an English Opus track and a French AAC track marked default, its video
    starting at 80 ms (as B-frame edit lists and cut files do)."""
    import av

    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        tracks = []
        for codec, lang, default in (("libopus", "eng", False), ("aac", "fra", True)):
            a = out.add_stream(codec, rate=48000)
            a.metadata["language"] = lang
            if default:
                a.disposition = av.stream.Disposition.default
            tracks.append(a)
        for i in range(25):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 9 * i, np.uint8), format="rgb24")
            frame.pts = i + 2
            for p in v.encode(frame):
                out.mux(p)
        for a in tracks:
            for k in range(50):
                af = av.AudioFrame.from_ndarray(np.zeros((1, 960), np.float32), format="flt", layout="mono")
                af.sample_rate, af.pts = 48000, k * 960
                for p in a.encode(af):
                    out.mux(p)
            for p in a.encode():
                out.mux(p)
        for p in v.encode():
            out.mux(p)


def _streams(path):
    import av

    with av.open(str(path)) as c:
        tags = [(s.type, s.metadata.get("language"), bool(s.disposition & av.stream.Disposition.default))
                for s in c.streams.audio]
        packets = [sum(1 for p in c.demux(s) if p.size) for s in c.streams.audio]
    return tags, packets


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_copied_audio_keeps_its_tags_dispositions_and_every_packet(tmp_path, suffix):
    from media.video import VideoSource

    src = tmp_path / "tagged.mkv"
    _tagged_source(src)
    with VideoSource(src) as video:
        frames = video.read(0, video.info.frames)
        info = video.info
    out = tmp_path / f"out{suffix}"
    with FrameWriter(out, info, copy_streams_from=src) as w:
        w.write(frames)
        w.commit()
    src_tags, src_packets = _streams(src)
    out_tags, out_packets = _streams(out)
    assert src_tags == [("audio", "eng", False), ("audio", "fra", True)]
    assert out_tags == src_tags  # languages were 'und' and the default flag lost before
    assert out_packets == src_packets  # the packets before the first video frame were dropped before


def _vfr_clip(path, codec="libx264"):
    """25 frames at 40 ms, then 25 at 80 ms (a variable frame rate), video starting at 0."""
    import av

    times_ms = [40 * i for i in range(25)] + [1000 + 80 * i for i in range(25)]
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.time_base = Fraction(1, 1000)
        for i, t in enumerate(times_ms):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 5 * i, np.uint8), format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            for p in v.encode(frame):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
    return times_ms


def _frame_times(path):
    import av

    with av.open(str(path)) as c:
        return [round(float(f.pts * f.time_base), 4) for f in c.decode(video=0)]


@pytest.mark.parametrize("output,codec", [("out.mp4", "h264"), ("out.mkv", "ffv1"), ("frames", "h264")])
def test_every_frame_keeps_its_presentation_time(tmp_path, output, codec):
    """Variable frame rate stays variable: frame 25 at 1.00 s stays at 1.00 s (it moved to 1.44 s
    at a constant 625/36 fps before); a frame folder gets the times beside its PNGs."""
    from media.video import TIMESTAMPS_FILE, VideoSource

    src = tmp_path / "vfr.mkv"
    times = [t / 1000 for t in _vfr_clip(src)]
    with VideoSource(src) as video:
        info = video.info
        frames = video.read(0, info.frames)
    assert [round(info.frame_time(i), 4) for i in range(info.frames)] == times
    out = tmp_path / output
    with FrameWriter(out, info, codec=codec, copy_streams_from=src) as w:
        w.write(frames)
        w.commit()
    if output == "frames":
        lines = (out / TIMESTAMPS_FILE).read_text().splitlines()
        assert lines[0] == "# timestamp format v2" and [float(x) / 1000 for x in lines[1:]] == times
    else:
        assert _frame_times(out) == times


def _flat_frame(w, h, fmt, grey):
    """A frame of one grey level in ``fmt``, its planes filled directly: swscale's RGB to
    yuv420p10le conversion at an odd size leaves a stray row of garbage now and then."""
    import av

    ref = av.VideoFrame.from_ndarray(np.full((2, 2, 3), grey, np.uint8), format="rgb24").reformat(format=fmt)
    frame = av.VideoFrame(w, h, fmt)
    dtype = np.uint16 if av.VideoFormat(fmt).components[0].bits > 8 else np.uint8
    for src, dst in zip(ref.planes, frame.planes):
        value = np.frombuffer(src, dtype)[0]
        dst.update(np.full(dst.buffer_size // np.dtype(dtype).itemsize, value, dtype).tobytes())
    return frame


@pytest.mark.parametrize("src_fmt,size,expect,out_size,warnings", [
    ("yuv420p", (64, 48), "yuv420p", (64, 48), ()),
    ("yuv444p", (64, 48), "yuv444p", (64, 48), ()),  # became yuv420p before
    ("yuv422p", (64, 48), "yuv422p", (64, 48), ()),
    ("yuv420p10le", (64, 48), "yuv420p", (64, 48), ("10-bit",)),  # became 8-bit silently before
    # odd-sized: padded to even sides in the input's layout (it was yuv444p, which many players refuse)
    ("yuv420p", (65, 49), "yuv420p", (66, 50), ("65x49", "66x50", "--codec ffv1")),
    ("yuv420p", (64, 49), "yuv420p", (64, 50), ("64x49", "64x50", "last row")),
    ("yuv422p", (65, 49), "yuv422p", (66, 49), ("65x49", "66x49", "last column")),  # 4:2:2: only the width
    ("yuv444p", (65, 49), "yuv444p", (65, 49), ()),
    ("yuv420p10le", (65, 49), "yuv420p", (66, 50), ("10-bit", "66x50")),  # both in one line
])
def test_h264_output_keeps_the_chroma_layout_and_says_what_it_cannot_keep(tmp_path, caplog, src_fmt, size,
                                                                          expect, out_size, warnings):
    import av

    from media.video import VideoSource

    w, h = size
    src = tmp_path / "src.mkv"
    with av.open(str(src), "w") as out:
        s = out.add_stream("libx264" if w % 2 == 0 and h % 2 == 0 else "ffv1", rate=25)
        s.width, s.height, s.pix_fmt = w, h, src_fmt
        for i in range(3):
            frame = _flat_frame(w, h, src_fmt, 40 * i)
            frame.pts = i
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    with VideoSource(src) as video:
        info, frames = video.info, video.read(0, 3)
    with caplog.at_level("WARNING", logger="isvi.video"):
        with FrameWriter(tmp_path / "out.mp4", info) as writer:
            writer.write(frames)
            writer.commit()
    with av.open(str(tmp_path / "out.mp4")) as c:
        st = c.streams.video[0]
        assert st.codec_context.pix_fmt == expect and (st.width, st.height) == out_size
        back = [f.to_ndarray(format="rgb24") for f in c.decode(st)]
    assert len(back) == 3
    for got, want in zip(back, frames):  # flat frames: the input's pixels at the top left, the padding their edge
        assert np.abs(got.astype(int) - want[0, 0]).max() <= 2
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    if not warnings:
        assert warned == []
    else:
        assert len(warned) == 1 and "\n" not in warned[0] and "src.mkv" in warned[0]
        assert all(w in warned[0] for w in warnings), warned[0]
