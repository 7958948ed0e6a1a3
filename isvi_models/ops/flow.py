"""Optical flow between neighbouring frames with OpenCV's DIS, the embedded estimator.

DIS (Kroeger et al., ECCV 2016) needs no weights and runs at a few ms per 640x360 pair on
one core, so the classical pipeline works anywhere; an ONNX flow network can replace it
through the :class:`~isvi_models.interfaces.FlowEstimator` call.
"""

from __future__ import annotations

import numpy as np

from isvi_models.errors import check_shape

_PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2, "fine": 2}

# OpenCV's presets stop one pyramid level above full resolution (finest scale 1) and upsample
# from there. ``fine`` (the default) is the medium preset run down to full resolution, with 12 px
# patches every 8 px. Its flow is about twice as accurate: on four photographs under known
# small affine motions (independent of the dev set) the mean endpoint error was 0.069 px
# against medium's 0.137 (0.064 with patches every 4 px). On the 11 dev clips (benchmarks/devset.md) the
# mean in-hole PSNR rose 0.27 dB (city_subtitles +1.11, city_pan_logo +1.01, bikes_street_blob
# +0.68; bikes_pan_square -0.62, bikes_girls_transplant -0.23). Patches every 4 px scored 0.03 dB
# more at twice the flow time (0.349 against 0.242 s/frame for the whole command, medium's);
# 8 px patches lost 0.47 dB on vtest_walkers_square.
_FINE = {"finest_scale": 0, "patch_size": 12, "patch_stride": 8}


def warp_back(field: np.ndarray, flow: np.ndarray, *, outside_zero: bool = True) -> np.ndarray:
    """Sample ``field`` (H, W, C) at x + flow(x), bilinearly (OpenCV ``remap``): (H, W, C) float32.
    Samples outside the frame are 0, or with ``outside_zero=False`` the nearest edge value."""
    import cv2

    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    border = dict(borderMode=cv2.BORDER_CONSTANT, borderValue=0) if outside_zero else \
        dict(borderMode=cv2.BORDER_REPLICATE)
    return cv2.remap(field.astype(np.float32), xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                     **border).reshape(h, w, -1)


def _grey_u8(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


class DISFlowEstimator:
    """Forward and backward DIS flow for every neighbouring pair of a frame sequence."""

    def __init__(self, preset: str = "fine"):
        if preset not in _PRESETS:
            raise ValueError(f"preset must be one of {sorted(_PRESETS)}, got {preset!r}")
        self.preset = preset

    def __call__(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """frames float32 (T, H, W, 3) in [0, 1] -> (forward t->t+1, backward t+1->t), each (T-1, H, W, 2)."""
        import cv2

        check_shape(frames, "T H W 3", "frames")
        dis = cv2.DISOpticalFlow.create(_PRESETS[self.preset])
        if self.preset == "fine":
            dis.setFinestScale(_FINE["finest_scale"])
            dis.setPatchSize(_FINE["patch_size"])
            dis.setPatchStride(_FINE["patch_stride"])
        grey = [_grey_u8(f) for f in frames]
        t, h, w = frames.shape[:3]
        fwd = np.zeros((max(t - 1, 0), h, w, 2), np.float32)
        bwd = np.zeros_like(fwd)
        for k in range(t - 1):
            fwd[k] = dis.calc(grey[k], grey[k + 1], None)
            bwd[k] = dis.calc(grey[k + 1], grey[k], None)
        return fwd, bwd
