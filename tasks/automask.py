"""``--mask auto`` in the batch: detections cached per video or per pool, presence, previews.

A detection is a stage like the others: its mask, template and preview frame are written to
the cache under a key named by its video (or pool) and reused by every later stage and
re-run. The detection itself is ``media.watermark``'s; this module only caches it.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from isvi_models.errors import ConfigError, IsviError, StageError
from media.masks import MaskSource, open_holes
from storage.keys import bytes_fingerprint
from storage.manifests import VideoItem, localize, release
from storage.zarr_cache import StageKey, ZarrCache, get_fs, put_bytes
from tasks.config import InpaintConfig
from tasks.keys import automask_key, file_chunks, presence_key
from tasks.refs import VideoRef

AUTO_MASK_POOLS = ("video", "folder", "job")


def _min_confidence() -> float:
    from media.watermark import AUTO_MASK_MIN_CONFIDENCE

    return AUTO_MASK_MIN_CONFIDENCE


def video_mask_key(video_id: str) -> StageKey:
    """Where one video's own auto mask lives."""
    return automask_key(video_id, "video", _min_confidence())


def pool_mask_key(pool: str) -> StageKey:
    """Where the auto mask shared by a pool of videos lives (``pool``: :func:`detect_pool_masks`' id)."""
    return automask_key(pool, "pool", _min_confidence())


def _cached_mask(cache: ZarrCache, key: StageKey) -> np.ndarray:
    """A finished automask stage's (H, W) bool mask."""
    return np.asarray(cache.read(key, ["mask"])[0]["mask"][0], bool)


def _write_auto_mask(cache: ZarrCache, key: StageKey, est, clearest, **marker_info) -> None:
    """Cache a detection: its mask, the template that tells which frames show the overlay,
    and ``clearest`` (the preview's frame; per member for a pool)."""
    arrays, attrs = {"mask": est.mask[None]}, {"clearest_frame": clearest}
    if est.template is not None:
        arrays["template"] = est.template.as_array()[None]
        attrs.update(template_box=list(est.template.box), template_scale=est.template.scale,
                     template_size=list(est.template.size) if est.template.size else None)
    cache.write(key, arrays, 1, attrs=attrs, **marker_info)


def _cached_template(cache: ZarrCache, key: StageKey):
    """The :class:`media.watermark.OverlayTemplate` of a finished automask stage, or None."""
    from media.watermark import OverlayTemplate

    group = cache.open(key)
    if "template" not in group:
        return None
    return OverlayTemplate.from_array(group["template"][0], group.attrs["template_box"], group.attrs["template_scale"],
                                      group.attrs.get("template_size"))


def _own_mask(cache: ZarrCache, video_id: str, local: str) -> tuple[np.ndarray, StageKey]:
    """The detected static-overlay mask of one video and where it is cached (with the
    frame that shows the overlay most clearly, for its preview, and its template)."""
    from media.watermark import detect_auto_overlay

    key = video_mask_key(video_id)
    if cache.is_complete(key):
        return _cached_mask(cache, key), key
    est = detect_auto_overlay(local)
    _write_auto_mask(cache, key, est, est.clearest_frame.get(Path(local)))
    return est.mask, key


def _pooled_mask(cache: ZarrCache, pool: str, local: str, shape: tuple[int, int]) -> tuple[np.ndarray, StageKey]:
    """A pool's auto mask at one member's ``shape`` (the pool's is its largest member's size)."""
    from media.masks import fit_mask

    key = pool_mask_key(pool)
    if not cache.is_complete(key):
        raise StageError(f"{local}: the auto mask of its pool ({pool}) is not in the cache {cache.url}; "
                         f"run the job again to detect it")
    return fit_mask(_cached_mask(cache, key), shape), key


def _frames_showing(cache: ZarrCache, mask_key: StageKey, video_id: str, local: str) -> np.ndarray | None:
    """Bool per frame of the video: the frames that show its auto mask's overlay
    (:func:`media.watermark.frames_showing_overlay`), None when the detection left no template.

    The per-frame strengths take one decoding pass over the video, so they are cached (keyed
    by the video and its mask's detection); the rule that turns them into frames is cheap.
    """
    from media.video import VideoSource
    from media.watermark import frames_showing_overlay, video_overlay_strengths

    key = presence_key(video_id, mask_key)
    if cache.is_complete(key):
        return frames_showing_overlay(cache.read(key, ["strength"])[0]["strength"])
    template = _cached_template(cache, mask_key)
    if template is None:
        return None
    with VideoSource(local) as src:
        strength = video_overlay_strengths(src, template)
    cache.write(key, {"strength": strength}, max(1, len(strength)))
    return frames_showing_overlay(strength)


