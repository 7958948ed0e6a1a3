"""Tiny generated clips for the batch tests: a panned photo (optionally with a hard cut), lossless."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def pan_frames(n: int, seed: int = 0, size=(48, 64), photo: str = "astronaut") -> np.ndarray:
    import skimage.data

    from media.watermark_synth import pan_clip

    return pan_clip(getattr(skimage.data, photo)(), n=n, size=size, seed=seed, travel=0.1)


def write_clip(path: Path, frames: np.ndarray, fps: int = 25, codec: str = "ffv1") -> Path:
    """``frames`` (uint8 RGB) as a video; lossless FFV1 (.mkv) unless ``codec`` says otherwise."""
    from media.video import FrameWriter, VideoInfo

    info = VideoInfo(path, len(frames), frames.shape[2], frames.shape[1], Fraction(fps))
    with FrameWriter(path, info, codec=codec) as w:
        w.write(frames)
        w.commit()
    return path


def rotating_clip(image: np.ndarray, centre: tuple[float, float], degrees: float, n: int = 30,
                  size: tuple[int, int] = (192, 256)) -> np.ndarray:
    """A camera rolling ``degrees`` about ``centre`` (x, y in the output frame) over ``n``
    frames, cropped 128 px in from the top left of ``image``: the scene barely moves near the
    centre, as near a crane shot's rotation centre."""
    import cv2

    h, w = size
    oy = ox = 128
    frames = []
    for i in range(n):
        m = cv2.getRotationMatrix2D((centre[0] + ox, centre[1] + oy), degrees * i / (n - 1), 1.0)
        frames.append(cv2.warpAffine(image, m, image.shape[1::-1], flags=cv2.INTER_LINEAR)[oy:oy + h, ox:ox + w])
    return np.stack(frames)


def cut_clip(n1: int, n2: int, size=(48, 64)) -> np.ndarray:
    """Two shots of different photos: a hard cut at frame ``n1``."""
    return np.concatenate([pan_frames(n1, 0, size, "astronaut"), pan_frames(n2, 1, size, "coffee")])


STILL_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "retina", "hubble_deep_field",
                "colorwheel", "cat")


def logo_stills(n: int, frames: int = 4, size=(96, 128)) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """``n`` static-camera shots of different photos, the same with a white logo, and its footprint.

    Each alone is too static for ``--mask auto``; pooled, their different scenes out-vote
    one another and leave the logo (a channel's videos). Slight sensor noise keeps
    consecutive frames from being byte-identical.
    """
    import cv2
    import skimage.data

    from media.watermark_synth import overlay_watermark

    clean, marked, footprint = [], [], None
    for k, name in enumerate(STILL_PHOTOS[:n]):
        img = cv2.resize(getattr(skimage.data, name)()[..., :3], size[::-1], interpolation=cv2.INTER_AREA)
        still = np.repeat(img[None], frames, axis=0).astype(float)
        still += np.random.default_rng(k).normal(0, 1.0, still.shape)
        clean.append(np.clip(still, 0, 255).astype(np.uint8))
        with_logo, footprint = overlay_watermark(clean[-1], "logo", 0, alpha=0.5, colour=(255, 255, 255))
        marked.append(with_logo)
    return clean, marked, footprint
