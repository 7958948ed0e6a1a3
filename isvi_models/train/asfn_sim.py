"""ASFN's data simulation pipeline (ISVI slides; method notes §4.4).

For frame t with hole M_t and its neighbours s = t-1, t+1:

1. a random *light adjustment* of frame s (gain, gamma, contrast, blur), then its gradients;
2. backward-warp those gradients into frame t with the ground-truth flow F_{t->s};
3. weight by the forward-backward consistency ω_s of F_{t->s} and F_{s->t} (UnFlow's rule, soft);
4. aggregate ``Σ ω_s g_s / Σ ω_s`` into the hole of frame t's own gradients (0 where no neighbour
   is consistent, as a position no frame could fill).

The input is that simulated propagated gradient map, the mask is the pixel hole, the target is
frame t's true gradient. x- and y-gradients are separate samples (one network serves both at
inference). Gradients are the pipeline's forward differences (:func:`isvi_models.ops.gradients.image_gradients`).
"""

from __future__ import annotations

import numpy as np

from isvi_models.ops.flow import warp_back
from isvi_models.ops.gradients import gradient_hole, image_gradients


def light_adjust(rng: np.random.Generator, frame: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Random gain, gamma, contrast and Gaussian blur of an RGB frame in [0, 1] (same size and range)."""
    import cv2

    gain = np.exp(rng.normal(0, 0.12 * strength, 3)).astype(np.float32)  # per channel: colour cast too
    gamma = float(np.exp(rng.normal(0, 0.15 * strength)))
    contrast = float(np.exp(rng.normal(0, 0.15 * strength)))
    out = np.clip(frame * gain, 0, 1) ** gamma
    mean = out.mean(axis=(0, 1), keepdims=True)
    out = (out - mean) * contrast + mean
    if rng.random() < 0.5:
        sigma = float(rng.uniform(0.3, 1.5 * strength))
        out = cv2.GaussianBlur(out.astype(np.float32), (0, 0), sigma)
    return np.clip(out, 0, 1).astype(np.float32)


def fb_consistency(flow_ts: np.ndarray, flow_st: np.ndarray, soft: bool = True) -> np.ndarray:
    """Weight in [0, 1] per pixel of frame t: consistent where ``F_{t->s} + F_{s->t}(x + F_{t->s})`` ≈ 0.

    UnFlow's occlusion test ``|f + b̃|² > 0.01 (|f|² + |b̃|²) + 0.5``; ``soft`` gives
    ``exp(−|f + b̃|² / (0.01 (|f|² + |b̃|²) + 0.5))`` instead of the binary map. Pixels whose target
    lies outside frame s get 0.
    """
    h, w = flow_ts.shape[:2]
    back = warp_back(flow_st, flow_ts)
    diff = ((flow_ts + back) ** 2).sum(-1)
    bound = 0.01 * ((flow_ts**2).sum(-1) + (back**2).sum(-1)) + 0.5
    xs, ys = np.meshgrid(np.arange(w), np.arange(h))
    tx, ty = xs + flow_ts[..., 0], ys + flow_ts[..., 1]
    inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
    weight = np.exp(-diff / bound) if soft else (diff <= bound).astype(np.float32)
    return (weight * inside).astype(np.float32)


def simulate_propagation(rng: np.random.Generator, frames: np.ndarray, t: int, hole: np.ndarray,
                         flows_to: dict[int, np.ndarray], flows_from: dict[int, np.ndarray],
                         light_strength: float = 1.0) -> dict[str, np.ndarray]:
    """Simulated propagated gradients of frame ``t``: returns input/target gx, gy (H, W, 3) and the hole.

    ``flows_to[s]`` is F_{t->s}, ``flows_from[s]`` is F_{s->t} for each neighbour s.
    """
    gx_t, gy_t = image_gradients(frames[t])
    ghole = gradient_hole(hole)
    num_x = np.zeros_like(gx_t)
    num_y = np.zeros_like(gy_t)
    den = np.zeros(hole.shape, np.float32)
    for s, f_ts in flows_to.items():
        adj = light_adjust(rng, frames[s], light_strength)
        gx_s, gy_s = image_gradients(adj)
        wgt = fb_consistency(f_ts, flows_from[s])
        num_x += wgt[..., None] * warp_back(gx_s, f_ts)
        num_y += wgt[..., None] * warp_back(gy_s, f_ts)
        den += wgt
    ok = den > 1e-3
    agg_x = np.where(ok[..., None], num_x / np.maximum(den, 1e-3)[..., None], 0.0)
    agg_y = np.where(ok[..., None], num_y / np.maximum(den, 1e-3)[..., None], 0.0)
    gh = ghole[..., None]
    return {"in_x": np.where(gh, agg_x, gx_t).astype(np.float32), "in_y": np.where(gh, agg_y, gy_t).astype(np.float32),
            "gt_x": gx_t, "gt_y": gy_t, "hole": hole}


def asfn_samples_from(rng: np.random.Generator, sim: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    """The x- and y-gradient samples (CHW float16 / uint8) of one :func:`simulate_propagation` result."""
    mask = sim["hole"][None].astype(np.uint8)
    return [{"input": sim[f"in_{a}"].transpose(2, 0, 1).astype(np.float16),
             "target": sim[f"gt_{a}"].transpose(2, 0, 1).astype(np.float16), "mask": mask} for a in ("x", "y")]


ASFN_KEYS = ("input", "target", "mask")


def simulated_asfn_samples(rng: np.random.Generator, photos: list[np.ndarray], size: int):
    """ASFN samples from simulated motion (3 frames, exact flows both ways)."""
    from isvi_models.train.data import simulate_sequence, training_masks

    seq = simulate_sequence(rng, photos, 3, size, size)
    hole = training_masks(rng, 3, size, size)[1]
    sim = simulate_propagation(rng, seq.frames, 1, hole, {s: seq.flow(1, s) for s in (0, 2)},
                               {s: seq.flow(s, 1) for s in (0, 2)})
    return asfn_samples_from(rng, sim)


def clip_asfn_samples(rng: np.random.Generator, frames: np.ndarray, fwd: np.ndarray, bwd: np.ndarray, size: int):
    """ASFN samples from a real clip with pseudo-ground-truth flows (fwd[k]: k->k+1, bwd[k]: k+1->k)."""
    from isvi_models.train.data import training_masks

    k, h, w = frames.shape[:3]
    t = int(rng.integers(1, k - 1))
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    sl = (slice(y, y + size), slice(x, x + size))
    # full-frame flows keep the motion across the crop edges correct; crop after warping
    hole = np.zeros((h, w), bool)
    hole[sl] = training_masks(rng, 3, size, size)[1]
    sim = simulate_propagation(rng, frames, t, hole, {t - 1: bwd[t - 1], t + 1: fwd[t]},
                               {t - 1: fwd[t - 1], t + 1: bwd[t]})
    sim = {key: v[sl] for key, v in sim.items()}
    return asfn_samples_from(rng, sim)


def propagated_asfn_samples(rng: np.random.Generator, clips: list[np.ndarray], size: int, window: int = 7,
                            light_p: float = 0.5):
    """ASFN samples made by the pipeline's own gradient propagation on a real clip.

    The simulation above fills frame t from t±1 only. At inference ASFN sees something else:
    :func:`~isvi_models.ops.propagation.propagate_gradients` over a window of frames, with
    Laplacian-completed flows, and a spatial fill's gradients where no frame saw the hole
    (the pipeline's key-frame fill). A net trained only on the simulation improved it on
    held-out clips but lost 0.07-0.23 dB in the pipeline (model card), so these samples
    reproduce the pipeline's input. A random ``window``-frame stretch of a random clip gets,
    with probability ``light_p``, a per-frame light change (strength 0.5, so frames disagree
    as with flicker), moving training holes in a ``size``² crop, DIS flows on the window
    filled in the holes, and the propagation; the sample is the middle frame's crop.
    Returns [] when the middle frame's hole is empty.
    """
    from isvi_models.ops.flow_completion import LaplaceCompleter
    from isvi_models.ops.propagation import propagate_gradients
    from isvi_models.ops.spatial import spatial_fill
    from isvi_models.train.data import clip_flows, training_masks

    frames = clips[int(rng.integers(len(clips)))]
    t_len, h, w = frames.shape[:3]
    s0 = int(rng.integers(0, t_len - window))
    win = frames[s0:s0 + window].copy()
    if rng.random() < light_p:
        win = np.stack([light_adjust(rng, f, 0.5) for f in win])
    y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    holes = np.zeros((window, h, w), bool)
    holes[:, y:y + size, x:x + size] = training_masks(rng, window, size, size)
    fwd, bwd = LaplaceCompleter().complete_both(*clip_flows(win), holes)  # as the pipeline completes them
    gx, gy = image_gradients(win)
    gxf, gyf, missing = propagate_gradients(gx, gy, gradient_hole(holes), fwd, bwd, frames=win)
    t = window // 2
    if not holes[t].any():
        return []
    if missing[t].any():
        fx, fy = image_gradients(spatial_fill(win[t], holes[t], "fsr"))  # the pipeline default
        gxf[t][missing[t]] = fx[missing[t]]
        gyf[t][missing[t]] = fy[missing[t]]
    sl = (slice(y, y + size), slice(x, x + size))
    sim = {"in_x": gxf[t][sl], "in_y": gyf[t][sl], "gt_x": gx[t][sl], "gt_y": gy[t][sl], "hole": holes[t][sl]}
    return asfn_samples_from(rng, sim)


CLIP_MODES = ("simulated", "propagated")


def prepare_asfn_data(out, *, n_sim: int, n_clip: int, size: int = 64, photo_dirs=(), clip_paths=(),
                      seed: int = 0, clip_max_side: int = 320, clip_mode: str = "simulated", log=print):
    """Simulate ``n_sim`` + ``n_clip`` frames (2 samples each: x and y gradients) and cache them as Zarr.

    ``clip_mode`` says how the real-clip samples are made: ``"simulated"`` (the paper's
    simulation, :func:`clip_asfn_samples`) or ``"propagated"`` (:func:`propagated_asfn_samples`).
    """
    from pathlib import Path

    from isvi_models.train.data import clip_flows, load_photographs, read_clip, write_zarr

    if clip_mode not in CLIP_MODES:
        raise ValueError(f"clip_mode must be one of {CLIP_MODES}, got {clip_mode!r}")
    rng = np.random.default_rng(seed)
    photos = load_photographs(photo_dirs)
    samples = []
    for _ in range(n_sim):
        samples += simulated_asfn_samples(rng, photos, size)
    clips = []
    for path in clip_paths:
        frames = read_clip(path, clip_max_side)
        clips.append((frames, *clip_flows(frames)) if clip_mode == "simulated" else frames)
        log(f"clip {Path(path).name}: {frames.shape[0]} frames")
    if clip_mode == "simulated":
        for i in range(n_clip if clips else 0):
            samples += clip_asfn_samples(rng, *clips[i % len(clips)], size)
    else:
        goal = len(samples) + 2 * n_clip
        while clips and len(samples) < goal:
            samples += propagated_asfn_samples(rng, clips, size)
    stacked = {k: np.stack([s[k] for s in samples]) for k in ASFN_KEYS}
    attrs = dict(kind="asfn", size=size, n_sim=n_sim, n_clip=n_clip if clips else 0, photos=len(photos),
                 clips=[Path(p).name for p in clip_paths], seed=seed, clip_mode=clip_mode)
    return write_zarr(out, stacked, attrs)
