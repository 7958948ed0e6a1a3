"""``MaskSource.fillable_coverage``: the one check, shared by ``isvi inpaint`` and the batch probe."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest

from media.masks import open_mask, preview_frame
from media.video import VideoInfo
from isvi_models.errors import InputError


def _masks(tmp_path, n_full: int, frames: int = 4):
    """A folder of per-frame mask PNGs: a 2x2 hole, the last ``n_full`` frames all hole."""
    folder = tmp_path / "masks"
    folder.mkdir()
    for i in range(frames):
        hole = np.zeros((6, 8), np.uint8)
        hole[2:4, 2:4] = 255
        if i >= frames - n_full:
            hole[:] = 255
        cv2.imwrite(str(folder / f"{i:05d}.png"), hole)
    return open_mask(folder, [], VideoInfo(tmp_path / "clip.mp4", frames, 8, 6, Fraction(25)))


def test_coverage_of_fillable_masks_per_frame(tmp_path):
    np.testing.assert_allclose(_masks(tmp_path, 0).fillable_coverage(), 4 / 48)


def test_a_frame_without_known_pixels_is_named(tmp_path):
    with pytest.raises(InputError, match="covers all of frame 3") as info:
        _masks(tmp_path, 1).fillable_coverage()
    assert "masks" in str(info.value)


def test_a_mask_over_everything_is_refused(tmp_path):
    with pytest.raises(InputError, match="every pixel of every frame"):
        _masks(tmp_path, 4).fillable_coverage()


def test_preview_frame_is_the_clearest_when_it_exists_else_the_middle():
    """A cache from before the clearest frame was stored, or a frame index out of the video
    (a video replaced under the same name), falls back to the middle frame."""
    assert preview_frame(30, 5) == 5
    assert preview_frame(30, 0) == 0
    assert preview_frame(30, None) == 15
    assert preview_frame(30, 30) == 15 and preview_frame(30, -1) == 15


def test_one_mask_image_scales_to_a_video_of_its_aspect_ratio(tmp_path):
    """A 1920x1080 logo mask on a 1280x720 video (a collection in several resolutions, one
    --mask): scaled, never losing a pixel the logo touches; a 4:3 video is refused by name."""
    from media.masks import fit_mask

    hole = np.zeros((1080, 1920), np.uint8)
    hole[31:100, 1601:1850] = 255
    path = tmp_path / "logo.png"
    cv2.imwrite(str(path), hole)
    small = open_mask(path, [], VideoInfo(tmp_path / "clip.mp4", 3, 1280, 720, Fraction(25))).read(0, 3)
    assert small.shape == (3, 720, 1280)
    expected = fit_mask(hole > 0, (720, 1280))
    assert (small == expected).all() and expected[21:66, 1068:1233].all() and expected.sum() < 47 * 168
    with pytest.raises(InputError, match="logo.png") as info:
        open_mask(path, [], VideoInfo(tmp_path / "clip.mp4", 3, 960, 720, Fraction(25)))
    assert "aspect ratio" in str(info.value)


@pytest.mark.parametrize("kind", ["alpha-only logo", "white on transparent", "opaque rgba", "grey"])
def test_alpha_decides_where_a_mask_image_has_transparency(tmp_path, kind):
    """A logo drawn only in alpha (black RGB) is a hole, not an empty mask; white on a
    transparent background is the logo, not 'every pixel'; an opaque RGBA or grey image is
    read by its colour as before."""
    logo = np.zeros((6, 8), bool)
    logo[1:3, 2:5] = True
    img = np.zeros((6, 8, 4), np.uint8)
    if kind == "alpha-only logo":
        img[..., 3] = np.where(logo, 255, 0)
    elif kind == "white on transparent":
        img[...] = 255
        img[..., 3] = np.where(logo, 255, 0)
    elif kind == "opaque rgba":
        img[logo] = 255
        img[..., 3] = 255
    else:
        img = np.where(logo, 255, 0).astype(np.uint8)
    path = tmp_path / "mask.png"
    cv2.imwrite(str(path), img)
    src = open_mask(path, [], VideoInfo(tmp_path / "clip.mp4", 2, 8, 6, Fraction(25)))
    np.testing.assert_array_equal(src.read(0, 2), np.broadcast_to(logo, (2, 6, 8)))
