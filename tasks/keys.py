"""Stage keys of the batch: where each stage's output lives in the cache, named by its inputs.

A key's fingerprint covers the stage's code version, the settings it reads and its upstream
stages' fingerprints (``storage.keys.stage_fingerprint``), so one changed setting recomputes
that stage and those after it, nothing else. The flow plans every key of a video once
(:func:`plan_shot`) and hands each task its keys; tasks never compute them again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from isvi_models.errors import InputError
from isvi_models.windows import Window, plan_windows
from storage.keys import bytes_fingerprint, select, stage_fingerprint
from storage.zarr_cache import StageKey
from tasks.config import InpaintConfig, models_dir
from tasks.refs import ShotSpec, VideoRef

# Stage code versions: bump one when its output changes for the same inputs, so caches of
# older versions are recomputed, not mixed in. fill 2: chain-rule gradients; automask 2: the
# clarity term counts explained-away edges (a mask cached as accepted may now be refused);
# automask 3: a second estimate from the frames that show the overlay may replace the first;
# automask 4: the drift test leaves out shifts along straight edges (masks change), and the
# stage also caches the frame to preview the mask on; automask 5: it also caches the template
# that the presence stage (per video: how strongly each frame shows the overlay) measures with.
# textmask 1: per-frame text masks (``mask: text``, :mod:`tasks.textmask`).
# fill 3: key frames are filled spatially first, then solved once (stop 28; the bump was missed
# then), and a candidate's weight falls with its source's distance in time.
# flow 2: the stage also keeps the window's reference frames, cropped; fill 4: key frames look
# positions no chain reached up in them (``isvi_models.ops.references``); fill 5: no chain crosses
# a cut inside the window (``propagation.broken_pairs``).
# overlay 1: a semi-transparent overlay estimated from frames over the whole video (``tasks.overlay``),
# which the fill undoes where no chain reaches.
VERSIONS = {"probe": 1, "automask": 5, "presence": 1, "textmask": 1, "decode": 1, "overlay": 1, "flow": 2,
            "complete": 1, "fill": 5, "composite": 2, "encode": 2}

# The configuration fields each stage reads (window geometry enters through the window itself).
STAGE_FIELDS = {
    "decode": ("dilate_px",),
    "overlay": ("dilate_px", "unblend_samples"),
    "flow": ("flow_preset", "max_side", "roi", "roi_margin_px", "reference_stride", "reference_frames",
             "noise_flow_px"),
    "complete": ("flow_dilate_px", "flow_completion", "models", "still_snap_px"),
    "fill": ("consistency_px", "max_trace_px", "alpha", "spatial_fill", "style_fusion", "models", "zero_motion"),
    "composite": (),
    "encode": ("codec", "crf", "preset"),
}


def file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    """The bytes of a file, or of a folder's files (each preceded by its name), in chunks."""
    if path.is_dir():
        for p in sorted(path.iterdir()):
            if p.is_file():
                yield p.name.encode()
                yield from file_chunks(p, size)
        return
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk


def content_id(path: Path, mask: str | None, boxes: tuple[str, ...], mask_pool: str | None = None,
               text_detector: str | None = None) -> str:
    """Identity of a video with its hole: sha256 of the video's bytes, the mask's bytes and the boxes.

    A pooled auto mask adds its pool's id, which changes with any member's bytes: a folder that
    gains a video gets a new pooled estimate, so its videos' holes (and stages) are new too.
    A ``text`` mask adds ``text_detector``, the fingerprint of the detector's settings and model
    (:func:`tasks.textmask.detector_fingerprint`): another detector gives other holes.
    """
    parts = [bytes_fingerprint(file_chunks(path))]
    if mask == "text":
        if text_detector is None:
            raise ValueError("content_id: a text mask needs the detector's fingerprint")
        parts.append(f"text {text_detector}")
    elif mask is not None and mask != "auto":
        mp = Path(mask)
        if not mp.exists():
            raise InputError(mp, "mask file or folder does not exist")
        parts.append(bytes_fingerprint(file_chunks(mp)))
    else:
        parts.append(str(mask) if mask_pool is None else f"auto {mask_pool}")
    parts.append("|".join(boxes))
    return bytes_fingerprint([p.encode() for p in parts])[:16]


@functools.lru_cache(maxsize=8)
def models_fingerprint(models_dir: str, mtimes: tuple) -> str:
    """Content hash of the ONNX files in a models folder (weights, not their path, key the stages)."""

    def chunks():
        for p in sorted(Path(models_dir).glob("*.onnx")):
            yield p.name.encode()
            yield from file_chunks(p)

    return bytes_fingerprint(chunks())[:16]


def stage_config(cfg: InpaintConfig, stage: str) -> dict:
    """The settings ``stage`` reads, as JSON values; a models folder enters by its files' content."""
    out = select(cfg.model_dump(mode="json"), STAGE_FIELDS[stage])
    if "models" in out and (folder := models_dir(cfg)) is not None:
        files = sorted(folder.glob("*.onnx"))
        out["models"] = models_fingerprint(str(folder), tuple((p.name, p.stat().st_mtime_ns) for p in files))
    return out


def chunk_frames(cfg: InpaintConfig) -> int:
    """Frames per Zarr chunk along time: the window step, so window reads touch few chunks."""
    return max(1, cfg.window_frames - cfg.overlap_frames)