def open_video_holes(mask: str | None, boxes: tuple[str, ...], info, *, cache: ZarrCache | None = None,
                     video_id: str | None = None, local: str | None = None, mask_pool: str | None = None,
                     auto_frames: str = "showing", text_params=None) -> MaskSource:
    """The video's mask; an ``auto`` mask is detected (or read from the cache) and, with
    ``auto_frames="showing"``, holds only in the frames that show the overlay; a ``text`` mask
    is the video's per-frame text masks, detected with ``text_params`` (a
    :class:`media.text.TextParams`: the job's :func:`tasks.config.text_params`) or read from the
    cache, by :func:`tasks.textmask.video_text_reader`."""

    def detected() -> tuple[np.ndarray, np.ndarray | None]:
        hole, key = (_pooled_mask(cache, mask_pool, local, (info.height, info.width)) if mask_pool
                     else _own_mask(cache, video_id, local))
        return hole, _frames_showing(cache, key, video_id, local) if auto_frames == "showing" else None

    def text():
        from tasks.textmask import video_text_reader

        if text_params is None:
            raise ConfigError(f"{local}: --mask text needs the text detector's settings")
        return video_text_reader(cache, video_id, local, text_params)

    return open_holes(mask, boxes, info, auto=detected, text=text, label=f"{local} (--mask {mask})")


def mask_of(item: VideoItem, cfg: InpaintConfig) -> tuple[str | None, tuple[str, ...]]:
    """The mask and boxes that apply to ``item``: the manifest's when it describes them, else the job's."""
    return (item.mask, item.boxes) if item.own_mask else (cfg.mask, cfg.box)


def auto_mask_pools(items: list[VideoItem], cfg: InpaintConfig, how: str) -> list[list[VideoItem]]:
    """The videos with an ``auto`` mask, grouped into pools as ``how`` says.

    ``"video"``: none (each video is detected alone, at its probe); ``"folder"``: videos whose
    output names share a folder (one channel or source per folder); ``"job"``: all of them.
    """
    if how not in AUTO_MASK_POOLS:
        raise ConfigError(f"auto_mask_pool must be one of {', '.join(AUTO_MASK_POOLS)}, got {how!r}")
    if how == "video":
        return []
    pools: dict[str, list[VideoItem]] = {}
    for item in items:
        if mask_of(item, cfg)[0] == "auto":
            folder = str(PurePosixPath(item.name).parent) if how == "folder" else ""
            pools.setdefault(folder, []).append(item)
    return list(pools.values())


def write_mask_preview(v: VideoRef, cfg: InpaintConfig, cache: ZarrCache, url: str) -> str:
    """Write the preview of the mask ``v`` is inpainted with (a frame beside a copy with the
    mask tinted, :func:`media.masks.mask_preview_png`) as PNG to ``url``; returns ``url``.

    For ``--mask auto`` and ``--mask text``: a bulk job's detected masks can be checked by eye
    in the report's folder, without opening the cache. The frame is the one the detection saw
    the overlay most clearly in (a logo that arrives late is not in the middle frame), for
    text the middle frame with text, else the middle one. Boxes given with the mask are part
    of it here too.
    """
    from media.masks import mask_preview_png, preview_frame
    from media.video import VideoSource
    from tasks.config import text_params_for

    params = text_params_for(v.mask, cfg.text)
    local = v.local_file()
    with VideoSource(local, folder_fps=cfg.fps_fraction) as src:
        # The whole mask, also when the frame is one the video's inpainting leaves alone.
        masks = open_video_holes(v.mask, v.boxes, src.info, cache=cache, video_id=v.video_id, local=local,
                                 mask_pool=v.mask_pool, auto_frames="all", text_params=params)
        k = preview_frame(src.info.frames, _clearest_frame(v, cache, params))
        frame = src.read(k, k + 1)[0]
        hole = masks.read(k, k + 1)[0]
    put_bytes(*get_fs(url), mask_preview_png(frame, hole))
    return url


