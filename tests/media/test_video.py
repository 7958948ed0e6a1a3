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
