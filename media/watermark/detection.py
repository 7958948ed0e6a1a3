"""The detection itself (:mod:`media.watermark`, steps 1-8): one estimate from frames in
memory (:func:`detect_static_overlay`), from several videos' frames pooled
(:func:`detect_pooled_overlay`) or from video files (:func:`detect_watermark`,
:func:`detect_auto_overlay`), with the estimate made again from the frames that show the
overlay when some do not."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path

import numpy as np

from isvi_models.errors import InputError
from isvi_models.ops.masks import dilate_holes
from media.masks import fit_frame, same_aspect
from media.watermark.estimate import WatermarkEstimate
from media.watermark.evidence import _Evidence
from media.watermark.gradients import _temporal_stats
from media.watermark.params import MOTION_MODELS, DetectionParams
from media.watermark.presence import _template
from media.watermark.regions import _isotropy, _solid_regions

log = logging.getLogger("isvi.watermark")

MIN_FRAMES_SHOWING = 6  # fewer frames showing an overlay are too few for a second estimate
AUTO_MASK_MIN_CONFIDENCE = 0.6  # `--mask auto` and detect-watermark refuse less confident detections


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def detect_static_overlay(frames, *, params: DetectionParams = DetectionParams(),  # noqa: B008
                          sources: Sequence[object] = (), _evidence: _Evidence | None = None,
                          _presence: bool = True) -> WatermarkEstimate:
    """Mask of the static overlay in ``frames``: an array (n, H, W, 3) uint8 RGB or (n, H, W)
    grey, or an iterable of frames or batches (consumed once; pass ~30-100 frames spread
    over the footage). ``params`` tunes the method (:class:`DetectionParams`, whose fields
    say which step of :mod:`media.watermark` each one acts in); ``sources`` name the input
    in refusals.

    Raises :class:`InputError` (naming ``sources``) when fewer than 3 distinct frames remain
    or the content moved too little to tell an overlay from the scene, and ValueError for
    an unknown ``params.motion_model``.
    """
    import cv2

    if params.motion_model not in MOTION_MODELS:
        raise ValueError(f"motion_model must be one of {MOTION_MODELS}, got {params.motion_model!r}")
    what = ", ".join(str(s) for s in sources) if sources else None
    ev = _evidence or _Evidence(params.analysis_max_side, params.dedupe_level)
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
    if params.motion_model == "dense":
        rx, ry, moved = ev.residuals(params.min_flow, params.flow_max_side, params.cut_level)
        mx, my, _ = _temporal_stats(rx, ry)
        del rx, ry
        # Cancelled by the prediction is not enough: the content must also have moved
        # (in some pair, for most frames) or changed on its own in image coordinates.
        could_tell = (moved >= 0.5) | (E_img / (M + 1e-3) < params.min_persistence)
    else:
        models = ev.camera(params.min_shift)
        if any(m is not None for m in models):
            px, py = ev.scene_prediction(models)
            across = ev.motion_across_edges(models, mx / (E_img + 1e-3), my / (E_img + 1e-3))
            still_edges = (across < params.min_shift) & (E_img / (M + 1e-3) >= params.min_persistence)
            mx, my = mx - px, my - py
            del px, py
    E = np.hypot(mx, my)
    R = E / (M + 1e-3)

    # Noise level of the gradient: textured pixels are well above it.
    # Textured: mean gradient above the floor (content that could show motion). Busy: the
    # more textured half, whose leak through the median sets the background level.
    textured = M > params.abs_floor
    persistent = R >= params.min_persistence
    moving_bg = (M > max(params.abs_floor, 2.0 * float(np.median(M)))) & ~persistent
    background_level = float(np.percentile(E[moving_bg], 99)) if moving_bg.sum() > 100 else params.abs_floor
    threshold = max(params.abs_floor, params.k_background * background_level)
    strong = (E >= threshold) & persistent
    # Hysteresis, as in Canny: weaker persistent edges count when their region also holds
    # strong ones (a timestamp box's faint outline around its bright text).
    edges = (E >= max(params.abs_floor, params.k_weak * background_level)) & persistent
    drifted = np.zeros_like(strong)
    if params.max_drift > 0:
        unmoved = ev.drift_free(params.max_drift, params.drift_window)
        drifted = strong & ~unmoved
        strong &= unmoved
        edges &= unmoved

    # Edges to solid regions.
    diag = float(np.hypot(h, w))
    filled = _solid_regions(edges, max(1, round(params.close_frac * diag))).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(filled, connectivity=8)
    keep = np.zeros(count, bool)
    for i in range(1, count):
        if stats[i, cv2.CC_STAT_AREA] < params.min_area * h * w:
            continue
        sel = (labels == i) & edges
        if (sel & strong).sum() < params.min_strong:
            continue
        if _isotropy(mx[sel], my[sel]) < params.min_isotropy:
            continue
        keep[i] = True
    region = keep[labels]

    # How much did the content move? Over the textured pixels outside the detected
    # overlay (a big logo would otherwise count as static content). Outside a wrong, huge
    # detection little is left to measure, which reads as static: refused, not trusted.
    tex_out = textured & ~region
    motion = float((~persistent & could_tell)[tex_out].mean()) if tex_out.sum() > 0.01 * h * w else 0.0
    if motion < params.min_motion:
        raise InputError(what, too_static + f"only {motion:.0%} of the textured content moved over {n} distinct "
                               f"frames (need {params.min_motion:.0%})" + hint)

    # How clear-cut is the region? Strong persistent edges that the drift test discarded
    # around it say the scene there is nearly static too, so the overlay's own edges may be
    # lost among the scene's (part of a logo over near-static facades): a partial mask.
    near = dilate_holes(region, max(1, round(params.ambiguity_reach * diag))) if region.any() else region
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
    if params.margin > 0 and region.any():
        # The margin is in analysis pixels: a 1080p frame analysed at 1280 px gets 1.5x it,
        # as its anti-aliased fringe is 1.5x as wide.
        region = dilate_holes(region, max(1, round(params.margin / ev.scale)))
    terms = {"motion": _ramp(motion, params.min_motion, 0.9), "contrast": _ramp(contrast, 1.0, 4.0),
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
        second = detect_static_overlay(None, params=params, sources=sources, _evidence=ev.subset(showing),
                                       _presence=False)
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


def detect_auto_overlay(path: str | Path) -> WatermarkEstimate:
    """The estimate whose mask ``--mask auto`` uses for one video; raises on an empty or doubtful detection."""
    return detect_watermark([Path(path)]).require(AUTO_MASK_MIN_CONFIDENCE, what=path)


def detect_pooled_overlay(videos: Iterable[tuple[object, object]], *,
                          params: DetectionParams = DetectionParams()) -> WatermarkEstimate:  # noqa: B008
    """One estimate from several videos of the same source, given as ``(name, frames)`` pairs.

    ``frames`` is anything :func:`detect_static_overlay` takes; each video's frames are
    consumed once, in order, and tagged with its name, because camera registration and the
    drift test work within one video. The frames of all videos then share one median
    (:mod:`media.watermark`, step 5), and the names appear in refusals. ``params`` as for
    :func:`detect_static_overlay`.
    """
    ev = _Evidence(params.analysis_max_side, params.dedupe_level)
    names = []
    for name, frames in videos:
        names.append(name)
        ev.add_video(frames, name)
    return detect_static_overlay(None, params=params, sources=names, _evidence=ev)


def detect_watermark(paths: Sequence[str | os.PathLike], *, max_frames_per_video: int = 60,
                     params: DetectionParams = DetectionParams(),  # noqa: B008
                     sizes: Mapping[Path, tuple[int, int]] | None = None,
                     fetch: Callable[[Path], AbstractContextManager[Path]] | None = None) -> WatermarkEstimate:
    """Detect the static overlay shared by the videos (or frame folders) in ``paths``.

    Samples up to ``max_frames_per_video`` frames spread over each video (decoded in
    index order; the whole video is never decoded) and pools them into one estimate
    (:func:`detect_pooled_overlay`), so several short or static-camera videos of the same
    source can together reveal a logo none shows alone. Videos of several resolutions
    with one aspect ratio (a channel's 720p and 1080p uploads: a broadcaster scales its
    logo with the frame) are analysed at the largest one's size, the others' frames fitted
    to it (:func:`fit_frame`); the estimate's mask and template are at that size, and
    :meth:`WatermarkEstimate.mask_at` gives each video's. Another aspect ratio:
    :class:`InputError`. ``params`` as for :func:`detect_static_overlay`
    (``DetectionParams(margin=..., motion_model=...)``).

    A caller that already knows each video's (width, height) passes ``sizes``; ``fetch`` maps a
    path to a context manager giving the file to read while that video's frames are sampled
    (a batch copies a remote video in for that time only, so its disk holds one pool member
    at a time, not the pool).
    """
    from media.video import VideoSource

    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError(None, "no input videos given")
    fetch = fetch or nullcontext
    # The sizes first (opening a video reads its header, not its frames), so the pool's
    # size does not depend on the order of the inputs.
    sizes = {Path(p): tuple(s) for p, s in sizes.items()} if sizes is not None else {}
    for path in paths:
        if path not in sizes:
            with fetch(path) as local, VideoSource(local) as src:
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
        with fetch(path) as local, VideoSource(local) as src:
            sampled[path] = sample_indices(src.info.frames, max_frames_per_video)
            for i in sampled[path]:
                yield fit_frame(src.read(i, i + 1)[0], pool_shape)

    est = detect_pooled_overlay(((path, sampled_frames(path)) for path in paths), params=params)
    return replace(est, clearest_frame={p: sampled[p][k] for p, k in est.clearest_frame.items()},
                   sizes={p: (h, w) for p, (w, h) in sizes.items()})