def _clearest_frame(v: VideoRef, cache: ZarrCache, text_params=None) -> int | None:
    """The frame of ``v`` its auto mask's detection saw the overlay most clearly in, if known;
    for a text mask (found with ``text_params``), the middle one of the frames with text (None:
    none has text)."""
    if v.mask == "text":
        from tasks.textmask import text_frames

        on = np.flatnonzero(text_frames(cache, v.video_id, text_params))
        return int(on[len(on) // 2]) if on.size else None
    if v.mask != "auto":
        return None
    key = pool_mask_key(v.mask_pool) if v.mask_pool else video_mask_key(v.video_id)
    clearest = cache.open(key).attrs.get("clearest_frame")
    return clearest.get(v.name) if isinstance(clearest, dict) else clearest


@dataclass(frozen=True)
class PooledMasks:
    """Outcome of :func:`detect_pool_masks`: each video's pool id, or why its pool has no mask."""

    pools: dict[str, str]   # video name -> pool id (the mask is in the cache under pool_mask_key)
    errors: dict[str, str]  # video name -> the refusal of its pool's detection


def scratch_dir(scratch: str | None) -> str:
    """Where remote sources are downloaded to (default: the system temp folder)."""
    import os
    import tempfile

    return scratch or os.path.join(tempfile.gettempdir(), "isvi-sources")


def detect_pool_masks(items: list[VideoItem], cfg: InpaintConfig, cache: ZarrCache, *,
                      scratch: str | None = None) -> PooledMasks:
    """One ``--mask auto`` detection over the videos of a pool, per aspect ratio, cached.

    A channel's logo sits on all of its videos, and their frames together show it where one
    video alone cannot (a static camera, a night shot whose scene barely moves:
    ``benchmarks/watermark.md``, "Pooling"). Videos of several resolutions pool together
    when their aspect ratio is one (:func:`media.watermark.detect_watermark`; each gets the
    mask at its own size); each aspect ratio is its own pool. A pool's id is a hash of its
    members' bytes, so a re-run reuses the cached mask and a pool that gains or loses a video
    is detected afresh. Videos that cannot be opened stay out of the pool (their own probe
    reports them); a refused detection (nothing found, or confidence below the CLI's floor)
    is reported for every member, naming them all.
    """
    from media.masks import same_aspect
    from media.video import VideoSource
    from media.watermark import AUTO_MASK_MIN_CONFIDENCE, detect_watermark

    # A remote member is copied in for its fingerprint and again for its frames, and removed after
    # each: the pool's detection holds one member on disk at a time, not the pool (whose members
    # the flow then fetches again as its window reaches them).
    folder = scratch_dir(scratch)
    source_of: dict[Path, str] = {}

    @contextmanager
    def fetched(path: Path):
        try:
            yield localize(source_of[path], folder)
        finally:
            release(source_of[path], folder)

    groups: list[list[tuple[str, Path, str, tuple[int, int]]]] = []
    for item in items:
        try:
            local = localize(item.source, folder)
            source_of[local] = item.source
            with fetched(local), VideoSource(local, folder_fps=cfg.fps_fraction) as src:
                size = (src.info.width, src.info.height)
                fingerprint = bytes_fingerprint(file_chunks(local))
        except IsviError:
            continue  # not a readable video: its probe fails with this error, the pool goes on without it
        member = (item.name, local, fingerprint, size)
        group = next((g for g in groups if same_aspect(g[0][3], size)), None)
        if group is None:
            groups.append([member])
        else:
            group.append(member)
    pools, errors = {}, {}
    for members in groups:
        members.sort(key=lambda m: m[2])
        # The largest size names the pool (a pool of one size keeps the id it had when
        # pools were per size, and with it its cached stages).
        w, h = max((m[3] for m in members), key=lambda s: s[0] * s[1])
        pool = "pool-" + bytes_fingerprint([f"{w}x{h}".encode(), *(m[2].encode() for m in members)])[:16]
        key = pool_mask_key(pool)
        if not cache.is_complete(key):
            what = f"--mask auto pooled over {len(members)} videos ({', '.join(sorted(m[0] for m in members))})"
            try:
                est = detect_watermark([m[1] for m in members], sizes={m[1]: m[3] for m in members},
                                       fetch=fetched).require(AUTO_MASK_MIN_CONFIDENCE, what=what)
            except IsviError as exc:
                message = f"{type(exc).__name__}: {exc}"
                for m in members:  # name the sources, not the copies this run removes
                    message = message.replace(str(m[1]), source_of[m[1]])
                errors.update((m[0], message) for m in members)
                continue
            clearest = {m[0]: est.clearest_frame.get(Path(m[1])) for m in members}
            _write_auto_mask(cache, key, est, clearest, members=sorted(m[0] for m in members))
        pools.update((m[0], pool) for m in members)
    return PooledMasks(pools, errors)
