"""Shot detection with FFmpeg's scdet filter."""

from pathlib import Path

from tests.batch_clips import cut_clip, write_clip


def test_detect_shots_finds_the_cut_and_nothing_else(tmp_path):
    from media.video import VideoSource
    from media.shots import detect_shots

    cut = write_clip(tmp_path / "cut.mkv", cut_clip(20, 20))
    assert detect_shots(VideoSource(cut), 10.0, 5) == [(0, 20), (20, 40)]
    # a real pan (no cut) stays one shot
    real = Path(__file__).resolve().parents[1] / "assets" / "city_small.mp4"
    assert detect_shots(VideoSource(real), 10.0, 5) == [(0, 24)]
