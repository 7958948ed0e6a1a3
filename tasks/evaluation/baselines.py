"""Classical baselines that every benchmark runs next to the ISVI pipeline, and the method registry.

Every method is ``callable(frames uint8 (T,H,W,3) RGB, holes bool (T,H,W)) -> frames`` and
changes hole pixels only.

* ``telea`` / ``ns`` — OpenCV ``cv2.inpaint`` per frame (Telea's fast marching, Navier-Stokes),
  radius 3 as in anchors.md §6b. Spatial only: no use of other frames.
* ``temporal_nearest`` — each hole pixel takes its colour from the nearest frame (in time;
  ties go to the earlier frame) where that same pixel is visible. Exact for a static camera
  and background; smears under camera motion. Pixels hidden in every frame fall back to Telea.
* ``removelogo`` — FFmpeg's ``removelogo`` filter (the libavfilter that PyAV bundles), the
  tool users reach for with a static logo: one mask for the whole clip (the union of the
  holes, so it is meant for static masks), filled per frame from the mask's surroundings by
  blurring inwards. The filter works in YUV 4:2:0 (as on a typical video), so the frames pass
  through it and back (a flat colour comes back within 8 levels); only hole pixels are taken.
* ``blank`` — the hole left black: the floor every method should beat (not run by default).
* ``isvi`` — the project's pipeline, ``tasks.inpaint_video.inpaint_arrays`` (imported on first use).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Method = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _check(frames: np.ndarray, holes: np.ndarray) -> None:
    from isvi_models.errors import check_shape

    check_shape(frames, "T H W 3", "frames")
    check_shape(holes, "T H W", "holes")
    if frames.shape[:3] != holes.shape:
        from isvi_models.errors import StageError

        raise StageError(f"frames {frames.shape} and holes {holes.shape} differ in T, H or W")


def _cv_inpaint(frames: np.ndarray, holes: np.ndarray, flag: int, radius: int) -> np.ndarray:
    import cv2

    _check(frames, holes)
    out = frames.copy()
    for t in range(len(frames)):
        if holes[t].any():
            filled = cv2.inpaint(np.ascontiguousarray(frames[t]), holes[t].astype(np.uint8), radius, flag)
            out[t][holes[t]] = filled[holes[t]]  # keep every known pixel bit-exact
    return out


def telea(frames: np.ndarray, holes: np.ndarray, radius: int = 3) -> np.ndarray:
    import cv2

    return _cv_inpaint(frames, holes, cv2.INPAINT_TELEA, radius)


def navier_stokes(frames: np.ndarray, holes: np.ndarray, radius: int = 3) -> np.ndarray:
    import cv2

    return _cv_inpaint(frames, holes, cv2.INPAINT_NS, radius)


def nearest_visible_index(holes: np.ndarray) -> np.ndarray:
    """int (T, H, W): for each pixel and frame, the nearest frame index where the pixel is
    visible (itself when visible; ties to the earlier frame); -1 where it is never visible."""
    t_count = holes.shape[0]
    prev = np.empty(holes.shape, np.int32)
    nxt = np.empty(holes.shape, np.int32)
    last = np.full(holes.shape[1:], -1, np.int32)
    for t in range(t_count):
        last = np.where(holes[t], last, t)
        prev[t] = last
    last = np.full(holes.shape[1:], -1, np.int32)
    for t in range(t_count - 1, -1, -1):
        last = np.where(holes[t], last, t)
        nxt[t] = last
    ts = np.arange(t_count, dtype=np.int32)[:, None, None]
    big = np.int32(2 * t_count + 1)
    d_prev = np.where(prev >= 0, ts - prev, big)
    d_next = np.where(nxt >= 0, nxt - ts, big)
    return np.where(d_prev <= d_next, prev, nxt)


def temporal_nearest(frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
    _check(frames, holes)
    idx = nearest_visible_index(holes)
    out = frames.copy()
    t, y, x = np.nonzero(holes)
    src = idx[t, y, x]
    seen = src >= 0
    out[t[seen], y[seen], x[seen]] = frames[src[seen], y[seen], x[seen]]
    never = np.zeros_like(holes)
    never[t[~seen], y[~seen], x[~seen]] = True
    if never.any():
        out = telea(out, never)
    return out


def removelogo(frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
    import os
    import tempfile
    from fractions import Fraction

    import av
    import cv2

    _check(frames, holes)
    logo = holes.any(axis=0)
    out = frames.copy()
    if not logo.any():
        return out
    with tempfile.TemporaryDirectory() as tmp:
        mask_png = os.path.join(tmp, "logo.png")  # the filter reads its mask from an image file
        cv2.imwrite(mask_png, logo.astype(np.uint8) * 255)
        graph = av.filter.Graph()
        src = graph.add_buffer(width=logo.shape[1], height=logo.shape[0], format="yuv444p",
                               time_base=Fraction(1, 25))
        remove = graph.add("removelogo", f"filename={mask_png}")
        sink = graph.add("buffersink")
        src.link_to(remove)
        remove.link_to(sink)
        graph.configure()
        for t, frame in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24").reformat(format="yuv444p")
            vf.pts, vf.time_base = t, Fraction(1, 25)
            graph.push(vf)
            filled = graph.pull().to_ndarray(format="rgb24")
            out[t][holes[t]] = filled[holes[t]]
    return out


def blank(frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
    _check(frames, holes)
    out = frames.copy()
    out[holes] = 0
    return out


def isvi_pipeline(frames: np.ndarray, holes: np.ndarray, **config) -> np.ndarray:
    """The project's pipeline with ``InpaintConfig(**config)`` (e.g. ``dilate_px=0``)."""
    from tasks.config import InpaintConfig
    from tasks.inpaint_video import inpaint_arrays

    return inpaint_arrays(frames, holes, InpaintConfig(**config))


BASELINES: dict[str, Method] = {
    "telea": telea,
    "ns": navier_stokes,
    "temporal_nearest": temporal_nearest,
    "removelogo": removelogo,
    "blank": blank,
}
METHODS = (*BASELINES, "isvi")
DEFAULT_METHODS = ("isvi", "telea", "ns", "temporal_nearest")


def get_method(name: str, **isvi_config) -> Method:
    """The callable for a method name; ``isvi_config`` goes to the pipeline's InpaintConfig."""
    from isvi_models.errors import ConfigError

    if name == "isvi":
        def run(frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
            return isvi_pipeline(frames, holes, **isvi_config)

        return run
    if name not in BASELINES:
        raise ConfigError(f"methods: unknown method {name!r} (choose from {', '.join(METHODS)})")
    return BASELINES[name]
