"""``isvi batch --mask auto`` on real footage: each video detected alone against one pooled detection per folder.

Three "channels" (folders), each holding the four development clips (``/work/shared/devset/<clip>/gt.mp4``,
60 frames spread over each, resized to 640x360 with INTER_AREA, aspect not kept) with the same
overlay burnt in (``media.watermark_synth.overlay_watermark(frames, kind, seed)``: logo, text,
timestamp) and encoded as H.264 (CRF 18), as a channel's uploads would be. The collection runs
through the ``inpaint-collection`` flow (one Prefect server, a local Dask cluster) twice:
``--auto-mask-pool video`` (the default: every video's overlay detected from itself) and
``--auto-mask-pool folder``. Outputs are lossless (FFV1), so the pixels a run changed are exactly
its hole, the detected mask grown by 2 px; eroded by those 2 px it is (about) the mask, scored
against the overlay's footprint as ``benchmarks/watermark.md`` does: coverage (target >= 0.95)
and the share within 5 px of the overlay (target >= 0.80). Inpainting: PSNR inside the footprint
against the clip before the overlay, next to OpenCV Telea (radius 3) on the same hole.

``--mixed`` makes each folder a channel in two resolutions: the night-city and static-camera
clips are transcoded to 320x180 (INTER_AREA after the overlay is burnt in, then H.264 as the
rest), as a platform serves a channel's older uploads, and are scored at that size (the
footprint scaled with ``media.masks.fit_mask``). ``--pools`` picks the runs.

    python benchmarks/bench_batch_auto.py ../shared/devset --out benchmarks/results/batch_auto.json
    python benchmarks/bench_batch_auto.py ../shared/devset --mixed --out benchmarks/results/batch_auto_mixed.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.runtime import offline_env  # noqa: E402

offline_env()

CLIPS = ("bikes_pan_square", "bikes_street_blob", "city_pan_logo", "vtest_static_blob")
KINDS = ("logo", "text", "timestamp")
SIZE = (640, 360)  # width, height
SMALL = (320, 180)  # --mixed: the size of the clips below
TRANSCODED = ("city_pan_logo", "vtest_static_blob")


def channel_frames(devset: Path, clip: str, frames: int) -> np.ndarray:
    """Up to ``frames`` frames spread over a dev clip, at SIZE."""
    import cv2

    from media.video import VideoSource
    from media.watermark import sample_indices

    with VideoSource(devset / clip / "gt.mp4") as src:
        idx = sample_indices(src.info.frames, frames)
        return np.stack([cv2.resize(src.read(i, i + 1)[0], SIZE, interpolation=cv2.INTER_AREA) for i in idx])


def make_collection(devset: Path, root: Path, seed: int, frames: int, mixed: bool = False) -> tuple[dict, dict]:
    """``root/<kind>/<clip>.mp4`` (H.264); returns clean frames and footprints by name."""
    from media.masks import fit_frame, fit_mask
    from media.video import FrameWriter, VideoInfo
    from media.watermark_synth import overlay_watermark

    def shrink(frames: np.ndarray) -> np.ndarray:
        return np.stack([fit_frame(f, SMALL[::-1]) for f in frames])  # INTER_AREA, as a transcode

    clean, footprints = {}, {}
    for clip in CLIPS:
        gt = channel_frames(devset, clip, frames)
        small = mixed and clip in TRANSCODED
        for kind in KINDS:
            name = f"{kind}/{clip}.mp4"
            marked, footprint = overlay_watermark(gt, kind, seed)
            clean[name], footprints[name] = gt, footprint
            if small:
                marked, clean[name], footprints[name] = shrink(marked), shrink(gt), fit_mask(footprint, SMALL[::-1])
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with FrameWriter(path, VideoInfo(path, len(marked), marked.shape[2], marked.shape[1], Fraction(25)),
                             codec="h264", crf=18) as w:
                w.write(marked)
                w.commit()
    return clean, footprints


def score(name: str, out: Path, src: Path, clean: np.ndarray, footprint: np.ndarray) -> dict:
    import cv2

    from tasks.evaluation.metrics import masked_psnr
    from media.video import read_video

    given, _ = read_video(src)
    result, _ = read_video(out)
    touched = (result != given).any(axis=(0, 3))  # the hole: the detected mask grown by --dilate (2 px)
    disc = lambda r: cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))  # noqa: E731
    mask = cv2.erode(touched.astype(np.uint8), disc(2)) > 0  # about the detected mask, for the 5 px target
    near = cv2.dilate(footprint.astype(np.uint8), disc(5)) > 0
    telea = np.stack([cv2.inpaint(f, touched.astype(np.uint8), 3, cv2.INPAINT_TELEA) for f in given])
    inside = np.broadcast_to(footprint, clean.shape[:3])
    return {"coverage": round(float(mask[footprint].mean()), 3),
            "within_5px": round(float(near[mask].mean()), 3) if mask.any() else None,
            "psnr_isvi": round(masked_psnr(result, clean, inside), 2),
            "psnr_telea": round(masked_psnr(telea, clean, inside), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("devset", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--mixed", action="store_true", help=f"{' and '.join(TRANSCODED)} at {SMALL[0]}x{SMALL[1]}")
    ap.add_argument("--pools", nargs="+", choices=("video", "folder"), default=["video", "folder"])
    ap.add_argument("--out", default="benchmarks/results/batch_auto.json")
    args = ap.parse_args()
    from flows.config import JobConfig
    from flows.inpaint_collection import run_collection
    from tasks.config import InpaintConfig

    tmp = Path(tempfile.mkdtemp(prefix="isvi-bench-batch-auto-"))
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                 "platform": platform.platform()},
                     "seed": args.seed, "frames": args.frames, "size": SIZE, "workers": args.workers, "runs": {},
                     "transcoded": {"clips": TRANSCODED, "size": SMALL} if args.mixed else None}
    try:
        clean, footprints = make_collection(args.devset, tmp / "in", args.seed, args.frames, args.mixed)
        for pool in args.pools:
            job = JobConfig(source=str(tmp / "in"), dest=str(tmp / f"out-{pool}"), cache=str(tmp / f"cache-{pool}"),
                            inpaint=InpaintConfig(mask="auto", codec="ffv1"), auto_mask_pool=pool)
            t0 = time.perf_counter()
            rows = run_collection(job, workers=args.workers)
            wall = time.perf_counter() - t0
            videos = {}
            for r in rows:
                row = {"status": r["status"], "error": r["error"][:300]}
                if r["status"] == "done":
                    row.update(score(r["name"], Path(r["output"]), tmp / "in" / r["name"], clean[r["name"]],
                                     footprints[r["name"]]))
                videos[r["name"]] = row
                print(pool, r["name"], row, flush=True)
            results["runs"][pool] = {"wall_s": round(wall, 1), "videos": videos}
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
