"""``--mask auto`` in the batch: detections cached per video and per pool, presence, previews."""

from pathlib import Path

import numpy as np
import pytest

from media.video import read_video
from storage.manifests import VideoItem
from storage.zarr_cache import ZarrCache
from tasks.config import InpaintConfig
from tests.batch_clips import write_clip
from tests.tasks.test_stages import run_all
from tasks import automask
from tasks.keys import content_id, decode_key
from tasks.probe import probe_video


def test_auto_mask_is_detected_once_cached_and_removes_the_logo(tmp_path, monkeypatch):
    import skimage.data

    from media.watermark_synth import overlay_watermark, pan_clip

    clean = pan_clip(skimage.data.astronaut(), n=30, size=(192, 256), seed=1)
    marked, footprint = overlay_watermark(clean, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    clip = write_clip(tmp_path / "marked.mkv", marked)
    cfg = InpaintConfig(mask="auto", dilate_px=0, codec="ffv1")
    cache = ZarrCache(str(tmp_path / "cache"))
    v, _ = run_all(VideoItem(str(clip), "marked.mkv"), tmp_path / "out.mkv", cfg, cache)
    assert v.mask == "auto"
    assert [r["stage"] for r in cache.ls() if r["stage"] == "automask" and r["complete"]] == ["automask"]
    result, _ = read_video(tmp_path / "out.mkv")
    holes = np.broadcast_to(footprint, clean.shape[:3])
    err = lambda x: float(np.mean((x.astype(float) - clean.astype(float))[holes] ** 2))  # noqa: E731
    assert err(result) < err(marked) / 4  # the logo is gone, not just touched
    # a second probe reuses the cached detection: running the detector again would fail here
    def no_second_detection(*args, **kwargs):
        raise AssertionError("the cached mask should have been used")

    monkeypatch.setattr("media.watermark.detection.detect_watermark", no_second_detection)
    again = probe_video(VideoItem(str(clip), "marked.mkv"), str(tmp_path / "out2.mkv"), cfg, cache)
    assert again.video_id == v.video_id and not again.passthrough


def test_auto_mask_preview_shows_a_frame_that_carries_the_logo(tmp_path):
    """A logo absent from the middle third: the batch preview shows a frame with it, not the
    middle frame (the mask tinted over clean content would look like a wrong mask)."""
    import cv2
    import skimage.data

    from media.watermark_synth import overlay_watermark, pan_clip
    from tests.media.watermark.helpers import overlay_on

    clean = pan_clip(skimage.data.astronaut(), n=30, size=(192, 256), seed=1)
    marked, footprint = overlay_watermark(clean, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    on = overlay_on(30, "middle", 9)
    clip = write_clip(tmp_path / "break.mkv", np.where(on[:, None, None, None], marked, clean))
    cfg = InpaintConfig(mask="auto", dilate_px=0, codec="ffv1")
    cache = ZarrCache(str(tmp_path / "cache"))
    v = probe_video(VideoItem(str(clip), "break.mkv"), str(tmp_path / "out.mkv"), cfg, cache)
    url = automask.write_mask_preview(v, cfg, cache, str(tmp_path / "preview.png"))
    shown = cv2.cvtColor(cv2.imread(url), cv2.COLOR_BGR2RGB)[:, :256].astype(float)
    gaps = [np.abs(shown - frame.astype(float))[footprint].mean() for frame in np.where(
        on[:, None, None, None], marked, clean)]
    assert on[int(np.argmin(gaps))] and min(gaps) < 3


def test_auto_mask_leaves_the_frames_without_the_logo_and_caches_which_they_are(tmp_path, monkeypatch):
    """A logo that leaves after 22 of 36 frames: the batch inpaints only the frames that show
    it (and 2 guard frames), as ``isvi inpaint`` does; which frames those are is measured
    once per video and cached, and ``auto_mask_frames="all"`` is a different decode."""
    import skimage.data

    from media.watermark_synth import overlay_watermark, pan_clip

    clean = pan_clip(skimage.data.astronaut(), n=36, size=(192, 256), seed=1)
    marked, footprint = overlay_watermark(clean, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    on = np.arange(36) < 22
    clip = write_clip(tmp_path / "leaves.mkv", np.where(on[:, None, None, None], marked, clean))
    cfg = InpaintConfig(mask="auto", codec="ffv1")
    cache = ZarrCache(str(tmp_path / "cache"))
    item = VideoItem(str(clip), "leaves.mkv")
    v, _ = run_all(item, tmp_path / "out.mkv", cfg, cache, detect=False)
    assert v.frames_with_hole == 24  # the report's count
    result, _ = read_video(tmp_path / "out.mkv")
    np.testing.assert_array_equal(result[24:], clean[24:])
    holes = np.broadcast_to(footprint, clean[:22].shape[:3])
    err = lambda x: float(np.mean((x[:22].astype(float) - clean[:22].astype(float))[holes] ** 2))  # noqa: E731
    assert err(result) < err(marked) / 4
    assert [r["stage"] for r in cache.ls() if r["stage"] == "presence" and r["complete"]] == ["presence"]

    def no_second_pass(*args, **kwargs):
        raise AssertionError("the cached frame strengths should have been used")

    monkeypatch.setattr("media.watermark.video_overlay_strengths", no_second_pass)
    probe_video(item, str(tmp_path / "again.mkv"), cfg.model_copy(update={"detect_shots": False}), cache)
    every = cfg.model_copy(update={"auto_mask_frames": "all"})
    assert decode_key(v, v.shots[0], every) != decode_key(v, v.shots[0], cfg)


def test_pooled_auto_mask_finds_a_logo_no_single_video_shows(tmp_path, monkeypatch):
    """Seven static shots of one channel: each alone is refused; their pool finds the logo, once."""
    from isvi_models.errors import InputError
    from tests.batch_clips import logo_stills

    clean, videos, footprint = logo_stills(7)
    (tmp_path / "chan").mkdir()
    (tmp_path / "solo").mkdir()
    items = [VideoItem(str(write_clip(tmp_path / "chan" / f"v{k}.mkv", v)), f"chan/v{k}.mkv")
             for k, v in enumerate(videos)]
    (tmp_path / "chan" / "bad.mp4").write_bytes(b"not a video")
    bad = VideoItem(str(tmp_path / "chan" / "bad.mp4"), "chan/bad.mp4")
    solo = VideoItem(str(write_clip(tmp_path / "solo" / "s.mkv", videos[0])), "solo/s.mkv")
    cfg = InpaintConfig(mask="auto", dilate_px=0, codec="ffv1")
    own = VideoItem(str(tmp_path / "chan" / "v0.mkv"), "chan/own.mkv", mask=None, boxes=("1,1,4,4",), own_mask=True)
    everything = [*items, bad, solo, own]
    assert automask.auto_mask_pools(everything, cfg, "video") == []
    assert automask.auto_mask_pools(everything, cfg, "folder") == [[*items, bad], [solo]]
    assert automask.auto_mask_pools(everything, cfg, "job") == [[*items, bad, solo]]
    cache = ZarrCache(str(tmp_path / "cache"))

    with pytest.raises(InputError, match="too static"):  # one video alone
        probe_video(items[0], str(tmp_path / "alone.mkv"), cfg, cache)
    refused = automask.detect_pool_masks([solo], cfg, cache)
    assert refused.pools == {} and "solo/s.mkv" in refused.errors["solo/s.mkv"]
    assert "too static" in refused.errors["solo/s.mkv"]

    pooled = automask.detect_pool_masks([*items, bad], cfg, cache)
    assert pooled.errors == {} and set(pooled.pools) == {i.name for i in items}  # bad.mp4 left to its probe
    pool = pooled.pools["chan/v3.mkv"]
    assert set(pooled.pools.values()) == {pool}
    mask = np.asarray(cache.read(automask.pool_mask_key(pool), ["mask"])[0]["mask"][0], bool)
    assert mask[footprint].mean() >= 0.95 and footprint[mask].mean() >= 0.5
    # and per member, the frame to preview it on
    clearest = cache.open(automask.pool_mask_key(pool)).attrs["clearest_frame"]
    assert set(clearest) == {i.name for i in items} and all(0 <= k < len(videos[0]) for k in clearest.values())

    v, _ = run_all(items[3], tmp_path / "out.mkv", cfg, cache, mask_pool=pool)
    assert v.mask_pool == pool and v.video_id != content_id(Path(items[3].source), "auto", ())
    result, _ = read_video(tmp_path / "out.mkv")
    holes = np.broadcast_to(footprint, videos[3].shape[:3])
    err = lambda x: float(np.mean((x.astype(float) - clean[3].astype(float))[holes] ** 2))  # noqa: E731
    assert err(result) < err(videos[3]) / 4  # the logo is gone, not just touched

    def no_second_detection(*args, **kwargs):
        raise AssertionError("the cached pooled mask should have been used")

    monkeypatch.setattr("media.watermark.detect_watermark", no_second_detection)
    assert automask.detect_pool_masks([*items, bad], cfg, cache) == pooled
    with pytest.raises(AssertionError, match="cached pooled mask"):  # a pool that lost a video is new
        automask.detect_pool_masks(items[1:], cfg, cache)


def test_pooled_auto_mask_spans_resolutions_of_one_aspect_ratio(tmp_path):
    """A channel folder with its shots at 256x192 and, downscaled as a platform transcodes
    them, 128x96 is one pool, not two (the small ones alone are too static); each video gets
    the mask at its own size. A 4:1 video in the same folder is pooled apart."""
    import cv2

    from media.masks import fit_mask
    from tests.batch_clips import logo_stills

    clean_l, large, footprint_l = logo_stills(7, size=(192, 256))
    down = lambda v: np.stack([cv2.resize(f, (128, 96), interpolation=cv2.INTER_AREA) for f in v])  # noqa: E731
    clean_s, small, footprint_s = [down(v) for v in clean_l], [down(v) for v in large], fit_mask(footprint_l, (96, 128))
    videos = [large[k] if k % 2 else small[k] for k in range(7)]
    items = [VideoItem(str(write_clip(tmp_path / f"v{k}.mkv", v)), f"chan/v{k}.mkv") for k, v in enumerate(videos)]
    wide = VideoItem(str(write_clip(tmp_path / "wide.mkv", small[0][:, :32])), "chan/wide.mkv")
    cfg = InpaintConfig(mask="auto", dilate_px=0, codec="ffv1")
    cache = ZarrCache(str(tmp_path / "cache"))

    alone = automask.detect_pool_masks(items[::2], cfg, cache)  # the four small ones
    assert alone.pools == {} and "too static" in alone.errors["chan/v0.mkv"]
    pooled = automask.detect_pool_masks([*items, wide], cfg, cache)
    assert set(pooled.pools) == {i.name for i in items}  # the wide one is its own pool, refused
    assert "chan/wide.mkv" in pooled.errors and len(set(pooled.pools.values())) == 1
    pool = pooled.pools["chan/v0.mkv"]
    assert cache.open(automask.pool_mask_key(pool)).attrs["template_size"] == [192, 256]

    for k, clean, footprint in ((2, clean_s[2], footprint_s), (3, clean_l[3], footprint_l)):
        v, _ = run_all(items[k], tmp_path / f"out{k}.mkv", cfg, cache, mask_pool=pool)
        assert (v.height, v.width) == footprint.shape and v.frames_with_hole == len(videos[k])
        hole, _ = automask._pooled_mask(cache, pool, v.local, footprint.shape)
        assert hole[footprint].mean() >= 0.95 and footprint[hole].mean() >= 0.5  # the mask at its size
        result, _ = read_video(tmp_path / f"out{k}.mkv")
        holes = np.broadcast_to(footprint, videos[k].shape[:3])
        err = lambda x: float(np.mean((x.astype(float) - clean.astype(float))[holes] ** 2))  # noqa: E731
        assert err(result) < err(videos[k]) / 2  # the logo is gone at either size (a static shot: spatial fill)
