"""Small clips with burnt-in subtitles for the text-detection tests, made here (no files)."""

from __future__ import annotations

import cv2
import numpy as np
import skimage.data

from media.watermark_synth import pan_clip

SIZE = (180, 320)


def background(n: int, seed: int = 0) -> np.ndarray:
    """A slow pan over a photograph (skimage's astronaut), uint8 RGB (n, 180, 320, 3)."""
    return pan_clip(skimage.data.astronaut(), n=n, size=SIZE, seed=seed)


def burn_text(frames: np.ndarray, lines: dict[int, str], scale: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """``frames`` with subtitle ``lines[k]`` (white, black outline, bottom centre) from frame k on
    until the next key; returns (frames, true text pixels (n, H, W) bool)."""
    out, truth = frames.copy(), np.zeros(frames.shape[:3], bool)
    starts = sorted(lines)
    for k in range(len(frames)):
        current = [s for s in starts if s <= k]
        if not current or not lines[current[-1]]:
            continue
        text = lines[current[-1]]
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, 2)
        org = ((SIZE[1] - tw) // 2, SIZE[0] - 14)
        drawn = np.zeros(SIZE, np.uint8)
        cv2.putText(drawn, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, 255, 5, cv2.LINE_AA)
        cv2.putText(out[k], text, org, cv2.FONT_HERSHEY_DUPLEX, scale, (0, 0, 0), 5, cv2.LINE_AA)
        cv2.putText(out[k], text, org, cv2.FONT_HERSHEY_DUPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA)
        truth[k] = drawn > 0
    return out, truth
