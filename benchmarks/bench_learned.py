"""Proof that the trained networks learned, on clips never used for training.

IGFC: end-point error inside the (dilated) hole of the completed flow against DIS flow computed
on the *uncorrupted* frames, for IGFC versus the Laplacian fill that it starts from. Every flow of
the clip in both directions; the flow outside the hole is the clean one for both methods, so
only the completion differs. A third column, the *inertia oracle*, shows how much a 3-flow
window can hold at all: the Laplacian fill plus the neighbour flows' true in-hole detail (true
flow minus its own Laplacian fill), carried into the pivot frame along their true motion and
averaged. It reads ground truth inside the neighbours' holes, which IGFC never sees, so IGFC is
not expected to beat it; where it does not beat the fill either, the window has nothing to give.

ASFN: on ASFN-simulated samples (simulated motion over photographs, and the same simulation on
the held-out clips with their DIS flows), in-hole gradient L1 of the simulated propagated
gradients with and without ASFN, and the PSNR inside the hole after the Poisson solve with those
gradients (known pixels outside the hole as boundary), with and without ASFN.

Held-out clips are the dev set's ``gt.mp4`` with its masks (``shared/devset``: benchmarks only,
never trained on). Usage::

    python benchmarks/bench_learned.py ../shared/devset --models isvi_models/weights -o OUT.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def load_clip(clip_dir: Path, max_side: int, max_frames: int):
    """Frames float32 (T, h, w, 3) and holes bool (T, h, w) at working size (any coverage = hole)."""
    import cv2

    from isvi_models.train.data import read_clip

    frames = read_clip(clip_dir / "gt.mp4", max_side, max_frames)
    t, h, w = frames.shape[:3]
    holes = np.zeros((t, h, w), bool)
    for i in range(t):
        m = cv2.imread(str(clip_dir / "masks" / f"{i:05d}.png"), cv2.IMREAD_GRAYSCALE)
        holes[i] = cv2.resize((m > 0).astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0
    # crop to multiples of 8 (IGFC's padding is done by the runtime; cropping keeps metrics simple)
    h8, w8 = h - h % 8, w - w % 8
    return frames[:, :h8, :w8], holes[:, :h8, :w8]


def inertia_oracle(flows: np.ndarray, holes: np.ndarray, filled: np.ndarray, carry_prev: np.ndarray,
                   carry_next: np.ndarray) -> np.ndarray:
    """Fill of each flow plus its neighbours' true in-hole residual, splatted along the inertia motion.

    ``carry_prev[i]`` moves pixels of the frame where flow i-1 lives to the frame of flow i,
    ``carry_next[i]`` those of flow i+1's frame; the residual of flow j is ``flows[j] -
    filled[j]`` (zero outside its hole). Splatted residuals are normalised by their weights and
    averaged over the neighbours that reach a pixel.
    """
    import torch

    from isvi_models.nets.splat import forward_splat

    def carry(values, motion):
        src = torch.from_numpy(np.concatenate((values, np.ones_like(values[..., :1])), -1).transpose(2, 0, 1)[None].copy())
        out = forward_splat(src, torch.from_numpy(motion.transpose(2, 0, 1)[None].copy()))[0].numpy().transpose(1, 2, 0)
        return out[..., :2] / np.maximum(out[..., 2:], 1e-6), out[..., 2] > 0.5

    resid = flows - filled
    out = filled.copy()
    for i in range(len(flows)):
        acc, cnt = np.zeros_like(flows[i]), np.zeros(flows.shape[1:3], np.float32)
        for j, motion in ((i - 1, carry_prev[i]), (i + 1, carry_next[i])):
            if 0 <= j < len(flows) and motion is not None:
                val, got = carry(resid[j], motion)
                acc += np.where(got[..., None], val, 0.0)
                cnt += got
        out[i] = np.where(holes[i][..., None], filled[i] + acc / np.maximum(cnt, 1)[..., None], flows[i])
    return out


def igfc_epe(frames: np.ndarray, holes: np.ndarray, completer, flow_dilate_px: int) -> dict:
    from isvi_models.ops.flow import DISFlowEstimator
    from isvi_models.ops.flow_completion import laplace_fill_flows
    from isvi_models.ops.masks import dilate_holes

    fwd, bwd = DISFlowEstimator("medium")(frames)
    fh = dilate_holes(holes, flow_dilate_px)
    res = {"laplace": [], "igfc": [], "inertia_oracle": []}
    n = len(fwd)
    # flow i of the forward list lives in frame i, of the backward list in frame i+1
    carriers = {"forward": ([None] + list(fwd[:-1]), list(bwd[:n])),
                "backward": (list(fwd[:n]), list(bwd[1:]) + [None])}
    for flows, hole, direction in ((fwd, fh[:-1], "forward"), (bwd, fh[1:], "backward")):
        corrupted = np.where(hole[..., None], 0.0, flows).astype(np.float32)
        lap = laplace_fill_flows(corrupted, hole)
        t0 = time.time()
        ig = completer(corrupted, hole, direction)
        res.setdefault("igfc_s", []).append(time.time() - t0)
        oracle = inertia_oracle(flows, hole, lap, *carriers[direction])
        for name, out in (("laplace", lap), ("igfc", ig), ("inertia_oracle", oracle)):
            err = np.linalg.norm(out - flows, axis=-1)
            res[name].append(err[hole])
    out = {k: float(np.concatenate(v).mean()) for k, v in res.items() if k != "igfc_s"}
    out["hole_px"] = int(sum(len(v) for v in res["laplace"]))
    out["mean_flow_px"] = float(np.linalg.norm(fwd, axis=-1)[fh[:-1]].mean())
    out["igfc_s"] = float(sum(res["igfc_s"]))
    return out


def asfn_eval(samples: list[dict], refiner) -> dict:
    """Gradient L1 in the hole and PSNR in the hole after Poisson, with and without ASFN."""
    from isvi_models.ops.poisson import poisson_solve

    g_in, g_asfn, p_in, p_asfn = [], [], [], []
    for s in samples:
        hole = s["hole"]
        if not hole.any():
            continue
        rx, ry = refiner(s["in_x"][None], s["in_y"][None], hole[None])
        for name, gx, gy, gl, pl in (("sim", s["in_x"], s["in_y"], g_in, p_in), ("asfn", rx[0], ry[0], g_asfn, p_asfn)):
            gl.append(float(np.abs(np.stack([gx - s["gt_x"], gy - s["gt_y"]]))[:, hole].mean()))
            start = np.where(hole[..., None], 0.0, s["frame"]).astype(np.float32)
            out, _ = poisson_solve(start, hole, gx, gy)
            mse = float(((np.clip(out, 0, 1) - s["frame"])[hole] ** 2).mean())
            pl.append(10 * np.log10(1.0 / max(mse, 1e-10)))
    return {"grad_l1_sim": float(np.mean(g_in)), "grad_l1_asfn": float(np.mean(g_asfn)),
            "psnr_sim": float(np.mean(p_in)), "psnr_asfn": float(np.mean(p_asfn)), "n": len(g_in)}


def asfn_samples_sim(n: int, size: int, seed: int, photo_dirs=()) -> list[dict]:
    from isvi_models.train.asfn_sim import simulate_propagation
    from isvi_models.train.data import load_photographs, simulate_sequence, training_masks

    rng = np.random.default_rng(seed)
    photos = load_photographs(photo_dirs)
    out = []
    for _ in range(n):
        seq = simulate_sequence(rng, photos, 3, size, size)
        hole = training_masks(rng, 3, size, size)[1]
        s = simulate_propagation(rng, seq.frames, 1, hole, {k: seq.flow(1, k) for k in (0, 2)},
                                 {k: seq.flow(k, 1) for k in (0, 2)})
        s["frame"] = seq.frames[1]
        out.append(s)
    return out


def asfn_samples_clip(frames: np.ndarray, holes: np.ndarray, seed: int, every: int = 4) -> list[dict]:
    from isvi_models.ops.flow import DISFlowEstimator
    from isvi_models.train.asfn_sim import simulate_propagation

    rng = np.random.default_rng(seed)
    fwd, bwd = DISFlowEstimator("medium")(frames)
    out = []
    for t in range(1, len(frames) - 1, every):
        s = simulate_propagation(rng, frames, t, holes[t], {t - 1: bwd[t - 1], t + 1: fwd[t]},
                                 {t - 1: fwd[t - 1], t + 1: bwd[t]})
        s["frame"] = frames[t]
        out.append(s)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips_dir", type=Path)
    ap.add_argument("--models", type=Path, required=True)
    ap.add_argument("-o", "--out", type=Path)
    ap.add_argument("--max-side", type=int, default=320)
    ap.add_argument("--max-frames", type=int, default=40)
    ap.add_argument("--flow-dilate-px", type=int, default=8)
    ap.add_argument("--only", choices=("igfc", "asfn"))
    ap.add_argument("--n-sim", type=int, default=60)
    ap.add_argument("--photos", type=Path, action="append", default=[])
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    from isvi_models import learned

    clips = sorted(p for p in args.clips_dir.iterdir() if (p / "gt.mp4").is_file() and (p / "masks").is_dir())
    report: dict = {"max_side": args.max_side, "max_frames": args.max_frames, "flow_dilate_px": args.flow_dilate_px}
    loaded = {c.name: load_clip(c, args.max_side, args.max_frames) for c in clips}
    if args.only in (None, "igfc"):
        completer = learned.load_flow_completer(args.models)
        rows = {}
        for name, (frames, holes) in loaded.items():
            rows[name] = igfc_epe(frames, holes, completer, args.flow_dilate_px)
            r = rows[name]
            print(f"IGFC {name}: EPE laplace {r['laplace']:.3f} igfc {r['igfc']:.3f} ratio {r['igfc'] / r['laplace']:.3f}"
                  f" | inertia oracle {r['inertia_oracle']:.3f} ratio {r['inertia_oracle'] / r['laplace']:.3f}", flush=True)
        w = np.array([r["hole_px"] for r in rows.values()], float)
        lap = float(np.average([r["laplace"] for r in rows.values()], weights=w))
        ig = float(np.average([r["igfc"] for r in rows.values()], weights=w))
        orc = float(np.average([r["inertia_oracle"] for r in rows.values()], weights=w))
        report["igfc"] = {"clips": rows, "all": {"laplace": lap, "igfc": ig, "ratio": ig / lap,
                                                 "inertia_oracle": orc, "oracle_ratio": orc / lap}}
        print(f"IGFC all: EPE laplace {lap:.3f} igfc {ig:.3f} ratio {ig / lap:.3f} | inertia oracle {orc:.3f} "
              f"ratio {orc / lap:.3f}", flush=True)
    if args.only in (None, "asfn"):
        refiner = learned.load_gradient_refiner(args.models)
        res = {"simulated": asfn_eval(asfn_samples_sim(args.n_sim, 64, 999, args.photos), refiner)}
        print("ASFN simulated:", res["simulated"], flush=True)
        for name, (frames, holes) in loaded.items():
            res[name] = asfn_eval(asfn_samples_clip(frames, holes, 7), refiner)
            print(f"ASFN {name}:", res[name], flush=True)
        report["asfn"] = res
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
