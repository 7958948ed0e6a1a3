"""Inpaint one video: windows of frames, a working region around the hole, full-resolution composite.

Memory is bounded by the window, not the video: frames are decoded window by window and
finalised frames go straight to the encoder. Consecutive windows overlap; the first
``overlap`` frames of a window are already-finalised output used as fully known anchors,
so content stays consistent across window borders, and the last ``overlap`` frames are
look-ahead that the next window finalises.

Each window works on a crop around the union of its holes (plus context for the motion)
scaled so its longest side is at most ``max_side``; the result is scaled back and written
only into the hole, so every pixel outside the (dilated) hole is the input's pixel.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tasks.config import InpaintConfig
from media.masks import MaskSource, open_mask, parse_box, static_mask
from media.video import FrameWriter, VideoSource
from isvi_models.errors import InputError
from isvi_models.ops.masks import dilate_holes
from isvi_models.pipeline import MethodSettings, inpaint_window

STAGES = ("decode", "flow", "complete", "propagate", "reconstruct", "encode")


@dataclass(frozen=True)
class Window:
    start: int        # first frame read
    stop: int         # one past the last frame read
    anchors: int      # leading frames already finalised (known content)
    final_stop: int   # frames [start + anchors, final_stop) are finalised by this window


def plan_windows(n_frames: int, window: int, overlap: int) -> list[Window]:
    """Overlapping windows covering ``n_frames``; each frame is finalised by exactly one window."""
    out: list[Window] = []
    start, done = 0, 0
    while done < n_frames:
        stop = min(start + window, n_frames)
        final_stop = n_frames if stop == n_frames else stop - overlap
        out.append(Window(start, stop, done - start, final_stop))
        done = final_stop
        start = max(0, done - overlap)
    return out


@dataclass(frozen=True)
class Region:
    """Crop (x0, y0, x1, y1) in full-resolution pixels and the scale to the working size."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float

    @property
    def working_size(self) -> tuple[int, int]:
        """(width, height) of the working frames."""
        return (max(8, round((self.x1 - self.x0) * self.scale)), max(8, round((self.y1 - self.y0) * self.scale)))


def working_region(holes: np.ndarray, *, roi: bool, margin_px: int, max_side: int) -> Region | None:
    """Region to process for holes (T, H, W): the hole's bounding box plus context, or the frame.

    The context is at least one hole size on every side, so content that moves by up to
    that much between the hole and the frame that shows it stays inside the crop.
    """
    any_t = holes.any(axis=0)
    if not any_t.any():
        return None
    h, w = any_t.shape
    if roi:
        ys, xs = np.nonzero(any_t)
        by0, by1, bx0, bx1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        m = max(margin_px, by1 - by0, bx1 - bx0)
        x0, y0, x1, y1 = max(0, bx0 - m), max(0, by0 - m), min(w, bx1 + m), min(h, by1 + m)
    else:
        x0, y0, x1, y1 = 0, 0, w, h
    scale = min(1.0, max_side / max(x1 - x0, y1 - y0))
    return Region(int(x0), int(y0), int(x1), int(y1), scale)


def method_settings(cfg: InpaintConfig) -> MethodSettings:
    """The stage implementations the config asks for (learned ones load their ONNX files once)."""
    from isvi_models.ops.flow import DISFlowEstimator

    settings = MethodSettings(flow_dilate_px=cfg.flow_dilate_px, consistency_px=cfg.consistency_px,
                              max_trace_px=cfg.max_trace_px or math.inf, alpha=cfg.alpha, spatial_fill=cfg.spatial_fill,
                              estimator=DISFlowEstimator(cfg.flow_preset))
    if cfg.flow_completion == "igfc" or cfg.style_fusion == "asfn":
        from isvi_models import learned
        from isvi_models.errors import ConfigError

        if cfg.models is None:
            raise ConfigError("models: --flow-completion igfc and --style-fusion asfn need --models DIR")
        if cfg.flow_completion == "igfc":
            settings.completer = learned.load_flow_completer(Path(cfg.models))
        if cfg.style_fusion == "asfn":
            settings.refiner = learned.load_gradient_refiner(Path(cfg.models))
    return settings


