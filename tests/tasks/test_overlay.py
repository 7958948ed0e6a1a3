"""A video's overlay from frames spread over it (tasks.overlay), through both front doors."""

import numpy as np
import pytest

from tasks.config import InpaintConfig
from tasks.inpaint_video import inpaint_arrays
from tasks.overlay import video_overlay
from tests.synth import overlaid_scenes, psnr


def _reader(frames, holes):
    return lambda a, b: (frames[a:b], holes[a:b])


def test_samples_spread_over_the_video_find_the_overlay():
    marked, _, hole, alpha = overlaid_scenes(frames=96, scenes=32)
    holes = np.broadcast_to(hole, marked.shape[:3])
    overlay, why = video_overlay(_reader(marked, holes), 96, 48)
    assert overlay is not None, why
    inner = alpha > 0.45
    assert np.median(np.abs(overlay.over(0, 0, *hole.shape)[inner] - alpha[inner])) < 0.04


def test_off_moving_masks_and_frames_without_the_hole():
    marked, _, hole, _ = overlaid_scenes(frames=64)
    holes = np.broadcast_to(hole, marked.shape[:3]).copy()
    assert video_overlay(_reader(marked, holes), 64, 0) == (None, "off")
    moving = holes.copy()
    moving[40] = np.roll(hole, 3, axis=1)
    overlay, why = video_overlay(_reader(marked, moving), 64, 64)
    assert overlay is None and "not one static hole" in why
    shown = holes.copy()
    shown[::2] = False  # a detected overlay's hole only where it shows: those frames are skipped
    assert video_overlay(_reader(marked, shown), 64, 64)[0] is not None
    assert video_overlay(_reader(marked, np.zeros_like(holes)), 64, 64) == (None, "no hole in the sampled frames")


@pytest.mark.slow  # two inpaintings of 32 frames, 16 windows of key frames
def test_inpainting_a_video_of_many_shots_under_one_overlay():
    """A fixed camera per shot, so no chain reaches behind the overlay: undoing it beats the spatial fill
    by far; with ``unblend_samples=0`` (the default) the result is the fill's."""
    marked, clean, hole, _ = overlaid_scenes(frames=32, scenes=16)
    holes = np.broadcast_to(hole, marked.shape[:3]).copy()
    cfg = dict(window_frames=20, overlap_frames=4, flow_preset="ultrafast", detect_shots=False)
    undone = inpaint_arrays(marked, holes, InpaintConfig(unblend_samples=64, **cfg))
    filled = inpaint_arrays(marked, holes, InpaintConfig(unblend_samples=0, **cfg))
    truth = clean[holes] / 255.0
    assert psnr(undone[holes] / 255.0, truth) > psnr(filled[holes] / 255.0, truth) + 8
    np.testing.assert_array_equal(undone[~holes], marked[~holes])
