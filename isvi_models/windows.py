"""Windows of frames and their anchors: how a video (or a shot) is cut into overlapping windows.

Memory is bounded by the window, not the video. Consecutive windows overlap: the first
``anchors`` frames of a window are frames the previous window already finalised, used as
fully known content (no hole), so the fill stays consistent across window borders; the last
``overlap`` frames are look-ahead that the next window finalises. Both drivers (``isvi
inpaint``'s loop and the batch's per-window stages) plan, anchor and cut windows with these
functions only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """Frames ``[start, stop)`` of a sequence; frames ``[start + anchors, final_stop)`` are finalised here."""

    index: int        # position in the plan
    start: int        # first frame read
    stop: int         # one past the last frame read
    anchors: int      # leading frames already finalised by the previous window (known content)
    final_stop: int   # one past the last frame this window finalises


def plan_windows(n_frames: int, window: int, overlap: int) -> list[Window]:
    """Overlapping windows covering ``n_frames``; each frame is finalised by exactly one window."""
    out: list[Window] = []
    start, done = 0, 0
    while done < n_frames:
        stop = min(start + window, n_frames)
        final_stop = n_frames if stop == n_frames else stop - overlap
        out.append(Window(len(out), start, stop, done - start, final_stop))
        done = final_stop
        start = max(0, done - overlap)
    return out


def apply_anchors(frames: np.ndarray, holes: np.ndarray, win: Window, previous: np.ndarray | None) -> None:
    """Put the previous window's finalised output into the window's first ``win.anchors`` frames
    (in place) and clear their holes. ``previous`` is :func:`kept` of the previous window."""
    if win.anchors:
        frames[:win.anchors] = previous[len(previous) - win.anchors:]
        holes[:win.anchors] = False


def kept(out: np.ndarray, win: Window) -> np.ndarray:
    """The window's output up to its last finalised frame: what the next window takes its anchors from."""
    return out[:win.final_stop - win.start]


def finalised(out: np.ndarray, win: Window) -> np.ndarray:
    """The frames this window finalises, ``[start + anchors, final_stop)``, to be written in order."""
    return out[win.anchors:win.final_stop - win.start]
