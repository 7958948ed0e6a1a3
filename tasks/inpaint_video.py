"""``isvi inpaint``'s driver: one video, window by window, through the one window pipeline.

The video is cut into shots at its cuts, as the batch cuts it (``video_shots``), and each shot
into windows. Memory is bounded by the window, not the video: frames are decoded window by
window and finalised frames go straight to the encoder. Windows are planned and anchored by
``isvi_models.windows`` and each is inpainted by ``isvi_models.pipeline.inpaint_frames``
(crop, flow, completion, fill, paste back), the same functions the batch's stages call one
by one, so both front doors give the same frames. Every pixel outside the (dilated) hole is
the input's pixel.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from isvi_models.errors import InputError
from isvi_models.ops.overlay import Overlay
from isvi_models.pipeline import MethodSettings, References, inpaint_frames
from isvi_models.windows import Window, apply_anchors, blend_lookahead, finalised, kept, plan_windows, reference_times
from media.masks import MaskSource, open_holes
from media.video import FrameWriter, VideoSource
from tasks.config import InpaintConfig, method_settings, text_params
from tasks.overlay import describe, video_overlay

STAGES = ("decode", "flow", "complete", "propagate", "reconstruct", "encode")

Reader = Callable[[int, int], tuple[np.ndarray, np.ndarray]]


class ReferenceFrames:
    """The reference frames each window gets (``isvi_models.windows.reference_times``), each read once.

    Frames at reference positions inside a window are kept from the window's own read (raw, with
    their holes, before anchoring) for it and later windows; positions past the window are read with
    ``read_one(t) -> (frame, hole)`` (``isvi inpaint``: the same frame cursor, which keeps the last
    64 frames it read, so after a shot's first windows the next window's read does not seek
    back). Only references still ahead of use are kept: memory is ``count`` frames plus a
    window's worth of positions, whatever the video's length.
    """

    def __init__(self, read_one: Callable[[int], tuple[np.ndarray, np.ndarray]], n_frames: int, stride: int,
                 count: int):
        self.read_one, self.n_frames, self.stride, self.count = read_one, n_frames, stride, count
        self.kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def for_window(self, win: Window, frames: np.ndarray, holes: np.ndarray) -> References | None:
        """References of ``win``, whose raw ``frames`` and ``holes`` (before anchoring) were just read."""
        times = reference_times(win, self.n_frames, self.stride, self.count)
        if not times:
            return None
        for t in range(-(-win.start // self.stride) * self.stride, win.stop, self.stride):
            self.kept[t] = (frames[t - win.start].copy(), holes[t - win.start].copy())
        for t in times:
            if t not in self.kept:
                self.kept[t] = self.read_one(t)
        self.kept = {t: v for t, v in self.kept.items() if t >= times[0]}
        return References(np.stack([self.kept[t][0] for t in times]), np.stack([self.kept[t][1] for t in times]),
                          np.asarray(times) - win.start)


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


def run_windows(read: Reader, n_frames: int, cfg: InpaintConfig, settings: MethodSettings,
                emit: Callable[[np.ndarray], None], progress: StageProgress, overlay: Overlay | None = None) -> None:
    """Drive the windows: ``read(start, stop) -> (uint8 frames, grown holes)``; ``emit(frames)``
    receives the finalised frames in order. Reference frames past a window are read with ``read`` too.
    ``overlay``: the video's semi-transparent overlay (:func:`tasks.overlay.video_overlay`), or None."""
    previous = None
    refs = ReferenceFrames(lambda t: tuple(a[0] for a in read(t, t + 1)), n_frames, cfg.reference_stride,
                           cfg.reference_frames)
    for win in plan_windows(n_frames, cfg.window_frames, cfg.overlap_frames):
        t0 = time.perf_counter()
        frames, holes = read(win.start, win.stop)
        references = refs.for_window(win, frames, holes)
        apply_anchors(frames, holes, win, previous)
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

        out = inpaint_frames(frames, holes, settings, on_stage=on_stage, references=references, overlay=overlay)
        blend_lookahead(out, holes, win, previous)
        t0 = time.perf_counter()
        emit(finalised(out, win))
        progress.seconds["encode"] += time.perf_counter() - t0
        progress.advance("encode", new)
        previous = kept(out, win)


