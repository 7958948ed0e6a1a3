"""Synthetic watermarked clips: a semi-transparent logo or text burnt into real footage.

Used by the watermark-detection tests and benchmark, and reusable by the inpainting
benchmark ("the inpainting must score above Telea inside the overlay"): the returned
``overlay_mask`` is exactly the set of pixels the overlay changed, so it is both the
ground truth for detection and the hole to score inpainting inside.

    frames_wm, overlay = overlay_watermark(frames, "logo", seed=0)
    # frames_wm: uint8 (n, H, W, 3); overlay: bool (H, W)

The overlay is alpha-blended, ``out = (1 - a) * frame + a * colour``, with the same ``a``
and colour in every frame, which is how broadcasters' bugs and stock-footage watermarks are
applied. Drawing uses OpenCV's anti-aliased primitives (on a uint8 canvas: ``putText`` needs one) and Hershey fonts so the result does
not depend on system fonts.

``pan_clip`` makes "real-looking moving content" from a single photograph (for example
``skimage.data.astronaut()``): a crop window travelling along a smooth camera path, which
is what a hand-held or panning camera does to a static scene.
"""

from __future__ import annotations

import numpy as np

KINDS = ("logo", "text", "timestamp")

_BRAND = ((255, 220, 0), (0, 220, 255), (255, 140, 160), (170, 255, 120))
_WORDS = ("ISVI NEWS", "SAMPLE", "STOCK", "PREVIEW", "CITY TV", "DEMO 24")


def _corner_origin(rng: np.random.Generator, h: int, w: int, bh: int, bw: int) -> tuple[int, int]:
    """Top-left of a ``bh x bw`` box in a random corner, a few percent in from the border."""
    pad_y = int(rng.uniform(0.03, 0.07) * h)
    pad_x = int(rng.uniform(0.03, 0.07) * w)
    top = bool(rng.integers(2))
    left = bool(rng.integers(2))
    y = pad_y if top else h - bh - pad_y
    x = pad_x if left else w - bw - pad_x
    return max(0, y), max(0, x)


def _text_size(text: str, font: int, scale: float, thick: int) -> tuple[int, int, int]:
    import cv2

    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    return tw, th, base


