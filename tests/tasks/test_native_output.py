"""The batch's encode stage writes through the same writer as `isvi inpaint`: with ffv1, a 10-bit
input stays 10-bit, its samples outside the hole kept, and both front doors give the same file."""

import av
import numpy as np

from media.native import block_any, plane_arrays
from storage.manifests import VideoItem
from storage.zarr_cache import ZarrCache
from tests.batch_clips import pan_frames
from tests.tasks.test_stages import CFG, run_all


def test_batch_and_inpaint_keep_a_10_bit_input(tmp_path):
    from tasks.inpaint_video import inpaint_video

    src = tmp_path / "pan10.mkv"
    frames = pan_frames(24)
    with av.open(str(src), "w") as out:
        st = out.add_stream("ffv1", rate=25)
        st.pix_fmt, st.width, st.height = "yuv420p10le", frames.shape[2], frames.shape[1]
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv420p10le")
            vf.pts = i
            for p in st.encode(vf):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    run_all(VideoItem(str(src), "pan10.mkv"), tmp_path / "batch.mkv", CFG, ZarrCache(str(tmp_path / "c")),
            detect=False)
    inpaint_video(src, tmp_path / "single.mkv", CFG)
    hole = np.zeros(frames.shape[1:3], bool)
    hole[12:28, 18:36] = True  # CFG's box 20,14,14,12 grown by dilate_px=2
    with av.open(str(src)) as a, av.open(str(tmp_path / "batch.mkv")) as b, av.open(str(tmp_path / "single.mkv")) as c:
        fa, fb, fc = list(a.decode(video=0)), list(b.decode(video=0)), list(c.decode(video=0))
    assert len(fb) == len(fc) == 24 and fb[0].format.name == "yuv420p10le"
    for x, y, z in zip(fa, fb, fc):
        for pa, pb, pc in zip(plane_arrays(x), plane_arrays(y), plane_arrays(z)):
            np.testing.assert_array_equal(pb, pc)  # one writer for both
            touched = hole if pa.shape == hole.shape else block_any(hole, pa.shape)
            np.testing.assert_array_equal(pb[~touched], pa[~touched])
