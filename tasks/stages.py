"""The batch's per-shot and per-window stages: the window pipeline, one stage per task, cached.

    decode (per shot) -> per window: flow -> complete -> fill -> composite -> encode (per video)
    overlay (per video) -> every window's fill

Each stage reads its inputs from the Zarr cache, calls the same functions ``isvi inpaint``
runs (``isvi_models.pipeline``: crop, estimate_flow, complete_flow, fill; ``isvi_models.region``:
paste_back; ``isvi_models.windows``: anchors), writes its output and a completion marker last,
and returns a :class:`~tasks.refs.StageRef`. Keys come from the flow's plan
(:func:`tasks.keys.plan_shot`); a stage whose marker exists is skipped (:func:`tasks.refs.run_stage`).
Windows of one shot chain through their anchors; shots never borrow pixels across a cut.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from isvi_models.pipeline import References
from isvi_models.windows import Carry, Window, apply_anchors, blend_lookahead, finalised, reference_times
from storage.manifests import exists, publish
from storage.zarr_cache import StageKey, ZarrCache, is_local, local_path
from tasks.automask import open_video_holes
from tasks.config import InpaintConfig, settings_for, text_params_for
from tasks.keys import chunk_frames
from tasks.refs import ShotSpec, StageRef, VideoRef, run_stage


def _passthrough(cache: ZarrCache, key: StageKey) -> dict:
    cache.mark_complete(key, passthrough=True)
    return {"passthrough": True}


def _video_holes(v: VideoRef, src, local: str, cfg: InpaintConfig, cache: ZarrCache):
    """The mask of ``v`` opened on its source ``src`` (a detected mask read from the cache)."""
    return open_video_holes(v.mask, v.boxes, src.info, cache=cache, video_id=v.video_id, local=local,
                            mask_pool=v.mask_pool, auto_frames=cfg.auto_mask_frames,
                            text_params=text_params_for(v.mask, cfg.text))


def decode_shot(v: VideoRef, shot: ShotSpec, key: StageKey, cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Frames and grown holes of one shot, written chunk by chunk (memory: one chunk)."""
    from media.video import VideoSource

    n, chunk = shot.stop - shot.start, chunk_frames(cfg)

    def compute():
        local = v.local_file()
        with VideoSource(local, folder_fps=cfg.fps_fraction) as src:
            masks = _video_holes(v, src, local, cfg, cache)
            group = cache.create(key, {"frames": ((n, v.height, v.width, 3), np.uint8),
                                       "holes": ((n, v.height, v.width), bool)}, chunk)
            for s in range(0, n, chunk):
                a, b = shot.start + s, min(shot.start + s + chunk, shot.stop)
                cache.write_frames(group, "frames", s, src.read(a, b))
                cache.write_frames(group, "holes", s, masks.read_holes(a, b, cfg.dilate_px))
        cache.mark_complete(key, frames=n)

    return run_stage(cache, key, v.name, compute)