def _draw_logo(rng, h, w):
    """A filled disc with a ring and a short word beside it: a typical channel bug."""
    import cv2

    size = max(24, int(min(h, w) * rng.uniform(0.12, 0.18)))  # disc diameter
    word = str(rng.choice(_WORDS))
    font = cv2.FONT_HERSHEY_DUPLEX
    scale = size / 45.0
    thick = max(1, int(round(scale * 2)))
    tw, th, base = _text_size(word, font, scale, thick)
    gap = size // 5
    bw, bh = size + gap + tw, max(size, th + base)
    y0, x0 = _corner_origin(rng, h, w, bh, bw)
    canvas = np.zeros((h, w), np.uint8)
    cy, cx, r = y0 + bh // 2, x0 + size // 2, size // 2
    cv2.circle(canvas, (cx, cy), r, 255, -1, cv2.LINE_AA)
    # A darker inner ring keeps the disc from being a flat blob (real logos have inner edges).
    cv2.circle(canvas, (cx, cy), int(r * 0.6), 115, max(2, r // 6), cv2.LINE_AA)
    cv2.putText(canvas, word, (x0 + size + gap, cy + th // 2), font, scale, 255, thick, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def _draw_text(rng, h, w):
    """A line of text, as in a stock-footage or 'SAMPLE' watermark."""
    import cv2

    word = "(c) " + str(rng.choice(_WORDS)) + f" {int(rng.integers(2000, 2030))}"
    font = cv2.FONT_HERSHEY_SIMPLEX
    target_w = w * rng.uniform(0.3, 0.45)
    tw, th, base = _text_size(word, font, 1.0, 2)
    scale = target_w / tw
    thick = max(1, int(round(scale * 2)))
    tw, th, base = _text_size(word, font, scale, thick)
    y0, x0 = _corner_origin(rng, h, w, th + base, tw)
    canvas = np.zeros((h, w), np.uint8)
    cv2.putText(canvas, word, (x0, y0 + th), font, scale, 255, thick, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def _draw_timestamp(rng, h, w):
    """A filled box with text in it, as in dash-cam and surveillance timestamps."""
    import cv2

    text = f"2024-0{int(rng.integers(1, 9))}-1{int(rng.integers(0, 9))} 12:3{int(rng.integers(0, 9))}:07"
    font = cv2.FONT_HERSHEY_PLAIN
    scale = max(0.8, min(h, w) / 300)
    thick = max(1, int(round(scale)))
    tw, th, base = _text_size(text, font, scale, thick)
    pad = max(3, th // 3)
    bw, bh = tw + 2 * pad, th + base + 2 * pad
    y0, x0 = _corner_origin(rng, h, w, bh, bw)
    canvas = np.zeros((h, w), np.uint8)
    canvas[y0:y0 + bh, x0:x0 + bw] = 140
    cv2.putText(canvas, text, (x0 + pad, y0 + pad + th), font, scale, 255, thick, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def overlay_watermark(frames: np.ndarray, kind: str = "logo", seed: int = 0, *, alpha: float | None = None,
                      colour: tuple[int, int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Burn a static semi-transparent overlay into ``frames`` (uint8 (n, H, W, 3) RGB).

    ``kind`` is ``"logo"`` (disc + word), ``"text"`` (one line of text) or ``"timestamp"``
    (text in a filled box). ``seed`` picks the corner, the word and, unless given, the
    opacity (0.35-0.6) and colour (white, black or a light brand colour).
    Returns the watermarked frames and the overlay's footprint: True wherever the overlay
    changed a pixel (anti-aliased fringe included).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be (n, H, W, 3), got {frames.shape}")
    rng = np.random.default_rng(seed)
    h, w = frames.shape[1:3]
    canvas = {"logo": _draw_logo, "text": _draw_text, "timestamp": _draw_timestamp}[kind](rng, h, w)
    a = float(rng.uniform(0.35, 0.6)) if alpha is None else float(alpha)
    if colour is None:
        # White most of the time, as in practice; else black or a light brand colour. Dark
        # saturated colours at low opacity are left out: they are near-invisible in grey and
        # would measure the colour choice, not the detector.
        pick = rng.random()
        colour = (255, 255, 255) if pick < 0.6 else (0, 0, 0) if pick < 0.8 else \
            _BRAND[int(rng.integers(len(_BRAND)))]
    weight = (a * canvas)[None, :, :, None]
    out = frames.astype(np.float32) * (1.0 - weight) + np.asarray(colour, np.float32) * weight
    # The footprint: pixels whose value the overlay can move by at least half a grey level.
    overlay = (a * canvas) * 255.0 >= 0.5
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), overlay


def pan_clip(image: np.ndarray, n: int = 30, size: tuple[int, int] = (192, 256), seed: int = 0,
             travel: float = 0.5) -> np.ndarray:
    """``n`` frames of size ``(H, W)`` cut from ``image`` by a window on a smooth random path.

    The path is a sum of two low-frequency sinusoids per axis, scaled so the window travels
    over about ``travel`` of the free room in each direction: a camera pan with some sway.
    """
    import cv2

    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    H, W = image.shape[:2]
    h, w = size
    if h > H or w > W:
        raise ValueError(f"window {size} larger than the image {image.shape[:2]}")
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n)
    room_y, room_x = H - h, W - w

    def path(room: float) -> np.ndarray:
        f1, f2 = rng.uniform(0.3, 0.8), rng.uniform(1.0, 2.0)
        p1, p2 = rng.uniform(0, 2 * np.pi, 2)
        s = 0.7 * np.sin(2 * np.pi * f1 * t + p1) + 0.3 * np.sin(2 * np.pi * f2 * t + p2)
        return room / 2 + s * travel * room / 2

    ys, xs = path(room_y), path(room_x)
    out = np.empty((n, h, w, 3), np.uint8)
    for i, (y, x) in enumerate(zip(ys, xs)):
        # Sub-pixel shifts, as a real camera has: an affine warp with bilinear interpolation.
        m = np.float32([[1, 0, -x], [0, 1, -y]])
        out[i] = cv2.warpAffine(image[..., :3], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out
