"""Spatial (single-frame) fill for pixels that no frame ever shows.

Used on key frames only; propagation then carries the result to the other frames, so the
fill is temporally consistent. The default is OpenCV's frequency-selective reconstruction
(``cv2.xphoto``, FSR_FAST): it continues texture, not only colour. On the dev set
(benchmarks/bench_inpaint.py --isvi-args "--spatial-fill ..."), where it matters, on
city_pan_logo whose logo is mostly never uncovered, in-hole PSNR was FSR 13.75 dB, Telea
13.12, biharmonic about 12.1 (Navier-Stokes within 0.1 dB of Telea); the other clips were
unchanged (within 0.02 dB). Single frames: FSR 15.3 vs Telea 12.9 dB on city_pan_logo.
Telea, Navier-Stokes (fast) and scikit-image's biharmonic stay available.
"""

from __future__ import annotations

import numpy as np

METHODS = ("telea", "ns", "biharmonic", "fsr", "shiftmap")


# FSR fills a hole that touches the frame's edge badly: on the test photograph, strips
# 1-3 rows tall along the bottom edge came out 5-12 dB below the same strips with 40 more
# rows of the photograph below them, dark and colour-shifted (a green line along the
# bottom of a caption's fill on a dev clip). Letting the hole run on past the border, into
# a margin the fill is cropped from, makes it an inner hole: +4.6 dB on 1-row strips, +2.9
# on 3-row ones, +0.1 to +0.5 on 8-20 rows (mean of 5 crops), about what mirroring the frame
# into the margin gives, and above Telea (22.5 against 23.4 dB over all). It costs the
# margin's pixels: those 20 fills took 5.9 s instead of 2.7 (8 px; 16 px gained 0.2 dB more
# for 8.5 s).
FSR_BORDER_PX = 8


def _pad_unknown_past_border(image: np.ndarray, hole: np.ndarray, pad: int
                             ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Extend ``image`` by ``pad`` px on each side the hole touches, the hole running on into
    the margin along its extent (plus ``pad``); the rest of the margin repeats the edge pixels.
    Returns the padded image, the padded hole and the (top, left) offset of the original."""
    import cv2

    h, w = hole.shape
    top, bottom = pad * bool(hole[0].any()), pad * bool(hole[-1].any())
    left, right = pad * bool(hole[:, 0].any()), pad * bool(hole[:, -1].any())
    if not (top or bottom or left or right):
        return image, hole, (0, 0)
    padded = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_REPLICATE)
    grown = np.zeros(padded.shape[:2], bool)
    grown[top:top + h, left:left + w] = hole
    # the margin beside the hole's extent along each touched side becomes hole too
    rows, cols = np.nonzero(hole.any(axis=1))[0], np.nonzero(hole.any(axis=0))[0]
    c0, c1 = left + cols[0] - pad, left + cols[-1] + 1 + pad
    r0, r1 = top + rows[0] - pad, top + rows[-1] + 1 + pad
    if top:
        grown[:top, max(0, c0):c1] = True
    if bottom:
        grown[top + h:, max(0, c0):c1] = True
    if left:
        grown[max(0, r0):r1, :left] = True
    if right:
        grown[max(0, r0):r1, left + w:] = True
    return padded, grown, (top, left)


def _shiftmap(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """OpenCV's shift-map inpainting (He and Sun 2012: each hole pixel copies the pixel at one
    of a few dominant offsets, chosen by graph cut), in Lab as OpenCV asks: it copies structure
    (a wall's lattice, a fence) where FSR blurs wide holes, at a lower PSNR (``benchmarks/devset.md``)."""
    import cv2

    u8 = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    lab = cv2.cvtColor(u8, cv2.COLOR_RGB2Lab)
    lab[hole] = 0
    filled = np.zeros_like(lab)
    cv2.xphoto.inpaint(lab, (~hole).astype(np.uint8) * 255, filled, cv2.xphoto.INPAINT_SHIFTMAP)
    return cv2.cvtColor(filled, cv2.COLOR_Lab2RGB).astype(np.float32) / 255.0


def spatial_fill(image: np.ndarray, hole: np.ndarray, method: str = "fsr") -> np.ndarray:
    """Fill ``hole`` (H, W) of a float32 (H, W, 3) image in [0, 1] from its surroundings."""
    if method not in METHODS:
        raise ValueError(f"spatial fill method must be one of {METHODS}, got {method!r}")
    out = image.astype(np.float32, copy=True)
    if not hole.any():
        return out
    if method == "biharmonic":
        from skimage.restoration import inpaint_biharmonic

        out = inpaint_biharmonic(out, hole, channel_axis=-1).astype(np.float32)
    elif method == "shiftmap":
        out[hole] = _shiftmap(out, hole)[hole]
    elif method == "fsr":
        import cv2

        if not hasattr(cv2, "xphoto"):
            raise ValueError("spatial fill 'fsr' needs OpenCV's contrib modules (opencv-contrib-python-headless)")
        u8 = cv2.cvtColor(np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
        padded, padded_hole, (top, left) = _pad_unknown_past_border(u8, hole, FSR_BORDER_PX)
        filled = np.zeros_like(padded)
        # xphoto's mask marks the *known* pixels; frequency-selective reconstruction (Genser et al. 2018)
        cv2.xphoto.inpaint(padded, (~padded_hole).astype(np.uint8) * 255, filled, cv2.xphoto.INPAINT_FSR_FAST)
        filled = filled[top:top + hole.shape[0], left:left + hole.shape[1]]
        filled = cv2.cvtColor(filled, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        out[hole] = filled[hole]
    else:
        import cv2

        flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
        u8 = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
        filled = cv2.inpaint(u8, hole.astype(np.uint8), 5, flag).astype(np.float32) / 255.0
        out[hole] = filled[hole]
    return np.clip(out, 0.0, 1.0)
