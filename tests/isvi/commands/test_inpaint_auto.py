"""``isvi inpaint --mask auto``: detect a burnt-in logo and remove it, better than Telea inside it."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from isvi.cli import main
from tasks.evaluation.metrics import masked_psnr as psnr_in
from media.video import FrameWriter, VideoInfo, read_video
from media.watermark_synth import overlay_watermark, pan_clip
from isvi_models.ops.masks import dilate_holes


@pytest.mark.slow
def test_auto_mask_removes_the_logo_and_beats_telea(tmp_path, capsys):
    clean = pan_clip(skimage.data.astronaut(), n=30, size=(192, 256), seed=1)
    marked, footprint = overlay_watermark(clean, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    src = tmp_path / "marked.mkv"
    with FrameWriter(src, VideoInfo(Path("x"), 30, 256, 192, 25), codec="ffv1") as w:
        w.write(marked)
        w.commit()
    out = tmp_path / "clean.mkv"
    assert main(["inpaint", str(src), "--mask", "auto", "-o", str(out), "--codec", "ffv1", "-q"]) == 0
    result, _ = read_video(out)
    holes = np.broadcast_to(footprint, clean.shape[:3])
    mask = dilate_holes(footprint[None], 4)[0]
    telea = np.stack([cv2.inpaint(f, mask.astype(np.uint8), 3, cv2.INPAINT_TELEA) for f in marked])
    ours = psnr_in(result, clean, holes)
    assert ours > psnr_in(marked, clean, holes) + 5  # the logo is gone, not just touched
    assert ours > psnr_in(telea, clean, holes)


@pytest.mark.slow
def test_auto_mask_leaves_the_frames_without_the_logo_as_they_were(tmp_path, capsys):
    """A logo that leaves after 22 of 36 frames: those frames are inpainted, the last 12
    (beyond 2 guard frames) are the input's, bit for bit; ``--auto-mask-frames all``
    inpaints them too."""
    clean = pan_clip(skimage.data.astronaut(), n=36, size=(192, 256), seed=1)
    marked, footprint = overlay_watermark(clean, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    on = np.arange(36) < 22
    src = tmp_path / "leaves.mkv"
    with FrameWriter(src, VideoInfo(Path("x"), 36, 256, 192, 25), codec="ffv1") as w:
        w.write(np.where(on[:, None, None, None], marked, clean))
        w.commit()
    out = tmp_path / "clean.mkv"
    assert main(["inpaint", str(src), "--mask", "auto", "-o", str(out), "--codec", "ffv1"]) == 0
    assert "36 frames (24 with a hole) inpainted" in capsys.readouterr().err
    result, _ = read_video(out)
    np.testing.assert_array_equal(result[24:], clean[24:])
    holes = np.broadcast_to(footprint, clean[:22].shape[:3])
    assert psnr_in(result[:22], clean[:22], holes) > psnr_in(marked[:22], clean[:22], holes) + 5

    every = tmp_path / "every.mkv"
    assert main(["inpaint", str(src), "--mask", "auto", "--auto-mask-frames", "all", "-o", str(every),
                 "--codec", "ffv1", "-q"]) == 0
    assert (read_video(every)[0][24:] != clean[24:]).any()


def test_auto_mask_refuses_footage_too_static_to_tell(tmp_path, capsys):
    still = np.repeat(pan_clip(skimage.data.astronaut(), n=1, size=(96, 128), seed=2), 8, axis=0)
    src = tmp_path / "still.mkv"
    with FrameWriter(src, VideoInfo(Path("x"), 8, 128, 96, 25), codec="ffv1") as w:
        w.write(still)
        w.commit()
    assert main(["inpaint", str(src), "--mask", "auto", "-o", str(tmp_path / "o.mkv")]) == 2
    assert "still.mkv" in capsys.readouterr().err
    assert not (tmp_path / "o.mkv").exists()
