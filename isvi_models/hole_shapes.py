"""Seeded hole shapes: every function returns bool (T, H, W), True = hole.

The same ``(seed, T, H, W, params)`` always gives the same masks (numpy's PCG64 via
``default_rng(seed)``, no global state). Used by the benchmarks' mask generators
(``tasks.evaluation.mask_generators``, which documents each kind) and by the training data
simulation (``isvi_models.train.data``); pure arrays, so they live on the model floor.
"""

from __future__ import annotations

import math

import numpy as np


def moving_squares(frames: int, height: int, width: int, seed: int = 0, *, count: int = 1,
                   size_frac: float = 1 / 6, max_speed_px: float = 4.0) -> np.ndarray:
    """``count`` squares of side ``size_frac * min(H, W)`` moving at up to ``max_speed_px`` per frame."""
    rng = np.random.default_rng(seed)
    side = max(2, int(round(size_frac * min(height, width))))
    side = min(side, height, width)
    out = np.zeros((frames, height, width), bool)
    for _ in range(count):
        x = rng.uniform(0, width - side)
        y = rng.uniform(0, height - side)
        angle = rng.uniform(0, 2 * math.pi)
        speed = rng.uniform(0.5, 1.0) * max_speed_px
        vx, vy = speed * math.cos(angle), speed * math.sin(angle)
        for t in range(frames):
            x0, y0 = int(round(x)), int(round(y))
            out[t, y0:y0 + side, x0:x0 + side] = True
            x, y = x + vx, y + vy
            if not 0 <= x <= width - side:  # bounce: the trace stays continuous
                vx = -vx
                x = min(max(x, 0.0), float(width - side))
            if not 0 <= y <= height - side:
                vy = -vy
                y = min(max(y, 0.0), float(height - side))
    return out


def _bezier_blob(rng: np.random.Generator, edges: int, ratio: float, samples: int = 24) -> np.ndarray:
    """Closed blob outline as (N, 2) points in [-1, 1]^2: cubic Bézier segments through random
    radii on a circle (the construction of STTN's ``get_random_shape``)."""
    n = edges * 3 + 1
    angles = np.linspace(0, 2 * math.pi, n)
    radii = 2 * ratio * rng.random(n) + 1 - ratio
    verts = np.stack([np.cos(angles), np.sin(angles)], axis=1) * radii[:, None]
    verts[-1] = verts[0]
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]
    pts = []
    for i in range(0, n - 1, 3):
        p0, p1, p2, p3 = verts[i], verts[i + 1], verts[i + 2], verts[i + 3]
        pts.append((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3)
    pts = np.concatenate(pts)
    pts -= (pts.max(0) + pts.min(0)) / 2
    return pts / np.abs(pts).max(0)


def moving_blobs(frames: int, height: int, width: int, seed: int = 0, *, count: int = 1,
                 size_range: tuple[float, float] = (0.2, 0.4), max_speed_px: float = 3.0,
                 accel_px: float = 0.5, p_static: float = 0.0) -> np.ndarray:
    """STTN-style free-form blobs; ``size_range`` is the blob's extent as fractions of H and W."""
    import cv2

    rng = np.random.default_rng(seed)
    out = np.zeros((frames, height, width), np.uint8)
    for _ in range(count):
        edges = int(rng.integers(6, 9))
        ratio = float(rng.integers(6, 9)) / 10
        outline = _bezier_blob(rng, edges, ratio)
        bh = rng.uniform(*size_range) * height / 2  # half extents
        bw = rng.uniform(*size_range) * width / 2
        cx, cy = rng.uniform(bw, width - bw), rng.uniform(bh, height - bh)
        static = rng.random() < p_static
        angle = rng.uniform(0, 2 * math.pi)
        speed = rng.uniform(0, max_speed_px)
        vx, vy = speed * math.cos(angle), speed * math.sin(angle)
        scale, rot = 1.0, 0.0
        for t in range(frames):
            c, s = math.cos(rot), math.sin(rot)
            px = outline[:, 0] * bw * scale
            py = outline[:, 1] * bh * scale
            pts = np.stack([cx + c * px - s * py, cy + s * px + c * py], axis=1)
            cv2.fillPoly(out[t], [np.round(pts).astype(np.int32)], 1)
            if static:
                continue
            # random acceleration, speed capped, bounce at the border (the centre stays inside)
            vx += rng.normal(0, accel_px)
            vy += rng.normal(0, accel_px)
            sp = math.hypot(vx, vy)
            if sp > max_speed_px:
                vx, vy = vx * max_speed_px / sp, vy * max_speed_px / sp
            cx, cy = cx + vx, cy + vy
            if not bw <= cx <= width - bw:
                vx, cx = -vx, min(max(cx, bw), width - bw)
            if not bh <= cy <= height - bh:
                vy, cy = -vy, min(max(cy, bh), height - bh)
            u = rng.random()
            if u < 0.25:  # zoom by up to 10 %, bounded
                scale = float(np.clip(scale * rng.uniform(0.9, 1.1), 0.7, 1.3))
            elif u < 0.5:  # rotate by 1-10 degrees
                rot += math.radians(rng.uniform(1, 10)) * rng.choice([-1, 1])
    return out.astype(bool)


def text_overlay(frames: int, height: int, width: int, seed: int = 0, *, text: str | None = None,
                 corner: str | None = None) -> np.ndarray:
    """A static watermark: text plus a ring-and-bar logo in one corner, the same in every frame."""
    import cv2

    rng = np.random.default_rng(seed)
    if text is None:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        text = "".join(rng.choice(list(letters), size=int(rng.integers(3, 6)))) + " " + str(int(rng.integers(1, 100)))
    corner = corner or str(rng.choice(["tl", "tr", "bl", "br"]))
    m = np.zeros((height, width), np.uint8)
    font_scale = max(0.3, min(height, width) / 360)
    thick = max(1, int(round(2 * font_scale)))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
    r = max(3, int(round(th * 0.8)))
    margin = max(4, int(round(0.03 * min(height, width))))
    block_w, block_h = 2 * r + margin // 2 + tw, max(2 * r, th + base)
    x0 = margin if corner[1] == "l" else max(0, width - margin - block_w)
    y0 = margin if corner[0] == "t" else max(0, height - margin - block_h)
    centre = (x0 + r, y0 + block_h // 2)
    cv2.circle(m, centre, r, 1, thickness=max(2, r // 3))
    cv2.rectangle(m, (centre[0] - r // 3, centre[1] - r), (centre[0] + r // 3, centre[1] + r), 1, -1)
    cv2.putText(m, text, (x0 + 2 * r + margin // 2, y0 + (block_h + th) // 2), cv2.FONT_HERSHEY_SIMPLEX,
                font_scale, 1, thick, cv2.LINE_8)
    return np.broadcast_to(m.astype(bool), (frames, height, width)).copy()