def probe_key(video_id: str, detect: bool, threshold: float, min_shot_frames: int) -> StageKey:
    conf = {"detect": detect, "threshold": threshold, "min_shot_frames": min_shot_frames}
    return StageKey(video_id, "video", "probe", "", stage_fingerprint("probe", VERSIONS["probe"], conf, [video_id]))


def automask_key(owner: str, group: str, min_confidence: float) -> StageKey:
    """Where a detected auto mask lives: ``owner`` a video id (group "video") or a pool id ("pool")."""
    conf = {"min_confidence": min_confidence}
    return StageKey(owner, group, "automask", "", stage_fingerprint("automask", VERSIONS["automask"], conf, [owner]))


def textmask_key(video_id: str, detector: dict) -> StageKey:
    """Where a video's per-frame text masks live, found by the detector ``detector`` describes
    (its settings and model: :func:`tasks.textmask.detector_settings`)."""
    return StageKey(video_id, "video", "textmask", "",
                    stage_fingerprint("textmask", VERSIONS["textmask"], detector, [video_id]))


def presence_key(video_id: str, mask_key: StageKey) -> StageKey:
    """Where a video's per-frame overlay strengths (for its auto mask ``mask_key``) live."""
    return StageKey(video_id, "video", "presence", "",
                    stage_fingerprint("presence", VERSIONS["presence"], {}, [mask_key.fp]))


def _group(shot: ShotSpec) -> str:
    return f"shot-{shot.index:04d}"


def _key(v: VideoRef, shot: ShotSpec, stage: str, part: str, cfg: InpaintConfig, geometry: dict,
         upstream: list[str | None]) -> StageKey:
    conf = {**stage_config(cfg, stage), **geometry}
    return StageKey(v.video_id, _group(shot), stage, part, stage_fingerprint(stage, VERSIONS[stage], conf, upstream))


def _window_geometry(win: Window) -> dict:
    return {"window": [win.start, win.stop, win.anchors, win.final_stop]}


def _hole_frames(v: VideoRef, cfg: InpaintConfig) -> dict:
    """Which frames get the hole, for the stages that read the holes: only an auto mask reads
    ``auto_mask_frames``, so other videos' caches stay valid when it changes."""
    return {"auto_mask_frames": cfg.auto_mask_frames} if v.mask == "auto" else {}


def overlay_key(v: VideoRef, cfg: InpaintConfig) -> StageKey | None:
    """Where the video's semi-transparent overlay estimate lives (:mod:`tasks.overlay`); None when
    ``unblend_samples`` is 0 (off). Per video: its samples are spread over every shot."""
    if not cfg.unblend_samples:
        return None
    conf = {**stage_config(cfg, "overlay"), **_hole_frames(v, cfg)}
    return StageKey(v.video_id, "video", "overlay", "", stage_fingerprint("overlay", VERSIONS["overlay"], conf,
                                                                          [v.video_id]))


def decode_key(v: VideoRef, shot: ShotSpec, cfg: InpaintConfig) -> StageKey:
    geometry = {"start": shot.start, "stop": shot.stop, "chunk": chunk_frames(cfg), **_hole_frames(v, cfg)}
    return _key(v, shot, "decode", "", cfg, geometry, [v.video_id])


@dataclass(frozen=True)
class WindowKeys:
    """The keys of one window's stages; ``composite`` is what the next window anchors on."""

    window: Window
    flow: StageKey
    complete: StageKey
    fill: StageKey
    composite: StageKey


def window_keys(v: VideoRef, shot: ShotSpec, win: Window, decode_fp: str, prev_fp: str | None,
                cfg: InpaintConfig, overlay_fp: str | None = None) -> WindowKeys:
    """Keys of a window's flow -> complete -> fill -> composite, chained to its decode and the previous
    composite; the fill also to the video's overlay estimate, when there is one."""
    part = f"w{win.index:04d}"
    flow = _key(v, shot, "flow", part, cfg, _window_geometry(win), [decode_fp, prev_fp])
    complete = _key(v, shot, "complete", part, cfg, {}, [flow.fp])
    fill = _key(v, shot, "fill", part, cfg, {}, [complete.fp] + ([overlay_fp] if overlay_fp else []))
    composite = _key(v, shot, "composite", part, cfg, _window_geometry(win), [fill.fp, decode_fp, prev_fp])
    return WindowKeys(win, flow, complete, fill, composite)


@dataclass(frozen=True)
class ShotPlan:
    """A shot's decode key and its windows' keys, in order."""

    shot: ShotSpec
    decode: StageKey
    windows: tuple[WindowKeys, ...]


def plan_shot(v: VideoRef, shot: ShotSpec, cfg: InpaintConfig) -> ShotPlan:
    """Every stage key of one shot: its windows (frames relative to the shot) chain through their anchors."""
    decode = decode_key(v, shot, cfg)
    overlay = overlay_key(v, cfg)
    out, prev_fp = [], None
    for win in plan_windows(shot.stop - shot.start, cfg.window_frames, cfg.overlap_frames):
        keys = window_keys(v, shot, win, decode.fp, prev_fp, cfg, overlay and overlay.fp)
        out.append(keys)
        prev_fp = keys.composite.fp
    return ShotPlan(shot, decode, tuple(out))


def encode_key(v: VideoRef, composite_fps: list[str], cfg: InpaintConfig) -> StageKey:
    return StageKey(v.video_id, "video", "encode", "",
                    stage_fingerprint("encode", VERSIONS["encode"], {**stage_config(cfg, "encode"),
                                                                     "output": v.output}, composite_fps))
