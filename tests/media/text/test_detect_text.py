"""media.text.detect_text with the shipped detector on small made-up clips."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from media.text import TextParams, detect_text, parse_region
from media.text.model import TextModel, model_path
from media.video import VideoSource
from tests.batch_clips import write_clip
from tests.media.text.clips import background, burn_text

FAST = TextParams(long_side=640)


def near(truth: np.ndarray, px: int = 5) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return np.stack([cv2.dilate(t.astype(np.uint8), kernel) > 0 for t in truth])


@pytest.fixture(scope="module")
def subtitled(tmp_path_factory):
    frames, truth = burn_text(background(12), {0: "Hello there, friend", 6: "Second line here"})
    path = write_clip(tmp_path_factory.mktemp("text") / "subs.mkv", frames)
    return path, truth


def test_model_ships_in_a_package_and_loads_offline():
    path = model_path()
    assert path.is_file() and 3_000_000 < path.stat().st_size < 8_000_000
    model = TextModel()
    prob = model.probability(np.zeros((1, 64, 96, 3), np.uint8), (64, 96))
    assert prob.shape == (1, 64, 96) and prob.max() < 0.3


def test_finds_subtitles_in_every_frame(subtitled):
    path, truth = subtitled
    with VideoSource(path) as src:
        masks = detect_text(src, FAST)
    holes = masks.read(0, masks.frames)
    assert holes.shape == truth.shape
    assert masks.frames_with_text == len(truth)
    assert (holes & truth).sum() / truth.sum() > 0.97
    per_frame = [(h & t).sum() / t.sum() for h, t in zip(holes, truth)]
    assert min(per_frame) > 0.9
    assert (holes & near(truth)).sum() / holes.sum() > 0.6   # the photo has some text of its own
    assert holes[:, :100].mean() < 0.02                       # the upper part (no text) stays out


def test_missed_frame_is_filled_from_its_neighbours(subtitled):
    path, truth = subtitled

    with VideoSource(path) as src:
        held = detect_text(src, FAST, model=_Missing(3)).read(3, 4)[0]
        alone = detect_text(src, TextParams(long_side=640, gap=0, hold_frames=0),
                            model=_Missing(3)).read(3, 4)[0]
    assert (held & truth[3]).sum() / truth[3].sum() > 0.9
    assert (alone & truth[3]).sum() / truth[3].sum() < 0.5


class _Missing(TextModel):
    def __init__(self, frame: int):
        super().__init__()
        self.frame, self.seen = frame, 0

    def probability(self, frames, shape, batch=4):
        out = super().probability(frames, shape, batch)
        for i in range(len(out)):
            if self.seen + i == self.frame:
                out[i] = 0.0
        self.seen += len(out)
        return out


def test_no_text_gives_empty_masks(tmp_path):
    plain = np.full((6, 120, 200, 3), 90, np.uint8)
    plain[:, :, :, 1] = np.linspace(40, 200, 200, dtype=np.uint8)[None, None, :]
    path = write_clip(tmp_path / "plain.mkv", plain)
    with VideoSource(path) as src:
        masks = detect_text(src, FAST)
    assert masks.frames == 6 and masks.frames_with_text == 0
    assert not masks.read(0, 6).any() and (masks.coverage() == 0).all()


def test_region_limits_the_search(subtitled):
    path, truth = subtitled
    with VideoSource(path) as src:
        top = detect_text(src, TextParams(long_side=640, region=parse_region("top")))
        bottom = detect_text(src, TextParams(long_side=640, region=parse_region("bottom")))
    assert not (top.read(0, top.frames) & truth).any()
    holes = bottom.read(0, bottom.frames)
    assert (holes & truth).sum() / truth.sum() > 0.95
    assert not holes[:, :110].any()


def test_glyph_masks_cover_the_text_with_a_smaller_hole_than_the_boxes(subtitled):
    from dataclasses import replace

    path, truth = subtitled
    with VideoSource(path) as src:
        boxes = detect_text(src, replace(FAST, shape="boxes"))
        glyphs = detect_text(src, replace(FAST, shape="glyphs"))
        chunked = detect_text(src, replace(FAST, shape="glyphs", chunk=5))
    b, g = boxes.read(0, boxes.frames), glyphs.read(0, glyphs.frames)
    assert glyphs.frames_with_text == boxes.frames_with_text == len(truth)
    assert (g & truth).sum() / truth.sum() > 0.97
    assert min((h & t).sum() / t.sum() for h, t in zip(g, truth)) > 0.9
    assert g.sum() < 0.85 * b.sum() and not (g & ~b).any()   # inside the boxes, and smaller
    assert glyphs.shape == (truth.shape[1], truth.shape[2]) and glyphs.dilate_px == 0  # full resolution
    assert (chunked.read(0, chunked.frames) == g).all()      # the chunks see the right frames
