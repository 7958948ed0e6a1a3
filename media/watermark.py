"""Estimate the mask of a static overlay (logo, text, timestamp box) from the video itself.

Method (after Dekel et al., "On the Effectiveness of Visible Watermarks", CVPR 2017):
an alpha-blended overlay ``I_t = (1 - a) J_t + a W`` adds the same gradient ``a grad(W)``
to every frame while the content gradient ``grad(J_t)`` changes as the camera or the scene
moves. The per-pixel temporal *median of the signed gradients* (gx and gy separately)
therefore keeps the overlay's edges and cancels the moving content's, whose signs vary;
the median of the gradient *magnitude* would not (textured content always has a large
magnitude). From that persistent-edge map:

1. **Redundant frames are dropped first.** The median needs the content under a pixel to
   differ in more than half of the frames. A camera that pans for a second and then
   holds still gives many near-identical frames that would out-vote the moving ones, so a
   sampled frame is kept only if it differs visibly from every frame already kept
   (mean absolute difference of small blurred thumbnails).
2. **What the moving scene explains is taken out.** A slow pan, a camera rotating a few
   degrees, periodic facades and edges parallel to the motion (the aperture problem) all
   keep scene gradients in place for more than half of the frames, so the plain median
   keeps them too. Where the camera moves, consecutive kept frames are registered
   (Shi-Tomasi corners, pyramidal Lucas-Kanade, RANSAC homography: the overlay's corners do
   not move and are rejected as outliers), each shot's gradients are medianed in the
   scene's coordinates (the overlay smears out there) and that scene median, warped back
   into every frame, predicts how much of the image-coordinate median the scene alone
   accounts for. The overlay evidence is the median minus that prediction. Shots that
   moved less than ``min_shift`` px have no usable model and predict nothing: their content
   must move on its own (water, crowds, traffic) or the clip is refused below.

   ``motion_model="dense"`` replaces the homography with dense DIS flow, for footage a
   single camera model does not fit (parallax: buildings at different depths in a crane
   shot). Each kept frame k is predicted from up to 8 frames of its video (near ones, and
   ones a third of the video or more away, so slow motion has added up): flow k->j warps
   frame j into frame k's geometry and the median of the warped frames' gradients is what
   the scene puts at each pixel; the evidence is ``median_k(g_k - prediction_k)``. Where a
   pair's flow moved the content less than ``min_flow`` px that pair predicts nothing
   there: it could not tell overlay from scene (static content, or flow that locked onto a
   strong logo's own edges, which DIS does). Pairs across a cut are skipped
   (``cut_level``). The flow leaves more of the scene than an exact homography does, so
   contrast and confidence come out lower on footage the homography fits; it is an
   option, not the default (``benchmarks/watermark.md`` compares the two).
3. **Drift.** A scene edge can stay in place for most of a short clip and still not be an
   overlay: facades near the centre of a crane shot's rotation move 2-3 px over 60 frames,
   the homography misses them (parallax) and dense flow cannot see motion that small between
   a pair. An overlay does not move at all. So the edge texture of the earliest and the
   latest third of each video's frames (high-passed magnitude of their median gradients) is
   compared in a ``drift_window`` px window around every pixel: an edge (step 6) counts only
   where the two correlate best (normalised) with no shift, against every shift up to
   ``max_drift`` px (shifts along a straight edge, which cannot be told from none, are left
   out). This works on magnitudes because the chosen colour channel (below) can flip a
   gradient's sign between frames. On the night-city crane shot it removed the facades
   from the masks (share of the mask within 5 px of the overlay: at most 0.27 before,
   0.83-1.00 after) and cost the bikes clips no target (``benchmarks/watermark.md``).
4. **Persistence.** ``E = |median(g) - prediction|`` and ``R = E / mean(|g|)``: ``R`` is
   near 1 where an unexplained gradient never changed and near 0 where it came and went.
5. **Too static to tell.** Of the *textured* pixels (mean ``|g|`` above ``abs_floor``)
   outside the detected overlay, the fraction that is not persistent measures how much the
   content moved. Below ``min_motion`` (static camera over a static scene, a still image
   repeated, a surveillance view where only a few people walk) every edge persists and no
   pixel can be told apart from an overlay: :class:`InputError`. More videos of the same
   source fix that (evidence is pooled: one median over the frames of all of them, so
   each video's static background is out-voted by the others', as long as most frames
   come from other content: one static-camera video pooled with one moving video leaves
   the median half static scene; ``benchmarks/watermark.md``, "Pooling"). Videos of one
   aspect ratio in several resolutions pool at the largest one's size, the others' frames
   fitted to it (:func:`fit_frame`), and each gets the mask scaled to its own
   (:meth:`WatermarkEstimate.mask_at`).
6. **Threshold, with hysteresis.** Strong edges: ``E`` above ``max(abs_floor, k_background
   * p99 of the background)``, the background being the busier half of the pixels that are
   *not* persistent, so the threshold follows how much moving content leaks through the
   median without being raised by the overlay itself. As in Canny, weaker persistent edges
   (``k_weak``) count when their region also holds at least ``min_strong`` strong ones
   (the faint outline of a timestamp box around its bright text).
7. **Edges to a solid region.** Morphological closing with a disc about 1% of the frame
   diagonal joins the two sides of each stroke and neighbouring letters into one blob;
   holes are filled (a logo's interior is flat, so it has no edges of its own); components
   smaller than ``min_area`` of the frame are dropped, and so are components whose
   persistent edges all run in one direction (what is left of a straight scene edge along
   the motion; logos and letters have edges in every direction). Finally a safety margin of
   ``margin`` px (inpainting needs the whole anti-aliased fringe, not most of it).
8. **Presence.** A logo that arrives late, leaves early or drops out for a break is in
   only part of the frames. The median keeps it weakened (where the content under it is
   busy it falls below the threshold) and the drift test reads an overlay missing from
   one of the thirds it compares as an edge that moved: such overlays came out partial or
   not at all. So each kept frame is then tested for the first estimate's candidate edges
   (strong and persistent, before the drift test): the share of them where the frame's
   gradient is the median's, give or take half (:meth:`_Evidence.showing`). Frames under
   half the 75th percentile of that share do not show the overlay (it is absent, or
   invisible over content of its own colour). When some frames do not and at least
   ``MIN_FRAMES_SHOWING`` do, the whole estimate is made again from those alone. It
   replaces the first if it is more confident, or if its mask holds the first's and is 1.1
   times as large (the first is then likely partial: the frames without the overlay hid
   part of it, and its confidence cannot tell); ``frames_showing`` reports how many
   showed it, and ``clearest_frame`` which frame of each video shows it most clearly (for
   a preview: the middle frame may not show it at all)
   (``benchmarks/watermark.md``, "Overlays present in part of the video").
9. **Which frames to inpaint.** The estimate keeps a template: the median gradients of the
   frames it used, on the mask's strong edges (:class:`OverlayTemplate`). Every frame of the
   video (not only the sampled ones) is measured against it: the median over those pixels of
   the frame's gradient projected on the template's, in whichever channel (Y, Cr or Cb)
   projects most, is about 1 where the overlay shows and 0 where it does not
   (:meth:`OverlayTemplate.strength`). Projecting only the frame's own strongest channel,
   as the detection does, failed frames that plainly carry the overlay: which channel is
   strongest changes with the content under it, and with it the sign. Frames under
   ``PRESENCE_LEVEL`` (0.1) are left as they are, but only in runs of at least
   ``PRESENCE_MIN_GAP`` frames and ``PRESENCE_GUARD`` frames away from one that shows it,
   because a frame left with its overlay is worse than a clean frame inpainted
   (:func:`frames_showing_overlay`).

The gradients are those of luma or chroma (Y, Cr, Cb), whichever is strongest per pixel, so
an overlay whose colour differs from the content only in hue (a cyan box over a sky of the
same brightness) still has edges; luma wins wherever it has one.

OpenCV does the gradients, morphology and connected components; SciPy fills holes; NumPy
the medians. Analysis runs at most ``analysis_max_side`` px on the long side (the per-frame
gradients of all sampled frames are held in memory) and the mask is scaled back up.

Confidence in [0, 1] is the product of a motion term (how much of the textured content
moved, 0 at ``min_motion``, 1 at 90%), a contrast term (median persistent-edge strength
on the detected edges over the background's 99th percentile, 0 at 1x, 1 at 4x) and a
clarity term: of the strong edges in and within ``ambiguity_reach`` of the frame diagonal
around the mask, the share that was kept, against those the drift test discarded and those
the scene prediction explained away where the camera moved the scene less than
``min_shift`` px across them (0 at 40%, 1 at 80%). Both mean the scene there is nearly
static too, and the overlay's own edges may be lost among the scene's: on the dev set the
drift test's discards marked the partial masks of the night-city crane shot (clarity 0.41-0.42 at
80-81% coverage on its 720p/1080p copies; 0.87-1.00 on every bikes overlay), and the
explained ones the bundled example's logo, whose circle sits near the crane's rotation
centre (57% of the logo masked; confidence 0.86 without them, 0.51 with them). The knees
were set on those clips. An empty mask
("no overlay found") is returned with confidence 0; :meth:`WatermarkEstimate.require`
turns that, or a confidence below a floor, into :class:`OverlayNotFound` (CLI exit 1) so
callers never inpaint an empty or doubtful mask silently.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from media.masks import fit_frame, fit_mask, same_aspect
from isvi_models.errors import InputError, IsviError
from isvi_models.ops.masks import dilate_holes

log = logging.getLogger("isvi.watermark")


MOTION_MODELS = ("homography", "dense")
MIN_FRAMES_SHOWING = 6  # fewer frames showing an overlay are too few for a second estimate
STRAIGHT_COHERENCE = 0.9  # drift test: structure-tensor coherence above which a window holds one straight edge


class OverlayNotFound(IsviError):
    """No static overlay was found, or not with the confidence asked for (CLI exit 1)."""


@dataclass(frozen=True)
class WatermarkEstimate:
    """Result of :func:`detect_static_overlay` / :func:`detect_watermark`.

    ``mask`` is True on the overlay (the hole to inpaint), margin included, at the input's
    full resolution. ``motion`` is the fraction of textured content that moved;
    ``contrast`` the persistent-edge strength on the overlay over the background's;
    ``clarity`` the share of strong edges around the mask that were kept (not discarded by
    the drift test, nor explained away as scene where the camera hardly moved it).
    """

    mask: np.ndarray
    confidence: float
    frames_sampled: int
    frames_used: int
    videos: int
    motion: float
    contrast: float
    clarity: float
    threshold: float
    components: int
    persistent_edges: np.ndarray = field(repr=False)
    # The confidence's three ramped terms (it is their product), so a refusal can name the weakest.
    terms: dict[str, float] = field(default_factory=dict)
    # Distinct frames that showed the overlay's candidate edges (module docstring, step 8);
    # frames_used when all did; None when not measured (an estimate built by hand).
    frames_showing: int | None = None
    # Per video (the source name; None for frames passed directly), the frame that shows the
    # overlay's edges most clearly: a frame index from detect_watermark, else the frame's
    # position in the frames passed. The frame to preview the mask on.
    clearest_frame: dict[object, int] = field(default_factory=dict)
    # Per video, its (height, width), from detect_watermark: ``mask_at(*sizes[v])`` is its mask.
    sizes: dict[object, tuple[int, int]] = field(default_factory=dict)
    # The overlay's own gradients, to tell which frames of a video show it (step 9); None
    # when nothing was found.
    template: OverlayTemplate | None = field(default=None, repr=False)

    @property
    def found(self) -> bool:
        return bool(self.mask.any())

    @property
    def coverage(self) -> float:
        """Fraction of the frame inside the mask."""
        return float(self.mask.mean())

    @property
    def bbox(self) -> tuple[int, int, int, int] | None:
        """``(x0, y0, x1, y1)`` of the mask, exclusive ends; None when empty."""
        if not self.found:
            return None
        ys, xs = np.nonzero(self.mask)
        return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1

    def mask_at(self, height: int, width: int) -> np.ndarray:
        """The mask for a video of ``height`` x ``width``: a pooled estimate's mask is at the
        size its videos were analysed at (:func:`detect_watermark`), and a member of another
        resolution (same aspect ratio) gets it scaled (:func:`fit_mask`)."""
        return fit_mask(self.mask, (height, width))

    def require(self, min_confidence: float = 0.0, what: object = None) -> "WatermarkEstimate":
        """Return self, or raise :class:`OverlayNotFound` if empty or less confident than asked."""
        where = f"{what}: " if what else ""
        if not self.found:
            raise OverlayNotFound(f"{where}no static overlay found (the content moved, but no edges stayed "
                                  f"still; a faint or flat overlay needs a mask given by hand)")
        if self.confidence < min_confidence:
            # The weakest term, and any other that alone would halve the confidence.
            order = sorted(self.terms, key=self.terms.get)
            short = [_SHORTFALL[k] for i, k in enumerate(order) if self.terms[k] < (0.999 if i == 0 else 0.5)]
            raise OverlayNotFound(f"{where}overlay found with confidence {self.confidence:.2f}, below the "
                                  f"{min_confidence:.2f} asked for (motion {self.motion:.0%}, contrast "
                                  f"{self.contrast:.1f}x, clarity {self.clarity:.0%}): "
                                  + "; ".join(short + ["add more videos of the same source with other content, or "
                                                       "mask the overlay with a box instead (--box X,Y,W,H)"]))
        return self


@dataclass(frozen=True)
class OverlayTemplate:
    """The gradients the overlay adds to a frame that shows it, where they are strong.

    ``gx``/``gy`` are the median gradients (analysis scale, the colour channel of
    :func:`_colour_gradients`) of the frames the estimate used, zero outside the overlay's
    strong edges, cropped to ``box`` = ``(x0, y0, x1, y1)`` of the analysis-scale frame;
    ``scale`` is analysis over full size. :meth:`strength` measures how much of them a
    frame shows (step 9 of the module docstring).
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
    def from_array(cls, array: np.ndarray, box, scale: float, size=None) -> "OverlayTemplate":
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