class StageProgress:
    """One progress bar per stage on a terminal (stderr), counting finalised frames; silent otherwise."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled
        self.bars: dict[str, object] = {}
        self.seconds: dict[str, float] = defaultdict(float)

    def advance(self, stage: str, frames: int) -> None:
        if not self.enabled:
            return
        if stage not in self.bars:
            from tqdm import tqdm

            self.bars[stage] = tqdm(total=self.total, desc=f"{stage:>11}", unit="frame", position=len(self.bars),
                                    leave=True, file=sys.stderr, dynamic_ncols=True)
        self.bars[stage].update(frames)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _resize(arr: np.ndarray, size: tuple[int, int], interp: int) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(a, size, interpolation=interp) for a in arr])


@dataclass
class WorkingSet:
    """A window's crop at working size: what the method stages consume."""

    region: Region
    frames: np.ndarray  # float32 (T, h, w, 3) in [0, 1]
    holes: np.ndarray   # bool (T, h, w); covers every full-resolution hole pixel


def prepare_working(frames: np.ndarray, holes: np.ndarray, cfg: InpaintConfig) -> WorkingSet | None:
    """Crop uint8 frames (T, H, W, 3) around the (dilated) holes and scale to the working size."""
    import cv2

    region = working_region(holes, roi=cfg.roi, margin_px=cfg.roi_margin_px, max_side=cfg.max_side)
    if region is None:
        return None
    crop = frames[:, region.y0:region.y1, region.x0:region.x1].astype(np.float32) / 255.0
    crop_holes = holes[:, region.y0:region.y1, region.x0:region.x1]
    if region.scale < 1.0:
        size = region.working_size
        crop = _resize(crop, size, cv2.INTER_AREA)
        # any coverage makes a working pixel a hole, so no full-resolution hole pixel is missed
        crop_holes = _resize(crop_holes.astype(np.float32), size, cv2.INTER_AREA) > 0
    return WorkingSet(region, crop, crop_holes)


