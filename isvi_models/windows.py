"""Windows of frames and their anchors: how a video (or a shot) is cut into overlapping windows.

Memory is bounded by the window, not the video. Consecutive windows overlap: the first
``anchors`` frames of a window are frames the previous window already finalised, used as
fully known content (no hole), so the fill stays consistent across window borders; the last
``overlap`` frames are look-ahead that the next window finalises. The next window's first
finalised frames are cross-faded from the previous window's look-ahead result to its own
(:func:`blend_lookahead`), so a window border is not a step. Both drivers (``isvi inpaint``'s
loop and the batch's per-window stages) plan, anchor, blend and cut windows with these
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


def reference_times(win: Window, n_frames: int, stride: int, count: int) -> list[int]:
    """Frames a window's key frames may look positions up in (``isvi_models.ops.references``):
    every ``stride``-th frame of the sequence (0, stride, 2 stride, ...) inside the window and
    the ``count`` nearest outside it, in order. Empty with ``stride`` or ``count`` 0. Fixed
    multiples, so consecutive windows share most of theirs and a driver reads each one once.

    Inside the window they serve fixed cameras (the same position, where the scene held
    still); outside it, the reach beyond the window."""
    if stride <= 0 or count <= 0:
        return []
    every = range(0, n_frames, stride)
    inside = [t for t in every if win.start <= t < win.stop]
    outside = [t for t in every if t < win.start or t >= win.stop]
    nearest = sorted(outside, key=lambda t: (win.start - t if t < win.start else t - win.stop + 1, t))[:count]
    return sorted(inside + nearest)


@dataclass(frozen=True)
class Carry:
    """What a window hands to the next: its output frames, the first being frame ``start``."""

    start: int
    frames: np.ndarray


def apply_anchors(frames: np.ndarray, holes: np.ndarray, win: Window, previous: Carry | None) -> None:
    """Put the previous window's finalised output into the window's first ``win.anchors`` frames
    (in place) and clear their holes. ``previous`` is :func:`kept` of the previous window."""
    if win.anchors:
        a = win.start - previous.start
        frames[:win.anchors] = previous.frames[a:a + win.anchors]
        holes[:win.anchors] = False


def blend_lookahead(out: np.ndarray, holes: np.ndarray, win: Window, previous: Carry | None) -> None:
    """Cross-fade, in place and inside ``holes`` only, the window's first finalised frames that
    the previous window also filled (its look-ahead) from the previous window's result to this
    one's: the k-th of n such frames takes (n - k) / (n + 1) of the previous result.

    A window sees only its own frames, so its first frames can come out unlike the previous
    window's last ones when their real source lies before the window, where the previous
    window could reach it (a step at the border; measured in ``benchmarks/devset.md``).
    ``out``, ``holes``: the window's uint8 frames and bool holes; ``previous``: :func:`kept`
    of the previous window (None: nothing to blend).
    """
    if previous is None or not win.anchors:
        return
    first = win.start + win.anchors
    n = min(previous.start + len(previous.frames), win.final_stop) - first
    for k in range(max(n, 0)):
        i, j = first + k - win.start, first + k - previous.start
        w = (n - k) / (n + 1)
        m = holes[i]
        mixed = w * previous.frames[j][m].astype(np.float32) + (1 - w) * out[i][m].astype(np.float32)
        out[i][m] = np.clip(np.rint(mixed), 0, 255).astype(out.dtype)


def kept(out: np.ndarray, win: Window) -> Carry:
    """The window's whole output (its look-ahead too): the next window's anchors and blend."""
    return Carry(win.start, out)


def finalised(out: np.ndarray, win: Window) -> np.ndarray:
    """The frames this window finalises, ``[start + anchors, final_stop)``, to be written in order."""
    return out[win.anchors:win.final_stop - win.start]
