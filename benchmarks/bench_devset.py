"""Dev-set quality per clip: isvi with given options against the trivial fills, in one process.

For every clip with ground truth in a dev-set folder (``<clip>/gt.mp4``, ``<clip>/masks/``)
the hole (the clip's mask as given) is blanked and filled by OpenCV Telea and Navier-Stokes,
temporal-nearest (the same pixel from the nearest frame that shows it), FFmpeg's removelogo
(on clips whose mask is the same in every frame: static logos) and
``tasks.inpaint_video.inpaint_arrays`` with the options given (``--set key=value``, as the
``InpaintConfig`` field names; default: the defaults, as a user
runs it). In-hole PSNR is the mean over frames of each frame's PSNR inside its hole (the
papers' protocol, as ``isvi benchmark``); flicker is the mean over frame pairs of
``tasks.evaluation.metrics.flicker`` (how much the change from frame to frame inside the hole
differs from the ground truth's, 0-255; lower is better), in the JSON as ``<method>_flicker``. Prints a table per clip with the best trivial fill
and isvi's margin over it, and writes JSON.

    python benchmarks/bench_devset.py ../shared/devset --out benchmarks/results/devset_defaults.json
    python benchmarks/bench_devset.py ../shared/devset --set window_frames=96 --set overlap_frames=12
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from isvi_models.ops.masks import dilate_holes  # noqa: E402
from media.masks import open_mask  # noqa: E402
from media.video import read_video  # noqa: E402
from tasks.config import InpaintConfig  # noqa: E402
from tasks.evaluation import baselines  # noqa: E402
from tasks.evaluation.metrics import flicker, masked_psnr  # noqa: E402
from tasks.inpaint_video import inpaint_arrays  # noqa: E402

TRIVIAL = {"telea": baselines.telea, "ns": baselines.navier_stokes, "temporal_nearest": baselines.temporal_nearest,
           "removelogo": baselines.removelogo}


def hole_psnr(result: np.ndarray, gt: np.ndarray, holes: np.ndarray) -> float:
    """Mean over frames with a hole of the in-hole PSNR (inf frames capped at 100 dB)."""
    vals = [min(masked_psnr(r, g, h), 100.0) for r, g, h in zip(result, gt, holes) if h.any()]
    return float(np.mean(vals)) if vals else math.nan


def mean_flicker(result: np.ndarray, gt: np.ndarray, holes: np.ndarray) -> float:
    """Mean over consecutive frame pairs with a hole of the in-hole flicker (0-255)."""
    vals = [flicker(result[t - 1], result[t], gt[t - 1], gt[t], holes[t - 1], holes[t])
            for t in range(1, len(result)) if holes[t - 1].any() or holes[t].any()]
    return float(np.mean(vals)) if vals else math.nan


def parse_value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def options(pairs: list[str]) -> dict:
    """``KEY=VALUE`` strings (``--set``) as ``InpaintConfig`` keyword arguments."""
    return {k: parse_value(v) for k, v in (kv.split("=", 1) for kv in pairs)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devset", type=Path)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an InpaintConfig field")
    ap.add_argument("--clips", help="comma-separated clip names (default: every clip with gt.mp4)")
    ap.add_argument("--no-trivial", action="store_true", help="skip the trivial fills")
    ap.add_argument("--out", type=Path, help="JSON results")
    args = ap.parse_args()
    given = dict(kv.split("=", 1) for kv in args.set)  # as typed, for the JSON
    cfg = InpaintConfig(**options(args.set))
    clips = sorted(p for p in args.devset.iterdir() if (p / "gt.mp4").exists() and (p / "masks").is_dir())
    if args.clips:
        clips = [c for c in clips if c.name in args.clips.split(",")]
    rows = []
    print(f"{'clip':<24} {'telea':>7} {'ns':>7} {'tn':>7} {'rmlogo':>7} {'isvi':>7} {'vs best':>8} "
          f"{'flk tn':>7} {'flk isvi':>8} {'s/frame':>8}")
    for clip in clips:
        gt, info = read_video(clip / "gt.mp4")
        holes = open_mask(clip / "masks", [], info).read(0, info.frames)
        blank = gt.copy()
        blank[holes] = 0
        row = {"clip": clip.name, "frames": int(info.frames)}
        if not args.no_trivial:
            static_mask = bool((holes == holes[:1]).all())
            for name, fn in TRIVIAL.items():
                if name == "removelogo" and not static_mask:
                    continue
                filled = fn(blank, holes)
                row[name] = hole_psnr(filled, gt, holes)
                row[f"{name}_flicker"] = mean_flicker(filled, gt, holes)
        t0 = time.perf_counter()
        out = inpaint_arrays(blank, holes, cfg)
        row["seconds_per_frame"] = (time.perf_counter() - t0) / info.frames
        row["isvi"] = hole_psnr(out, gt, holes)
        row["isvi_flicker"] = mean_flicker(out, gt, holes)
        grown = dilate_holes(holes, cfg.dilate_px)
        row["changed_outside_hole"] = int((out != blank).any(axis=-1)[~grown].sum())  # must be 0
        row["best_trivial"] = max((row[n] for n in TRIVIAL if n in row), default=math.nan)
        rows.append(row)
        print(f"{clip.name:<24} {row.get('telea', math.nan):7.2f} {row.get('ns', math.nan):7.2f} "
              f"{row.get('temporal_nearest', math.nan):7.2f} {row.get('removelogo', math.nan):7.2f} {row['isvi']:7.2f} "
              f"{row['isvi'] - row['best_trivial']:+8.2f} {row.get('temporal_nearest_flicker', math.nan):7.2f} "
              f"{row['isvi_flicker']:8.2f} {row['seconds_per_frame']:8.3f}", flush=True)
    keys = ("isvi", "isvi_flicker", "seconds_per_frame", *TRIVIAL, *(f"{n}_flicker" for n in TRIVIAL))
    # removelogo runs on the static-mask clips only: its mean is over those
    mean = {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys if any(k in r for r in rows)}
    below = [r["clip"] for r in rows if r["isvi"] < r["best_trivial"] - 0.5]
    print(f"pixels changed outside the (grown) hole: {sum(r['changed_outside_hole'] for r in rows)}")
    print(f"{'mean':<24} {mean.get('telea', math.nan):7.2f} {mean.get('ns', math.nan):7.2f} "
          f"{mean.get('temporal_nearest', math.nan):7.2f} {mean.get('removelogo', math.nan):7.2f} {mean['isvi']:7.2f} "
          f"{'':>8} {mean.get('temporal_nearest_flicker', math.nan):7.2f} {mean['isvi_flicker']:8.2f} "
          f"{mean['seconds_per_frame']:8.3f}")
    print(f"clips more than 0.5 dB below the best trivial fill: {', '.join(below) or 'none'}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"options": given, "clips": rows, "mean": mean, "below_best": below},
                                       indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
