"""``--codec ffv1`` keeps the input's own pixel format and bit depth: every sample outside the hole is
the input's decoded sample, the hole is the written RGB converted as the decoder converts, and the
frame count and every frame's time are kept (media.native, through media.video.FrameWriter)."""

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from media.native import block_any, plane_arrays
from media.video import FrameWriter, read_video

RNG = np.random.default_rng(7)


def scene(n: int, h: int, w: int) -> np.ndarray:
    """Smooth colour gradients that move, plus a little noise: chroma varies, as in real footage."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    frames = []
    for t in range(n):
        r = 128 + 100 * np.sin((x + 3 * t) / 9)
        g = 128 + 90 * np.cos((y - 2 * t) / 7)
        b = 128 + 80 * np.sin((x + y + t) / 11)
        f = np.stack([r, g, b], -1) + RNG.normal(0, 6, (h, w, 3))
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    return np.stack(frames)


def make_input(path: Path, codec: str, pix_fmt: str, n=8, h=48, w=64, step=3, **cc) -> Path:
    """An ``n``-frame clip in ``pix_fmt`` with frame times 0, step, 2*step, ... (1/25 s units)."""
    frames = scene(n, h, w)
    with av.open(str(path), "w") as out:
        st = out.add_stream(codec, rate=25)
        st.pix_fmt, st.width, st.height = pix_fmt, w, h
        for k, v in cc.items():
            setattr(st.codec_context, k, v)
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            if cc.get("color_range"):
                vf.color_range = cc["color_range"]
            vf = vf.reformat(format=pix_fmt)
            vf.pts = i * step
            for p in st.encode(vf):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return path


def decoded(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as c:
        return list(c.decode(video=0))


def write_with_hole(src: Path, dest: Path):
    """Read ``src`` as the pipeline does, replace a box (the 'hole') and write it with --codec ffv1."""
    frames, info = read_video(src)
    hole = np.zeros(frames.shape[:3], bool)
    hole[:, 9:22, 13:30] = True  # odd edges: chroma blocks half in the hole
    hole[3, :, :] = False  # a frame without a hole: every sample is the input's
    out = frames.copy()
    out[hole] = 255 - out[hole]
    with FrameWriter(dest, info, codec="ffv1", copy_streams_from=src) as w:
        w.write(out[:5])
        w.write(out[5:])  # in two calls, as the windows arrive
        w.finish(info.frames, src)
    return out, hole


def check_native(src: Path, dest: Path, out: np.ndarray, hole: np.ndarray, expect_fmt: str) -> None:
    a, b = decoded(src), decoded(dest)
    assert len(b) == len(a) == len(out)
    assert b[0].format.name == expect_fmt
    assert [f.time for f in b] == [f.time for f in a]  # every frame's presentation time kept
    for k, (fa, fb) in enumerate(zip(a, b)):
        like = av.VideoFrame.from_ndarray(out[k], format="rgb24")
        like.colorspace, like.color_range = fa.colorspace, fa.color_range
        conv = plane_arrays(like.reformat(format=fa.format.name))
        for pa, pb, pc in zip(plane_arrays(fa), plane_arrays(fb), conv):
            touched = hole[k] if pa.shape == hole[k].shape else block_any(hole[k], pa.shape)
            np.testing.assert_array_equal(pb[~touched], pa[~touched])  # the input's own samples
            np.testing.assert_array_equal(pb[touched], pc[touched])  # the written RGB, converted
        assert not np.array_equal(plane_arrays(fb)[0], plane_arrays(fa)[0]) or not hole[k].any()
        # decoded to RGB (the output keeps the input's chroma siting, which the decoder interpolates
        # by): the input's pixels, but for chroma shared with the hole within a few pixels of it
        near = cv2.dilate(hole[k].astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
        np.testing.assert_array_equal(fb.to_ndarray(format="rgb24")[~near], fa.to_ndarray(format="rgb24")[~near])


@pytest.mark.parametrize("codec,pix_fmt,size", [
    ("libx264", "yuv420p10le", (48, 64)),  # 10-bit H.264: stays 10-bit 4:2:0
    ("libx264", "yuv420p", (48, 64)),  # 8-bit: the decoded YUV samples, not an RGB round trip
    ("ffv1", "yuv420p", (47, 65)),  # odd-sized 4:2:0 stays 4:2:0
    ("ffv1", "yuv422p12le", (48, 64)),
    ("ffv1", "gray10le", (47, 64)),
    ("libx264", "yuv422p10le", (48, 64)),
    ("ffv1", "yuv410p", (47, 63)),  # 4x4 chroma blocks, partial at both edges
    ("ffv1", "yuv420p16le", (48, 64)),
])
def test_ffv1_output_keeps_the_inputs_format_and_samples(tmp_path, codec, pix_fmt, size):
    h, w = size
    src = make_input(tmp_path / f"in.{'mp4' if codec == 'libx264' else 'mkv'}", codec, pix_fmt, h=h, w=w)
    dest = tmp_path / "out.mkv"
    out, hole = write_with_hole(src, dest)
    check_native(src, dest, out, hole, pix_fmt)


def test_chroma_siting_is_kept(tmp_path):
    """H.264's 4:2:0 chroma sits left; FFV1 stores no siting of its own, so the .mkv must carry it
    (a 10-bit decoder and players interpolate chroma by it)."""
    from media.native import chroma_location

    src = make_input(tmp_path / "in.mp4", "libx264", "yuv420p10le")
    dest = tmp_path / "out.mkv"
    write_with_hole(src, dest)
    with av.open(str(src)) as a, av.open(str(dest)) as b:
        fa, fb = next(a.decode(video=0)), next(b.decode(video=0))
        assert chroma_location(fa, a.streams.video[0]) == "left"
        assert chroma_location(fb, b.streams.video[0]) == "left"


def test_full_range_and_bt709_tags_are_kept(tmp_path):
    """A full-range BT.709 input: the output says so, and its hole is converted with that matrix and range."""
    src = make_input(tmp_path / "in.mkv", "ffv1", "yuv444p10le", color_range=2, colorspace=1, color_primaries=1,
                     color_trc=1)
    dest = tmp_path / "out.mkv"
    out, hole = write_with_hole(src, dest)
    check_native(src, dest, out, hole, "yuv444p10le")
    with av.open(str(dest)) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.color_range, cc.colorspace, cc.color_primaries, cc.color_trc) == (2, 1, 1, 1)
    back = read_video(dest)[0]
    assert np.abs(back[hole].astype(int) - out[hole]).mean() < 1.5  # decodes to about the RGB written


def test_full_range_jpeg_format_is_written_as_its_yuv_twin(tmp_path):
    src = make_input(tmp_path / "in.mp4", "libx264", "yuvj420p")
    dest = tmp_path / "out.mkv"
    out, hole = write_with_hole(src, dest)
    b = decoded(dest)
    assert b[0].format.name == "yuv420p" and b[0].color_range == 2
    for fa, fb in zip(decoded(src), b):
        np.testing.assert_array_equal(plane_arrays(fb)[0][~hole[0]], plane_arrays(fa)[0][~hole[0]])


def test_untouched_video_is_copied_sample_for_sample(tmp_path):
    src = make_input(tmp_path / "in.mp4", "libx264", "yuv420p10le")
    frames, info = read_video(src)
    dest = tmp_path / "same.mkv"
    with FrameWriter(dest, info, codec="ffv1", copy_streams_from=src) as w:
        w.write(frames)
        w.commit()
    for fa, fb in zip(decoded(src), decoded(dest)):
        assert fb.format.name == "yuv420p10le"
        for pa, pb in zip(plane_arrays(fa), plane_arrays(fb)):
            np.testing.assert_array_equal(pa, pb)


@pytest.mark.parametrize("pix_fmt,source", [("bgr0", True), ("yuv420p10le", False)])
def test_rgb_sources_and_frames_of_no_input_stay_packed_rgb(tmp_path, pix_fmt, source):
    """No YUV input to keep (an RGB input; or frames written without the input they come from, as a
    benchmark writes its masked inputs): lossless RGB (bgr0), a bit-exact round trip of the frames."""
    src = make_input(tmp_path / "in.mkv", "ffv1", pix_fmt)
    frames, info = read_video(src)
    dest = tmp_path / "out.mkv"
    with FrameWriter(dest, info, codec="ffv1", copy_streams_from=src if source else None) as w:
        w.write(frames[::-1])
        w.commit()
    assert decoded(dest)[0].format.name == "bgr0"
    np.testing.assert_array_equal(read_video(dest)[0], frames[::-1])


def test_isvi_inpaint_keeps_a_10_bit_input(tmp_path):
    """End to end: `isvi inpaint --codec ffv1` on a 10-bit H.264 clip with a variable frame rate."""
    from isvi.cli import main

    src = make_input(tmp_path / "in.mp4", "libx264", "yuv420p10le", n=10, h=48, w=64, step=2)
    dest = tmp_path / "clean.mkv"
    assert main(["inpaint", str(src), "--box", "20,12,14,10", "-o", str(dest), "--codec", "ffv1",
                 "--dilate", "1", "-q"]) == 0
    a, b = decoded(src), decoded(dest)
    assert len(b) == 10 and b[0].format.name == "yuv420p10le"
    assert [f.time for f in b] == [f.time for f in a]
    hole = np.zeros((48, 64), bool)
    hole[11:23, 19:35] = True  # the box grown by --dilate 1
    for fa, fb in zip(a, b):
        for pa, pb in zip(plane_arrays(fa), plane_arrays(fb)):
            touched = hole if pa.shape == hole.shape else block_any(hole, pa.shape)
            np.testing.assert_array_equal(pb[~touched], pa[~touched])
        assert (plane_arrays(fb)[0][12:22, 20:34] != plane_arrays(fa)[0][12:22, 20:34]).any()  # inpainted
