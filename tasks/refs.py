"""What the stage tasks share: the small refs they pass, and the skip-or-compute wrapper.

Tasks pass refs (:class:`StageRef`, :class:`VideoRef`), never arrays: frames live in the Zarr
cache and never travel through the Dask scheduler or Prefect results.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tasks.config import InpaintConfig
from storage.keys import select
from storage.zarr_cache import StageKey, ZarrCache

log = logging.getLogger("isvi.batch")


# Stage code versions: bump one when its output changes for the same inputs, so caches of
# older versions are recomputed, not mixed in. fill 2: chain-rule gradients; automask 2: the
# clarity term counts explained-away edges (a mask cached as accepted may now be refused);
# automask 3: a second estimate from the frames that show the overlay may replace the first;
# automask 4: the drift test leaves out shifts along straight edges (masks change), and the
# stage also caches the frame to preview the mask on; automask 5: it also caches the template
# that the presence stage (per video: how strongly each frame shows the overlay) measures with.
VERSIONS = {"probe": 1, "automask": 5, "presence": 1, "decode": 1, "flow": 1, "complete": 1, "fill": 2, "composite": 1,
            "encode": 1}

# The configuration fields each stage reads (window geometry enters through the window itself).
STAGE_FIELDS = {
    "decode": ("dilate_px",),
    "flow": ("flow_preset", "max_side", "roi", "roi_margin_px"),
    "complete": ("flow_dilate_px", "flow_completion", "models"),
    "fill": ("consistency_px", "max_trace_px", "alpha", "spatial_fill", "style_fusion", "models"),
    "composite": (),
    "encode": ("codec", "crf", "preset"),
}


@dataclass(frozen=True)
class WindowSpec:
    """A window of a shot, in frames relative to the shot (see ``tasks.inpaint_video.plan_windows``)."""

    index: int
    start: int
    stop: int
    anchors: int
    final_stop: int


@dataclass(frozen=True)
class ShotSpec:
    index: int
    start: int   # absolute frame range of the shot in the video
    stop: int


@dataclass(frozen=True)
class VideoRef:
    """A probed video: identity, geometry, shots and where its output goes."""

    name: str               # output name relative to the destination
    source: str             # URL or path as given
    local: str              # local path of the source (a downloaded copy for remote URLs)
    output: str             # destination URL or path of the result
    video_id: str           # content hash of the source and its mask
    mask: str | None
    boxes: tuple[str, ...]
    frames: int
    width: int
    height: int
    fps: str
    is_folder: bool
    shots: tuple[ShotSpec, ...]
    passthrough: bool       # empty mask: copy through
    mask_pool: str | None = None  # id of the pooled auto mask it uses (None: its own)
    frames_with_hole: int | None = None  # frames the mask has a hole in (an auto mask: those showing the overlay)


@dataclass(frozen=True)
class StageRef:
    """A finished stage output: its cache key, whether this run computed it, and how long that took."""

    key: StageKey
    video: str
    computed: bool
    seconds: float
    passthrough: bool = False
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def chunk_frames(cfg: InpaintConfig) -> int:
    """Frames per Zarr chunk along time: the window step, so window reads touch few chunks."""
    return max(1, cfg.window_frames - cfg.overlap_frames)


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


@functools.lru_cache(maxsize=8)
def models_fingerprint(models_dir: str, mtimes: tuple) -> str:
    """Content hash of the ONNX files in a models folder (weights, not their path, key the stages)."""
    from storage.keys import bytes_fingerprint

    def chunks():
        for p in sorted(Path(models_dir).glob("*.onnx")):
            yield p.name.encode()
            yield from file_chunks(p)

    return bytes_fingerprint(chunks())[:16]


def stage_config(cfg: InpaintConfig, stage: str) -> dict:
    """The settings ``stage`` reads, as JSON values; a models folder enters by its files' content."""
    out = select(cfg.model_dump(mode="json"), STAGE_FIELDS[stage])
    if out.get("models"):
        files = sorted(Path(out["models"]).glob("*.onnx"))
        out["models"] = models_fingerprint(out["models"], tuple((p.name, p.stat().st_mtime_ns) for p in files))
    return out


def run_stage(cache: ZarrCache, key: StageKey, video: str, compute: Callable[[], dict | None]) -> StageRef:
    """Skip when the key's marker exists, else ``compute()`` (which writes data and marker)."""
    if cache.is_complete(key):
        info = cache.marker(key)
        log.info("%s: %s %s %s cached", video, key.group, key.stage, key.part)
        return StageRef(key, video, computed=False, seconds=0.0, passthrough=bool(info.get("passthrough")))
    t0 = time.perf_counter()
    info = compute() or {}
    seconds = time.perf_counter() - t0
    log.info("%s: %s %s %s computed in %.2f s", video, key.group, key.stage, key.part, seconds)
    return StageRef(key, video, computed=True, seconds=seconds, passthrough=bool(info.get("passthrough")))


@functools.lru_cache(maxsize=4)
def _settings(cfg_json: str):
    from tasks.inpaint_video import method_settings

    return method_settings(InpaintConfig.model_validate_json(cfg_json))


def settings_for(cfg: InpaintConfig):
    """The method's stage implementations, built once per worker process per config."""
    return _settings(cfg.model_dump_json())


def gpu_available() -> bool:
    """True when this worker process can see a CUDA device for ONNX Runtime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    return "CUDAExecutionProvider" in ort.get_available_providers()