def inpaint_arrays(frames: np.ndarray, holes: np.ndarray, cfg: InpaintConfig | None = None) -> np.ndarray:
    """In-memory inpainting of uint8 RGB frames (T, H, W, 3) inside bool holes (T, H, W)."""
    from isvi_models.ops.masks import dilate_holes

    cfg = cfg or InpaintConfig()
    if frames.shape[:3] != holes.shape:
        raise InputError(None, f"holes have shape {holes.shape}, frames {frames.shape[:3]}")
    chunks: list[np.ndarray] = []
    read = lambda a, b: (frames[a:b].copy(), dilate_holes(holes[a:b], cfg.dilate_px))  # noqa: E731
    overlay, _ = video_overlay(read, frames.shape[0], cfg.unblend_samples)
    run_windows(read, frames.shape[0], cfg, method_settings(cfg), chunks.append,
                StageProgress(frames.shape[0], enabled=False), overlay)
    return np.concatenate(chunks) if chunks else frames.copy()


@dataclass
class InpaintReport:
    frames: int
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    passthrough: bool = False
    frames_with_hole: int | None = None  # frames the mask has a hole in (the others are copied)
    overlay: str = ""  # what was done about a semi-transparent overlay (tasks.overlay.describe), if anything


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
        masks = open_video_holes(cfg, src)
        coverage = masks.fillable_coverage()
        passthrough = not coverage.any()
        settings = method_settings(cfg)
        bars = StageProgress(info.frames, enabled=progress and not cfg.quiet)
        overlay = None
        try:
            with FrameWriter(output, info, codec=cfg.codec, crf=cfg.crf, preset=cfg.preset,
                             copy_streams_from=None if info.is_folder else input_path,
                             overwrite=cfg.overwrite) as writer:
                if passthrough:
                    for s in range(0, info.frames, cfg.window_frames):
                        writer.write(src.read(s, s + cfg.window_frames))
                        bars.advance("encode", min(cfg.window_frames, info.frames - s))
                else:
                    def read(a: int, b: int, o: int = 0) -> tuple[np.ndarray, np.ndarray]:
                        return src.read(o + a, o + b), masks.read_holes(o + a, o + b, cfg.dilate_px)

                    overlay, _ = video_overlay(read, info.frames, cfg.unblend_samples, str(input_path))
                    for first, stop in video_shots(src, cfg):
                        run_windows(lambda a, b, o=first: read(a, b, o), stop - first, cfg, settings, writer.write,
                                    bars, overlay)
                writer.finish(info.frames, input_path)
        finally:
            bars.close()
    return InpaintReport(info.frames, time.perf_counter() - started, dict(bars.seconds), passthrough,
                         int(np.count_nonzero(coverage)), describe(overlay) if overlay is not None else "")


def video_shots(src: VideoSource, cfg: InpaintConfig) -> list[tuple[int, int]]:
    """The shots ``[(start, stop), ...]`` the video is inpainted in, one after the other: its cuts as
    the batch's probe finds them (``media.shots.detect_shots``, same settings), or one shot with
    ``detect_shots`` off. Windows never cross a cut, so no content is taken from another shot."""
    if not cfg.detect_shots or src.info.frames < 2:
        return [(0, src.info.frames)]
    from media.shots import detect_shots

    return detect_shots(src, cfg.shot_threshold, cfg.min_shot_frames)


def open_video_holes(cfg: InpaintConfig, src: VideoSource) -> MaskSource:
    """The job's mask for the open video; ``--mask auto`` detects the overlay now and, with
    ``auto_mask_frames="showing"``, keeps the hole only in the frames that show it;
    ``--mask text`` detects the text of every frame now (:func:`media.text.detect_text`, with the
    detector's settings ``cfg.text``)."""

    def detect() -> tuple[np.ndarray, np.ndarray | None]:
        from media.watermark import detect_auto_overlay, frames_showing_overlay, video_overlay_strengths

        est = detect_auto_overlay(src.path)
        if cfg.auto_mask_frames == "showing" and est.template is not None:
            return est.mask, frames_showing_overlay(video_overlay_strengths(src, est.template))
        return est.mask, None

    def text():
        from media.text import detect_text

        masks = detect_text(src, text_params(cfg.text))
        return masks.read

    return open_holes(cfg.mask, cfg.box, src.info, auto=detect, text=text)
