"""Training data for IGFC and ASFN: real photographs set in simulated motion, and real clips with
estimated flow as pseudo ground truth, cached as Zarr.

Sources (nothing is downloaded at run time):

* photographs: scikit-image's sample photographs and any image folders given (for example the
  Debian ``plasma-workspace-wallpapers`` / ``mate-backgrounds`` photographs unpacked with
  ``apt-get download`` + ``dpkg -x``); each becomes texture for :func:`simulate_sequence`;
* real clips from ``shared/trainclips`` only (other clips are kept for evaluation): their
  frames with DIS flow computed on the clean frames as pseudo ground truth (the paper used RAFT).

:func:`simulate_sequence` renders N frames of a photograph under smooth camera motion (affine:
translation, rotation and zoom at near-constant rates) with 1-2 foreground layers (patches of
another photograph cut by a random blob) moving at near-constant velocity. Every pixel's motion
is known in closed form, so the flow between any two frames is exact; near-constant velocities
obey the inertia prior IGFC relies on.

An IGFC sample (:func:`make_igfc_sample`) is a window of ``T`` consecutive forward flows, a moving
training mask per flow (STTN-style blobs or moving squares, :mod:`isvi_models.hole_shapes`),
the flows Laplacian-filled inside their holes exactly as :class:`isvi_models.learned.IGFCCompleter`
prepares them at inference, and the pivot frame pair for the census loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isvi_models.ops.flow_completion import laplace_fill_flows

SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry",
                  "retina", "stereo_motorcycle", "camera", "brick", "grass", "gravel", "moon", "coins")
IMAGE_EXTS = (".jpg", ".jpeg", ".png")


# --------------------------------------------------------------------------------------------
# Sources


def _fit(image: np.ndarray, max_side: int) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    s = max_side / max(h, w)
    if s < 1:
        image = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return image


def _rgb_float(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    image = image[..., :3]
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    return np.clip(image.astype(np.float32), 0, 1)


def list_image_files(folders: list[str | Path]) -> list[Path]:
    """Image files under ``folders``; of a KDE wallpaper package (``<name>/contents/images/*``) only the smallest."""
    out: list[Path] = []
    for folder in folders:
        groups: dict[Path, list[Path]] = {}
        for p in sorted(Path(folder).rglob("*")):
            if p.suffix.lower() in IMAGE_EXTS and p.is_file():
                key = p.parent if p.parent.name == "images" and p.parent.parent.name == "contents" else p
                groups.setdefault(key, []).append(p)
        for files in groups.values():
            out.append(min(files, key=lambda f: f.stat().st_size))
    return out


def load_photographs(folders: list[str | Path] = (), *, max_side: int = 384, skimage: bool = True,
                     min_side: int = 128) -> list[np.ndarray]:
    """Real photographs as float32 RGB in [0, 1], longest side at most ``max_side``."""
    import cv2

    photos = []
    if skimage:
        import skimage.data as skd

        for name in SKIMAGE_PHOTOS:
            try:
                img = getattr(skd, name)()
            except Exception:  # noqa: BLE001 - a sample that needs a download is simply skipped
                continue
            img = img[0] if isinstance(img, tuple) else img
            photos.append(_fit(_rgb_float(img), max_side))
    for path in list_image_files(list(folders)):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            continue
        img = _fit(img, max_side)[..., ::-1]
        photos.append(_rgb_float(np.ascontiguousarray(img)))
    return [p for p in photos if min(p.shape[:2]) >= min_side]


def read_clip(path: str | Path, max_side: int = 320, max_frames: int = 400) -> np.ndarray:
    """Decode a clip to float32 RGB (T, H, W, 3) in [0, 1], resized so its longest side is ``max_side``."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < max_frames:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(_rgb_float(np.ascontiguousarray(_fit(bgr, max_side)[..., ::-1])))
    cap.release()
    if not frames:
        raise ValueError(f"no frames decoded from {path}")
    return np.stack(frames)


def clip_flows(frames: np.ndarray, preset: str = "medium") -> tuple[np.ndarray, np.ndarray]:
    """Pseudo ground truth: DIS flow on the clean frames, forward (t->t+1) and backward (t+1->t)."""
    from isvi_models.ops.flow import DISFlowEstimator

    return DISFlowEstimator(preset)(frames)


# --------------------------------------------------------------------------------------------
# Simulated motion


def _affine(scale: float, angle: float, tx: float, ty: float, cx: float, cy: float) -> np.ndarray:
    """3x3 map from frame pixel to photo pixel: rotate/scale about the frame centre, then translate."""
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    return np.array([[c, -s, tx - c * cx + s * cy], [s, c, ty - s * cx - c * cy], [0, 0, 1]], np.float64)


def _blob_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A random smooth closed blob filling most of an (h, w) box, bool."""
    import cv2

    n = int(rng.integers(6, 10))
    ang = np.sort(rng.uniform(0, 2 * math.pi, n))
    rad = rng.uniform(0.55, 1.0, n)
    t = np.linspace(0, 2 * math.pi, 64, endpoint=False)
    # periodic smooth radius: interpolate the random radii around the circle
    r = np.interp(t, np.concatenate([ang - 2 * math.pi, ang, ang + 2 * math.pi]), np.tile(rad, 3))
    pts = np.stack([(w - 1) / 2 * (1 + r * np.cos(t)), (h - 1) / 2 * (1 + r * np.sin(t))], 1)
    m = np.zeros((h, w), np.uint8)
    cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    return m.astype(bool)


@dataclass
class Layer:
    """A foreground layer: texture and alpha in its own frame, position p_t = p0 + v t + a t²/2."""

    texture: np.ndarray  # (h, w, 3)
    alpha: np.ndarray  # bool (h, w)
    p0: np.ndarray
    v: np.ndarray
    a: np.ndarray

    def pos(self, t: float) -> np.ndarray:
        return self.p0 + self.v * t + 0.5 * self.a * t * t


@dataclass
class SimSequence:
    """A rendered sequence with closed-form motion; :meth:`flow` gives the exact flow between any two frames."""

    frames: np.ndarray  # (N, H, W, 3) float32
    labels: np.ndarray  # (N, H, W) int8: -1 background, k layer k (topmost wins)
    cams: list[np.ndarray]  # per frame 3x3 frame->photo maps
    layers: list[Layer]

    def flow(self, t: int, s: int) -> np.ndarray:
        """Exact flow (H, W, 2) from frame t to frame s: where each pixel of frame t is in frame s."""
        n, h, w = self.labels.shape
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
        pts = np.stack([xs, ys, np.ones_like(xs)], 0).reshape(3, -1)
        to_s = np.linalg.inv(self.cams[s]) @ self.cams[t]
        q = to_s @ pts
        out = np.stack([q[0] / q[2] - pts[0], q[1] / q[2] - pts[1]], -1).reshape(h, w, 2)
        for k, layer in enumerate(self.layers):
            out[self.labels[t] == k] = layer.pos(s) - layer.pos(t)
        return out.astype(np.float32)


def simulate_sequence(rng: np.random.Generator, photos: list[np.ndarray], n_frames: int, height: int, width: int, *,
                      max_cam_px: float = 5.0, max_layer_px: float = 7.0, max_layers: int = 2,
                      max_rot_deg: float = 1.0, max_zoom: float = 0.02) -> SimSequence:
    """Render ``n_frames`` of a random photograph under smooth camera motion with moving foreground layers."""
    import cv2

    bg = photos[int(rng.integers(len(photos)))]
    ph, pw = bg.shape[:2]
    cx, cy = (width - 1) / 2, (height - 1) / 2
    # camera: scale (photo px per frame px) so the whole path stays inside the photo
    speed = rng.uniform(0, max_cam_px)
    direction = rng.uniform(0, 2 * math.pi)
    vel = np.array([math.cos(direction), math.sin(direction)]) * speed
    acc = rng.normal(0, 0.05, 2)
    omega = math.radians(rng.uniform(-max_rot_deg, max_rot_deg))
    zoom = 1.0 + rng.uniform(-max_zoom, max_zoom)
    travel = np.abs(vel) * n_frames + 2
    half_diag = 0.5 * math.hypot(width, height)
    fit = min((pw - 2 - travel[0]) / (2 * half_diag), (ph - 2 - travel[1]) / (2 * half_diag))
    scale0 = float(np.clip(rng.uniform(0.6, 1.4), 0.3, max(0.3, fit * zoom ** -n_frames)))
    start = np.array([rng.uniform(pw / 2 - max(0, pw / 2 - half_diag * scale0 - travel[0]) / 2,
                                  pw / 2 + max(0, pw / 2 - half_diag * scale0 - travel[0]) / 2),
                      rng.uniform(ph / 2 - max(0, ph / 2 - half_diag * scale0 - travel[1]) / 2,
                                  ph / 2 + max(0, ph / 2 - half_diag * scale0 - travel[1]) / 2)])
    start -= vel * n_frames / 2
    angle0 = rng.uniform(-0.2, 0.2)
    cams = []
    for t in range(n_frames):
        tr = start + vel * t + 0.5 * acc * t * t
        cams.append(_affine(scale0 * zoom**t, angle0 + omega * t, tr[0], tr[1], cx, cy))
    frames = np.empty((n_frames, height, width, 3), np.float32)
    for t in range(n_frames):
        frames[t] = cv2.warpAffine(bg, cams[t][:2].astype(np.float32), (width, height),
                                   flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
    labels = np.full((n_frames, height, width), -1, np.int8)
    layers = []
    for k in range(int(rng.integers(0, max_layers + 1))):
        src = photos[int(rng.integers(len(photos)))]
        lh = int(rng.integers(height // 5, height // 2 + 1))
        lw = int(rng.integers(width // 5, width // 2 + 1))
        sy = int(rng.integers(0, src.shape[0] - lh + 1))
        sx = int(rng.integers(0, src.shape[1] - lw + 1))
        tex = src[sy:sy + lh, sx:sx + lw]
        alpha = _blob_mask(rng, lh, lw)
        sp = rng.uniform(0.5, max_layer_px)
        d = rng.uniform(0, 2 * math.pi)
        v = np.array([math.cos(d), math.sin(d)]) * sp
        p0 = np.array([rng.uniform(-lw / 2, width - lw / 2), rng.uniform(-lh / 2, height - lh / 2)]) - v * n_frames / 2
        layer = Layer(tex, alpha, p0, v, rng.normal(0, 0.05, 2))
        layers.append(layer)
        for t in range(n_frames):
            px, py = layer.pos(t)
            m = np.array([[1, 0, px], [0, 1, py]], np.float32)
            img = cv2.warpAffine(tex, m, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            a = cv2.warpAffine(alpha.astype(np.float32), m, (width, height), flags=cv2.INTER_LINEAR) > 0.5
            frames[t][a] = img[a]
            labels[t][a] = k
    return SimSequence(np.clip(frames, 0, 1), labels, cams, layers)


# --------------------------------------------------------------------------------------------
# Masks and IGFC samples


def training_masks(rng: np.random.Generator, frames: int, height: int, width: int,
                   speed_px: float = 4.0) -> np.ndarray:
    """Moving training holes (frames, H, W) bool: STTN-style blobs (30 % stationary) or moving squares."""
    from isvi_models.hole_shapes import moving_blobs, moving_squares

    seed = int(rng.integers(2**31))
    if rng.random() < 0.6:
        return moving_blobs(frames, height, width, seed, size_range=(0.25, 0.6), max_speed_px=speed_px,
                            p_static=0.3)
    return moving_squares(frames, height, width, seed, count=int(rng.integers(1, 3)),
                          size_frac=float(rng.uniform(0.2, 0.45)), max_speed_px=1.25 * speed_px)


def make_igfc_sample(flows: np.ndarray, frame_t: np.ndarray, frame_t1: np.ndarray,
                     holes: np.ndarray) -> dict[str, np.ndarray]:
    """One IGFC training sample from a window of ``T`` forward flows (T, H, W, 2) and their holes (T, H, W).

    Inputs are prepared as :class:`isvi_models.learned.IGFCCompleter` does at inference: each flow
    Laplacian-filled inside its own hole. ``frame_t`` / ``frame_t1`` are the pivot flow's frames.
    """
    filled = laplace_fill_flows(flows.astype(np.float32), holes)
    return {
        "filled": filled.transpose(0, 3, 1, 2).astype(np.float16),  # (T, 2, H, W)
        "masks": holes[:, None].astype(np.uint8),  # (T, 1, H, W)
        "gt": flows[len(flows) // 2].transpose(2, 0, 1).astype(np.float16),  # (2, H, W)
        "frames": np.stack([frame_t, frame_t1]).transpose(0, 3, 1, 2).astype(np.float16),  # (2, 3, H, W)
    }


def simulated_igfc_sample(rng: np.random.Generator, photos: list[np.ndarray], num_frames: int, size: int,
                          mask_speed_px: float = 4.0):
    """An IGFC sample from simulated motion: ``num_frames`` flows need ``num_frames + 1`` frames."""
    seq = simulate_sequence(rng, photos, num_frames + 1, size, size)
    flows = np.stack([seq.flow(t, t + 1) for t in range(num_frames)])
    holes = training_masks(rng, num_frames, size, size, mask_speed_px)
    p = num_frames // 2
    return make_igfc_sample(flows, seq.frames[p], seq.frames[p + 1], holes)


def clip_igfc_sample(rng: np.random.Generator, frames: np.ndarray, fwd: np.ndarray, num_frames: int, size: int,
                     interval: int = 1, mask_speed_px: float = 4.0):
    """An IGFC sample from a real clip's pseudo ground truth: a random crop of ``num_frames`` flows."""
    k, h, w = fwd.shape[:3]
    span = (num_frames - 1) * interval
    t0 = int(rng.integers(0, k - span))
    idx = [t0 + i * interval for i in range(num_frames)]
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    flows = fwd[idx, y:y + size, x:x + size]
    holes = training_masks(rng, num_frames, size, size, mask_speed_px)
    p = idx[num_frames // 2]
    return make_igfc_sample(flows, frames[p, y:y + size, x:x + size], frames[p + 1, y:y + size, x:x + size], holes)


IGFC_KEYS = ("filled", "masks", "gt", "frames")


def write_zarr(path: str | Path, samples: dict[str, np.ndarray], attrs: dict) -> Path:
    """Write stacked samples as a Zarr group (one array per key, chunked by 64 samples); returns ``path``."""
    import shutil

    import zarr

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    root = zarr.open_group(str(tmp), mode="w")
    for key, arr in samples.items():
        z = root.create_array(key, shape=arr.shape, dtype=arr.dtype, chunks=(min(64, len(arr)), *arr.shape[1:]))
        z[...] = arr
    root.attrs.update(attrs)
    if path.exists():
        shutil.rmtree(path)
    tmp.rename(path)
    return path


def read_zarr(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """All arrays of a prepared-data group (loaded into memory) and its attributes."""
    import zarr

    root = zarr.open_group(str(path), mode="r")
    return {k: np.asarray(root[k][...]) for k in root.array_keys()}, dict(root.attrs)


def prepare_igfc_data(out: str | Path, *, n_sim: int, n_clip: int, size: int = 64, num_frames: int = 3,
                      photo_dirs: list[str | Path] = (), clip_paths: list[str | Path] = (), seed: int = 0,
                      clip_max_side: int = 320, mask_speed_px: float = 4.0, log=print) -> Path:
    """Render ``n_sim`` simulated and ``n_clip`` real-clip IGFC samples of ``size``² and cache them as Zarr."""
    rng = np.random.default_rng(seed)
    photos = load_photographs(photo_dirs)
    log(f"{len(photos)} photographs")
    samples = [simulated_igfc_sample(rng, photos, num_frames, size, mask_speed_px) for _ in range(n_sim)]
    clips = []
    for path in clip_paths:
        frames = read_clip(path, clip_max_side)
        fwd, _ = clip_flows(frames)
        clips.append((frames, fwd))
        log(f"clip {Path(path).name}: {frames.shape[0]} frames {frames.shape[2]}x{frames.shape[1]}")
    for i in range(n_clip if clips else 0):
        frames, fwd = clips[i % len(clips)]
        samples.append(clip_igfc_sample(rng, frames, fwd, num_frames, size, mask_speed_px=mask_speed_px))
    stacked = {k: np.stack([s[k] for s in samples]) for k in IGFC_KEYS}
    attrs = dict(kind="igfc", size=size, num_frames=num_frames, n_sim=n_sim, n_clip=n_clip if clips else 0,
                 photos=len(photos), clips=[Path(p).name for p in clip_paths], seed=seed, mask_speed_px=mask_speed_px)
    return write_zarr(out, stacked, attrs)
