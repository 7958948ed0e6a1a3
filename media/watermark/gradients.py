"""Frames to gradient maps at the analysis scale: grey and colour gradients, the reductions
every analysed or measured frame goes through, and per-pixel temporal statistics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def _iter_frames(frames) -> Iterable[np.ndarray]:
    """Single frames from an array (n, H, W, 3) / (n, H, W) or an iterable of frames or batches."""
    if isinstance(frames, np.ndarray):
        frames = [frames] if frames.ndim == 4 or (frames.ndim == 3 and frames.shape[-1] not in (3, 4)) else [frames[None]]
    for item in frames:
        item = np.asarray(item)
        if item.ndim == 4 or (item.ndim == 3 and item.shape[-1] not in (3, 4)):
            yield from item
        else:
            yield item


def _grey(frame: np.ndarray) -> np.ndarray:
    import cv2

    if frame.ndim == 3:
        frame = cv2.cvtColor(frame[..., :3], cv2.COLOR_RGB2GRAY)
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    return frame


def _sobel(channel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    c = channel.astype(np.float32)
    return cv2.Sobel(c, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(c, cv2.CV_32F, 0, 1, ksize=3)


def _analysis_grey(grey: np.ndarray, scale: float) -> np.ndarray:
    """A full-size grey frame at analysis scale (INTER_AREA). Every frame the detection
    analyses and every frame :meth:`OverlayTemplate.strength` measures is reduced by this
    one function, so the template's pixels and the frame's line up."""
    import cv2

    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1.0 else grey


def _analysis_rgb(frame: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """A colour frame as uint8 RGB at the analysis size ``shape`` (INTER_AREA); None for a grey one."""
    import cv2

    if frame.ndim != 3 or frame.shape[-1] < 3:
        return None
    rgb = np.clip(frame[..., :3], 0, 255).astype(np.uint8)
    if rgb.shape[:2] != tuple(shape):
        rgb = cv2.resize(rgb, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return rgb


def _colour_gradients(rgb: np.ndarray | None, grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed x/y gradients of the channel (Y, Cr or Cb) with the largest gradient, per pixel,
    of a frame at analysis scale (``rgb`` None: a grey frame, its grey gradients).

    An overlay whose colour differs from the scene only in hue (a cyan box over sky) has no
    edge in grey; its chroma edge does. Taking the strongest channel per pixel (as HOG does
    for colour) keeps one pair of maps per frame, so memory does not triple, and luma wins
    wherever it has an edge, since chroma varies less in natural footage.
    """
    import cv2

    if rgb is None:
        return _sobel(grey)
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    best_x, best_y = _sobel(grey)
    best = best_x**2 + best_y**2
    for c in (1, 2):
        cx, cy = _sobel(ycc[..., c])
        mag = cx**2 + cy**2
        take = mag > best
        best_x, best_y, best = np.where(take, cx, best_x), np.where(take, cy, best_y), np.maximum(mag, best)
    return best_x, best_y


def _temporal_stats(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], rows: int = 64
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel temporal medians of two stacks of int16 gradient maps, and the mean
    magnitude; in row strips, which bound the temporaries of median and hypot."""
    sx, sy = np.stack(xs), np.stack(ys)
    h, w = sx.shape[1:]
    mx, my, mean_mag = (np.empty((h, w), np.float32) for _ in range(3))
    for r in range(0, h, rows):
        ax, ay = sx[:, r:r + rows].astype(np.float32), sy[:, r:r + rows].astype(np.float32)
        mx[r:r + rows] = np.median(ax, axis=0)
        my[r:r + rows] = np.median(ay, axis=0)
        mean_mag[r:r + rows] = np.hypot(ax, ay).mean(axis=0)
    return mx, my, mean_mag
