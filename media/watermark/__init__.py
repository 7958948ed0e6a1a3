"""Estimate the mask of a static overlay (logo, text, timestamp box) from the video itself.

Method (after Dekel et al., "On the Effectiveness of Visible Watermarks", CVPR 2017):
an alpha-blended overlay ``I_t = (1 - a) J_t + a W`` adds the same gradient ``a grad(W)``
to every frame while the content gradient ``grad(J_t)`` changes as the camera or the scene
moves. The per-pixel temporal *median of the signed gradients* (gx and gy separately)
therefore keeps the overlay's edges and cancels the moving content's, whose signs vary;
the median of the gradient *magnitude* would not (textured content always has a large
magnitude). The gradients are those of luma or chroma (Y, Cr, Cb), whichever is strongest
per pixel, so an overlay that differs from the content only in hue still has edges; luma
wins wherever it has one. Frames are analysed at most ``analysis_max_side`` px on the long
side (the per-frame gradients of all sampled frames are held in memory) and the mask is
scaled back up. The parameters named below are the fields of :class:`DetectionParams`.

1. **Redundant frames are dropped.** The median needs the content under a pixel to differ
   in more than half of the frames, so a sampled frame is kept only if it differs from
   every frame already kept by at least ``dedupe_level`` grey levels (mean absolute
   difference of small blurred thumbnails): a camera that pans and then holds still would
   otherwise out-vote the moving frames with near-identical ones.
2. **What the moving scene explains is taken out.** A slow pan, a small rotation, periodic
   facades and edges parallel to the motion (the aperture problem) keep scene gradients in
   place for more than half of the frames. With ``motion_model="homography"`` (the
   default), consecutive kept frames of a video are registered (Shi-Tomasi corners,
   pyramidal Lucas-Kanade, RANSAC homography, whose outlier rejection ignores the
   overlay's corners); a failed fit starts a new shot. Each shot's gradients are medianed
   in the scene's coordinates (the overlay smears out there), and that scene median,
   warped back into every frame, predicts what the scene alone puts in the image median;
   the overlay evidence is the median minus that prediction. Shots that moved less than
   ``min_shift`` px predict nothing: their content must move on its own or the clip is
   refused (step 5). With ``motion_model="dense"`` (footage one camera model does not fit,
   such as parallax), each kept frame is predicted from up to 8 frames of its video (near
   ones, and ones a third of the video away) pulled into its geometry by DIS flow
   (computed at most ``flow_max_side`` px wide); a pair predicts nothing where its flow
   moved the content less than ``min_flow`` px, and nothing at all across a cut (warped
   frame more than ``cut_level`` grey levels off on average); the evidence is the median
   of the frames' residuals.
3. **Drift.** A scene edge can stay nearly in place for a short clip and still not be an
   overlay (facades near a crane shot's rotation centre); an overlay does not move at all.
   The edge texture (high-passed gradient magnitude, sign-free) of each video's earliest
   and latest third of frames is compared in a ``drift_window`` px window around every
   pixel: an edge counts only where the two correlate best (normalised) with no shift,
   against every shift up to ``max_drift`` px (``max_drift=0`` turns the test off).
   Shifts along a straight edge (structure-tensor coherence at least
   ``STRAIGHT_COHERENCE``), which cannot be told from none, are left out.
4. **Persistence.** ``E = |median(g) - prediction|`` and ``R = E / mean(|g|)``: ``R`` is
   near 1 where an unexplained gradient never changed and near 0 where it came and went;
   pixels with ``R >= min_persistence`` are persistent.
5. **Too static to tell.** Of the *textured* pixels (mean ``|g|`` above ``abs_floor``)
   outside the detected overlay, the share that is not persistent is how much the content
   moved (for the dense model, only where some pair's flow moved it in at least half of
   the frames, or it changed on its own). Below ``min_motion`` (or with under 1% of the
   frame left to measure) every edge persists and no pixel can be told from an overlay:
   the input is refused.
   More videos of the same source fix that: evidence is pooled, one median over the frames
   of all of them, so each video's static background is out-voted by the others' as long
   as most frames come from other content. Videos of one aspect ratio in several
   resolutions pool at the largest one's size, the others' frames fitted to it
   (:func:`media.masks.fit_frame`).
6. **Threshold, with hysteresis.** The background level is the 99th percentile of ``E``
   over the busier, non-persistent pixels (mean ``|g|`` above twice its median and above
   ``abs_floor``: what moving content leaks through the median; ``abs_floor`` when there
   are too few).
   Strong edges: persistent, with ``E`` above ``max(abs_floor, k_background * level)``.
   As in Canny, weaker persistent edges (above ``k_weak * level``) count when their region
   also holds at least ``min_strong`` strong ones (a timestamp box's faint outline around
   its bright text). Edges the drift test rejected are removed from both.
7. **Edges to a solid region.** A morphological closing with a disc of ``close_frac`` of
   the frame diagonal joins the two sides of each stroke and neighbouring letters; holes
   are filled (a logo's interior is flat), with a wider closing sealing outlines that have
   gaps. Components smaller than ``min_area`` of the frame are dropped, and so are those
   whose edges all run one way (structure-tensor isotropy below ``min_isotropy``: what is
   left of a straight scene edge along the motion). The mask is scaled to full size and
   grown by a safety margin of ``margin`` analysis px (inpainting needs the whole
   anti-aliased fringe).
8. **Presence.** A logo that arrives late, leaves early or drops out for a break is in
   only part of the frames: the median keeps it weakened and the drift test reads it,
   missing from one third, as an edge that moved. So each kept frame is tested for the
   first estimate's candidate edges (strong and persistent, before the drift test): the
   share of them where the frame's gradient is the median's, give or take half. Frames
   under half the 75th percentile of that share do not show the overlay. When some do not
   and at least ``MIN_FRAMES_SHOWING`` do, the whole estimate is made again from those
   alone; it replaces the first if it is more confident, or if its mask holds 95% of the
   first's and is at least 1.1 times as large (the first is then likely partial).
9. **Which frames to inpaint.** The estimate keeps a template (:class:`OverlayTemplate`):
   the median gradients of the frames it used, on the mask's strong edges. A frame's
   strength (:meth:`OverlayTemplate.strength`) is the median over those pixels of its
   gradient projected on the template's, in whichever of Y, Cr and Cb projects most:
   about 1 where the overlay shows, 0 where it does not (every channel is tried because
   which channel is strongest, and with it the sign, changes with the content under the
   overlay). :func:`frames_showing_overlay` leaves out frames under ``PRESENCE_LEVEL``
   (0.1), but only in runs of at least ``PRESENCE_MIN_GAP`` (10) frames and
   ``PRESENCE_GUARD`` (2) frames away from one that shows it; if no frame shows it, every
   frame is inpainted. Every doubt goes to inpainting, because a frame left with its
   overlay is worse than a clean frame inpainted.

**Confidence** in [0, 1] is the product of three ramped terms (``WatermarkEstimate.terms``):
motion (the share of textured content that moved, 0 at ``min_motion``, 1 at 90%), contrast
(median ``E`` on the detected strong edges over the background level, 0 at 1x, 1 at 4x) and
clarity: of the strong edges in the mask and within ``ambiguity_reach`` of the frame
diagonal around it, the share that was kept, against those the drift test discarded and
those the scene prediction explained away where the camera moved the scene less than
``min_shift`` px across them (0 at 40%, 1 at 80%). Both kinds say the scene there is nearly
static too, so part of the overlay may be lost among its edges. An empty mask has
confidence 0.

**Contract.**

- Inputs: frames in memory (:func:`detect_static_overlay`: an array (n, H, W, 3) uint8 RGB
  or (n, H, W) grey, or an iterable of frames or batches, consumed once; ~30-100 frames
  spread over the footage), ``(name, frames)`` pairs of several videos of one source
  (:func:`detect_pooled_overlay`), or video files and frame folders
  (:func:`detect_watermark`, up to ``max_frames_per_video`` frames sampled from each;
  :func:`detect_auto_overlay`, one video as ``--mask auto`` uses it). The tuning is one
  :class:`DetectionParams`.
- Output: a :class:`WatermarkEstimate`: ``mask`` (bool, True on the overlay, margin
  included) at the input's size (a pool's at its largest member's size;
  :meth:`WatermarkEstimate.mask_at` gives each member's), ``confidence`` and its terms,
  the frame counts (sampled, distinct, showing the overlay), per video the frame that
  shows it most clearly (``clearest_frame``) and its size, and the ``template`` (None when
  nothing was found). Per-frame strengths and the frames to inpaint come from
  :func:`overlay_strengths`, :func:`video_overlay_strengths` and
  :func:`frames_showing_overlay`.
- Refusals: :class:`isvi_models.errors.InputError` when there are no frames, fewer than 3
  distinct frames, the content moved less than ``min_motion`` ("too static to tell", naming
  the sources), a pooled video has another aspect ratio, or a file cannot be read;
  ``ValueError`` for an unknown ``motion_model``. An empty mask is returned, not raised:
  :meth:`WatermarkEstimate.require` turns it, or a confidence below a floor
  (``AUTO_MASK_MIN_CONFIDENCE`` = 0.6 for ``--mask auto`` and ``isvi detect-watermark``),
  into :class:`OverlayNotFound` (CLI exit 1) naming the weakest confidence term, so callers
  never inpaint an empty or doubtful mask silently.

Measurements of every step and of the defaults' choice: ``benchmarks/watermark.md``.

Modules: :mod:`~media.watermark.params` (:class:`DetectionParams`),
:mod:`~media.watermark.gradients` (frames to gradients at the analysis scale),
:mod:`~media.watermark.drift` (step 3's maps), :mod:`~media.watermark.evidence` (the
per-frame evidence, camera models, scene prediction, steps 1-3 and 8),
:mod:`~media.watermark.regions` (step 7), :mod:`~media.watermark.presence` (the template,
step 9), :mod:`~media.watermark.estimate` (the result and its refusal) and
:mod:`~media.watermark.detection` (the detectors, steps 4-8).
"""

