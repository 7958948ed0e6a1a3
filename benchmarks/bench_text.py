"""Text masks (``--mask text``): detection quality, inpainting with them, and speed.

Cases: the dev set's ``city_subtitles`` and ``testmovie_burnt_text`` (``input_burnt.mp4`` with
the true text pixels in ``masks/``), and three made here from other dev clips' ground truth
(written to a temporary folder, never into the repository): other fonts (TrueType DejaVu via
Pillow, OpenCV Hershey), sizes, colours and positions, a semi-transparent box behind a
timestamp, H.264 at CRF 18 to 28. Per case:

* ``coverage``: share of the true text pixels inside the detected mask (target >= 0.95);
  ``worst_frame``: the lowest per-frame coverage (a frame missed is a flash of text);
* ``precision``: share of the detected mask's pixels within 5 px of true text (>= 0.80);
  ``hole_vs_true``: the detected mask's pixels per true text pixel (the line boxes are about 2);
* in-text PSNR against the ground truth of the inpainting with the detected masks and with
  the true masks (``tasks.inpaint_video.inpaint_arrays``, the defaults; target: within 1.5 dB);
* detection seconds per frame; and, separately, at 640x360 and 1920x1080.

    python benchmarks/bench_text.py ../shared/devset --out benchmarks/results/text.json
    python benchmarks/bench_text.py ../shared/devset --text-shape boxes --cases city_subtitles
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from media.masks import open_mask  # noqa: E402
from media.text import TextParams, detect_text  # noqa: E402
from media.text.model import TextModel  # noqa: E402
from media.video import FrameWriter, VideoSource, read_video  # noqa: E402
from tasks.config import InpaintConfig  # noqa: E402
from tasks.evaluation.metrics import masked_psnr  # noqa: E402
from tasks.inpaint_video import inpaint_arrays  # noqa: E402

FONTS = Path("/usr/share/fonts/truetype/dejavu")


def _pil_layer(size, items):
    """RGBA layer (H, W, 4) with ``items`` = [(text, font file, px, (x, y), fill RGBA, stroke px)]."""
    from PIL import Image, ImageDraw, ImageFont

    layer = Image.new("RGBA", (size[1], size[0]), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for text, font, px, xy, fill, stroke in items:
        f = ImageFont.truetype(str(FONTS / font), px)
        draw.text(xy, text, font=f, fill=fill, stroke_width=stroke, stroke_fill=(0, 0, 0, fill[3]))
    return np.asarray(layer)


def _blend(frame, layer):
    a = layer[..., 3:4].astype(np.float32) / 255.0
    return (frame * (1 - a) + layer[..., :3] * a).round().astype(np.uint8)


def make_bikes_yellow(gt):
    """Yellow DejaVu Sans Bold subtitles with a black stroke, bottom centre, a new line every 20 frames."""
    lines = ["Where are they all going?", "Faster, faster!", "Nobody stops on this road."]
    out, truth = gt.copy(), np.zeros(gt.shape[:3], bool)
    for k in range(len(gt)):
        text = lines[(k // 20) % len(lines)]
        layer = _pil_layer(gt.shape[1:3], [(text, "DejaVuSans-Bold.ttf", 22, (150, gt.shape[1] - 38),
                                            (255, 220, 0, 255), 2)])
        out[k], truth[k] = _blend(gt[k], layer), layer[..., 3] > 0
    return out, truth


def make_vtest_timestamp(gt):
    """A Hershey timestamp ticking every frame, top left, on a half-transparent black box."""
    out, truth = gt.copy(), np.zeros(gt.shape[:3], bool)
    for k in range(len(gt)):
        text = f"2024-05-01 12:00:{k // 25:02d}.{k % 25:02d}"
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1)
        frame = out[k].astype(np.float32)
        frame[8:8 + th + 16, 8:8 + tw + 16] *= 0.5
        out[k] = frame.round().astype(np.uint8)
        drawn = np.zeros(gt.shape[1:3], np.uint8)
        cv2.putText(drawn, text, (16, 16 + th), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1, cv2.LINE_AA)
        out[k][drawn > 0] = ((out[k][drawn > 0].astype(np.float32) * (255 - drawn[drawn > 0, None])
                              + 255.0 * drawn[drawn > 0, None]) / 255).astype(np.uint8)
        truth[k] = drawn > 0
    return out, truth


def make_city_serif(gt):
    """A static cyan DejaVu Serif Italic line at alpha 0.6, upper right, no outline."""
    layer = _pil_layer(gt.shape[1:3], [("PREVIEW  not for broadcast", "DejaVuSerif-Italic.ttf", 18,
                                       (gt.shape[2] - 270, 14), (120, 230, 255, 153), 0)])
    return np.stack([_blend(f, layer) for f in gt]), np.broadcast_to(layer[..., 3] > 0, gt.shape[:3]).copy()


MADE = {  # name: (dev clip whose gt.mp4 is the background, maker, H.264 CRF)
    "bikes_yellow_sans": ("bikes_pan_square", make_bikes_yellow, 23),
    "vtest_timestamp_box": ("vtest_walkers_square", make_vtest_timestamp, 28),
    "city_serif_watermark": ("city_tilt_blob", make_city_serif, 18),
}


def write_h264(path: Path, frames: np.ndarray, crf: int) -> Path:
    from media.video import VideoInfo

    with FrameWriter(path, VideoInfo(path, len(frames), frames.shape[2], frames.shape[1], 25), codec="h264",
                     crf=crf) as w:
        w.write(frames)
        w.commit()
    return path


def cases(devset: Path, tmp: Path, only=None):
    """(name, burnt video, true text masks (T, H, W), ground truth frames) per case (those in ``only``)."""
    for name in ("city_subtitles", "testmovie_burnt_text"):
        if only and name not in only:
            continue
        clip = devset / name
        gt, info = read_video(clip / "gt.mp4")
        yield name, clip / "input_burnt.mp4", open_mask(clip / "masks", [], info).read(0, info.frames), gt
    for name, (source, make, crf) in MADE.items():
        if only and name not in only:
            continue
        gt, _ = read_video(devset / source / "gt.mp4")
        burnt, truth = make(gt)
        truth = np.stack([cv2.dilate(t.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0 for t in truth])
        yield name, write_h264(tmp / f"{name}.mp4", burnt, crf), truth, gt


def within(truth: np.ndarray, px: int = 5) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return np.stack([cv2.dilate(t.astype(np.uint8), kernel) > 0 for t in truth])


def text_psnr(result, gt, truth) -> float:
    vals = [min(masked_psnr(r, g, t), 100.0) for r, g, t in zip(result, gt, truth) if t.any()]
    return float(np.mean(vals))


def detection_speed(model: TextModel, devset: Path, params: TextParams, frames: int = 8) -> dict:
    """Seconds per frame of the detection alone (read excluded) at 640x360 and 1920x1080."""
    gt, _ = read_video(devset / "city_subtitles" / "input_burnt.mp4")
    out = {}
    for w, h in ((640, 360), (1920, 1080)):
        clip = np.stack([cv2.resize(f, (w, h)) for f in gt[:frames]])

        class Mem:  # a VideoSource over the frames in memory
            info = type("I", (), {"frames": frames, "width": w, "height": h})()

            def read(self, a, b):
                return clip[a:b]

        detect_text(Mem(), params, model=model)  # warm-up
        t0 = time.perf_counter()
        detect_text(Mem(), params, model=model)
        out[f"{w}x{h}"] = (time.perf_counter() - t0) / frames
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devset", type=Path)
    ap.add_argument("--no-inpaint", action="store_true", help="detection metrics only")
    ap.add_argument("--out", type=Path, help="JSON results")
    ap.add_argument("--text-shape", choices=("glyphs", "boxes"), default=TextParams().shape,
                    help="the masks' shape (default: TextParams' default)")
    ap.add_argument("--cases", help="comma-separated case names (default: all)")
    ap.add_argument("--no-speed", action="store_true", help="skip the 640x360 / 1920x1080 speed test")
    args = ap.parse_args()
    params, cfg, model = TextParams(shape=args.text_shape), InpaintConfig(), TextModel()
    only = set(args.cases.split(",")) if args.cases else None
    rows = []
    print(f"{'case':<22} {'cover':>6} {'worst':>6} {'prec':>6} {'s/f':>6} {'PSNR det':>9} {'PSNR true':>9} "
          f"{'burnt':>6}")
    with tempfile.TemporaryDirectory(prefix="isvi-text-") as tmp:
        for name, video, truth, gt in cases(args.devset, Path(tmp), only):
            with VideoSource(video) as src:
                t0 = time.perf_counter()
                masks = detect_text(src, params, model=model)
                seconds = (time.perf_counter() - t0) / src.info.frames
                burnt = src.read(0, src.info.frames)
            holes = masks.read(0, masks.frames)
            per_frame = [(h & t).sum() / t.sum() for h, t in zip(holes, truth) if t.any()]
            row = {"case": name, "frames": len(truth), "size": f"{truth.shape[2]}x{truth.shape[1]}",
                   "coverage": float((holes & truth).sum() / truth.sum()), "worst_frame": float(min(per_frame)),
                   "precision": float((holes & within(truth)).sum() / max(1, holes.sum())),
                   "hole_vs_true": float(holes.sum() / truth.sum()),
                   "frames_with_text": masks.frames_with_text, "detect_s_per_frame": seconds,
                   "psnr_burnt": text_psnr(burnt, gt, truth)}
            if not args.no_inpaint:
                row["psnr_detected"] = text_psnr(inpaint_arrays(burnt, holes, cfg), gt, truth)
                row["psnr_true"] = text_psnr(inpaint_arrays(burnt, truth, cfg), gt, truth)
            rows.append(row)
            print(f"{name:<22} {row['coverage']:6.3f} {row['worst_frame']:6.3f} {row['precision']:6.3f} "
                  f"{seconds:6.3f} {row.get('psnr_detected', np.nan):9.2f} {row.get('psnr_true', np.nan):9.2f} "
                  f"{row['psnr_burnt']:6.2f}", flush=True)
    speed = {} if args.no_speed else detection_speed(model, args.devset, params)
    print("detection seconds per frame: " + ", ".join(f"{k} {v:.3f}" for k, v in speed.items()))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"params": repr(params), "providers": model.providers, "cases": rows,
                                        "detect_seconds_per_frame": speed}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
