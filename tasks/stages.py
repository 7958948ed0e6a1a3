"""The batch pipeline's stages as plain functions: probe, decode, flow, complete, fill, composite, encode.

Each stage reads its inputs from the Zarr cache by key, calls the single-video pipeline's
own functions (``tasks.inpaint_video``, ``isvi_models.pipeline``), writes its output and a completion
marker, and returns a :class:`StageRef`. A stage whose marker exists is skipped, so a re-run
after a crash recomputes only unfinished work. Windows of one shot chain through their
anchors (the previous window's finalised frames), exactly as ``isvi inpaint`` does; shots are
independent, so a shot never borrows pixels across a cut.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePosixPath

import numpy as np

from tasks.config import InpaintConfig
from isvi_models.errors import ConfigError, InputError, IsviError, StageError
from storage.keys import bytes_fingerprint, stage_fingerprint
from storage.manifests import VideoItem, exists, localize, publish
from storage.zarr_cache import StageKey, ZarrCache, get_fs, is_local, local_path, put_bytes
from tasks.refs import (VERSIONS, ShotSpec, StageRef, VideoRef, WindowSpec, chunk_frames, file_chunks,
                          run_stage, settings_for, stage_config)


# ---------------------------------------------------------------------------------
# Probe: identity, mask checks, shots
# ---------------------------------------------------------------------------------
def content_id(path: Path, mask: str | None, boxes: tuple[str, ...], mask_pool: str | None = None) -> str:
    """Identity of a video with its hole: sha256 of the video's bytes, the mask's bytes and the boxes.

    A pooled auto mask adds its pool's id, which changes with any member's bytes: a folder that
    gains a video gets a new pooled estimate, so its videos' holes (and stages) are new too.
    """
    parts = [bytes_fingerprint(file_chunks(path))]
    if mask is not None and mask != "auto":
        mp = Path(mask)
        if not mp.exists():
            raise InputError(mp, "mask file or folder does not exist")
        parts.append(bytes_fingerprint(file_chunks(mp)))
    else:
        parts.append(str(mask) if mask_pool is None else f"auto {mask_pool}")
    parts.append("|".join(boxes))
    return bytes_fingerprint([p.encode() for p in parts])[:16]


def detect_shots(source, threshold: float, min_shot_frames: int, chunk: int = 64) -> list[tuple[int, int]]:
    """Shot boundaries ``[(start, stop), ...]`` from FFmpeg's ``scdet`` filter, on small frames.

    ``scdet`` (FFmpeg, through PyAV's filter graphs) scores each frame's change against the
    previous one, in percent, relative to the recent average, so a cut is a spike and camera
    motion is not. FFmpeg ships inside PyAV already; PySceneDetect would have been the other
    well-kept choice, but it requires the GUI ``opencv-python`` package, which clashes with
    the headless OpenCV build this project uses. On the dev set's bikes_full.mp4 (5 cuts)
    every cut scored 10.6 or more and no other frame passed 10, hence the default threshold.
    """
    import av
    import cv2

    info = source.info
    scale = min(1.0, 256 / max(info.width, info.height))
    size = (max(8, round(info.width * scale) // 2 * 2), max(8, round(info.height * scale) // 2 * 2))
    graph = av.filter.Graph()
    src = graph.add_buffer(width=size[0], height=size[1], format="rgb24", time_base=1 / Fraction(info.fps))
    scdet = graph.add("scdet", f"threshold={threshold}:sc_pass=0")
    sink = graph.add("buffersink")
    src.link_to(scdet)
    scdet.link_to(sink)
    graph.configure()
    scores: list[float] = []

    def drain() -> None:
        while True:
            try:
                out = graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            scores.append(float(out.metadata.get("lavfi.scd.score", 0.0)))

    for s in range(0, info.frames, chunk):
        for i, frame in enumerate(source.read(s, s + chunk)):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA)),
                                            format="rgb24")
            vf.pts = s + i
            graph.push(vf)
            drain()
    graph.push(None)
    drain()
    cuts, last = [], 0
    for k, score in enumerate(scores):
        if k > 0 and score >= threshold and k - last >= min_shot_frames and info.frames - k >= 1:
            cuts.append(k)
            last = k
    edges = [0] + cuts + [info.frames]
    return list(zip(edges[:-1], edges[1:]))


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


def _automask_key(owner: str, group: str) -> StageKey:
    """Where a detected auto mask lives: ``owner`` a video id (group "video") or a pool id ("pool")."""
    from media.watermark import AUTO_MASK_MIN_CONFIDENCE

    conf = {"min_confidence": AUTO_MASK_MIN_CONFIDENCE}
    return StageKey(owner, group, "automask", "", stage_fingerprint("automask", VERSIONS["automask"], conf, [owner]))


def _auto_mask(cache: ZarrCache, video_id: str, local: str) -> tuple[np.ndarray, StageKey]:
    """The detected static-overlay mask of one video and where it is cached (with the
    frame that shows the overlay most clearly, for its preview, and its template)."""
    from media.watermark import detect_auto_overlay

    key = _automask_key(video_id, "video")
    if cache.is_complete(key):
        return _cached_mask(cache, key), key
    est = detect_auto_overlay(local)
    _write_auto_mask(cache, key, est, est.clearest_frame.get(Path(local)))
    return est.mask, key


def pool_mask_key(pool: str) -> StageKey:
    """Where the auto mask shared by a pool of videos lives (``pool``: :func:`detect_pool_masks`' id)."""
    return _automask_key(pool, "pool")


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

    key = StageKey(video_id, "video", "presence", "",
                   stage_fingerprint("presence", VERSIONS["presence"], {}, [mask_key.fp]))
    if cache.is_complete(key):
        return frames_showing_overlay(cache.read(key, ["strength"])[0]["strength"])
    template = _cached_template(cache, mask_key)
    if template is None:
        return None
    with VideoSource(local) as src:
        strength = video_overlay_strengths(src, template)
    cache.write(key, {"strength": strength}, max(1, len(strength)))
    return frames_showing_overlay(strength)


def _open_masks(item_mask: str | None, boxes: tuple[str, ...], info, *, cache: ZarrCache | None = None,
                video_id: str | None = None, local: str | None = None, mask_pool: str | None = None,
                auto_frames: str = "showing"):
    """The video's mask; an ``auto`` mask is detected (or read from the cache) and, with
    ``auto_frames="showing"``, holds only in the frames that show the overlay."""
    from media.masks import open_mask, parse_box, static_mask

    parsed = [parse_box(b) for b in boxes]
    if item_mask == "auto":
        mask, key = (_pooled_mask(cache, mask_pool, local, (info.height, info.width)) if mask_pool
                     else _auto_mask(cache, video_id, local))
        frames_on = _frames_showing(cache, key, video_id, local) if auto_frames == "showing" else None
        return static_mask(mask, parsed, info, f"{local} (--mask auto)", frames_on=frames_on)
    return open_mask(item_mask, parsed, info)


def mask_of(item: VideoItem, cfg: InpaintConfig) -> tuple[str | None, tuple[str, ...]]:
    """The mask and boxes that apply to ``item``: the manifest's when it describes them, else the job's."""
    return (item.mask, item.boxes) if item.own_mask else (cfg.mask, cfg.box)


def _scratch(scratch: str | None) -> str:
    return scratch or os.path.join(tempfile.gettempdir(), "isvi-sources")


def probe_video(item: VideoItem, output: str, cfg: InpaintConfig, cache: ZarrCache, *, detect: bool = True,
                threshold: float = 10.0, min_shot_frames: int = 15, scratch: str | None = None,
                mask_pool: str | None = None) -> VideoRef:
    """Open a video and its mask, check them, find its shots (cached by content).

    ``mask_pool``: for an ``auto`` mask, the id of the pooled detection (:func:`detect_pool_masks`)
    to use instead of detecting this video's overlay on its own.
    """
    from media.video import VideoSource

    local = localize(item.source, _scratch(scratch))
    mask, boxes = mask_of(item, cfg)
    if mask is None and not boxes:
        raise ConfigError(f"{item.source}: no mask; give --mask/--box or a mask in the manifest")
    mask_pool = mask_pool if mask == "auto" else None
    with VideoSource(local, folder_fps=cfg.fps_fraction) as src:
        info = src.info
        vid = content_id(local, mask, boxes, mask_pool)
        masks = _open_masks(mask, boxes, info, cache=cache, video_id=vid, local=str(local), mask_pool=mask_pool,
                            auto_frames=cfg.auto_mask_frames)
        coverage = masks.fillable_coverage()
        key = StageKey(vid, "video", "probe", "",
                       stage_fingerprint("probe", VERSIONS["probe"], {"detect": detect, "threshold": threshold,
                                                                      "min_shot_frames": min_shot_frames}, [vid]))
        if cache.is_complete(key):
            shots = [tuple(s) for s in cache.marker(key)["shots"]]
        else:
            shots = detect_shots(src, threshold, min_shot_frames) if detect else [(0, info.frames)]
            cache.mark_complete(key, shots=shots, source=item.source)
    return VideoRef(name=item.name, source=item.source, local=str(local), output=output, video_id=vid, mask=mask,
                    boxes=tuple(boxes), frames=info.frames, width=info.width, height=info.height,
                    fps=str(info.fps), is_folder=info.is_folder,
                    shots=tuple(ShotSpec(i, a, b) for i, (a, b) in enumerate(shots)),
                    passthrough=not coverage.any(), mask_pool=mask_pool,
                    frames_with_hole=int(np.count_nonzero(coverage)))


# ---------------------------------------------------------------------------------
# Pooled auto masks: one detection for the videos of one source
# ---------------------------------------------------------------------------------
AUTO_MASK_POOLS = ("video", "folder", "job")


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

    For ``--mask auto``: a bulk job's detected masks can be checked by eye in the report's
    folder, without opening the cache. The frame is the one the detection saw the overlay
    most clearly in (a logo that arrives late is not in the middle frame), else the middle
    one. Boxes given with the mask are part of it here too.
    """
    from media.masks import mask_preview_png, preview_frame
    from media.video import VideoSource

    with VideoSource(v.local, folder_fps=cfg.fps_fraction) as src:
        # The whole mask, also when the frame is one the video's inpainting leaves alone.
        masks = _open_masks(v.mask, v.boxes, src.info, cache=cache, video_id=v.video_id, local=v.local,
                            mask_pool=v.mask_pool, auto_frames="all")
        k = preview_frame(src.info.frames, _clearest_frame(v, cache))
        frame = src.read(k, k + 1)[0]
        hole = masks.read(k, k + 1)[0]
    put_bytes(*get_fs(url), mask_preview_png(frame, hole))
    return url


def _clearest_frame(v: VideoRef, cache: ZarrCache) -> int | None:
    """The frame of ``v`` its auto mask's detection saw the overlay most clearly in, if known."""
    if v.mask != "auto":
        return None
    key = pool_mask_key(v.mask_pool) if v.mask_pool else _automask_key(v.video_id, "video")
    clearest = cache.open(key).attrs.get("clearest_frame")
    return clearest.get(v.name) if isinstance(clearest, dict) else clearest


@dataclass(frozen=True)
class PooledMasks:
    """Outcome of :func:`detect_pool_masks`: each video's pool id, or why its pool has no mask."""

    pools: dict[str, str]   # video name -> pool id (the mask is in the cache under pool_mask_key)
    errors: dict[str, str]  # video name -> the refusal of its pool's detection


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

    groups: list[list[tuple[str, Path, str, tuple[int, int]]]] = []
    for item in items:
        try:
            local = localize(item.source, _scratch(scratch))
            with VideoSource(local, folder_fps=cfg.fps_fraction) as src:
                size = (src.info.width, src.info.height)
        except IsviError:
            continue  # not a readable video: its probe fails with this error, the pool goes on without it
        member = (item.name, local, bytes_fingerprint(file_chunks(local)), size)
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
                est = detect_watermark([m[1] for m in members]).require(AUTO_MASK_MIN_CONFIDENCE, what=what)
            except IsviError as exc:
                errors.update((m[0], f"{type(exc).__name__}: {exc}") for m in members)
                continue
            clearest = {m[0]: est.clearest_frame.get(Path(m[1])) for m in members}
            _write_auto_mask(cache, key, est, clearest, members=sorted(m[0] for m in members))
        pools.update((m[0], pool) for m in members)
    return PooledMasks(pools, errors)


def plan_shot(shot: ShotSpec, cfg: InpaintConfig) -> list[WindowSpec]:
    from tasks.inpaint_video import plan_windows

    return [WindowSpec(i, w.start, w.stop, w.anchors, w.final_stop)
            for i, w in enumerate(plan_windows(shot.stop - shot.start, cfg.window_frames, cfg.overlap_frames))]


# ---------------------------------------------------------------------------------
# Per-shot and per-window stages
# ---------------------------------------------------------------------------------
def _group(shot: ShotSpec) -> str:
    return f"shot-{shot.index:04d}"


def _key(v: VideoRef, shot: ShotSpec, stage: str, part: str, cfg: InpaintConfig, geometry: dict,
         upstream: list[str | None]) -> StageKey:
    conf = {**stage_config(cfg, stage), **geometry}
    return StageKey(v.video_id, _group(shot), stage, part,
                    stage_fingerprint(stage, VERSIONS[stage], conf, upstream))


def decode_key(v: VideoRef, shot: ShotSpec, cfg: InpaintConfig) -> StageKey:
    geometry = {"start": shot.start, "stop": shot.stop, "chunk": chunk_frames(cfg)}
    if v.mask == "auto":  # which frames get the hole (only auto masks read it: other caches stay valid)
        geometry["auto_mask_frames"] = cfg.auto_mask_frames
    return _key(v, shot, "decode", "", cfg, geometry, [v.video_id])


def flow_key(v: VideoRef, shot: ShotSpec, win: WindowSpec, decode_fp: str, prev_fp: str | None,
             cfg: InpaintConfig) -> StageKey:
    return _key(v, shot, "flow", f"w{win.index:04d}", cfg, _window_geometry(win), [decode_fp, prev_fp])


def complete_key(v: VideoRef, shot: ShotSpec, win: WindowSpec, flow_fp: str, cfg: InpaintConfig) -> StageKey:
    return _key(v, shot, "complete", f"w{win.index:04d}", cfg, {}, [flow_fp])


def fill_key(v: VideoRef, shot: ShotSpec, win: WindowSpec, complete_fp: str, cfg: InpaintConfig) -> StageKey:
    return _key(v, shot, "fill", f"w{win.index:04d}", cfg, {}, [complete_fp])


def composite_key(v: VideoRef, shot: ShotSpec, win: WindowSpec, fill_fp: str, decode_fp: str, prev_fp: str | None,
                  cfg: InpaintConfig) -> StageKey:
    return _key(v, shot, "composite", f"w{win.index:04d}", cfg, _window_geometry(win), [fill_fp, decode_fp, prev_fp])


def encode_key(v: VideoRef, composite_fps: list[str], cfg: InpaintConfig) -> StageKey:
    return StageKey(v.video_id, "video", "encode", "",
                    stage_fingerprint("encode", VERSIONS["encode"], {**stage_config(cfg, "encode"),
                                                                     "output": v.output}, composite_fps))


def decode_shot(v: VideoRef, shot: ShotSpec, cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Frames and dilated holes of one shot, written chunk by chunk (memory: one chunk)."""
    from media.video import VideoSource
    from isvi_models.ops.masks import dilate_holes

    n, chunk = shot.stop - shot.start, chunk_frames(cfg)
    key = decode_key(v, shot, cfg)

    def compute():
        with VideoSource(v.local, folder_fps=cfg.fps_fraction) as src:
            masks = _open_masks(v.mask, v.boxes, src.info, cache=cache, video_id=v.video_id, local=v.local,
                                mask_pool=v.mask_pool, auto_frames=cfg.auto_mask_frames)
            group = cache.create(key, {"frames": ((n, v.height, v.width, 3), np.uint8),
                                       "holes": ((n, v.height, v.width), bool)}, chunk)
            for s in range(0, n, chunk):
                a, b = shot.start + s, min(shot.start + s + chunk, shot.stop)
                cache.write_frames(group, "frames", s, src.read(a, b))
                cache.write_frames(group, "holes", s, dilate_holes(masks.read(a, b), cfg.dilate_px))
        cache.mark_complete(key, frames=n)

    return run_stage(cache, key, v.name, compute)


def _window_geometry(win: WindowSpec) -> dict:
    return {"window": [win.start, win.stop, win.anchors, win.final_stop]}


def load_window(cache: ZarrCache, decode: StageRef, win: WindowSpec,
                prev: StageRef | None) -> tuple[np.ndarray, np.ndarray]:
    """A window's frames and holes, its first ``anchors`` frames replaced by finalised output."""
    arrays, _ = cache.read(decode.key, ["frames", "holes"], slice(win.start, win.stop))
    frames, holes = arrays["frames"], arrays["holes"]
    if win.anchors:
        out, attrs = cache.read(prev.key, ["frames"])
        off = win.start - attrs["start"]
        frames[:win.anchors] = out["frames"][off:off + win.anchors]
        holes[:win.anchors] = False
    return frames, holes


def flow_window(v: VideoRef, shot: ShotSpec, win: WindowSpec, decode: StageRef, prev: StageRef | None,
                cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Working crop of the window and its raw forward/backward flows (DIS on the pre-filled frames)."""
    from tasks.inpaint_video import prepare_working
    from isvi_models.pipeline import prefill_for_flow

    key = flow_key(v, shot, win, decode.key.fp, prev.key.fp if prev else None, cfg)

    def compute():
        frames, holes = load_window(cache, decode, win, prev)
        work = prepare_working(frames, holes, cfg)
        if work is None:
            return _passthrough(cache, key)
        t, h, w = work.holes.shape
        if t < 2:
            fwd = bwd = np.zeros((0, h, w, 2), np.float32)
        else:
            fwd, bwd = settings_for(cfg).estimator(prefill_for_flow(work.frames, work.holes))
        r = work.region
        cache.write(key, {"work_frames": work.frames, "work_holes": work.holes, "flow_fwd": fwd, "flow_bwd": bwd},
                    chunk_frames=max(t, 1), attrs={"region": [r.x0, r.y0, r.x1, r.y1, r.scale]})
        return None

    return run_stage(cache, key, v.name, compute)


def _passthrough(cache: ZarrCache, key: StageKey) -> dict:
    cache.mark_complete(key, passthrough=True)
    return {"passthrough": True}


def complete_window(v: VideoRef, shot: ShotSpec, win: WindowSpec, flow: StageRef, cfg: InpaintConfig,
                    cache: ZarrCache) -> StageRef:
    """Flows completed inside the (further dilated) hole."""
    from isvi_models.pipeline import complete_flows

    key = complete_key(v, shot, win, flow.key.fp, cfg)

    def compute():
        if flow.passthrough:
            return _passthrough(cache, key)
        x, _ = cache.read(flow.key, ["flow_fwd", "flow_bwd", "work_holes"])
        fwd, bwd = complete_flows(x["flow_fwd"], x["flow_bwd"], x["work_holes"], settings_for(cfg).completer,
                                  cfg.flow_dilate_px)
        cache.write(key, {"flow_fwd": fwd, "flow_bwd": bwd}, chunk_frames=max(fwd.shape[0], 1))
        return None

    return run_stage(cache, key, v.name, compute)


def fill_window(v: VideoRef, shot: ShotSpec, win: WindowSpec, flow: StageRef, complete: StageRef,
                cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Gradient propagation along completed flow, fusion, key frames and Poisson reconstruction."""
    from isvi_models.ops.reconstruct import fill_holes

    key = fill_key(v, shot, win, complete.key.fp, cfg)

    def compute():
        if flow.passthrough:
            return _passthrough(cache, key)
        s = settings_for(cfg)
        x, _ = cache.read(flow.key, ["work_frames", "work_holes"])
        c, _ = cache.read(complete.key, ["flow_fwd", "flow_bwd"])
        result = fill_holes(x["work_frames"], x["work_holes"], c["flow_fwd"], c["flow_bwd"],
                            consistency_px=s.consistency_px, alpha=s.alpha, spatial_method=s.spatial_fill,
                            max_key_frames=s.max_key_frames, max_trace_px=s.max_trace_px, refiner=s.refiner)
        cache.write(key, {"result": result.astype(np.float32)}, chunk_frames=result.shape[0])
        return None

    return run_stage(cache, key, v.name, compute)


def composite_window(v: VideoRef, shot: ShotSpec, win: WindowSpec, decode: StageRef, prev: StageRef | None,
                     flow: StageRef, fill: StageRef, cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Full-resolution frames of the window: the fill written back into the hole pixels only."""
    from tasks.inpaint_video import Region, composite

    key = composite_key(v, shot, win, fill.key.fp, decode.key.fp, prev.key.fp if prev else None, cfg)

    def compute():
        frames, holes = load_window(cache, decode, win, prev)
        if fill.passthrough:
            out = frames
        else:
            _, attrs = cache.read(flow.key, [])
            x0, y0, x1, y1, scale = attrs["region"]
            result, _ = cache.read(fill.key, ["result"])
            out = composite(frames, holes, Region(int(x0), int(y0), int(x1), int(y1), float(scale)),
                            result["result"])
        out = out[:win.final_stop - win.start]
        cache.write(key, {"frames": out}, chunk_frames=max(out.shape[0], 1),
                    attrs={"start": win.start, "anchors": win.anchors, "final_stop": win.final_stop})
        return {"passthrough": fill.passthrough}

    return run_stage(cache, key, v.name, compute)


# ---------------------------------------------------------------------------------
# Encode: reassemble the shots with the source's audio; publish atomically
# ---------------------------------------------------------------------------------
def encode_video(v: VideoRef, composites: list[StageRef], cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Write the finalised frames of every window, in order, to ``v.output`` with the source's streams."""
    from media.video import FrameWriter, VideoInfo

    key = encode_key(v, [c.key.fp for c in composites], cfg)
    if cache.is_complete(key) and exists(v.output):
        return StageRef(key, v.name, computed=False, seconds=0.0)
    t0 = time.perf_counter()
    info = VideoInfo(Path(v.local), v.frames, v.width, v.height, Fraction(v.fps), is_folder=v.is_folder)
    remote = not is_local(v.output)
    if remote:
        tmpdir = Path(tempfile.mkdtemp(prefix="isvi-encode-"))
        dest = tmpdir / Path(v.output.rsplit("/", 1)[-1])
    else:
        dest = local_path(v.output)
        dest.parent.mkdir(parents=True, exist_ok=True)
    writer = FrameWriter(dest, info, codec=cfg.codec, crf=cfg.crf, preset=cfg.preset,
                         copy_streams_from=None if v.is_folder else Path(v.local))
    try:
        for c in composites:
            x, attrs = cache.read(c.key, ["frames"])
            writer.write(x["frames"][attrs["anchors"]:])
        if writer.count != v.frames:
            raise InputError(v.source, f"assembled {writer.count} frames, expected {v.frames}")
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    if remote:
        publish(dest, v.output)
        if dest.parent.exists() and not any(dest.parent.iterdir()):
            dest.parent.rmdir()
    seconds = time.perf_counter() - t0
    cache.mark_complete(key, output=v.output, frames=v.frames)
    return StageRef(key, v.name, computed=True, seconds=seconds)