from media.watermark.detection import (
    AUTO_MASK_MIN_CONFIDENCE,
    MIN_FRAMES_SHOWING,
    detect_auto_overlay,
    detect_pooled_overlay,
    detect_static_overlay,
    detect_watermark,
    sample_indices,
)
from media.watermark.drift import STRAIGHT_COHERENCE
from media.watermark.estimate import OverlayNotFound, WatermarkEstimate
from media.watermark.params import (
    ANALYSIS_MAX_SIDE,
    DEDUPE_LEVEL,
    MOTION_MODELS,
    DetectionParams,
)
from media.watermark.presence import (
    PRESENCE_GUARD,
    PRESENCE_LEVEL,
    PRESENCE_MIN_GAP,
    OverlayTemplate,
    frames_showing_overlay,
    overlay_strengths,
    video_overlay_strengths,
)

__all__ = [
    "ANALYSIS_MAX_SIDE", "AUTO_MASK_MIN_CONFIDENCE", "DEDUPE_LEVEL", "MIN_FRAMES_SHOWING", "MOTION_MODELS",
    "PRESENCE_GUARD", "PRESENCE_LEVEL", "PRESENCE_MIN_GAP", "STRAIGHT_COHERENCE", "DetectionParams",
    "OverlayNotFound", "OverlayTemplate", "WatermarkEstimate", "detect_auto_overlay", "detect_pooled_overlay",
    "detect_static_overlay", "detect_watermark", "frames_showing_overlay", "overlay_strengths", "sample_indices",
    "video_overlay_strengths",
]
