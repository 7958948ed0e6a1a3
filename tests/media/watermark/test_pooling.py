"""Several videos of one source pooled into one estimate (:func:`media.watermark.detect_watermark`,
:func:`media.watermark.detect_pooled_overlay`), in one resolution or several."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from isvi_models.errors import InputError
from media.masks import fit_frame, fit_mask, same_aspect
from media.watermark import DetectionParams, detect_pooled_overlay, detect_watermark
from media.watermark_synth import overlay_watermark
from tests.batch_clips import write_clip
from tests.media.watermark.helpers import coverage, near_fraction, static_logo_videos

KEEP_ALL = DetectionParams(dedupe_level=0)  # still frames with sensor noise only: keep every one

def test_pooling_static_camera_videos_of_one_source(tmp_path):
    """Each video alone is too static; five different scenes with the same logo are not."""
    videos, overlay = static_logo_videos()
    paths = []
    for k, marked in enumerate(videos):
        paths.append(tmp_path / f"v{k}.mkv")
        write_clip(paths[-1], marked)
    with pytest.raises(InputError, match="too static"):
        detect_watermark(paths[:1], params=KEEP_ALL)
    est = detect_watermark(paths, max_frames_per_video=4, params=KEEP_ALL)
    assert est.videos == 5 and est.frames_used == 20
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80


def test_pooling_frames_in_memory_names_the_videos():
    videos, overlay = static_logo_videos()
    with pytest.raises(InputError, match="too static") as info:
        detect_pooled_overlay([("cam-a", videos[0]), ("cam-b", videos[1][:1])], params=KEEP_ALL)
    assert "cam-a, cam-b" in str(info.value)
    est = detect_pooled_overlay([(f"cam-{k}", iter(list(v))) for k, v in enumerate(videos)], params=KEEP_ALL)
    assert est.videos == 5 and est.frames_used == 30
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80


def test_videos_of_another_aspect_ratio_are_refused(tmp_path, astronaut_pan):
    a, b = tmp_path / "a.mkv", tmp_path / "b.mkv"
    write_clip(a, astronaut_pan[:5])
    write_clip(b, astronaut_pan[:5, :96, :256])
    with pytest.raises(InputError, match="b.mkv") as info:
        detect_watermark([b, a])
    assert "aspect ratio" in str(info.value)


def test_pooling_videos_of_several_resolutions(tmp_path):
    """A channel's videos at 256x192 and 512x384, each scene too static alone, its logo drawn
    at each size: pooled at the larger size, and each size's mask holds its own logo."""
    videos, small_overlay = static_logo_videos()
    photos = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket(),
              skimage.data.immunohistochemistry()]
    paths, large_overlay = [], None
    for k, marked in enumerate(videos):
        if k % 2:  # the same scene at twice the size, the logo drawn at that size
            scene = cv2.resize(photos[k][:192, :256], (512, 384), interpolation=cv2.INTER_CUBIC)
            noise = np.random.default_rng(k).normal(0, 1.0, (6, 384, 512, 3))
            still = np.clip(scene[None] + noise, 0, 255).astype(np.uint8)
            marked, large_overlay = overlay_watermark(still, "logo", 0, alpha=0.5, colour=(255, 255, 255))
        paths.append(tmp_path / f"v{k}.mkv")
        write_clip(paths[-1], marked)
    est = detect_watermark(paths, max_frames_per_video=4, params=KEEP_ALL)
    assert est.videos == 5 and est.mask.shape == (384, 512)
    assert est.template.size == (384, 512)
    for overlay in (small_overlay, large_overlay):
        mask = est.mask_at(*overlay.shape)
        assert mask.shape == overlay.shape
        assert coverage(mask, overlay) >= 0.95
        assert near_fraction(mask, overlay) >= 0.80
    # The inputs' order does not choose the size.
    again = detect_watermark(paths[1:] + paths[:1], max_frames_per_video=4, params=KEEP_ALL)
    assert again.mask.shape == (384, 512)
    # A frame of the smaller size is measured as the detection saw it: fitted to the larger.
    assert est.template.strength(videos[0][0]) > 0.5
    assert est.template.strength(videos[0][0]) == pytest.approx(
        est.template.strength(fit_frame(videos[0][0], (384, 512))))


def test_fit_mask_keeps_every_fringe_pixel():
    """Scaled down, a pixel partly in the hole is in it; scaled up, every pixel of the hole
    stays in it, with at most a pixel's fringe added."""
    mask = np.zeros((90, 160), bool)
    mask[31:40, 101:130] = True
    small = fit_mask(mask, (45, 80))
    assert small[15:20, 50:65].all() and small.sum() == 5 * 15
    big = fit_mask(mask, (180, 320))
    exact = np.repeat(np.repeat(mask, 2, 0), 2, 1)
    fringe = cv2.dilate(exact.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert big[exact].all() and not (big & ~fringe).any()
    assert fit_mask(mask, (90, 160)) is mask
    assert not same_aspect((256, 192), (256, 96)) and same_aspect((854, 480), (1920, 1080))


def test_missing_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        detect_watermark([tmp_path / "nope.mp4"])
