"""Tiny generated clips for the batch tests: a panned photo (optionally with a hard cut), lossless."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def pan_frames(n: int, seed: int = 0, size=(48, 64), photo: str = "astronaut") -> np.ndarray:
    import skimage.data

    from isvi.watermark_synth import pan_clip

    return pan_clip(getattr(skimage.data, photo)(), n=n, size=size, seed=seed, travel=0.1)


def write_clip(path: Path, frames: np.ndarray, fps: int = 25, codec: str = "ffv1") -> Path:
    """``frames`` (uint8 RGB) as a video; lossless FFV1 (.mkv) unless ``codec`` says otherwise."""
    from isvi.video import FrameWriter, VideoInfo

    info = VideoInfo(path, len(frames), frames.shape[2], frames.shape[1], Fraction(fps))
    with FrameWriter(path, info, codec=codec) as w:
        w.write(frames)
        w.commit()
    return path


def cut_clip(n1: int, n2: int, size=(48, 64)) -> np.ndarray:
    """Two shots of different photos: a hard cut at frame ``n1``."""
    return np.concatenate([pan_frames(n1, 0, size, "astronaut"), pan_frames(n2, 1, size, "coffee")])
