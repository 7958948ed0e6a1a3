"""Masks of burnt-in text (subtitles, "SAMPLE" watermarks, timestamps), found frame by frame.

:func:`detect_text` reads a video once and returns :class:`TextMasks`, one hole per frame:

1. Each frame's search region (:func:`parse_region`: the whole frame, ``bottom``/``top``, or a
   box) is scaled so its long side is ``TextParams.long_side`` px and run through the learned
   detector (:mod:`media.text.model`: PP-OCRv5's DBNet on ONNX Runtime), which gives a text
   probability per pixel.
2. The probabilities of neighbouring frames are cleaned up along time
   (:mod:`media.text.temporal`): dips of up to ``gap`` frames are filled, peaks shorter than
   ``min_frames`` frames dropped.
3. Each frame's map becomes text regions (:mod:`media.text.db`: threshold, components, DB's
   unclip), each mask is held ``hold_frames`` frames before and after, and at full resolution
   grown by ``dilate_px`` so a subtitle's outline and shadow are in the hole.
4. With ``shape="glyphs"`` each box is then cut down to the text pixels inside it
   (:mod:`media.text.glyphs`: contrast with the background estimated from around the box,
   grown by ``GlyphParams.grow_px``; the whole box where that is unsure), at full resolution.

The video is read in chunks with the temporal context on both sides, so memory is bounded
by the chunk, not the video; the masks are kept bit-packed, box masks at the analysis size
(scaled to the frame when read), glyph masks at the region's full resolution. A video
without text gives masks that are empty everywhere (``TextMasks.frames_with_text == 0``),
never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from isvi_models.errors import ConfigError
from media.masks import Box, parse_box
from media.text.db import DBParams, text_mask
from media.text.glyphs import GlyphParams, glyph_mask
from media.text.temporal import context, drop_flashes, fill_gaps, hold

SHAPES = ("glyphs", "boxes")
REGIONS = {"bottom": Box(0.0, 0.65, 1.0, 0.35, fractional=True), "top": Box(0.0, 0.0, 1.0, 0.35, fractional=True)}


def parse_region(spec: str | None) -> Box | None:
    """``None``/``"all"`` (whole frame), ``"bottom"``/``"top"`` (the lower/upper 35%), or
    ``X,Y,W,H`` in pixels or fractions (as ``--box``)."""
    if spec is None or spec == "all":
        return None
    if spec in REGIONS:
        return REGIONS[spec]
    try:
        return parse_box(spec)
    except ConfigError as exc:
        raise ConfigError(f"region: expected all, bottom, top or X,Y,W,H ({exc})") from None


@dataclass(frozen=True)
class TextParams:
    """What :func:`detect_text` does; the defaults are tuned in ``benchmarks/text.md``."""

    long_side: int = 960        # analysis size of the search region's long side
    db: DBParams = DBParams()
    gap: int = 2                # frames a detection may miss and still hold
    min_frames: int = 2         # text seen for fewer frames is dropped
    hold_frames: int = 1        # frames a mask is kept before and after it is seen
    dilate_px: int = 3          # full-resolution growth (outlines, shadows)
    region: Box | None = None
    chunk: int = 32             # frames per detection chunk (memory)
    shape: str = "glyphs"       # "glyphs": the text pixels inside each box; "boxes": the boxes
    glyphs: GlyphParams = GlyphParams()

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise ConfigError(f"text shape: expected one of {', '.join(SHAPES)}, got {self.shape!r}")


@dataclass
class TextMasks:
    """Per-frame text holes of one video: ``read(start, stop)`` -> bool (n, H, W)."""

    width: int
    height: int
    box: tuple[int, int, int, int]          # (x0, y0, x1, y1): the searched region, full resolution
    shape: tuple[int, int]                  # (h, w) of the stored masks: the region's analysis size
                                            # (boxes) or full size (glyphs)
    dilate_px: int
    packed: list[np.ndarray | None] = field(default_factory=list)  # per frame, None = no text

    @property
    def frames(self) -> int:
        return len(self.packed)

    @property
    def has_text(self) -> np.ndarray:
        """Bool per frame: whether the frame has a text hole."""
        return np.array([p is not None for p in self.packed], bool)

    @property
    def frames_with_text(self) -> int:
        return int(self.has_text.sum())

    def lowres(self, k: int) -> np.ndarray:
        """Frame ``k``'s mask at the analysis size of the region (h, w)."""
        h, w = self.shape
        p = self.packed[k]
        return np.zeros((h, w), bool) if p is None else np.unpackbits(p, count=h * w).reshape(h, w).astype(bool)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Full-resolution holes of frames ``[start, stop)``, grown by ``dilate_px``."""
        from isvi_models.ops.masks import dilate_holes
        from media.masks import fit_mask

        start, stop = max(0, start), min(stop, self.frames)
        x0, y0, x1, y1 = self.box
        out = np.zeros((max(0, stop - start), self.height, self.width), bool)
        for i, k in enumerate(range(start, stop)):
            if self.packed[k] is not None:
                out[i, y0:y1, x0:x1] = fit_mask(self.lowres(k), (y1 - y0, x1 - x0))
                out[i] = dilate_holes(out[i], self.dilate_px)
        return out

    def coverage(self) -> np.ndarray:
        """Share of each frame's pixels in its hole (0 for frames without text)."""
        out = np.zeros(self.frames)
        for k in np.nonzero(self.has_text)[0]:
            out[k] = self.read(int(k), int(k) + 1).mean()
        return out


