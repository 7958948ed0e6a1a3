import numpy as np

from tasks.config import InpaintConfig
from tasks.config import method_settings
from tasks.inpaint_video import inpaint_arrays
from tests.synth import panned_clip, psnr, square_holes


class TestInpaintArrays:
    @staticmethod
    def _clip():
        clip = (panned_clip(frames=20, height=96, width=128, dx=2) * 255).astype(np.uint8)
        holes = square_holes(20, 96, 128, box=(30, 60, 40, 70))
        blank = clip.copy()
        blank[holes] = 0
        return clip, holes, blank

    def test_overlapping_windows_keep_outside_pixels_and_fill_the_hole(self):
        clip, holes, blank = self._clip()
        # 16-frame windows: the 30 px hole at 2 px per frame is uncovered within one window
        cfg = InpaintConfig(window_frames=16, overlap_frames=3, dilate_px=0, roi=False)
        out = inpaint_arrays(blank, holes, cfg)
        assert out.shape == clip.shape and out.dtype == np.uint8
        np.testing.assert_array_equal(out[~holes], blank[~holes])
        assert psnr(out[holes] / 255.0, clip[holes] / 255.0) > 35.0

    def test_max_trace_reaches_propagation(self):
        """The 30 px hole at 2 px a frame is traced up to ~30 px; a 4 px cap leaves most of
        it to the key-frame fill, which a smooth spatial fill does worse than propagation."""
        clip, holes, blank = self._clip()
        assert method_settings(InpaintConfig()).max_trace_px == float("inf")
        assert method_settings(InpaintConfig(max_trace_px=4)).max_trace_px == 4
        cfg = dict(window_frames=16, overlap_frames=3, dilate_px=0, roi=False, spatial_fill="telea")
        traced = inpaint_arrays(blank, holes, InpaintConfig(**cfg))
        capped = inpaint_arrays(blank, holes, InpaintConfig(**cfg, max_trace_px=4))
        np.testing.assert_array_equal(capped[~holes], blank[~holes])
        assert psnr(capped[holes] / 255.0, clip[holes] / 255.0) < psnr(traced[holes] / 255.0, clip[holes] / 255.0) - 3

    def test_downscaled_working_size_is_composited_at_full_resolution(self):
        clip, holes, blank = self._clip()
        out = inpaint_arrays(blank, holes, InpaintConfig(max_side=64, dilate_px=0, roi=False))
        np.testing.assert_array_equal(out[~holes], blank[~holes])
        # softer than at full size, but far from the blank hole (which scores about 6 dB)
        assert psnr(out[holes] / 255.0, clip[holes] / 255.0) > psnr(blank[holes] / 255.0, clip[holes] / 255.0) + 10

    def test_dilation_grows_the_replaced_area_only(self):
        clip = (panned_clip(frames=6, height=64, width=80, dx=2) * 255).astype(np.uint8)
        holes = square_holes(6, 64, 80, box=(20, 30, 30, 40))
        out = inpaint_arrays(clip, holes, InpaintConfig(dilate_px=3))
        changed = (out != clip).any(axis=-1)
        assert not changed[:, :16].any() and not changed[:, 34:].any()  # beyond hole + 3 px

    def test_empty_mask_returns_the_input(self):
        clip = (panned_clip(frames=3, height=32, width=32) * 255).astype(np.uint8)
        np.testing.assert_array_equal(inpaint_arrays(clip, np.zeros((3, 32, 32), bool)), clip)


def test_a_cut_splits_the_video_into_shots_that_share_nothing(tmp_path):
    """Two shots of different photos, one hole over both: the video is cut into the two shots and
    the second shot's output is exactly what that shot alone gives (no content taken across the
    cut). With --no-shots too: one window then spans the cut, but the flows across it fail their
    round trip almost everywhere and no chain crosses it (``propagation.broken_pairs``)."""
    from media.video import VideoSource, read_video
    from tasks.inpaint_video import inpaint_video, video_shots
    from tests.batch_clips import cut_clip, write_clip

    frames = cut_clip(20, 20)
    cut = write_clip(tmp_path / "cut.mkv", frames)
    second = write_clip(tmp_path / "second.mkv", frames[20:])
    cfg = InpaintConfig(box=("20,14,20,18",), codec="ffv1", quiet=True)
    with VideoSource(cut) as src:
        assert video_shots(src, cfg) == [(0, 20), (20, 40)]
    inpaint_video(cut, tmp_path / "cut_out.mkv", cfg)
    inpaint_video(second, tmp_path / "second_out.mkv", cfg)
    inpaint_video(cut, tmp_path / "one_shot.mkv", cfg.model_copy(update={"detect_shots": False}))
    both, alone = read_video(tmp_path / "cut_out.mkv")[0], read_video(tmp_path / "second_out.mkv")[0]
    assert both.shape == frames.shape
    np.testing.assert_array_equal(both[20:], alone)
    np.testing.assert_array_equal(read_video(tmp_path / "one_shot.mkv")[0][20:], alone)


def _revealed_after(frames=60, hidden_until=30):
    """A fixed camera on a textured scene; a hole over the same place in the first ``hidden_until``
    frames only, so the frames that show what it hides lie past the first window."""
    from tests.synth import photo

    scene = (photo()[:96, :128] * 255).astype(np.uint8)
    clip = np.repeat(scene[None], frames, axis=0)
    holes = np.zeros(clip.shape[:3], bool)
    holes[:hidden_until, 30:60, 40:80] = True
    blank = clip.copy()
    blank[holes] = 0
    return clip, holes, blank


def test_references_reach_content_shown_only_past_the_window():
    """Window 0 (frames 0-23) never sees under the hole; frame 30 does. With references the key frame
    copies it (the flow between the frames is zero); without, the hole is a spatial fill."""
    clip, holes, blank = _revealed_after()
    base = dict(window_frames=24, overlap_frames=4, dilate_px=0, roi=False)
    far = inpaint_arrays(blank, holes, InpaintConfig(**base))
    near = inpaint_arrays(blank, holes, InpaintConfig(**base, reference_stride=0))
    np.testing.assert_array_equal(far[~holes], blank[~holes])
    first = holes[:24]
    assert psnr(far[:24][first] / 255.0, clip[:24][first] / 255.0) > 40.0
    assert psnr(near[:24][first] / 255.0, clip[:24][first] / 255.0) < 30.0


def test_each_reference_is_read_once_and_only_a_bounded_set_is_kept():
    from isvi_models.windows import plan_windows, reference_times
    from tasks.inpaint_video import ReferenceFrames

    n = 250  # frame t is filled with t (uint8)
    video = np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 3), np.uint8)
    holes = np.zeros((n, 4, 4), bool)
    reads: list[int] = []

    def read_one(t):
        reads.append(t)
        return video[t], holes[t]

    refs = ReferenceFrames(read_one, n, stride=10, count=8)
    for win in plan_windows(n, 48, 8):
        got = refs.for_window(win, video[win.start:win.stop], holes[win.start:win.stop])
        times = [int(f[0, 0, 0]) for f in got.frames]
        assert times == reference_times(win, n, 10, 8)  # the frames themselves
        assert sum(not win.start <= t < win.stop for t in times) == 8
        assert len(refs.kept) <= 8 + 2 * (48 // 10 + 1)
    assert len(reads) == len(set(reads))  # never read twice
