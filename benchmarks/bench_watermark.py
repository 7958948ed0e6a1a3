"""Watermark-detection benchmark on the development clips (/work/shared/devset).

For every clip (``<clip>/gt.mp4``) and every overlay kind (semi-transparent logo, text,
timestamp box; see :func:`media.watermark_synth.overlay_watermark`) the overlay is burnt
into the decoded frames in memory (no devset file is copied or written), the frames go
through :func:`media.watermark.detect_static_overlay` exactly as ``isvi detect-watermark``
feeds them (up to 60 frames spread over the clip), and the detected mask is scored
against the overlay's footprint:

- IoU;
- coverage: fraction of the overlay's pixels inside the mask (target >= 95%);
- near: fraction of the mask's pixels within 5 px of the overlay (target >= 80%);
- confidence, seconds.

A clip the detector refuses as too static prints ``refused`` (the expected answer for the
static-camera clip). Results go to ``benchmarks/results/watermark.json``.

``--inpaint`` also inpaints the clip on the detected mask (``isvi`` defaults, as ``isvi
inpaint --mask auto`` would; it grows the mask by ``dilate_px``) and OpenCV Telea (radius 3)
on the same grown mask, and scores both by PSNR inside the overlay's footprint against the
clip before the overlay (the issue's "above Telea inside it"). isvi inpaints only the frames
that show the overlay, as ``isvi inpaint --mask auto`` does (``--every-frame``: all of them,
as ``--auto-mask-frames all``); Telea inpaints every frame.

``--crf N`` sends every watermarked clip through H.264 at CRF N (libx264, preset medium) and
detects on the decoded frames, as a real upload is compressed after its logo was burnt in;
the clean frames the inpainting is scored against are left as they were.

``--shown SHARE:CLEAN ...`` burns the overlay into only ``SHARE`` of the sampled frames, the
others left clean at the ``start``, the ``end`` or in the ``middle`` of the clip (a logo
that arrives late, leaves early or drops out for a break), once per spec given. The mask is
scored on the overlay's footprint as usual, and the JSON rows record ``frames_showing``
(distinct frames the detector saw the overlay in). ``--inpaint`` then scores every frame,
clean ones included, and also the frames with and without the overlay apart. Every row with a
mask counts the frames ``isvi inpaint --mask auto`` would inpaint (``frames_inpainted``) and
those that carry the overlay but would be left as they were (``frames_missed``).

``--pool-with A,B`` pools every clip with other dev clips, as ``isvi detect-watermark
clip.mp4 a.mp4 b.mp4`` pools videos of one source: A and B are resized to the clip's size
(INTER_AREA, aspect not kept), get the same overlay at the same place, and their sampled
frames join the clip's in one estimate (``media.watermark.detect_watermark`` does the same
from files); the mask is scored on the clip's overlay. A clip is never pooled with itself.

``--clip-scale S`` (with ``--pool-with``) makes each clip a copy ``S`` times as large as its
partners, downscaled (INTER_AREA) after the overlay was burnt in, as a platform transcodes a
channel's video to a lower resolution: the pool mixes resolutions of one aspect ratio, its
frames are fitted to the largest size as ``isvi detect-watermark`` fits them
(``media.masks.fit_frame``), and the mask is scaled back to the clip's size
(``WatermarkEstimate.mask_at``) and scored there, against the footprint scaled the same way
(``fit_mask``); the inpainting runs at the clip's size too.

    .venv/bin/python benchmarks/bench_watermark.py [--devset DIR] [--seeds 0 1] [--motion dense --out F] [--crf 23]
    .venv/bin/python benchmarks/bench_watermark.py --seeds 0 1 2 --clips bikes_pan_square bikes_street_blob \
        --shown 0.8:end 0.7:end 0.7:start 0.6:middle --out benchmarks/results/watermark_shown.json
    .venv/bin/python benchmarks/bench_watermark.py --seeds 0 1 2 --clips bikes_pan_square bikes_street_blob \
        --shown 1:end 0.8:end 0.7:start 0.6:middle --inpaint [--every-frame] \
        --out benchmarks/results/watermark_shown_inpaint[_every].json
    .venv/bin/python benchmarks/bench_watermark.py --seeds 0 1 2 --inpaint --out benchmarks/results/watermark_pooled.json \
        --pool-with city_pan_logo,vtest_static_blob,bikes_street_blob,bikes_pan_square
    .venv/bin/python benchmarks/bench_watermark.py --seeds 0 1 2 --inpaint --clip-scale 0.5 \
        --pool-with city_pan_logo,vtest_static_blob,bikes_street_blob,bikes_pan_square \
        --out benchmarks/results/watermark_pooled_mixed.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DILATE = None  # --dilate: the hole growth the inpainting uses (None: isvi's default)
sys.path.insert(0, str(ROOT))

from media.video import VideoSource  # noqa: E402
from media.masks import fit_frame, fit_mask  # noqa: E402
from media.watermark import (DetectionParams, detect_pooled_overlay, detect_static_overlay,  # noqa: E402
                             frames_showing_overlay, overlay_strengths, sample_indices)
from media.watermark_synth import KINDS, overlay_watermark  # noqa: E402
from isvi_models.errors import InputError  # noqa: E402


def score(mask: np.ndarray, overlay: np.ndarray, tol: int = 5) -> dict:
    import cv2

    inter = float((mask & overlay).sum())
    union = float((mask | overlay).sum())
    # Distance of every pixel to the nearest overlay pixel.
    dist = cv2.distanceTransform((~overlay).astype(np.uint8), cv2.DIST_L2, 5)
    return {
        "iou": inter / union if union else 1.0,
        "coverage": inter / float(overlay.sum()),
        "near": float((dist[mask] <= tol).mean()) if mask.any() else 0.0,
        "mask_frac": float(mask.mean()),
    }


def inpaint_scores(marked: np.ndarray, clean: np.ndarray, mask: np.ndarray, overlay: np.ndarray,
                   inpainted: np.ndarray, shown: np.ndarray) -> dict:
    """PSNR inside the overlay's footprint of isvi and of Telea against the clip before the
    overlay, both on the detected mask grown as ``isvi inpaint`` grows it
    (``InpaintConfig().dilate_px``).

    isvi inpaints the frames ``inpainted`` (bool per frame), as ``isvi inpaint --mask auto``
    does; Telea every frame. ``shown`` (bool per frame) says which frames carry the overlay:
    the scores are also given over those (``_shown``) and over the others (``_clean``, with
    the input's own score there, ``psnr_input_clean``).
    """
    import cv2

    from tasks.config import InpaintConfig
    from tasks.evaluation.metrics import masked_psnr
    from tasks.inpaint_video import inpaint_arrays
    from isvi_models.ops.masks import dilate_holes

    cfg = InpaintConfig() if DILATE is None else InpaintConfig(dilate_px=DILATE)
    holes = np.broadcast_to(mask, marked.shape[:3]) & inpainted[:, None, None]
    t0 = time.perf_counter()
    out = inpaint_arrays(marked, holes, cfg)
    isvi_s = time.perf_counter() - t0
    grown = dilate_holes(mask[None], cfg.dilate_px)[0].astype(np.uint8)
    telea = np.stack([cv2.inpaint(f, grown, 3, cv2.INPAINT_TELEA) for f in marked])
    row = {"inpaint_seconds": isvi_s}
    for part, frames in (("", np.ones(len(marked), bool)), ("_shown", shown), ("_clean", ~shown)):
        if frames.any():
            inside = np.broadcast_to(overlay, marked.shape[:3]) & frames[:, None, None]
            row[f"psnr_isvi{part}"] = masked_psnr(out, clean, inside)
            row[f"psnr_telea{part}"] = masked_psnr(telea, clean, inside)
            if part == "_clean":
                row["psnr_input_clean"] = masked_psnr(marked, clean, inside)
    return row


def shown_in(n: int, spec: str) -> np.ndarray:
    """Bool per frame: which of ``n`` frames get the overlay under ``--shown SHARE:CLEAN``."""
    share, _, clean = spec.partition(":")
    k = int(round(float(share) * n))
    if not 0 < k <= n or clean not in ("start", "end", "middle"):
        raise SystemExit(f"--shown: expected SHARE:start|end|middle with 0 < SHARE <= 1, got {spec!r}")
    on = np.zeros(n, bool)
    if clean == "end":
        on[:k] = True
    elif clean == "start":
        on[n - k:] = True
    else:
        a = (n - k) // 2
        on[:] = True
        on[a:a + n - k] = False
    return on


def h264_roundtrip(frames: np.ndarray, crf: int) -> np.ndarray:
    """``frames`` (uint8 RGB) encoded as H.264 at ``crf`` and decoded again."""
    import tempfile
    from fractions import Fraction

    from media.video import FrameWriter, VideoInfo, read_video

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "marked.mp4"
        with FrameWriter(path, VideoInfo(path, len(frames), frames.shape[2], frames.shape[1], Fraction(25)),
                         codec="h264", crf=crf) as w:
            w.write(frames)
            w.commit()
        return read_video(path)[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=Path("/work/shared/devset"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--max-frames", type=int, default=60)
    ap.add_argument("--motion", choices=("homography", "dense"), default="homography",
                    help="motion_model of detect_static_overlay (isvi detect-watermark --motion)")
    ap.add_argument("--clips", nargs="+", default=None, help="clip names (default: all)")
    ap.add_argument("--pool-with", default="", metavar="A,B",
                    help="dev clips to pool with each clip, as videos of the same source (see above)")
    ap.add_argument("--inpaint", action="store_true", help="also inpaint on the detected mask: isvi vs Telea")
    ap.add_argument("--dilate", type=int, default=None, metavar="PX",
                    help="with --inpaint: grow the detected mask by PX (default: isvi's default)")
    ap.add_argument("--crf", type=int, default=None, help="H.264-compress the watermarked clips at this CRF first")
    ap.add_argument("--shown", nargs="+", default=[None], metavar="SHARE:CLEAN",
                    help="overlay on only SHARE of the frames, the clean ones at the start, end or middle; "
                         "one run per spec")
    ap.add_argument("--every-frame", action="store_true",
                    help="with --inpaint: inpaint every frame, not only those that show the overlay "
                         "(isvi inpaint --auto-mask-frames all)")
    ap.add_argument("--clip-scale", type=float, default=1.0, metavar="S",
                    help="with --pool-with: each clip a copy S (0 < S <= 1) times its partners' size, downscaled "
                         "after the overlay is burnt in (a lower-resolution transcode in the pool; see above)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "watermark.json")
    args = ap.parse_args(argv)
    global DILATE
    DILATE = args.dilate
    if not 0 < args.clip_scale <= 1 or (args.clip_scale < 1 and not args.pool_with):
        raise SystemExit("--clip-scale: needs 0 < S <= 1 and --pool-with")

    def sampled(clip: Path) -> np.ndarray:
        with VideoSource(clip / "gt.mp4") as src:
            idx = sample_indices(src.info.frames, args.max_frames)
            return np.stack([src.read(i, i + 1)[0] for i in idx])

    def compress(frames: np.ndarray) -> np.ndarray:
        return frames if args.crf is None else h264_roundtrip(frames, args.crf)

    def shrink(frames: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        return np.stack([fit_frame(f, shape) for f in frames])  # INTER_AREA, as a transcode

    def burn(frames: np.ndarray, kind: str, seed: int, shown: str | None,
             shape: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The frames with the overlay (downscaled to ``shape`` after it is burnt in, then
        compressed), and the overlay's footprint at the frames' size."""
        marked, overlay = overlay_watermark(frames, kind, seed)
        if shown:
            marked = np.where(shown_in(len(frames), shown)[:, None, None, None], marked, frames)
        return compress(marked if shape is None else shrink(marked, shape)), overlay

    import cv2

    partners = [c for c in args.pool_with.split(",") if c]
    partner_frames = {c: sampled(args.devset / c) for c in partners}
    rows = []
    clips = sorted(p.parent for p in args.devset.glob("*/gt.mp4") if args.clips is None or p.parent.name in args.clips)
    print(f"{'clip':20s} {'kind':16s} {'seed':>4s} {'IoU':>6s} {'cover':>6s} {'near5':>6s} {'conf':>5s} {'sec':>5s}")
    for clip in clips:
        frames = sampled(clip)
        h, w = frames.shape[1:3]
        # the clip's own size: its partners' (h, w), or a downscaled copy (--clip-scale)
        small = None if args.clip_scale == 1 else (round(h * args.clip_scale), round(w * args.clip_scale))
        clean = frames if small is None else shrink(frames, small)
        others = {c: np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in fr])
                  for c, fr in partner_frames.items() if c != clip.name}
        for kind in KINDS:
            for seed, shown in itertools.product(args.seeds, args.shown):
                marked, overlay = burn(frames, kind, seed, shown, small)
                if small is not None:
                    overlay = fit_mask(overlay, small)
                label = f"{kind} {shown}" if shown else kind
                t0 = time.perf_counter()
                row = {"clip": clip.name, "kind": kind, "seed": seed, "frames": len(frames), "motion_model": args.motion,
                       "crf": args.crf, "shown": shown, "clip_size": list(marked.shape[1:3])}
                try:
                    if others:
                        row["pooled_with"] = sorted(others)
                        fitted = np.stack([fit_frame(f, (h, w)) for f in marked])  # as detect_watermark fits them
                        videos = [(clip.name, fitted)] + [(c, burn(o, kind, seed, shown)[0]) for c, o in others.items()]
                        est = detect_pooled_overlay(videos, params=DetectionParams(motion_model=args.motion))
                    else:
                        est = detect_static_overlay(marked, sources=[clip.name],
                                                    params=DetectionParams(motion_model=args.motion))
                except InputError as exc:
                    row.update(refused=str(exc), seconds=time.perf_counter() - t0)
                    print(f"{clip.name:20s} {label:16s} {seed:4d}  refused: {exc.problem[:70]}")
                    rows.append(row)
                    continue
                mask = est.mask_at(*marked.shape[1:3])
                row.update(score(mask, overlay), confidence=est.confidence, motion=est.motion,
                           contrast=est.contrast, seconds=time.perf_counter() - t0, frames_used=est.frames_used,
                           frames_showing=est.frames_showing)
                rows.append(row)
                extra = ""
                if est.found:
                    shown_frames = shown_in(len(frames), shown) if shown else np.ones(len(frames), bool)
                    inpainted = np.ones(len(frames), bool)
                    if not args.every_frame and est.template is not None:
                        inpainted = frames_showing_overlay(overlay_strengths(marked, est.template))
                    row.update(frames_inpainted=int(inpainted.sum()),
                               frames_missed=int((shown_frames & ~inpainted).sum()))
                    extra = f"  inpainted {row['frames_inpainted']}/{len(frames)}, missed {row['frames_missed']}"
                    if args.inpaint:
                        row.update(inpaint_scores(marked, clean, mask, overlay, inpainted, shown_frames))
                        extra += f"; PSNR in overlay: isvi {row['psnr_isvi']:.2f}, telea {row['psnr_telea']:.2f}"
                        if "psnr_isvi_clean" in row:
                            extra += (f"; clean frames: isvi {row['psnr_isvi_clean']:.2f}, input "
                                      f"{row['psnr_input_clean']:.2f}")
                print(f"{clip.name:20s} {label:16s} {seed:4d} {row['iou']:6.3f} {row['coverage']:6.3f} "
                      f"{row['near']:6.3f} {row['confidence']:5.2f} {row['seconds']:5.2f}{extra}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