# What a low confidence term means, for the refusal message.
_SHORTFALL = {
    "motion": "too little of the content moved to tell an overlay from the scene",
    "contrast": "the overlay's edges are faint against what the moving content leaves behind",
    "clarity": "the scene around the mask hardly moved, so the mask may miss part of the overlay",
}


# ------------------------------------------------------------------------------------
# Evidence
# ------------------------------------------------------------------------------------
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


class _Evidence:
    """Per-frame signed gradients (int16, analysis scale) of the non-redundant frames."""

    def __init__(self, analysis_max_side: int, dedupe_level: float):
        self.max_side = analysis_max_side
        self.dedupe_level = dedupe_level
        self.full_shape: tuple[int, int] | None = None
        self.scale = 1.0
        self.gx: list[np.ndarray] = []
        self.gy: list[np.ndarray] = []
        self.thumbs: list[np.ndarray] = []
        self.greys: list[np.ndarray] = []
        self.video: list[object] = []
        self.position: list[int] = []  # per kept frame, its position among its video's sampled frames
        self._added: dict[object, int] = {}  # frames added per video, redundant ones included
        self.shot = np.zeros(0, int)  # shot id per kept frame, set by camera()
        self.sampled = 0

    def add(self, frame: np.ndarray, source: object = None) -> None:
        import cv2

        g = _grey(np.asarray(frame))
        if self.full_shape is None:
            self.full_shape = g.shape
            self.scale = min(1.0, self.max_side / max(g.shape))
        elif g.shape != self.full_shape:
            h, w = self.full_shape
            raise InputError(source, f"frames are {g.shape[1]}x{g.shape[0]}, but the first input is {w}x{h}; "
                                      "pool frames of one size (fit_frame)")
        self.sampled += 1
        position = self._added.get(source, 0)
        self._added[source] = position + 1
        g = _analysis_grey(g, self.scale)
        # Redundancy test on a 1/8 thumbnail, blurred so sensor noise and compression do not
        # count as change: a mean absolute difference of ~1.5 grey levels is a visible shift.
        thumb = cv2.GaussianBlur(cv2.resize(g, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
                                 .astype(np.float32), (3, 3), 0)
        if self.dedupe_level > 0 and any(np.abs(thumb - t).mean() < self.dedupe_level for t in self.thumbs):
            return
        self.thumbs.append(thumb)
        self.greys.append(g)
        self.video.append(source)
        self.position.append(position)
        gx, gy = _colour_gradients(_analysis_rgb(np.asarray(frame), g.shape), g)
        # Sobel on uint8 channels is within +-1020: int16 halves the memory of float32.
        self.gx.append(gx.astype(np.int16))
        self.gy.append(gy.astype(np.int16))

    def add_video(self, frames, source: object = None) -> None:
        """Add every frame of one video (anything :func:`_iter_frames` takes), tagged with ``source``."""
        for f in _iter_frames(frames):
            self.add(f, source)

    def camera(self, min_shift: float) -> list[np.ndarray | None]:
        """Per kept frame, the 2x3 similarity mapping it onto its shot's first frame, or None.

        Consecutive kept frames of the same video are registered with sparse optical flow
        (Shi-Tomasi corners, pyramidal Lucas-Kanade) and a RANSAC similarity fit, whose
        outlier rejection ignores the overlay's corners (they do not move) as long as the
        scene has more. A failed fit (a cut, a jump between far-apart samples) starts a new
        shot. Shots whose frames moved less than ``min_shift`` px get None: no usable
        camera model, the content has to move on its own.
        """
        import cv2

        n = len(self.greys)
        models: list[np.ndarray | None] = [None] * n
        shot_start, cur = 0, np.eye(3)
        shots: list[tuple[int, int]] = []
        for i in range(n):
            ok = False
            if i > 0 and self.video[i] == self.video[i - 1]:
                prev, nxt = self.greys[i - 1], self.greys[i]
                pts = cv2.goodFeaturesToTrack(prev, 500, 0.01, 7)
                if pts is not None and len(pts) >= 20:
                    q, st, _ = cv2.calcOpticalFlowPyrLK(prev, nxt, pts, None, winSize=(21, 21), maxLevel=3)
                    good = st.ravel() == 1
                    if good.sum() >= 20:
                        b, inl = cv2.findHomography(pts[good], q[good], cv2.RANSAC, 1.0)
                        if b is not None and inl is not None and inl.sum() >= max(15, 0.3 * good.sum()):
                            cur = cur @ np.linalg.inv(b)
                            cur /= cur[2, 2]
                            ok = True
            if not ok:
                if i > 0:
                    shots.append((shot_start, i))
                shot_start, cur = i, np.eye(3)
            models[i] = cur.copy()
        shots.append((shot_start, n))
        self.shot = np.zeros(n, int)
        for s_id, (a, b) in enumerate(shots):
            self.shot[a:b] = s_id
        h, w = self.greys[0].shape
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1], [w / 2, h / 2, 1]], float).T
        for a, b in shots:
            where = np.stack([_project(models[i], corners) for i in range(a, b)])  # (k, 2, 5)
            spread = float((where.max(axis=0) - where.min(axis=0)).max()) if b - a > 1 else 0.0
            if b - a < 3 or spread < min_shift:
                for i in range(a, b):
                    models[i] = None
        return models

    def motion_across_edges(self, models: list[np.ndarray | None], nx: np.ndarray, ny: np.ndarray,
                            step: int = 16) -> np.ndarray:
        """Per pixel, how far its shot's camera moved the scene *across* the edge there (px,
        analysis scale): the shot's displacement of the scene under the pixel, first frame
        to last, projected on the edge normal ``(nx, ny)``; the median over kept frames
        (0 for frames without a camera model).

        The scene prediction can only tell a scene edge from an overlay's where the scene
        moved across it: near a crane shot's rotation centre, or along an edge that runs
        with the motion (the aperture problem), the overlay is in the scene's coordinates
        too and the prediction explains it away as readily as a static facade. Homographies
        are smooth, so the displacements are computed on a ``step`` px grid and scaled up.
        """
        import cv2

        h, w = self.greys[0].shape
        gy, gx = np.mgrid[0:h + step:step, 0:w + step:step].astype(float)
        pts = np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])
        size = (gx.shape[1] * step, gx.shape[0] * step)
        values, weights = [np.zeros((h, w), np.float32)], [0]
        for s_id in np.unique(self.shot):
            idx = [k for k in np.nonzero(self.shot == s_id)[0] if models[k] is not None]
            if not idx:
                continue
            d = (_project(models[idx[-1]], pts) - _project(models[idx[0]], pts)).reshape(2, *gx.shape)
            dx, dy = (cv2.resize(c.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)[:h, :w] for c in d)
            values.append(np.abs(dx * nx + dy * ny))
            weights.append(len(idx))
        weights[0] = len(models) - sum(weights[1:])  # frames without a model: no motion
        # The frame-weighted median over the (few) shots.
        stack = np.stack(values)
        order = np.argsort(stack, axis=0)
        cum = np.cumsum(np.asarray(weights, float)[order], axis=0)
        pick = np.take_along_axis(order, np.argmax(cum >= cum[-1] / 2, axis=0)[None], 0)
        return np.take_along_axis(stack, pick, 0)[0]

    def scene_prediction(self, models: list[np.ndarray | None], rows: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Median over frames of the gradient the *moving scene alone* puts at each pixel.

        Per shot with a camera model, the frames' gradients are warped onto the shot's
        first frame and their median taken: the scene's own persistent structure, with the
        overlay smeared out (it moved relative to the scene). That is warped back into
        every frame; frames without a model predict 0 (content assumed to move on its
        own). Whatever the image-coordinate median shares with this prediction is scene
        structure that merely moved too little or along itself (the aperture problem).
        """
        import cv2

        n = len(self.gx)
        h, w = self.greys[0].shape
        pred_x = np.zeros((n, h, w), np.float32)
        pred_y = np.zeros((n, h, w), np.float32)
        valid = np.ones((n, h, w), bool)
        flags = cv2.INTER_LINEAR
        i = 0
        while i < n:
            if models[i] is None:
                i += 1
                continue
            j = i
            while j + 1 < n and models[j + 1] is not None and self.shot[j + 1] == self.shot[i]:
                j += 1
            idx = range(i, j + 1)
            # The shot's canvas: the union of what its frames saw (capped at 3x the frame),
            # so frames far along a pan still have their scene predicted.
            corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], float).T
            seen = np.concatenate([_project(models[k], corners) for k in idx], axis=1)
            x0, y0 = np.maximum(seen.min(axis=1), [-w, -h])
            x1, y1 = np.minimum(seen.max(axis=1), [2 * w, 2 * h])
            shift = np.array([[1, 0, -np.floor(x0)], [0, 1, -np.floor(y0)], [0, 0, 1]])
            cw, ch = int(np.ceil(x1 - np.floor(x0))), int(np.ceil(y1 - np.floor(y0)))
            canvas = {k: shift @ models[k] for k in idx}
            ones = np.ones((ch, cw), np.float32)
            stab = []
            for k in idx:
                m = canvas[k]
                wx = cv2.warpPerspective(self.gx[k].astype(np.float32), m, (cw, ch), flags=flags, borderValue=np.nan)
                wy = cv2.warpPerspective(self.gy[k].astype(np.float32), m, (cw, ch), flags=flags, borderValue=np.nan)
                stab.append((wx, wy))
            sx = np.stack([a for a, _ in stab])
            sy = np.stack([b for _, b in stab])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                gsx, gsy = np.nanmedian(sx, axis=0), np.nanmedian(sy, axis=0)
            gsx, gsy = np.nan_to_num(gsx), np.nan_to_num(gsy)
            for k in idx:
                inv = cv2.WARP_INVERSE_MAP | flags
                pred_x[k] = cv2.warpPerspective(gsx, canvas[k], (w, h), flags=inv, borderValue=0.0)
                pred_y[k] = cv2.warpPerspective(gsy, canvas[k], (w, h), flags=inv, borderValue=0.0)
                valid[k] = cv2.warpPerspective(ones, canvas[k], (w, h), flags=inv, borderValue=0.0) > 0.99
            i = j + 1
        del ones
        # Where a frame shows what its shot's reference never saw, it predicts nothing.
        pred_x[~valid] = np.nan
        pred_y[~valid] = np.nan
        px, py = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no prediction
            for r in range(0, h, rows):
                px[r:r + rows] = np.nanmedian(pred_x[:, r:r + rows], axis=0)
                py[r:r + rows] = np.nanmedian(pred_y[:, r:r + rows], axis=0)
        return np.nan_to_num(px), np.nan_to_num(py)

    def residuals(self, min_flow: float, flow_max_side: int, cut_level: float
                  ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Per kept frame, its gradients minus what the *moving scene* predicts there (int16),
        and per pixel the fraction of frames in which some pair moved it by ``min_flow`` px.

        Frame k is predicted from up to 8 frames j of the same video (:func:`_partners`):
        DIS flow k->j (computed at most ``flow_max_side`` px wide) pulls frame j into frame
        k's geometry and the gradients of the warped frames are medianed. A pair predicts
        nothing where its flow moved the content less than ``min_flow`` px, and nothing at
        all when the warped frame stays more than ``cut_level`` grey levels off on average
        (a cut, or motion DIS could not follow). Where no pair predicts, the raw gradient
        stays. See the module docstring, step 2, for why.
        """
        import cv2

        n = len(self.greys)
        h, w = self.greys[0].shape
        s = min(1.0, flow_max_side / max(h, w))
        small = [cv2.resize(g, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else g for g in self.greys]
        dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        rx: list[np.ndarray] = []
        ry: list[np.ndarray] = []
        moved: list[np.ndarray] = []
        members = self.frames_by_video()
        for k in range(n):
            preds_x, preds_y = [], []
            reach = np.zeros((h, w), np.float32)
            same = members[self.video[k]]
            for j in _partners(same, same.index(k)):
                flow = dis.calc(small[k], small[j], None)
                if np.percentile(np.hypot(flow[..., 0], flow[..., 1]), 90) < min_flow * s:
                    continue
                if s < 1:
                    flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / s
                warped = cv2.remap(self.greys[j].astype(np.float32), xx + flow[..., 0], yy + flow[..., 1],
                                   cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=np.nan)
                if np.nanmean(np.abs(warped - self.greys[k])) > cut_level:
                    continue
                # Where the content moved less than min_flow px, this pair cannot tell an
                # overlay from the scene (static content, or flow that locked onto the
                # overlay): it predicts nothing there.
                mag = np.hypot(flow[..., 0], flow[..., 1])
                reach = np.maximum(reach, mag)
                # The stored gradients are warped, not re-derived from the warped grey: they are
                # the colour gradients frame k's own are, so a chroma edge is predicted by one.
                # The gate grows by 1 px, as a 3x3 gradient of the gated frame would.
                gate = cv2.dilate(((mag < min_flow) | np.isnan(warped)).astype(np.uint8), np.ones((3, 3), np.uint8))
                for store, preds in ((self.gx, preds_x), (self.gy, preds_y)):
                    pred = cv2.remap(store[j].astype(np.float32), xx + flow[..., 0], yy + flow[..., 1],
                                     cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=np.nan)
                    pred[gate > 0] = np.nan
                    preds.append(pred)
            moved.append(reach >= min_flow)
            if preds_x:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: outside every warp
                    px = np.nanmedian(np.stack(preds_x), axis=0)
                    py = np.nanmedian(np.stack(preds_y), axis=0)
                px, py = np.nan_to_num(px), np.nan_to_num(py)
                rx.append(np.clip(self.gx[k] - px, -32000, 32000).astype(np.int16))
                ry.append(np.clip(self.gy[k] - py, -32000, 32000).astype(np.int16))
            else:
                rx.append(self.gx[k])
                ry.append(self.gy[k])
        return rx, ry, np.mean(moved, axis=0)

    def frames_by_video(self) -> dict[object, list[int]]:
        """Indices of the kept frames per video, in the order they were added."""
        out: dict[object, list[int]] = {}
        for k, v in enumerate(self.video):
            out.setdefault(v, []).append(k)
        return out

    def drift_free(self, max_drift: int, window: int, sigma: float = 2.0) -> np.ndarray:
        """Bool map: where each video's earliest and latest thirds of kept frames have their
        edge texture in the same place (see "Drift" in the module docstring)."""
        by_video = self.frames_by_video().values()
        thirds = [max(1, len(ks) // 3) for ks in by_video]
        early = [k for ks, n in zip(by_video, thirds) for k in ks[:n]]
        late = [k for ks, n in zip(by_video, thirds) for k in ks[-n:]]
        ex, ey, _ = _temporal_stats([self.gx[k] for k in early], [self.gy[k] for k in early])
        lx, ly, _ = _temporal_stats([self.gx[k] for k in late], [self.gy[k] for k in late])
        return _unshifted(_edge_texture(ex, ey, sigma), _edge_texture(lx, ly, sigma), max_drift, window)

    def subset(self, frames: Sequence[int]) -> "_Evidence":
        """The same evidence restricted to the kept frames ``frames`` (in their order)."""
        out = _Evidence(self.max_side, self.dedupe_level)
        out.full_shape, out.scale, out.sampled = self.full_shape, self.scale, self.sampled
        for name in ("gx", "gy", "thumbs", "greys", "video", "position"):
            setattr(out, name, [getattr(self, name)[k] for k in frames])
        return out

    def showing(self, tx: np.ndarray, ty: np.ndarray, where: np.ndarray) -> np.ndarray:
        """Per kept frame, the fraction of the pixels ``where`` whose gradient is the
        template ``(tx, ty)`` there, give or take half (its projection on the template is
        0.5-1.5 times the template's length): near 0 in a frame without the overlay, whose
        scene gradients point anywhere (module docstring, step 8)."""
        tx, ty = tx[where], ty[where]
        t2 = tx * tx + ty * ty + 1e-3
        out = np.zeros(len(self.gx))
        for k, (gx, gy) in enumerate(zip(self.gx, self.gy)):
            p = (gx[where] * tx + gy[where] * ty) / t2
            out[k] = ((p > 0.5) & (p < 1.5)).mean() if p.size else 0.0
        return out

    def maps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(mx, my, E, M)``: median gradients, their magnitude, and the mean magnitude."""
        mx, my, mean_mag = _temporal_stats(self.gx, self.gy)
        return mx, my, np.hypot(mx, my), mean_mag


def _partners(frames: Sequence[int], k: int) -> list[int]:
    """Frames to predict frame ``frames[k]`` from: its neighbours 1 and 3 places away, and
    the frames at 0, 1/3, 2/3 and the end of the video (so every frame has a partner at
    least a third of the video away), without repeats or the frame itself."""
    m = len(frames)
    picks = [k - 3, k - 1, k + 1, k + 3] + [round(q * (m - 1)) for q in (0, 1 / 3, 2 / 3, 1)]
    return [frames[i] for i in sorted(set(picks)) if 0 <= i < m and i != k]


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


def _edge_texture(gx: np.ndarray, gy: np.ndarray, sigma: float) -> np.ndarray:
    """Gradient magnitude minus its Gaussian blur: the edges' fine structure, zero-mean
    locally, so a correlation peaks where the structures line up (sign-free, see Drift)."""
    import cv2

    m = np.hypot(gx, gy).astype(np.float32)
    return m - cv2.GaussianBlur(m, (0, 0), sigma)


def _unshifted(a: np.ndarray, b: np.ndarray, max_shift: int, window: int, straight: float = STRAIGHT_COHERENCE
               ) -> np.ndarray:
    """Where the local normalised correlation of ``a`` and ``b`` (box ``window``) is highest
    with no shift, against every integer shift of ``b`` up to ``max_shift`` px in x and y.

    Normalised, so a faint static edge beside strong content that leaks differently into
    the two medians still peaks at zero (unnormalised, a low-contrast timestamp box lost 8%
    of its outline). Where the window holds one straight edge (the coherence of the
    structure tensor of ``a + b`` is at least ``straight``), shifts along the edge (less
    than 1 px across it) are left out: they correlate as well as no shift, and which of
    them wins was the noise's choice, so a static box's long top edge beside busy moving
    content was taken for drift (the aperture problem; drift across the edge is still
    seen). A brute-force block matcher, written here because it needs the score at zero
    shift against the best of all others at every pixel (a running maximum, no stack of
    scores), which OpenCV's matchers and flows do not expose.
    """
    import cv2

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (window, window), normalize=False)

    def ncc(b_shifted: np.ndarray, bb_shifted: np.ndarray) -> np.ndarray:
        return box(a * b_shifted) / (norm_a * np.sqrt(np.maximum(box(bb_shifted), 0.0)) + 1e-3)

    h, w = a.shape
    d = max_shift
    norm_a = np.sqrt(np.maximum(box(a * a), 0.0))
    # The window's dominant gradient direction (its edges' normal), where one edge dominates.
    gx, gy = _sobel(a + b)
    jxx, jxy, jyy = box(gx * gx), box(gx * gy), box(gy * gy)
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + 1e-6)
    theta = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    is_straight = coherence >= straight
    nx, ny = np.cos(theta)[is_straight], np.sin(theta)[is_straight]
    bp, bbp = np.pad(b, d), np.pad(b * b, d)
    best = np.full((h, w), -np.inf, np.float32)
    for dy in range(-d, d + 1):
        for dx in range(-d, d + 1):
            ys, xs = slice(d + dy, d + dy + h), slice(d + dx, d + dx + w)
            score = ncc(bp[ys, xs], bbp[ys, xs])
            if dy or dx:
                along = score[is_straight]
                along[np.abs(dx * nx + dy * ny) < 1.0] = -np.inf
                score[is_straight] = along
                np.maximum(best, score, out=best)
            else:
                zero = score
    return zero >= best


# ------------------------------------------------------------------------------------
# Detection
# ------------------------------------------------------------------------------------
def _project(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = m @ pts
    return p[:2] / p[2:]


def _disc(radius: int) -> np.ndarray:
    import cv2

    r = max(1, int(radius))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _solid_regions(edges: np.ndarray, radius: int) -> np.ndarray:
    """Persistent edges (bool) to solid regions: closing with a disc of ``radius`` joins the
    two sides of each stroke and neighbouring letters, and holes are filled (a logo's inside
    is flat, it has no edges of its own).

    A gap in a letter's outline wider than the closing bridges lets its inside leak to the
    outside, so the hole fill misses it (1080p logos lost the inside of whole letters). A
    closing twice as wide seals such gaps; of what that adds, only pixels within radius/2 of
    an edge are kept: most of a stroke's inside, and not the wide bays between separate
    shapes (keeping everything the wide closing adds cost 0.1-0.2 of "within 5 px of the
    overlay" on text overlays; radius/2 cost under 0.1 and lifted 1080p logo coverage from
    0.92 to 0.96).
    """
    import cv2
    from scipy import ndimage

    closed = cv2.morphologyEx(edges.astype(np.uint8), cv2.MORPH_CLOSE, _disc(radius))
    filled = ndimage.binary_fill_holes(closed)
    sealed = ndimage.binary_fill_holes(cv2.morphologyEx(closed, cv2.MORPH_CLOSE, _disc(2 * radius)))
    near_edge = dilate_holes(edges, max(1, radius // 2))
    return filled | (sealed & near_edge)


def _isotropy(mx: np.ndarray, my: np.ndarray) -> float:
    """Smaller over larger eigenvalue of the summed structure tensor of the given gradients."""
    jxx, jyy, jxy = float((mx * mx).sum()), float((my * my).sum()), float((mx * my).sum())
    tr, det = jxx + jyy, jxx * jyy - jxy * jxy
    disc = max(0.0, tr * tr / 4 - det) ** 0.5
    hi, lo = tr / 2 + disc, tr / 2 - disc
    return lo / hi if hi > 0 else 0.0


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


ANALYSIS_MAX_SIDE = 1280  # analysis scale: frames larger than this are reduced
DEDUPE_LEVEL = 1.5  # mean absolute thumbnail difference (grey levels) below which a frame is redundant


def detect_static_overlay(frames, *, margin: int = 3, analysis_max_side: int = ANALYSIS_MAX_SIDE,
                          dedupe_level: float = DEDUPE_LEVEL,
                          abs_floor: float = 24.0, k_background: float = 2.0, k_weak: float = 1.5, min_strong: int = 30, min_persistence: float = 0.35,
                          min_motion: float = 0.5, min_area: float = 2e-4, min_isotropy: float = 0.08,
                          close_frac: float = 0.012, min_shift: float = 4.0, motion_model: str = "homography",
                          min_flow: float = 1.5, flow_max_side: int = 640, cut_level: float = 20.0,
                          max_drift: int = 6, drift_window: int = 15, ambiguity_reach: float = 0.05,
                          sources: Sequence[object] = (),
                          _evidence: _Evidence | None = None, _presence: bool = True) -> WatermarkEstimate:
    """Mask of the static overlay in ``frames``: an array (n, H, W, 3) uint8 RGB or (n, H, W)
    grey, or an iterable of frames or batches (consumed once; pass ~30-100 frames spread
    over the footage). See the module docstring for the method and the parameters' roles.

    Raises :class:`InputError` (naming ``sources``) when fewer than 3 distinct frames remain
    or the content moved too little to tell an overlay from the scene.
    """
    # The parameters, for the second estimate (step 8, at the end): keep this line first.
    options = {k: v for k, v in locals().items() if k not in ("frames", "_evidence", "_presence")}
    import cv2

    if motion_model not in MOTION_MODELS:
        raise ValueError(f"motion_model must be one of {MOTION_MODELS}, got {motion_model!r}")
    what = ", ".join(str(s) for s in sources) if sources else None
    ev = _evidence or _Evidence(analysis_max_side, dedupe_level)
    if _evidence is None:
        ev.add_video(frames)
    if ev.full_shape is None:
        raise InputError(what, "no frames to analyse")
    n = len(ev.gx)
    too_static = "too static to tell which pixels belong to an overlay: "
    hint = "; pass a longer clip or more videos of the same source"
    if n < 3:
        raise InputError(what, too_static + f"only {n} of {ev.sampled} sampled frames differ visibly" + hint)

    mx, my, E_img, M = ev.maps()
    raw_x, raw_y = mx, my
    h, w = E_img.shape
    could_tell = np.ones((h, w), bool)
    # Where the camera barely moved the scene across a persistent image edge, the scene
    # prediction cannot tell overlay from scene (Clarity, below).
    still_edges = np.zeros((h, w), bool)
    if motion_model == "dense":
        rx, ry, moved = ev.residuals(min_flow, flow_max_side, cut_level)
        mx, my, _ = _temporal_stats(rx, ry)
        del rx, ry
        # Cancelled by the prediction is not enough: the content must also have moved
        # (in some pair, for most frames) or changed on its own in image coordinates.
        could_tell = (moved >= 0.5) | (E_img / (M + 1e-3) < min_persistence)
    else:
        models = ev.camera(min_shift)
        if any(m is not None for m in models):
            px, py = ev.scene_prediction(models)
            across = ev.motion_across_edges(models, mx / (E_img + 1e-3), my / (E_img + 1e-3))
            still_edges = (across < min_shift) & (E_img / (M + 1e-3) >= min_persistence)
            mx, my = mx - px, my - py
            del px, py
    E = np.hypot(mx, my)
    R = E / (M + 1e-3)

    # Noise level of the gradient: textured pixels are well above it.
    # Textured: mean gradient above the floor (content that could show motion). Busy: the
    # more textured half, whose leak through the median sets the background level.
    textured = M > abs_floor
    persistent = R >= min_persistence
    moving_bg = (M > max(abs_floor, 2.0 * float(np.median(M)))) & ~persistent
    background_level = float(np.percentile(E[moving_bg], 99)) if moving_bg.sum() > 100 else abs_floor
    threshold = max(abs_floor, k_background * background_level)
    strong = (E >= threshold) & persistent
    # Hysteresis, as in Canny: weaker persistent edges count when their region also holds
    # strong ones (a timestamp box's faint outline around its bright text).
    edges = (E >= max(abs_floor, k_weak * background_level)) & persistent
    drifted = np.zeros_like(strong)
    if max_drift > 0:
        unmoved = ev.drift_free(max_drift, drift_window)
        drifted = strong & ~unmoved
        strong &= unmoved
        edges &= unmoved

    # Edges to solid regions.
    diag = float(np.hypot(h, w))
    filled = _solid_regions(edges, max(1, round(close_frac * diag))).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(filled, connectivity=8)
    keep = np.zeros(count, bool)
    for i in range(1, count):
        if stats[i, cv2.CC_STAT_AREA] < min_area * h * w:
            continue
        sel = (labels == i) & edges
        if (sel & strong).sum() < min_strong:
            continue
        if _isotropy(mx[sel], my[sel]) < min_isotropy:
            continue
        keep[i] = True
    region = keep[labels]

    # How much did the content move? Over the textured pixels outside the detected
    # overlay (a big logo would otherwise count as static content). Outside a wrong, huge
    # detection little is left to measure, which reads as static: refused, not trusted.
    tex_out = textured & ~region
    motion = float((~persistent & could_tell)[tex_out].mean()) if tex_out.sum() > 0.01 * h * w else 0.0
    if motion < min_motion:
        raise InputError(what, too_static + f"only {motion:.0%} of the textured content moved over {n} distinct "
                               f"frames (need {min_motion:.0%})" + hint)

    # How clear-cut is the region? Strong persistent edges that the drift test discarded
    # around it say the scene there is nearly static too, so the overlay's own edges may be
    # lost among the scene's (part of a logo over near-static facades): a partial mask.
    near = dilate_holes(region, max(1, round(ambiguity_reach * diag))) if region.any() else region
    # So do image edges as strong as an overlay's that the scene prediction explained away
    # where the camera hardly moved the scene across them (a logo near a crane shot's
    # rotation centre: the prediction takes part of it for scene, and that part is missed).
    explained = still_edges & (E_img >= threshold) & (E < threshold) & ~region
    kept, discarded = float((strong & region).sum()), float(((drifted | explained) & near).sum())
    clarity = 1.0 - discarded / (kept + discarded) if kept + discarded > 0 else 1.0

    on_edges = strong & region
    contrast = float(np.median(E[on_edges]) / max(background_level, 1.0)) if on_edges.any() else 0.0
    components = int(keep.sum())

    template = _template(raw_x, raw_y, region, threshold, ev.scale, ev.full_shape)
    # Back to full resolution, then the safety margin.
    fh, fw = ev.full_shape
    if (h, w) != (fh, fw):
        region = cv2.resize(region.astype(np.uint8), (fw, fh), interpolation=cv2.INTER_LINEAR).astype(bool)
    if margin > 0 and region.any():
        # The margin is in analysis pixels: a 1080p frame analysed at 1280 px gets 1.5x it,
        # as its anti-aliased fringe is 1.5x as wide.
        region = dilate_holes(region, max(1, round(margin / ev.scale)))
    terms = {"motion": _ramp(motion, min_motion, 0.9), "contrast": _ramp(contrast, 1.0, 4.0),
             "clarity": _ramp(clarity, 0.4, 0.8)}
    confidence = float(np.prod(list(terms.values()))) if components else 0.0
    log.info("overlay: %d component(s), %.2f%% of the frame, confidence %.2f (motion %.0f%%, contrast %.1fx, "
             "clarity %.0f%%, %d/%d frames)", components, 100 * region.mean(), confidence, 100 * motion, contrast,
             100 * clarity, n, ev.sampled)
    estimate = WatermarkEstimate(mask=region, confidence=float(confidence), frames_sampled=ev.sampled,
                                 frames_used=n, videos=max(1, len(sources)), motion=motion, contrast=contrast,
                                 clarity=clarity, threshold=threshold, components=components, persistent_edges=E,
                                 terms=terms, frames_showing=n, template=template)
    if not _presence:
        return estimate

    # Presence (step 8): which frames show the candidate edges (strong and persistent,
    # before the drift test)? Where some clearly do not, estimate again from those that do.
    seen = ev.showing(raw_x, raw_y, (E >= threshold) & persistent)
    clearest = {v: ev.position[max(ks, key=seen.__getitem__)] for v, ks in ev.frames_by_video().items()}
    estimate = replace(estimate, clearest_frame=clearest)
    showing = np.nonzero(seen >= 0.5 * np.percentile(seen, 75))[0]
    if len(showing) == n or len(showing) < MIN_FRAMES_SHOWING:
        return estimate
    try:
        second = detect_static_overlay(None, **options, _evidence=ev.subset(showing), _presence=False)
    except InputError:
        second = None
    log.info("overlay: %d of %d distinct frames show its candidate edges; estimated again from those: %s",
             len(showing), n, f"confidence {second.confidence:.2f}" if second else "too static")
    if second is not None and (second.confidence > estimate.confidence or _extends(second.mask, estimate.mask)):
        # More confident, or it shows more of the overlay than the first mask covers (the
        # first may be partial: the frames without the overlay hid part of it).
        return replace(second, frames_used=n, frames_showing=len(showing), clearest_frame=clearest)
    return replace(estimate, frames_showing=len(showing))


def _extends(mask: np.ndarray, other: np.ndarray, keep: float = 0.95, grow: float = 1.1) -> bool:
    """Whether ``mask`` holds at least ``keep`` of ``other`` and is ``grow`` times its size."""
    size = int(other.sum())
    return size > 0 and int((mask & other).sum()) >= keep * size and int(mask.sum()) >= grow * size


def sample_indices(total: int, count: int) -> list[int]:
    """``count`` frame indices spread evenly over ``[0, total)``, sorted, without repeats."""
    if total <= count:
        return list(range(total))
    return sorted(set(np.linspace(0, total - 1, count).round().astype(int).tolist()))


AUTO_MASK_MIN_CONFIDENCE = 0.6  # `--mask auto` and detect-watermark refuse less confident detections


PRESENCE_LEVEL = 0.1  # template strength below which a frame does not show the overlay (step 9)
PRESENCE_MIN_GAP = 10  # frames: a shorter run of frames without it is a misreading, not a break
PRESENCE_GUARD = 2  # frames kept masked on each side of one that shows it (a logo fading in or out)


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


def detect_auto_overlay(path: str | Path) -> WatermarkEstimate:
    """The estimate whose mask ``--mask auto`` uses for one video; raises on an empty or doubtful detection."""
    return detect_watermark([Path(path)]).require(AUTO_MASK_MIN_CONFIDENCE, what=path)


def detect_pooled_overlay(videos: Iterable[tuple[object, object]], *, analysis_max_side: int = ANALYSIS_MAX_SIDE,
                          dedupe_level: float = DEDUPE_LEVEL, **options) -> WatermarkEstimate:
    """One estimate from several videos of the same source, given as ``(name, frames)`` pairs.

    ``frames`` is anything :func:`detect_static_overlay` takes; each video's frames are
    consumed once, in order, and tagged with its name, because camera registration and the
    drift test work within one video. The frames of all videos then share one median (the
    module docstring's step 5), and the names appear in refusals. ``options`` go to
    :func:`detect_static_overlay`.
    """
    ev = _Evidence(analysis_max_side, dedupe_level)
    names = []
    for name, frames in videos:
        names.append(name)
        ev.add_video(frames, name)
    return detect_static_overlay(None, sources=names, _evidence=ev, **options)


def detect_watermark(paths: Sequence[str | os.PathLike], *, max_frames_per_video: int = 60, **options
                     ) -> WatermarkEstimate:
    """Detect the static overlay shared by the videos (or frame folders) in ``paths``.

    Samples up to ``max_frames_per_video`` frames spread over each video (decoded in
    index order; the whole video is never decoded) and pools them into one estimate
    (:func:`detect_pooled_overlay`), so several short or static-camera videos of the same
    source can together reveal a logo none shows alone. Videos of several resolutions
    with one aspect ratio (a channel's 720p and 1080p uploads: a broadcaster scales its
    logo with the frame) are analysed at the largest one's size, the others' frames fitted
    to it (:func:`fit_frame`); the estimate's mask and template are at that size, and
    :meth:`WatermarkEstimate.mask_at` gives each video's. Another aspect ratio:
    :class:`InputError`. ``options`` go to :func:`detect_static_overlay` (``margin``,
    ``min_motion``, ...).
    """
    from media.video import VideoSource

    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError(None, "no input videos given")
    # The sizes first (opening a video reads its header, not its frames), so the pool's
    # size does not depend on the order of the inputs.
    sizes = {}
    for path in paths:
        with VideoSource(path) as src:
            sizes[path] = (src.info.width, src.info.height)
    largest = max(paths, key=lambda q: sizes[q][0] * sizes[q][1])
    for path in paths:
        if not same_aspect(sizes[path], sizes[largest]):
            (w, h), (lw, lh) = sizes[path], sizes[largest]
            raise InputError(path, f"is {w}x{h}, but {largest} is {lw}x{lh}: another aspect ratio; pool only "
                                   "videos of the same source and aspect ratio")
    pool_shape = (sizes[largest][1], sizes[largest][0])
    sampled: dict[Path, list[int]] = {}  # the frame indices sampled per video

    def sampled_frames(path: Path):
        with VideoSource(path) as src:
            sampled[path] = sample_indices(src.info.frames, max_frames_per_video)
            for i in sampled[path]:
                yield fit_frame(src.read(i, i + 1)[0], pool_shape)

    est = detect_pooled_overlay(((path, sampled_frames(path)) for path in paths), **options)
    return replace(est, clearest_frame={p: sampled[p][k] for p, k in est.clearest_frame.items()},
                   sizes={p: (h, w) for p, (w, h) in sizes.items()})
