"""``mask: text`` in the batch: the cached per-video text-mask stage, its key, and the batch's stages over it."""

from dataclasses import replace

import numpy as np
import pytest

from media.text import TextMasks, TextParams
from media.video import read_video
from storage.manifests import VideoItem
from storage.zarr_cache import ZarrCache
from tasks import textmask
from tasks.config import InpaintConfig
from tasks.keys import content_id
from tests.batch_clips import write_clip
from tests.media.text.clips import background, burn_text

CFG = InpaintConfig(mask="text", window_frames=10, overlap_frames=3, flow_preset="ultrafast", codec="ffv1")


def synthetic_masks(frames: int, on: list[int]) -> TextMasks:
    """TextMasks of a 90x160 video searched over its lower half at 48x96, text in frames ``on``."""
    rng = np.random.default_rng(0)
    out = TextMasks(160, 90, (0, 45, 160, 90), (48, 96), 2)
    for k in range(frames):
        m = np.zeros((48, 96), bool)
        if k in on:
            m[10 + k % 5:20 + k % 5, 8:80] = rng.random((10, 72)) > 0.2
        out.packed.append(np.packbits(m) if m.any() else None)
    return out


def test_frame_ranges():
    assert textmask.frame_ranges(np.zeros(5, bool)) == ""
    on = np.zeros(70, bool)
    on[[3]] = True
    on[12:41] = True
    on[55:61] = True
    assert textmask.frame_ranges(on) == "3, 12-40, 55-60"
    assert textmask.frame_ranges(np.ones(4, bool)) == "0-3"


def test_key_follows_the_detector_settings():
    from tasks.config import text_params

    vid = "0123456789abcdef"
    key = textmask.text_key(vid, TextParams())
    assert key == textmask.text_key(vid, text_params(InpaintConfig().text))  # the defaults, as --mask text uses them
    assert key.stage == "textmask" and key.video == vid
    assert textmask.text_key("fedcba9876543210", TextParams()).fp != key.fp
    changed = [replace(TextParams(), dilate_px=5), replace(TextParams(), long_side=640),
               replace(TextParams(), db=replace(TextParams().db, min_height=9.0)),
               replace(TextParams(), gap=4),
               replace(TextParams(), shape="boxes" if TextParams().shape == "glyphs" else "glyphs"),
               replace(TextParams(), glyphs=replace(TextParams().glyphs, grow_px=7))]
    assert len({textmask.text_key(vid, p).fp for p in changed} | {key.fp}) == len(changed) + 1
    assert textmask.text_key(vid, replace(TextParams(), chunk=8)) == key  # memory only: same masks
    # the video's identity carries the detector too: other settings, other stages after it
    fp = textmask.detector_fingerprint(TextParams())
    assert fp == textmask.detector_fingerprint(TextParams())
    assert fp != textmask.detector_fingerprint(replace(TextParams(), dilate_px=5))


def test_content_id_of_a_text_mask(tmp_path):
    clip = write_clip(tmp_path / "a.mkv", background(4))
    a = content_id(clip, "text", (), text_detector="d1")
    assert a == content_id(clip, "text", (), text_detector="d1")
    assert a != content_id(clip, "text", (), text_detector="d2") != content_id(clip, None, ("0,0,4,4",))
    with pytest.raises(ValueError):
        content_id(clip, "text", ())


@pytest.mark.parametrize("on", [[1, 2, 3, 7], []])
def test_cache_roundtrip(tmp_path, on):
    cache = ZarrCache(str(tmp_path / "cache"))
    masks = synthetic_masks(9, on)
    key = textmask.text_key("0123456789abcdef", TextParams())
    textmask.write_text_masks(cache, key, masks)
    assert cache.complete_marker(key)["frames_with_text"] == len(on)
    back = textmask.read_text_masks(cache, key)
    assert (back.width, back.height, back.box, back.shape, back.dilate_px) == \
        (masks.width, masks.height, masks.box, masks.shape, masks.dilate_px)
    np.testing.assert_array_equal(back.has_text, masks.has_text)
    np.testing.assert_array_equal(back.read(0, 9), masks.read(0, 9))
    np.testing.assert_array_equal(textmask.text_frames(cache, "0123456789abcdef", TextParams()), masks.has_text)
    lazy = textmask.cached_text_reader(cache, key)
    for a, b in ((0, 9), (2, 5), (4, 4), (8, 12)):
        np.testing.assert_array_equal(lazy(a, b), masks.read(a, b))


@pytest.fixture(scope="module")
def subtitled(tmp_path_factory):
    d = tmp_path_factory.mktemp("subs")
    clean = background(14, seed=1)  # a pan with no text of its own (the photo has some)
    frames, truth = burn_text(clean, {3: "Hello there, friend", 10: ""})
    return write_clip(d / "subs.mkv", frames), clean, truth


def test_detected_once_then_read_from_the_cache(subtitled, tmp_path, monkeypatch):
    clip, _, truth = subtitled
    cache = ZarrCache(str(tmp_path / "cache"))
    params = TextParams()
    first = textmask.video_text_reader(cache, "0123456789abcdef", str(clip), params)
    # text in 3-9, each mask held one frame before and after
    assert textmask.frame_ranges(textmask.text_frames(cache, "0123456789abcdef", params)) == "2-10"
    holes = first(0, 14)
    assert (holes & truth).sum() / truth.sum() > 0.95

    def no_detection(*args, **kwargs):
        raise AssertionError("the cached masks should have been used")

    monkeypatch.setattr("media.text.detect_text", no_detection)
    again = textmask.video_text_reader(cache, "0123456789abcdef", str(clip), params)
    np.testing.assert_array_equal(again(0, 14), holes)
    for a, b in ((0, 3), (5, 9), (9, 20), (12, 14)):  # any range, read from the cache alone
        np.testing.assert_array_equal(again(a, b), holes[a:b])
    with pytest.raises(AssertionError, match="cached masks"):  # other settings: not that cache entry
        textmask.video_text_reader(cache, "0123456789abcdef", str(clip), replace(params, dilate_px=5))