def detect_text(src, params: TextParams = TextParams(), model=None,
                progress: Callable[[int], None] | None = None) -> TextMasks:
    """Text masks for every frame of ``src`` (a :class:`media.video.VideoSource`), see the module doc.

    ``model``: a :class:`media.text.model.TextModel` (default: the shipped detector);
    ``progress(frames)`` is called as frames are finished.
    """
    from media.text.model import TextModel, analysis_shape

    info = src.info
    model = model or TextModel()
    x0, y0, x1, y1 = (0, 0, info.width, info.height) if params.region is None else \
        params.region.to_pixels(info.width, info.height)
    if x1 <= x0 or y1 <= y0:
        raise ConfigError(f"region: lies outside the {info.width}x{info.height} frame")
    shape = analysis_shape(y1 - y0, x1 - x0, params.long_side)
    scale = shape[0] / (y1 - y0)  # analysis px per full-resolution px
    glyphs = params.shape == "glyphs"
    out = TextMasks(info.width, info.height, (x0, y0, x1, y1), (y1 - y0, x1 - x0) if glyphs else shape,
                    0 if glyphs else params.dilate_px)
    n, margin = info.frames, context(params.gap, params.min_frames, params.hold_frames)
    probs: dict[int, np.ndarray] = {}
    crops: dict[int, np.ndarray] = {}  # glyphs: the region of the frames still to cut masks from
    for s in range(0, n, params.chunk):
        e = min(n, s + params.chunk)
        a, b = max(0, s - margin), min(n, e + margin)
        todo = [k for k in range(a, b) if k not in probs]
        if todo:
            frames = src.read(todo[0], todo[-1] + 1)[:, y0:y1, x0:x1]
            for k, p in zip(todo, model.probability(frames, shape)):
                probs[k] = (p * 255).astype(np.uint8)
            if glyphs:
                crops.update((k, f) for k, f in zip(todo, frames) if k >= s)
        volume = np.stack([probs[k] for k in range(a, b)]).astype(np.float32) / 255.0
        volume = drop_flashes(fill_gaps(volume, params.gap), params.min_frames)
        masks = hold(np.stack([text_mask(p, params.db, scale) for p in volume]), params.hold_frames)
        for k, m in zip(range(s, e), masks[s - a:e - a]):
            if glyphs and m.any():
                m = _glyphs(crops[k], m, params)
            out.packed.append(np.packbits(m) if m.any() else None)
        for k in [k for k in probs if k < e - margin]:
            del probs[k]
        for k in [k for k in crops if k < e]:
            del crops[k]
        if progress is not None:
            progress(e - s)
    return out


def _glyphs(crop: np.ndarray, lowres: np.ndarray, params: TextParams) -> np.ndarray:
    """The glyph mask (full resolution of the region) inside the boxes ``lowres`` (analysis size)."""
    from isvi_models.ops.masks import dilate_holes
    from media.masks import fit_mask

    boxes = dilate_holes(fit_mask(lowres, crop.shape[:2]), params.dilate_px)
    return glyph_mask(crop, boxes, params.glyphs)
