"""Undoing a semi-transparent overlay (``--unblend-samples``) on a video of many shots: a "broadcast".

The first ``--frames`` frames of each dev clip with ground truth (``../shared/devset``), scaled
to 640x360, one after the other (11 shots, cuts between them), get one synthetic overlay burnt
in (``media.watermark_synth.overlay_watermark``: a channel logo or a line of text, its opacity and
colour from the seed) and are written as H.264 (CRF 18, yuv420p), as a real watermarked file is.
``isvi inpaint`` (``tasks.inpaint_video.inpaint_video``, shot detection on, mask = the overlay's
footprint grown 2 px) runs with ``--unblend-samples 64`` and without (the default); in-hole PSNR
against the clean frames, per shot (= per dev clip), beside the watermarked input and Telea.
Also: whether each dev clip alone (one shot, one scene) would have its overlay estimated
(it must not: one scene does not determine it).

    python benchmarks/bench_unblend.py ../shared/devset --out benchmarks/results/unblend.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_devset import hole_psnr  # noqa: E402
from isvi_models.ops.masks import dilate_holes  # noqa: E402
from media.video import FrameWriter, VideoInfo, read_video  # noqa: E402
from media.watermark_synth import overlay_watermark  # noqa: E402
from tasks.config import InpaintConfig  # noqa: E402
from tasks.evaluation import baselines  # noqa: E402
from tasks.inpaint_video import inpaint_video  # noqa: E402
from tasks.overlay import video_overlay  # noqa: E402

SIZE = (640, 360)
CASES = (("logo", 0), ("logo", 2), ("text", 4))  # black 0.58, white 0.53, pink 0.44


def broadcast(devset: Path, frames: int) -> tuple[np.ndarray, list[str]]:
    clips = sorted(p for p in devset.iterdir() if (p / "gt.mp4").exists())
    parts = []
    for clip in clips:
        gt, _ = read_video(clip / "gt.mp4")
        parts.append(np.stack([cv2.resize(f, SIZE, interpolation=cv2.INTER_AREA) for f in gt[:frames]]))
    return np.concatenate(parts), [c.name for c in clips]


def write(path: Path, frames: np.ndarray) -> Path:
    from fractions import Fraction

    with FrameWriter(path, VideoInfo(path, len(frames), SIZE[0], SIZE[1], Fraction(25))) as w:
        w.write(frames)
        w.commit()
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devset", type=Path)
    ap.add_argument("--frames", type=int, default=30, help="frames taken from each clip")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    clean, names = broadcast(args.devset, args.frames)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for kind, seed in CASES:
            marked, footprint = overlay_watermark(clean, kind, seed)
            hole = dilate_holes(footprint[None], 2)[0]
            src = write(tmp / f"{kind}{seed}.mp4", marked)
            coded, _ = read_video(src)
            mask = tmp / "mask.png"
            cv2.imwrite(str(mask), hole.astype(np.uint8) * 255)
            holes = np.broadcast_to(hole, coded.shape[:3])
            outs, secs, notes = {}, {}, {}
            for label, n in (("unblend", 64), ("off", 0)):
                t0 = time.perf_counter()
                report = inpaint_video(src, tmp / f"{label}.mkv", InpaintConfig(mask=str(mask), codec="ffv1",
                                                                               unblend_samples=n, quiet=True,
                                                                               overwrite=True))
                secs[label], notes[label] = time.perf_counter() - t0, report.overlay
                outs[label] = read_video(tmp / f"{label}.mkv")[0]
            telea = baselines.telea(np.where(holes[..., None], 0, coded).astype(np.uint8), holes)
            for i, name in enumerate(names):
                part = slice(i * args.frames, (i + 1) * args.frames)
                o, _ = video_overlay(lambda a, b, p=part: (coded[p][a:b], holes[p][a:b]), args.frames, 64)
                rows.append({"overlay": f"{kind} seed {seed}", "clip": name,
                             "input": hole_psnr(coded[part], clean[part], holes[part]),
                             "telea": hole_psnr(telea[part], clean[part], holes[part]),
                             "isvi_off": hole_psnr(outs["off"][part], clean[part], holes[part]),
                             "isvi_unblend": hole_psnr(outs["unblend"][part], clean[part], holes[part]),
                             "estimated_from_this_clip_alone": o is not None})
                r = rows[-1]
                print(f"{kind} {seed} {name:<24} input {r['input']:6.2f} telea {r['telea']:6.2f} "
                      f"off {r['isvi_off']:6.2f} unblend {r['isvi_unblend']:6.2f} "
                      f"({r['isvi_unblend'] - r['isvi_off']:+.2f})"
                      f"{'  ALONE: estimated' if o is not None else ''}", flush=True)
            mine = rows[-len(names):]
            print(f"{kind} {seed}: mean off {np.mean([r['isvi_off'] for r in mine]):.2f} unblend "
                  f"{np.mean([r['isvi_unblend'] for r in mine]):.2f}; seconds off {secs['off']:.1f} unblend "
                  f"{secs['unblend']:.1f}; {notes['unblend'] or 'no overlay undone'}", flush=True)
            rows.append({"overlay": f"{kind} seed {seed}", "seconds": secs, "note": notes["unblend"]})
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