def overlay_video(v: VideoRef, key: StageKey, cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """The video's semi-transparent overlay (:func:`tasks.overlay.video_overlay`, from frames over all
    its shots); a video without one gets a passthrough marker that says why."""
    from media.video import VideoSource
    from tasks.overlay import video_overlay

    def compute():
        local = v.local_file()
        with VideoSource(local, folder_fps=cfg.fps_fraction) as src:
            masks = _video_holes(v, src, local, cfg, cache)
            overlay, reason = video_overlay(lambda a, b: (src.read(a, b), masks.read_holes(a, b, cfg.dilate_px)),
                                            src.info.frames, cfg.unblend_samples, v.name)
        if overlay is None:
            cache.mark_complete(key, passthrough=True, reason=reason)
            return {"passthrough": True}
        cache.write(key, {"opacity": overlay.opacity}, chunk_frames=overlay.opacity.shape[0],
                    attrs={"origin": list(overlay.origin), "colour": overlay.colour.tolist()})
        return None

    return run_stage(cache, key, v.name, compute)


def load_overlay(cache: ZarrCache, ref: StageRef | None):
    """The :class:`isvi_models.ops.overlay.Overlay` an overlay stage wrote, or None (off, or none found)."""
    from isvi_models.ops.overlay import Overlay

    if ref is None or ref.passthrough:
        return None
    arrays, attrs = cache.read(ref.key, ["opacity"])
    return Overlay(arrays["opacity"], tuple(int(x) for x in attrs["origin"]), np.asarray(attrs["colour"], np.float32))


def previous_output(cache: ZarrCache, prev: StageRef | None, win: Window) -> Carry | None:
    """The previous window's composite as :func:`isvi_models.windows.kept` hands it on (None for the first)."""
    if not win.anchors:
        return None
    arrays, attrs = cache.read(prev.key, ["frames"])
    return Carry(int(attrs["start"]), arrays["frames"])


def load_window(cache: ZarrCache, decode: StageRef, win: Window,
                previous: Carry | None) -> tuple[np.ndarray, np.ndarray]:
    """A window's frames and holes, its first ``anchors`` frames replaced by the previous window's output."""
    arrays, _ = cache.read(decode.key, ["frames", "holes"], slice(win.start, win.stop))
    apply_anchors(arrays["frames"], arrays["holes"], win, previous)
    return arrays["frames"], arrays["holes"]


def load_references(cache: ZarrCache, decode: StageRef, win: Window, cfg: InpaintConfig) -> References | None:
    """The window's reference frames (``isvi_models.windows.reference_times``) from the shot's decode
    output, raw, with their own holes."""
    times = reference_times(win, int(cache.complete_marker(decode.key)["frames"]), cfg.reference_stride,
                            cfg.reference_frames)
    if not times:
        return None
    read = [cache.read(decode.key, ["frames", "holes"], slice(t, t + 1))[0] for t in times]
    return References(np.concatenate([r["frames"] for r in read]), np.concatenate([r["holes"] for r in read]),
                      np.asarray(times) - win.start)


def flow_window(v: VideoRef, win: Window, key: StageKey, decode: StageRef, prev: StageRef | None,
                cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Working crop of the window and its raw forward/backward flows, and its reference frames cropped alike."""
    from isvi_models.pipeline import crop, crop_references, estimate_flow

    def compute():
        frames, holes = load_window(cache, decode, win, previous_output(cache, prev, win))
        s = settings_for(cfg)
        work = crop(frames, holes, s)
        if work is None:
            return _passthrough(cache, key)
        fwd, bwd = estimate_flow(work.frames, work.holes, s)
        arrays = {"work_frames": work.frames, "work_holes": work.holes, "flow_fwd": fwd, "flow_bwd": bwd}
        refs = crop_references(load_references(cache, decode, win, cfg), work)
        if refs is not None:
            arrays.update(ref_frames=refs.frames, ref_holes=refs.holes)
        cache.write(key, arrays, chunk_frames=max(work.holes.shape[0], 1),
                    attrs={"region": work.region.as_list(), "reference_times": [] if refs is None else
                           refs.times.tolist()})
        return None

    return run_stage(cache, key, v.name, compute)


def complete_window(v: VideoRef, key: StageKey, flow: StageRef, cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Flows completed inside the (further grown) hole."""
    from isvi_models.pipeline import complete_flow

    def compute():
        if flow.passthrough:
            return _passthrough(cache, key)
        x, _ = cache.read(flow.key, ["flow_fwd", "flow_bwd", "work_holes"])
        fwd, bwd = complete_flow(x["flow_fwd"], x["flow_bwd"], x["work_holes"], settings_for(cfg))
        cache.write(key, {"flow_fwd": fwd, "flow_bwd": bwd}, chunk_frames=max(fwd.shape[0], 1))
        return None

    return run_stage(cache, key, v.name, compute)


def fill_window(v: VideoRef, key: StageKey, flow: StageRef, complete: StageRef, cfg: InpaintConfig,
                cache: ZarrCache, overlay: StageRef | None = None) -> StageRef:
    """Gradient propagation along completed flow, fusion, key frames and Poisson reconstruction; the
    video's semi-transparent overlay (``overlay``: its stage's ref) undone where no chain reaches."""
    from isvi_models.pipeline import crop_overlay, fill
    from isvi_models.region import Region

    def compute():
        if flow.passthrough:
            return _passthrough(cache, key)
        _, attrs = cache.read(flow.key, [])
        times = attrs.get("reference_times") or []
        x, _ = cache.read(flow.key, ["work_frames", "work_holes"] + (["ref_frames", "ref_holes"] if times else []))
        refs = References(x["ref_frames"], x["ref_holes"], np.asarray(times)) if times else None
        c, _ = cache.read(complete.key, ["flow_fwd", "flow_bwd"])
        result = fill(x["work_frames"], x["work_holes"], c["flow_fwd"], c["flow_bwd"], settings_for(cfg),
                      references=refs,
                      overlay=crop_overlay(load_overlay(cache, overlay), Region.from_list(attrs["region"])))
        cache.write(key, {"result": result.astype(np.float32)}, chunk_frames=result.shape[0])
        return None

    return run_stage(cache, key, v.name, compute)


def composite_window(v: VideoRef, win: Window, key: StageKey, decode: StageRef, prev: StageRef | None,
                     flow: StageRef, fill: StageRef, cfg: InpaintConfig, cache: ZarrCache) -> StageRef:
    """Full-resolution frames of the window: the fill written back into the hole pixels only."""
    from isvi_models.region import Region, paste_back

    def compute():
        previous = previous_output(cache, prev, win)
        frames, holes = load_window(cache, decode, win, previous)
        if fill.passthrough:
            out = frames
        else:
            _, attrs = cache.read(flow.key, [])
            result, _ = cache.read(fill.key, ["result"])
            out = paste_back(frames, holes, Region.from_list(attrs["region"]), result["result"])
        blend_lookahead(out, holes, win, previous)  # the whole window is kept: the next one's anchors and blend
        cache.write(key, {"frames": out}, chunk_frames=max(out.shape[0], 1),
                    attrs={"start": win.start, "anchors": win.anchors, "final_stop": win.final_stop})
        return {"passthrough": fill.passthrough}

    return run_stage(cache, key, v.name, compute)


def encode_video(v: VideoRef, key: StageKey, composites: list[StageRef], cfg: InpaintConfig,
                 cache: ZarrCache) -> StageRef:
    """Write the finalised frames of every window, in order, to ``v.output`` with the source's streams;
    published atomically (a remote output is uploaded once whole)."""
    from media.video import FrameWriter, VideoSource

    if cache.is_complete(key) and exists(v.output):
        return StageRef(key, v.name, computed=False, seconds=0.0)
    t0 = time.perf_counter()
    local = v.local_file()
    with VideoSource(local, folder_fps=Fraction(v.fps)) as src:
        info = src.info  # with the source's frame times, which the output keeps
    remote = not is_local(v.output)
    if remote:
        tmpdir = Path(tempfile.mkdtemp(prefix="isvi-encode-"))
        dest = tmpdir / Path(v.output.rsplit("/", 1)[-1])
    else:
        dest = local_path(v.output)
        dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FrameWriter(dest, info, codec=cfg.codec, crf=cfg.crf, preset=cfg.preset,
                         copy_streams_from=None if v.is_folder else Path(local), overwrite=cfg.overwrite) as writer:
            for c in composites:
                x, attrs = cache.read(c.key, ["frames"])
                frames = x["frames"]
                win = Window(0, attrs["start"], attrs["start"] + len(frames), attrs["anchors"], attrs["final_stop"])
                writer.write(finalised(frames, win))
            writer.finish(v.frames, v.source)
        if remote:
            publish(dest, v.output)
    finally:
        if remote:  # the local copy of a remote output, uploaded or not: never left in the temp folder
            shutil.rmtree(tmpdir, ignore_errors=True)
    seconds = time.perf_counter() - t0
    cache.mark_complete(key, output=v.output, frames=v.frames, source=v.source)
    return StageRef(key, v.name, computed=True, seconds=seconds)