@pytest.mark.slow  # two inpaintings of the clip (about 10 s)
def test_batch_stages_give_the_frames_of_isvi_inpaint_mask_text(subtitled, tmp_path):
    from tasks.inpaint_video import inpaint_video
    from tests.tasks.test_stages import run_all

    clip, _, truth = subtitled
    cache = ZarrCache(str(tmp_path / "cache"))
    v, refs = run_all(VideoItem(str(clip), "subs.mkv"), tmp_path / "batch.mkv", CFG, cache, detect=False)
    assert v.mask == "text" and not v.passthrough
    assert v.frames_with_text == int(truth.any(axis=(1, 2)).sum()) + 2  # held one frame before and after
    assert v.text_frames == "2-10"
    assert [r["stage"] for r in cache.ls() if r["stage"] == "textmask" and r["complete"]] == ["textmask"]
    inpaint_video(clip, tmp_path / "single.mkv", CFG)
    np.testing.assert_array_equal(read_video(tmp_path / "batch.mkv")[0], read_video(tmp_path / "single.mkv")[0])


def test_a_video_without_text_is_copied_through(tmp_path):
    from tests.tasks.test_stages import run_all

    plain = np.full((6, 120, 200, 3), 90, np.uint8)
    plain[..., 1] = np.linspace(40, 200, 200, dtype=np.uint8)[None, None, :]
    clip = write_clip(tmp_path / "plain.mkv", plain)
    v, _ = run_all(VideoItem(str(clip), "plain.mkv"), tmp_path / "out.mkv", CFG, ZarrCache(str(tmp_path / "c")),
                   detect=False)
    assert v.passthrough and v.frames_with_text == 0 and v.text_frames == ""
    np.testing.assert_array_equal(read_video(tmp_path / "out.mkv")[0], read_video(clip)[0])


def test_batch_text_options_key_the_detection_and_a_rerun_reuses_it(subtitled, tmp_path, monkeypatch):
    """Issue 23: the batch config's text detector settings (``[inpaint.text]``) are what the probe detects
    with, what keys the text-mask stage and the video's id, and what decode and the preview read; the
    same settings again reuse the cached detection, other settings detect afresh."""
    from isvi.cli import build_parser
    from isvi.commands.batch import resolve_job
    from isvi_models.ops.masks import dilate_holes
    from tasks import stages
    from tasks.automask import write_mask_preview
    from tasks.config import text_params
    from tasks.keys import plan_shot
    from tasks.probe import probe_video

    clip, _, truth = subtitled
    toml = tmp_path / "job.toml"
    toml.write_text('[inpaint]\nmask = "text"\ndilate_px = 1\n[inpaint.text]\nshape = "boxes"\n')
    argv = ["batch", str(clip), "-o", str(tmp_path / "out"), "--config", str(toml), "--no-shots",
            "--text-analysis-size", "640"]
    job = resolve_job(build_parser().parse_args(argv))
    assert (job.inpaint.text.shape, job.inpaint.text.analysis_size) == ("boxes", 640)
    glyphs_cfg = job.inpaint.model_copy(update={"text": job.inpaint.text.model_copy(update={"shape": "glyphs"})})
    cache = ZarrCache(str(tmp_path / "cache"))
    item = VideoItem(str(clip), "subs.mkv")
    boxes = probe_video(item, str(tmp_path / "a.mkv"), job.inpaint, cache)
    glyphs = probe_video(item, str(tmp_path / "b.mkv"), glyphs_cfg, cache)
    assert boxes.video_id != glyphs.video_id
    done = {r["fp"] for r in cache.ls() if r["stage"] == "textmask" and r["complete"]}
    box_key = textmask.text_key(boxes.video_id, text_params(job.inpaint.text))
    glyph_key = textmask.text_key(glyphs.video_id, text_params(glyphs_cfg.text))
    assert done == {box_key.fp, glyph_key.fp}
    box_holes = textmask.read_text_masks(cache, box_key).read(0, 14)
    glyph_holes = textmask.read_text_masks(cache, glyph_key).read(0, 14)
    assert (box_holes & truth).sum() / truth.sum() > 0.95
    assert box_holes.sum() > 1.15 * glyph_holes.sum() and not (glyph_holes & ~box_holes).any()

    def no_detection(*args, **kwargs):
        raise AssertionError("the cached masks should have been used")

    monkeypatch.setattr("media.text.detect_text", no_detection)
    again = probe_video(item, str(tmp_path / "a.mkv"), resolve_job(build_parser().parse_args(argv)).inpaint, cache)
    assert again.video_id == boxes.video_id and again.text_frames == boxes.text_frames
    (shot,) = again.shots
    decode = stages.decode_shot(again, shot, plan_shot(again, shot, job.inpaint).decode, job.inpaint, cache)
    holes = cache.read(decode.key, ["holes"])[0]["holes"]
    np.testing.assert_array_equal(holes, dilate_holes(box_holes, 1))  # the boxes, grown by dilate_px
    assert write_mask_preview(again, job.inpaint, cache, str(tmp_path / "p.png")) == str(tmp_path / "p.png")
    with pytest.raises(AssertionError, match="cached masks"):  # another setting: not that cache entry
        other = job.inpaint.model_copy(update={"text": job.inpaint.text.model_copy(update={"dilate_px": 6})})
        probe_video(item, str(tmp_path / "a.mkv"), other, cache)
