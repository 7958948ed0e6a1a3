"""Which frames show the overlay (step 9 of :mod:`media.watermark`): the overlay's template
of gradients, a frame's strength against it, and the rule that turns strengths into the
frames to inpaint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from isvi_models.errors import InputError
from media.masks import fit_frame
from media.watermark.gradients import (
    _analysis_grey,
    _analysis_rgb,
    _grey,
    _iter_frames,
    _sobel,
)

PRESENCE_LEVEL = 0.1  # template strength below which a frame does not show the overlay (step 9)
PRESENCE_MIN_GAP = 10  # frames: a shorter run of frames without it is a misreading, not a break
PRESENCE_GUARD = 2  # frames kept masked on each side of one that shows it (a logo fading in or out)


@dataclass(frozen=True)
class OverlayTemplate:
    """The gradients the overlay adds to a frame that shows it, where they are strong.

    ``gx``/``gy`` are the median gradients (analysis scale, the colour channel of
    :func:`_colour_gradients`) of the frames the estimate used, zero outside the overlay's
    strong edges, cropped to ``box`` = ``(x0, y0, x1, y1)`` of the analysis-scale frame;
    ``scale`` is analysis over full size. :meth:`strength` measures how much of them a
    frame shows (step 9 of :mod:`media.watermark`).
    """

    gx: np.ndarray
    gy: np.ndarray
    box: tuple[int, int, int, int]
    scale: float
    # (height, width) of the full-size frames ``scale`` refers to; a frame of another size
    # (a pooled video of another resolution) is first fitted to it, as the detection fitted
    # that video's frames (:func:`fit_frame`). None: frames are taken as they come.
    size: tuple[int, int] | None = None

    def strength(self, frame: np.ndarray) -> float:
        """How strongly ``frame`` (full size, RGB or grey) shows the overlay, as a multiple of
        the template: the median over the template's edge pixels of the frame's gradient
        projected on the template's, in the channel (Y, Cr or Cb) where it projects most.

        About 1 in a frame that shows the overlay and 0 in one that does not. Every channel
        is tried because the template's channel is the one strongest in most frames, not in
        all: with only the frame's own strongest channel, whole frames projected to -1 on
        some pixels and +1 on others and their median read 0.1 with the logo in plain view.
        """
        import cv2

        frame = np.asarray(frame)
        if self.size is not None:
            frame = fit_frame(frame, self.size)
        g = _analysis_grey(_grey(frame), self.scale)
        rgb = _analysis_rgb(frame, g.shape)
        x0, y0, x1, y1 = self.box
        h, w = g.shape
        # A 1 px border, so the Sobel of the crop is the frame's at the box's edge.
        a0, b0, a1, b1 = max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1)
        channels = [g[b0:b1, a0:a1]]
        if rgb is not None:
            ycc = cv2.cvtColor(np.ascontiguousarray(rgb[b0:b1, a0:a1]), cv2.COLOR_RGB2YCrCb)
            channels += [ycc[..., 1], ycc[..., 2]]
        on = (self.gx != 0) | (self.gy != 0)
        tx, ty = self.gx[on], self.gy[on]
        t2 = tx * tx + ty * ty
        best = np.full(tx.shape, -np.inf, np.float32)
        for c in channels:
            cx, cy = _sobel(c)
            cx, cy = cx[y0 - b0:y1 - b0, x0 - a0:x1 - a0][on], cy[y0 - b0:y1 - b0, x0 - a0:x1 - a0][on]
            np.maximum(best, (cx * tx + cy * ty) / t2, out=best)
        return float(np.median(best)) if best.size else 0.0

    def as_array(self) -> np.ndarray:
        """``(2, h, w)`` float32 ``[gx, gy]``, for caching; :meth:`from_array` reverses it."""
        return np.stack([self.gx, self.gy]).astype(np.float32)

    @classmethod
    def from_array(cls, array: np.ndarray, box, scale: float, size=None) -> OverlayTemplate:
        array = np.asarray(array, np.float32)
        return cls(array[0], array[1], tuple(int(v) for v in box), float(scale),
                   None if size is None else (int(size[0]), int(size[1])))


def _template(raw_x: np.ndarray, raw_y: np.ndarray, region: np.ndarray, threshold: float, scale: float,
              size: tuple[int, int]) -> OverlayTemplate | None:
    """:class:`OverlayTemplate` of the median gradients ``raw_x/raw_y`` on ``region``'s strong edges."""
    on = region & (np.hypot(raw_x, raw_y) >= threshold)
    if not on.any():
        return None
    ys, xs = np.nonzero(on)
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    keep = on[y0:y1, x0:x1]
    return OverlayTemplate(np.where(keep, raw_x[y0:y1, x0:x1], 0).astype(np.float32),
                           np.where(keep, raw_y[y0:y1, x0:x1], 0).astype(np.float32), (x0, y0, x1, y1), scale,
                           (int(size[0]), int(size[1])))


def overlay_strengths(frames, template: OverlayTemplate) -> np.ndarray:
    """:meth:`OverlayTemplate.strength` of every frame in ``frames`` (anything :func:`_iter_frames` takes)."""
    return np.array([template.strength(f) for f in _iter_frames(frames)], np.float32)


def video_overlay_strengths(source, template: OverlayTemplate, chunk: int = 64) -> np.ndarray:
    """:func:`overlay_strengths` of every frame of an open :class:`media.video.VideoSource`
    (decoded in chunks of ``chunk`` frames: memory stays one chunk)."""
    n = source.info.frames
    out = np.concatenate([overlay_strengths(source.read(s, s + chunk), template) for s in range(0, n, chunk)]
                         or [np.zeros(0, np.float32)])
    if len(out) != n:
        raise InputError(source.path, f"decoded {len(out)} frames, expected {n}")
    return out


def frames_showing_overlay(strengths: np.ndarray, *, level: float = PRESENCE_LEVEL,
                           min_gap: int = PRESENCE_MIN_GAP, guard: int = PRESENCE_GUARD) -> np.ndarray:
    """Bool per frame: which frames to inpaint, from their :func:`overlay_strengths`.

    A frame shows the overlay when its strength reaches ``level``. Leaving a frame that does
    show it unmasked puts the logo back on screen, while masking a clean frame only costs
    what the inpainting changes there, so every doubt goes to masking: runs of fewer than
    ``min_gap`` frames without it (a logo over content of its own colour for a moment) are
    masked, so are ``guard`` frames on either side of every frame that shows it (a fade),
    and a video where no frame shows it is masked throughout (the template may not fit
    this video, as in a pool whose members were encoded differently).
    """
    on = np.asarray(strengths) >= level
    if not on.any():
        return np.ones(on.shape, bool)
    out = on.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[1], on.astype(np.int8), [1]])))
    for a, b in zip(edges[::2], edges[1::2]):  # the runs of frames without it: [a, b)
        if b - a < min_gap:
            out[a:b] = True
    if guard > 0:
        from scipy import ndimage

        out |= ndimage.binary_dilation(on, iterations=guard)
    return out
