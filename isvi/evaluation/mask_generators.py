"""Seeded hole generators for benchmarks: every function returns bool (T, H, W), True = hole.

The same ``(kind, seed, T, H, W, params)`` always gives the same masks (numpy's PCG64 via
``default_rng(seed)``, no global state), so a benchmark can be re-run and compared.

* ``squares`` — moving squares with a continuous motion trace, the protocol the ISVI author
  names for the paper's quantitative results (hitachinsk/ISVI issue #4): each square moves in
  a straight line at a constant speed and bounces off the frame border, so consecutive masks
  overlap and the trace is continuous.
* ``blobs`` — STTN-style moving free-form shapes (STTN ``create_random_shape_with_random_motion``,
  also used to train IGFC): a closed random Bézier blob that drifts with a random velocity
  plus random acceleration, and randomly zooms or rotates by a little each frame. STTN draws
  the blob between 1/3 and all of the frame and keeps half of its masks stationary (a
  training distribution); the defaults here are smaller and always moving (a test
  distribution), and both are parameters.
* ``text`` — a static overlay: a line of text (cv2.putText) plus a simple logo (ring and bar)
  in a corner, like a broadcaster's watermark.
* ``folder`` — masks read from a folder of images (``isvi.masks.open_mask``).
"""

from __future__ import annotations

import math
from pathlib import Path

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


def folder_masks(folder: str | Path, frames: int, height: int, width: int) -> np.ndarray:
    """Masks from a folder of images (one per frame, non-zero = hole), checked like ``isvi inpaint``'s."""
    from fractions import Fraction

    from isvi.masks import open_mask
    from isvi.video import VideoInfo

    info = VideoInfo(Path(folder), frames, width, height, Fraction(25))
    return open_mask(folder, [], info).read(0, frames)


GENERATORS = {"squares": moving_squares, "blobs": moving_blobs, "text": text_overlay}


def parse_spec(spec: str) -> tuple[str, int, dict]:
    """``KIND[:SEED][,key=value...]`` -> (kind, seed, params); e.g. ``squares:3,count=2``."""
    from isvi_models.errors import ConfigError

    head, *rest = spec.split(",")
    kind, _, seed = head.partition(":")
    kind = kind.strip()
    if kind not in GENERATORS:
        raise ConfigError(f"mask generator: unknown kind {kind!r} (use one of {', '.join(GENERATORS)}, "
                          f"or a folder)")
    try:
        seed_i = int(seed) if seed else 0
    except ValueError:
        raise ConfigError(f"mask generator: seed must be an integer in {spec!r}") from None
    params: dict = {}
    for item in rest:
        key, _, value = item.partition("=")
        try:
            params[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            params[key.strip()] = value
    return kind, seed_i, params


def generate(spec: str | dict, frames: int, height: int, width: int) -> np.ndarray:
    """Masks from a spec string (see :func:`parse_spec`), a folder path, or a dict
    ``{"kind": ..., "seed": ..., other params}`` (the form a clip's meta.json may carry)."""
    from isvi_models.errors import ConfigError

    if isinstance(spec, dict):
        params = dict(spec)
        kind, seed = params.pop("kind", None), int(params.pop("seed", 0))
        if kind not in GENERATORS:
            raise ConfigError(f"mask generator: unknown kind {kind!r}")
    else:
        if Path(spec).is_dir():
            return folder_masks(spec, frames, height, width)
        kind, seed, params = parse_spec(spec)
    try:
        return GENERATORS[kind](frames, height, width, seed, **params)
    except TypeError as exc:
        raise ConfigError(f"mask generator {kind}: {exc}") from None
