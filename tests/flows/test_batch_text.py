"""End to end: ``isvi batch --mask text`` on a real Prefect server and Dask cluster (burnt-in subtitles made here)."""

import json

import numpy as np
import pytest

from isvi.cli import main
from media.video import read_video
from storage.zarr_cache import ZarrCache
from tasks import textmask
from tests.batch_clips import write_clip
from tests.media.text.clips import background, burn_text

pytestmark = pytest.mark.slow  # a real Prefect server and Dask cluster per run

METHOD = ["--mask", "text", "--dilate", "1", "--window", "10", "--overlap", "3", "--flow-preset", "ultrafast",
          "--codec", "ffv1", "--workers", "2", "--no-shots"]


def test_batch_mask_text(prefect_api, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    clean = background(14, seed=1)  # a pan with no text of its own (the photo has some elsewhere)
    burnt, truth = burn_text(clean, {3: "Hello there, friend", 10: ""})
    write_clip(src / "subs.mkv", burnt)
    plain = np.full((6, 120, 200, 3), 90, np.uint8)
    plain[..., 1] = np.linspace(40, 200, 200, dtype=np.uint8)[None, None, :]
    write_clip(src / "plain.mkv", plain)
    dest = tmp_path / "out"
    assert main(["batch", str(src), "-o", str(dest), *METHOD, "--keep-cache"]) == 0
    rows = {r["name"]: r for r in json.loads((dest / "isvi-report.json").read_text())["videos"]}
    subs, none = rows["subs.mkv"], rows["plain.mkv"]
    assert subs["status"] == "done" and none["status"] == "done"
    # the report names the frames with text: 3-9, each mask held one frame before and after
    assert (subs["frames_with_text"], subs["text_frames"], subs["note"]) == (9, "2-10", "")
    assert (none["frames_with_text"], none["text_frames"]) == (0, "")
    assert none["note"] == "no text found; copied through"
    out, _ = read_video(dest / "subs.mkv")
    assert out.shape == burnt.shape  # every frame, exact count
    # the holes: the cached text-mask stage's masks, grown as the decode stage grows them
    cache = ZarrCache(str(tmp_path / "out.isvi-cache"))
    (key,) = [k for k in _textmask_keys(cache)]
    text_holes = textmask.read_text_masks(cache, key).read(0, 14)
    from isvi_models.ops.masks import dilate_holes

    holes = dilate_holes(text_holes, 1)  # --dilate 1
    assert (holes & truth).sum() / truth.sum() > 0.95
    np.testing.assert_array_equal(out[~holes], burnt[~holes])  # ffv1: untouched outside the hole
    changed = np.abs(out.astype(int) - burnt.astype(int)).sum(-1) > 30
    assert changed[truth].mean() > 0.5  # the text is gone, not just touched
    err = lambda x: float(np.mean((x.astype(float) - clean.astype(float))[truth] ** 2))  # noqa: E731
    assert err(out) < err(burnt) / 4
    np.testing.assert_array_equal(read_video(dest / "plain.mkv")[0], plain)
    # the preview: the middle frame with text (6 of 2-10) beside it with its mask tinted
    import cv2

    sheet = cv2.cvtColor(cv2.imread(subs["mask_preview"]), cv2.COLOR_BGR2RGB)
    assert sheet.shape == (180, 640, 3)
    np.testing.assert_array_equal(sheet[:, :320], burnt[6])
    assert (sheet[:, 320:] != burnt[6]).any(-1)[text_holes[6]].mean() > 0.99
    # a re-run with --overwrite reuses the cached detection (and, the first run's kept, every other stage)
    assert main(["batch", str(src), "-o", str(dest), *METHOD, "--overwrite", "--keep-cache"]) == 0
    again = {r["name"]: r for r in json.loads((dest / "isvi-report.json").read_text())["videos"]}
    assert again["subs.mkv"]["text_frames"] == "2-10"
    assert not [s for s in again["subs.mkv"]["computed_stages"] if "encode" not in s]


def test_batch_text_options_from_the_config_file(prefect_api, tmp_path):
    """Issue 23: the detector's settings in the job's ``[inpaint.text]`` table reach the batch's text-mask
    stage: another shape is detected afresh under its own key (a larger, box-shaped hole), and a re-run
    with the same settings reuses that detection and every stage but the encode."""
    src = tmp_path / "in"
    src.mkdir()
    burnt, _ = burn_text(background(10, seed=1), {2: "Hello there, friend"})
    write_clip(src / "subs.mkv", burnt)
    dest, toml = tmp_path / "out", tmp_path / "job.toml"
    toml.write_text('[inpaint.text]\nshape = "boxes"\n')
    cache = ZarrCache(str(tmp_path / "out.isvi-cache"))

    def detections():
        return {r["fp"] for r in cache.ls() if r["stage"] == "textmask" and r["complete"]}

    def changed():
        return (read_video(dest / "subs.mkv")[0] != burnt).any(-1)

    assert main(["batch", str(src), "-o", str(dest), *METHOD]) == 0
    glyphs, first = changed(), detections()
    assert len(first) == 1
    assert main(["batch", str(src), "-o", str(dest), *METHOD, "--config", str(toml), "--overwrite",
                 "--keep-cache"]) == 0
    boxes, second = changed(), detections()
    assert len(second) == 2 and first < second
    assert boxes.sum() > 1.1 * glyphs.sum()
    assert main(["batch", str(src), "-o", str(dest), *METHOD, "--config", str(toml), "--overwrite"]) == 0
    assert detections() == second
    (row,) = json.loads((dest / "isvi-report.json").read_text())["videos"]
    assert row["status"] == "done" and not [s for s in row["computed_stages"] if "encode" not in s]
    np.testing.assert_array_equal(changed(), boxes)


def _textmask_keys(cache: ZarrCache):
    """The cache's complete text-mask stages, as keys (the subtitled video's only: the plain one has its own)."""
    from storage.zarr_cache import StageKey

    for r in cache.ls():
        if r["stage"] == "textmask" and r["complete"]:
            key = StageKey(r["video"], r["group"], r["stage"], r["part"], r["fp"])
            if textmask.read_text_masks(cache, key).has_text.any():
                yield key
