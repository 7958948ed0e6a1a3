"""Hole masks from the forms users have: one image, a folder of images, a mask video, boxes.

A mask is non-zero where content must be removed. Every source is checked against the
video (size, frame count) before any work starts, and reports which frames have a hole,
so an empty mask copies the video through and a mask covering everything is refused.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isvi_models.errors import ConfigError, InputError
from isvi_models.ops.masks import dilate_holes
from media.video import IMAGE_EXTENSIONS, VideoInfo, VideoSource, list_frame_files, read_image

log = logging.getLogger("isvi.masks")


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels, or in fractions of width/height when ``fractional``."""

    x: float
    y: float
    w: float
    h: float
    fractional: bool = False

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """Integer (x0, y0, x1, y1) clipped to the frame; fractions round outward."""
        if self.fractional:
            x0, y0 = int(np.floor(self.x * width)), int(np.floor(self.y * height))
            x1 = int(np.ceil((self.x + self.w) * width))
            y1 = int(np.ceil((self.y + self.h) * height))
        else:
            x0, y0 = int(self.x), int(self.y)
            x1, y1 = x0 + int(self.w), y0 + int(self.h)
        return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def parse_box(spec: str) -> Box:
    """Parse ``X,Y,W,H``: integers are pixels; numbers in [0, 1] with a decimal point are fractions."""
    parts = [p.strip() for p in spec.split(",")]
    if len(parts) != 4:
        raise ConfigError(f"box: expected X,Y,W,H, got {spec!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ConfigError(f"box: X,Y,W,H must be numbers, got {spec!r}") from None
    fractional = any("." in p for p in parts)
    if fractional:
        if not all(0.0 <= v <= 1.0 for v in values):
            raise ConfigError(f"box: fractional boxes need values in [0, 1], got {spec!r}")
    elif not all(v.is_integer() and v >= 0 for v in values):
        raise ConfigError(f"box: pixel boxes need non-negative integers, got {spec!r}")
    if values[2] <= 0 or values[3] <= 0:
        raise ConfigError(f"box: width and height must be positive, got {spec!r}")
    return Box(*values, fractional=fractional)


def boxes_mask(boxes: list[Box], width: int, height: int) -> np.ndarray:
    """The union of ``boxes`` on a ``width`` x ``height`` frame; a box wholly outside the frame is a
    :class:`ConfigError` naming it (it would otherwise copy the video through, silently)."""
    mask = np.zeros((height, width), bool)
    for box in boxes:
        x0, y0, x1, y1 = box.to_pixels(width, height)
        if x1 <= x0 or y1 <= y0:
            spec = ",".join(f"{v:g}" for v in (box.x, box.y, box.w, box.h))
            raise ConfigError(f"box: {spec} lies outside the {width}x{height} frame")
        mask[y0:y1, x0:x1] = True
    return mask


def preview_frame(frames: int, clearest: int | None) -> int:
    """The frame to preview a mask on: ``clearest`` (where its detection saw the overlay most
    clearly) if it is one of the video's ``frames``, else the middle one."""
    return clearest if clearest is not None and 0 <= clearest < frames else frames // 2


def tint_mask(frame: np.ndarray, mask: np.ndarray, outline_px: int = 1) -> np.ndarray:
    """Copy of a uint8 RGB frame (H, W, 3) with ``mask`` (H, W) half red and outlined in red
    (``outline_px`` wide), so that a thin mask still shows."""
    import cv2

    shown = frame.copy()
    if mask.any():
        red = np.array([255, 0, 0], np.float32)
        shown[mask] = (0.5 * shown[mask] + 0.5 * red).astype(np.uint8)
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(shown, contours, -1, (255, 0, 0), outline_px)
    return shown


def mask_preview_png(frame: np.ndarray, mask: np.ndarray) -> bytes:
    """PNG of a uint8 RGB frame (H, W, 3) beside a copy with ``mask`` (H, W) tinted red and outlined.

    What a mask will remove, to check by eye before a bulk run: a mask PNG alone does not
    show whether it covers the whole logo. Left half: the frame as it is; right half: the
    masked pixels half red, with a 1 px red outline so a thin mask still shows.
    """
    import cv2

    shown = tint_mask(frame, mask)
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.concatenate([frame, shown], axis=1), cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("cannot encode the mask preview as PNG")
    return png.tobytes()


# A logo scales with the frame, so a mask image, or a detection pooled over a channel's 720p
# and 1080p videos, made at one size serves every size whose width/height ratio is within
# this share of its own (854x480 and 1920x1080 differ by 0.1%); a 4:3 and a 16:9 video place
# a corner logo differently, so they do not share one.
ASPECT_TOLERANCE = 0.01


def same_aspect(size: tuple[int, int], other: tuple[int, int]) -> bool:
    """Whether two (width, height) sizes have one aspect ratio, within ``ASPECT_TOLERANCE``."""
    return abs((size[0] / size[1]) / (other[0] / other[1]) - 1.0) <= ASPECT_TOLERANCE


def fit_frame(frame: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``frame`` (H, W[, C]) resized to ``shape`` = (height, width): INTER_AREA to reduce,
    bilinear to enlarge. How a pooled video of another resolution is brought to the pool's
    size, for the detection and for ``OverlayTemplate.strength`` alike
    (:mod:`media.watermark`), and how :func:`fit_mask` scales a mask."""
    import cv2

    if frame.shape[:2] == tuple(shape):
        return frame
    shrink = shape[0] * shape[1] < frame.shape[0] * frame.shape[1]
    return cv2.resize(frame, (shape[1], shape[0]), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def fit_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A bool mask resized to ``shape`` = (height, width); a pixel is in the result if any
    part of it was in ``mask``, so a scaled mask never loses a fringe (it may gain under
    one pixel, inside the safety margin's tolerance)."""
    if mask.shape == tuple(shape):
        return mask
    return fit_frame(mask.astype(np.uint8) * 255, shape) > 0


def _as_hole(img: np.ndarray) -> np.ndarray:
    """Non-zero = hole. An image with an alpha channel (BGRA as OpenCV reads it) is decided by its
    alpha (a logo drawn only in alpha, or white on a transparent background), unless the alpha
    is one value everywhere (an opaque mask saved as RGBA), which says nothing."""
    if img.ndim == 2:
        return img > 0
    if img.shape[-1] == 4:
        alpha = img[..., 3]
        if alpha.min() != alpha.max():
            return alpha > 0
        img = img[..., :3]
    return (img > 0).any(axis=-1)


class MaskSource:
    """Per-frame boolean holes at the video's size: ``read(start, stop) -> (n, H, W)``.

    ``static`` is one hole for every frame, or for the frames ``frames_on`` (bool per frame)
    marks: a detected logo in the frames that show it. ``reader(start, stop) -> (n, H, W)``
    gives per-frame holes computed elsewhere (detected text). Boxes apply to every frame.
    """

    def __init__(self, info: VideoInfo, *, static: np.ndarray | None = None, files: list[Path] | None = None,
                 video: VideoSource | None = None, boxes: np.ndarray | None = None, path: Path | None = None,
                 frames_on: np.ndarray | None = None, reader: Callable[[int, int], np.ndarray] | None = None):
        self.info, self.path = info, path
        self._static, self._files, self._video, self._reader = static, files, video, reader
        self._boxes = boxes if boxes is not None else np.zeros((info.height, info.width), bool)
        if frames_on is not None and len(frames_on) != info.frames:
            raise ValueError(f"frames_on has {len(frames_on)} entries for {info.frames} frames")
        self._frames_on = None if frames_on is None or np.all(frames_on) else np.asarray(frames_on, bool)

    def read(self, start: int, stop: int) -> np.ndarray:
        n = max(0, min(stop, self.info.frames) - start)
        shape = (self.info.height, self.info.width)
        if self._static is not None:
            holes = np.broadcast_to(self._static, (n, *shape)).copy()
            if self._frames_on is not None:
                holes &= self._frames_on[start:start + n, None, None]
        elif self._files is not None:
            holes = np.stack([self._load(p) for p in self._files[start:start + n]]) if n else np.zeros((0, *shape), bool)
        elif self._video is not None:
            holes = _as_hole(self._video.read(start, start + n))
        elif self._reader is not None:
            holes = np.asarray(self._reader(start, start + n), bool)
        else:
            holes = np.zeros((n, *shape), bool)
        return holes | self._boxes

    def read_holes(self, start: int, stop: int, dilate_px: int) -> np.ndarray:
        """The holes of frames ``[start, stop)`` grown by ``dilate_px`` (over compression halos): what
        the method inpaints. Both drivers read their holes through this one call."""
        return dilate_holes(self.read(start, stop), dilate_px)

    def _load(self, path: Path) -> np.ndarray:
        import cv2

        hole = _as_hole(read_image(path, cv2.IMREAD_UNCHANGED))
        self._check_size(path, hole.shape)
        return hole

    def _check_size(self, path: Path, shape: tuple[int, ...]) -> None:
        if tuple(shape[:2]) != (self.info.height, self.info.width):
            raise InputError(path, f"mask is {shape[1]}x{shape[0]} but the video is "
                                   f"{self.info.width}x{self.info.height}")

    def coverage(self, chunk: int = 64) -> np.ndarray:
        """Fraction of hole pixels per frame. A static hole (a logo, boxes) has it in closed
        form, also when only some frames have it; files and mask videos are read once."""
        if self._files is None and self._video is None and self._reader is None:
            hole = self._boxes if self._static is None else self._static | self._boxes
            out = np.full(self.info.frames, float(hole.mean()))
            if self._frames_on is not None:
                out[~self._frames_on] = float(self._boxes.mean())
            return out
        out = []
        for s in range(0, self.info.frames, chunk):
            out.append(self.read(s, s + chunk).reshape(min(chunk, self.info.frames - s), -1).mean(axis=1))
        return np.concatenate(out) if out else np.zeros(0)


    def fillable_coverage(self) -> np.ndarray:
        """:meth:`coverage`, after refusing a mask that leaves some frame no known pixel."""
        coverage = self.coverage()
        full = np.nonzero(coverage >= 1.0)[0]
        where = self.path or "--box"
        if full.size and full.size == self.info.frames:
            raise InputError(where, "mask covers every pixel of every frame: nothing to fill from")
        if full.size:
            raise InputError(where, f"mask covers all of frame {int(full[0])}: a frame needs some known pixels")
        return coverage


def static_mask(hole: np.ndarray, boxes: list[Box], info: VideoInfo, label: str,
                frames_on: np.ndarray | None = None) -> MaskSource:
    """A mask that is ``hole`` (H, W) (e.g. a detected logo) in every frame, or in the frames
    ``frames_on`` marks (bool per frame), plus ``boxes`` in every frame."""
    box_mask = boxes_mask(boxes, info.width, info.height) if boxes else None
    return MaskSource(info, static=hole, boxes=box_mask, path=Path(label), frames_on=frames_on)


def open_mask(spec: str | os.PathLike | None, boxes: list[Box], info: VideoInfo) -> MaskSource:
    """Open the user's mask (image, folder, video or none) plus boxes, checked against ``info``."""
    box_mask = boxes_mask(boxes, info.width, info.height) if boxes else None
    if spec is None:
        if box_mask is None:
            raise ConfigError("mask: give --mask or at least one --box")
        return MaskSource(info, static=box_mask)
    path = Path(spec)
    if not path.exists():
        raise InputError(path, "mask file or folder does not exist")
    if path.is_dir():
        files = list_frame_files(path)
        if len(files) != info.frames:
            raise InputError(path, f"has {len(files)} mask images but the video has {info.frames} frames")
        src = MaskSource(info, files=files, boxes=box_mask, path=path)
        src._load(files[0])  # size check up front, before any work
        return src
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        import cv2

        hole = _as_hole(read_image(path, cv2.IMREAD_UNCHANGED))
        h, w = hole.shape
        if (h, w) != (info.height, info.width) and not same_aspect((w, h), (info.width, info.height)):
            raise InputError(path, f"mask is {w}x{h} but the video is {info.width}x{info.height}, another aspect "
                                   "ratio (a mask image of the video's aspect ratio is scaled to it)")
        if (h, w) != (info.height, info.width):
            # One mask for a collection in several resolutions, as a fractional box is: a logo
            # scales with the frame (``isvi detect-watermark`` writes one per size, but a
            # batch takes one --mask for all its videos).
            log.info("%s: mask is %dx%d, scaled to the video's %dx%d (same aspect ratio)", path, w, h,
                     info.width, info.height)
            hole = fit_mask(hole, (info.height, info.width))
        return MaskSource(info, static=hole, boxes=box_mask, path=path)
    video = VideoSource(path)
    if (video.info.width, video.info.height) != (info.width, info.height):
        raise InputError(path, f"mask video is {video.info.width}x{video.info.height} but the video is "
                               f"{info.width}x{info.height}")
    if video.info.frames != info.frames:
        raise InputError(path, f"mask video has {video.info.frames} frames but the video has {info.frames}")
    return MaskSource(info, video=video, boxes=box_mask, path=path)


def open_holes(mask: str | os.PathLike | None, boxes: tuple[str, ...] | list[str], info: VideoInfo, *,
               auto: Callable[[], tuple[np.ndarray, np.ndarray | None]] | None = None,
               label: str | None = None,
               text: Callable[[], Callable[[int, int], np.ndarray]] | None = None) -> MaskSource:
    """A job's mask for one video: ``mask`` (image, folder, mask video, None) plus the ``boxes``
    specs, or for ``mask == "auto"`` the static hole and the frames it holds in (bool per frame,
    None = all) that ``auto()`` returns: a detection made now (``isvi inpaint``) or read from the
    cache (the batch). For ``mask == "text"``, ``text()`` returns a reader of per-frame holes
    (``(start, stop) -> (n, H, W)``: :class:`media.text.TextMasks`' ``read``). Box specs are
    parsed first, so a bad box fails before any detection."""
    parsed = [parse_box(b) for b in boxes]
    label = label or f"--mask {mask}"  # what a detected mask is called in messages
    if mask == "auto":
        hole, frames_on = auto()
        return static_mask(hole, parsed, info, label, frames_on=frames_on)
    if mask == "text":
        if text is None:
            raise ConfigError("mask: 'text' is not available here")
        reader = text()
        box_mask = boxes_mask(parsed, info.width, info.height) if parsed else None
        return MaskSource(info, reader=reader, boxes=box_mask, path=Path(label))
    return open_mask(mask, parsed, info)
