"""``isvi detect-watermark``: writes the mask PNG, prints confidence and box, exit codes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from isvi.cli import main
from media.watermark_synth import overlay_watermark, pan_clip
from tests.batch_clips import rotating_clip, write_clip




@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("wm")
    pan = pan_clip(skimage.data.astronaut(), n=30, size=(192, 256), seed=1)
    marked, overlay = overlay_watermark(pan, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    write_clip(d / "marked.mkv", marked)
    write_clip(d / "clean.mkv", pan)
    write_clip(d / "still.mkv", np.repeat(marked[:1], 10, axis=0))
    # rolled about the logo: a partial mask, refused for its clarity (see tests/media/watermark)
    ys, xs = np.nonzero(overlay)
    rolled, _ = overlay_watermark(rotating_clip(skimage.data.astronaut(), (xs.mean(), ys.mean()), 12.0), "logo", 0,
                                  alpha=0.45, colour=(255, 255, 255))
    write_clip(d / "rolled.mkv", rolled)
    return d, overlay


def test_writes_mask_png(clips, capsys):
    d, overlay = clips
    out = d / "mask.png"
    assert main(["detect-watermark", str(d / "marked.mkv"), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "confidence" in text and "box x=" in text and "of the frame" in text
    mask = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert mask.shape == overlay.shape and mask.dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 255}
    hole = mask == 255
    assert (hole & overlay).sum() >= 0.95 * overlay.sum()
    assert not list(d.glob(".mask.png.*"))  # no temporary left behind


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["detect-watermark", str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "m.png")]) == 2
    assert "nope.mp4" in capsys.readouterr().err
    assert not (tmp_path / "m.png").exists()


def test_static_video_exits_2_with_reason(clips, capsys):
    d, _ = clips
    out = d / "static_mask.png"
    assert main(["detect-watermark", str(d / "still.mkv"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "still.mkv" in err and "too static" in err
    assert not out.exists()


def test_no_overlay_exits_1_without_writing(clips, capsys):
    d, _ = clips
    out = d / "clean_mask.png"
    assert main(["detect-watermark", str(d / "clean.mkv"), "-o", str(out)]) == 1
    assert "no static overlay found" in capsys.readouterr().err
    assert not out.exists()


def test_bad_option_exits_2(clips, capsys):
    d, _ = clips
    assert main(["detect-watermark", str(d / "marked.mkv"), "-o", str(d / "m.png"), "--min-confidence", "2"]) == 2
    assert "--min-confidence" in capsys.readouterr().err


def test_dense_motion_option_writes_mask(clips, capsys):
    d, overlay = clips
    out = d / "dense_mask.png"
    assert main(["detect-watermark", str(d / "marked.mkv"), "-o", str(out), "--motion", "dense",
                 "--min-confidence", "0"]) == 0
    hole = cv2.imread(str(out), cv2.IMREAD_UNCHANGED) == 255
    assert (hole & overlay).sum() >= 0.95 * overlay.sum()


def test_preview_shows_the_mask_on_a_frame(clips, capsys):
    """``--preview``: a frame beside a copy tinted red exactly where the mask is."""
    d, overlay = clips
    out, preview = d / "p_mask.png", d / "preview.png"
    assert main(["detect-watermark", str(d / "marked.mkv"), "-o", str(out), "--preview", str(preview)]) == 0
    assert "wrote preview" in capsys.readouterr().out
    hole = cv2.imread(str(out), cv2.IMREAD_UNCHANGED) == 255
    image = cv2.cvtColor(cv2.imread(str(preview)), cv2.COLOR_BGR2RGB).astype(int)
    h, w = overlay.shape
    assert image.shape == (h, 2 * w, 3)
    plain, shown = image[:, :w], image[:, w:]
    redder = (shown[..., 0] - plain[..., 0]) - (shown[..., 1] - plain[..., 1])
    assert (redder[hole] > 20).mean() > 0.95  # tinted inside the mask
    assert (shown[~hole] == plain[~hole]).mean() > 0.97  # untouched outside it, but for the outline
    assert not list(d.glob(".preview.png.*"))


def test_preview_shows_a_frame_that_carries_the_overlay(clips, tmp_path, capsys):
    """A logo absent from the middle third of the clip: the preview is not the middle frame
    (which would show the mask over clean content) but one that carries the logo."""
    import re

    from tests.media.watermark.helpers import overlay_on

    d, overlay = clips
    pan = pan_clip(skimage.data.astronaut(), n=30, size=(192, 256), seed=1)
    marked, _ = overlay_watermark(pan, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    on = overlay_on(30, "middle", 9)  # frames 10-18 clean
    write_clip(tmp_path / "break.mkv", np.where(on[:, None, None, None], marked, pan))
    preview = tmp_path / "preview.png"
    assert main(["detect-watermark", str(tmp_path / "break.mkv"), "-o", str(tmp_path / "m.png"),
                 "--preview", str(preview)]) == 0
    k = int(re.search(r"wrote preview .* \(frame (\d+) of", capsys.readouterr().out).group(1))
    assert on[k]
    shown = cv2.cvtColor(cv2.imread(str(preview)), cv2.COLOR_BGR2RGB)[:, :overlay.shape[1]].astype(float)
    assert np.abs(shown - marked[k])[overlay].mean() < 3 < np.abs(shown - pan[k])[overlay].mean()


def test_preview_of_a_refused_mask_is_written_without_the_mask(clips, capsys):
    """Refused for its clarity: no mask, but the preview shows the part that was found."""
    d, overlay = clips
    out, preview = d / "r_mask.png", d / "r_preview.png"
    assert main(["detect-watermark", str(d / "rolled.mkv"), "-o", str(out), "--preview", str(preview)]) == 1
    assert "no mask written" in capsys.readouterr().err
    assert not out.exists()
    image = cv2.imread(str(preview)).astype(int)
    w = overlay.shape[1]
    assert (image[:, w:][overlay] != image[:, :w][overlay]).any()


def test_preview_must_be_png_before_any_work(clips, capsys):
    d, _ = clips
    assert main(["detect-watermark", str(d / "marked.mkv"), "-o", str(d / "m.png"), "--preview",
                 str(d / "preview.jpg")]) == 2
    assert "--preview" in capsys.readouterr().err


@pytest.mark.slow
def test_videos_of_two_resolutions_get_a_mask_each(tmp_path, capsys):
    """A 512x384 clip and the same source downscaled to 256x192 pool into one estimate; the
    mask is written at the first input's size and at the other beside it (``m.512x384.png``)."""
    from media.masks import fit_mask

    photo = cv2.resize(skimage.data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)  # room to pan
    pan = pan_clip(photo, n=20, size=(384, 512), seed=1)
    large, overlay = overlay_watermark(pan, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    small = np.stack([cv2.resize(f, (256, 192), interpolation=cv2.INTER_AREA) for f in large[::-1]])
    write_clip(tmp_path / "small.mkv", small)
    write_clip(tmp_path / "large.mkv", large)
    out = tmp_path / "m.png"
    assert main(["detect-watermark", str(tmp_path / "small.mkv"), str(tmp_path / "large.mkv"), "-o", str(out),
                 "--preview", str(tmp_path / "p.png")]) == 0
    text = capsys.readouterr().out
    assert "2 video(s)" in text and "overlay at 256x192" in text and "overlay at 512x384" in text
    for path, footprint in ((out, fit_mask(overlay, (192, 256))), (tmp_path / "m.512x384.png", overlay)):
        hole = cv2.imread(str(path), cv2.IMREAD_UNCHANGED) == 255
        assert hole.shape == footprint.shape
        assert hole[footprint].mean() >= 0.95 and footprint[hole].mean() >= 0.5
    assert cv2.imread(str(tmp_path / "p.png")).shape == (192, 512, 3)  # the first input's frame, twice
    # another aspect ratio: refused before any mask is written
    write_clip(tmp_path / "wide.mkv", large[:, :128])
    assert main(["detect-watermark", str(tmp_path / "small.mkv"), str(tmp_path / "wide.mkv"), "-o",
                 str(tmp_path / "w.png")]) == 2
    assert "wide.mkv" in capsys.readouterr().err and not (tmp_path / "w.png").exists()