def composite(frames: np.ndarray, holes: np.ndarray, region: Region, result: np.ndarray) -> np.ndarray:
    """Write the working-size ``result`` back into the hole pixels of the full-resolution frames."""
    import cv2

    if region.scale < 1.0:
        result = _resize(result, (region.x1 - region.x0, region.y1 - region.y0), cv2.INTER_LINEAR)
    out = frames.copy()
    view = out[:, region.y0:region.y1, region.x0:region.x1]
    inside = holes[:, region.y0:region.y1, region.x0:region.x1]
    view[inside] = np.clip(result[inside] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def inpaint_frames(frames: np.ndarray, holes: np.ndarray, settings: MethodSettings, cfg: InpaintConfig,
                   on_stage=None) -> np.ndarray:
    """Inpaint uint8 frames (T, H, W, 3) inside already-dilated holes; outside stays bit-identical."""
    work = prepare_working(frames, holes, cfg)
    if work is None:
        return frames.copy()
    result = inpaint_window(work.frames, work.holes, settings, on_stage=on_stage)
    return composite(frames, holes, work.region, result)


def _run_windows(read, n_frames: int, cfg: InpaintConfig, settings: MethodSettings, emit,
                 progress: StageProgress) -> None:
    """Drive the windows: ``read(start, stop) -> (frames, holes)``, ``emit(frames)`` finalised frames in order."""
    anchors: np.ndarray | None = None
    for win in plan_windows(n_frames, cfg.window_frames, cfg.overlap_frames):
        t0 = time.perf_counter()
        frames, holes = read(win.start, win.stop)
        holes = dilate_holes(holes, cfg.dilate_px)
        if win.anchors:
            frames[:win.anchors] = anchors[-win.anchors:]
            holes[:win.anchors] = False
        new = win.final_stop - win.start - win.anchors
        progress.seconds["decode"] += time.perf_counter() - t0
        progress.advance("decode", new)
        clock = [time.perf_counter()]
        seen: set[str] = set()

        def on_stage(name: str) -> None:
            now = time.perf_counter()
            progress.seconds[name] += now - clock[0]
            clock[0] = now
            if name not in seen and name != "key-frame":  # key frames happen in some windows only: no bar
                seen.add(name)
                progress.advance(name, new)

        out = inpaint_frames(frames, holes, settings, cfg, on_stage=on_stage)
        t0 = time.perf_counter()
        final = out[win.anchors:win.final_stop - win.start]
        emit(final)
        progress.seconds["encode"] += time.perf_counter() - t0
        progress.advance("encode", new)
        anchors = out[:win.final_stop - win.start][-cfg.overlap_frames:]


def inpaint_arrays(frames: np.ndarray, holes: np.ndarray, cfg: InpaintConfig | None = None) -> np.ndarray:
    """In-memory inpainting of uint8 RGB frames (T, H, W, 3) inside bool holes (T, H, W)."""
    cfg = cfg or InpaintConfig()
    if frames.shape[:3] != holes.shape:
        raise InputError(None, f"holes have shape {holes.shape}, frames {frames.shape[:3]}")
    settings = method_settings(cfg)
    chunks: list[np.ndarray] = []
    _run_windows(lambda a, b: (frames[a:b].copy(), holes[a:b].copy()), frames.shape[0], cfg, settings,
                 chunks.append, StageProgress(frames.shape[0], enabled=False))
    return np.concatenate(chunks) if chunks else frames.copy()


@dataclass
class InpaintReport:
    frames: int
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    passthrough: bool = False
    frames_with_hole: int | None = None  # frames the mask has a hole in (the others are copied)


def check_output_path(input_path: Path, output: Path, overwrite: bool) -> None:
    if output.resolve() == input_path.resolve():
        raise InputError(output, "output path is the input; choose another name")
    if output.exists() and not overwrite:
        raise InputError(output, "already exists; pass --overwrite to replace it")
    if not output.parent.exists():
        raise InputError(output.parent, "output folder does not exist")


def inpaint_video(input_path: str | os.PathLike, output: str | os.PathLike, cfg: InpaintConfig,
                  progress: bool = False) -> InpaintReport:
    """Inpaint a video file or frame folder into a video file or PNG folder (see module docstring)."""
    input_path, output = Path(input_path), Path(output)
    check_output_path(input_path, output, cfg.overwrite)
    started = time.perf_counter()
    with VideoSource(input_path, folder_fps=cfg.fps_fraction) as src:
        info = src.info
        masks = _open_masks(cfg, src)
        coverage = masks.fillable_coverage()
        passthrough = not coverage.any()
        settings = method_settings(cfg)
        bars = StageProgress(info.frames, enabled=progress and not cfg.quiet)
        writer = FrameWriter(output, info, codec=cfg.codec, crf=cfg.crf, preset=cfg.preset,
                             copy_streams_from=None if info.is_folder else input_path)
        try:
            if passthrough:
                for s in range(0, info.frames, cfg.window_frames):
                    writer.write(src.read(s, s + cfg.window_frames))
                    bars.advance("encode", min(cfg.window_frames, info.frames - s))
            else:
                _run_windows(lambda a, b: (src.read(a, b), masks.read(a, b)), info.frames, cfg, settings,
                             writer.write, bars)
            if writer.count != info.frames:
                raise InputError(input_path, f"decoded {writer.count} frames, expected {info.frames}")
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        finally:
            bars.close()
    return InpaintReport(info.frames, time.perf_counter() - started, dict(bars.seconds), passthrough,
                         int(np.count_nonzero(coverage)))


def _open_masks(cfg: InpaintConfig, src: VideoSource) -> MaskSource:
    boxes = [parse_box(b) for b in cfg.box]
    if cfg.mask == "auto":
        from media.watermark import detect_auto_overlay, frames_showing_overlay, video_overlay_strengths

        est = detect_auto_overlay(src.path)
        frames_on = None
        if cfg.auto_mask_frames == "showing" and est.template is not None:
            frames_on = frames_showing_overlay(video_overlay_strengths(src, est.template))
        return static_mask(est.mask, boxes, src.info, "--mask auto", frames_on=frames_on)
    return open_mask(cfg.mask, boxes, src.info)
