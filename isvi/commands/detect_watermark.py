"""``isvi detect-watermark INPUT... -o MASK.png``: estimate a static overlay's mask from the videos.

Prints the confidence, the mask's bounding box and its coverage, and writes the mask as a
PNG (255 = hole) atomically, at the first input's size. Videos of one source in several
resolutions of one aspect ratio are pooled too, and each other size gets its own mask
beside it (``logo.png`` -> ``logo.1280x720.png``). Exit codes: 0 written; 2 bad input
(missing or unreadable file, inputs of different aspect ratios, footage too static to
tell); 1 no overlay found or a confidence below ``--min-confidence`` (nothing is written:
an empty or doubtful mask would silently inpaint nothing or the wrong pixels; pass
``--min-confidence 0`` to write a doubtful one anyway). ``--preview PNG`` also writes a
frame beside a copy with the mask tinted, to check by eye; for a refused mask too, which
shows what was found. The frame is the first input's that shows the overlay most clearly
(a logo that arrives late is not in the middle frame).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from media.watermark import AUTO_MASK_MIN_CONFIDENCE, MOTION_MODELS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "detect-watermark",
        help="estimate the mask of a static logo, text or timestamp from the video itself",
        description="Estimate the mask of a static overlay (logo, text, timestamp box) from what stays "
                    "still while the content moves. Several videos of the same source are pooled (sizes "
                    "may differ, the aspect ratio may not); the mask is written at the first INPUT's size, and "
                    "at each other size beside it (MASK.WxH.png).",
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="video files or frame folders")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="MASK.png", help="mask to write (255 = hole)")
    p.add_argument("--max-frames", type=int, default=60, metavar="N",
                   help="frames sampled per video, spread over it (default 60)")
    p.add_argument("--margin", type=int, default=3, metavar="PX", help="safety margin around the overlay (default 3)")
    p.add_argument("--motion", choices=MOTION_MODELS, default="homography",
                   help="how the scene's motion is explained away: one homography per shot (default; exact "
                        "for pans, tilts and zooms) or dense optical flow (for parallax, e.g. a crane shot "
                        "past buildings at different depths)")
    p.add_argument("--min-confidence", type=float, default=AUTO_MASK_MIN_CONFIDENCE, metavar="X",
                   help="refuse to write a mask less confident than this, in [0, 1] "
                        f"(default {AUTO_MASK_MIN_CONFIDENCE}, as --mask auto)")
    p.add_argument("--preview", type=Path, metavar="PNG",
                   help="also write the frame of the first INPUT that shows the overlay most clearly beside a "
                        "copy with the mask tinted red, to check the mask by eye (written for a refused mask too, "
                        "so you can see what was found)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    import cv2
    import numpy as np

    from isvi_models.atomic import atomic_path
    from media.watermark import DetectionParams, OverlayNotFound, detect_watermark
    from isvi_models.errors import ConfigError, InputError

    if args.max_frames < 3:
        raise ConfigError(f"--max-frames: need at least 3, got {args.max_frames}")
    if args.margin < 0:
        raise ConfigError(f"--margin: must be >= 0, got {args.margin}")
    if not 0.0 <= args.min_confidence <= 1.0:
        raise ConfigError(f"--min-confidence: must be in [0, 1], got {args.min_confidence}")
    for option, out in (("--output", args.output), ("--preview", args.preview)):
        if out is None:
            continue
        if out.suffix.lower() != ".png":
            raise ConfigError(f"{option}: written as PNG, got {out.name}")
        if not out.parent.exists():
            raise InputError(out.parent, f"{option}: folder does not exist")
    out = args.output

    est = detect_watermark(args.inputs, max_frames_per_video=args.max_frames,
                           params=DetectionParams(margin=args.margin, motion_model=args.motion))
    print(f"confidence {est.confidence:.2f} (content moved: {est.motion:.0%}, edge contrast {est.contrast:.1f}x, "
          f"edges kept around the mask: {est.clarity:.0%}, "
          f"{est.frames_used} distinct of {est.frames_sampled} sampled frames, {est.videos} video(s))")
    if est.found and est.frames_showing is not None and est.frames_showing < est.frames_used:
        print(f"the overlay's edges show in {est.frames_showing} of the {est.frames_used} distinct frames; "
              "the mask is applied to every frame")
    sizes = [est.sizes[path] for path in args.inputs]
    if args.preview is not None and est.found:
        write_preview(args.inputs[0], est.mask_at(*sizes[0]), args.preview, est.clearest_frame.get(args.inputs[0]))
    try:
        est.require(args.min_confidence)
    except OverlayNotFound as exc:
        hint = ("; if the footage has parallax (objects at different depths), try --motion dense and check "
                "the mask" if args.motion == "homography" and est.found else "")
        print(f"isvi: {exc}; no mask written{hint}", file=sys.stderr)
        return 1
    for k, (h, w) in enumerate(dict.fromkeys(sizes)):  # the first input's size first
        mask = est.mask_at(h, w)
        target = out if k == 0 else out.with_name(f"{out.stem}.{w}x{h}{out.suffix}")
        ys, xs = np.nonzero(mask)
        x0, y0 = int(xs.min()), int(ys.min())
        print(f"overlay at {w}x{h}: {est.components} region(s), box x={x0} y={y0} w={int(xs.max()) + 1 - x0} "
              f"h={int(ys.max()) + 1 - y0}, {mask.mean():.2%} of the frame")
        with atomic_path(target, ".png") as tmp:
            if not cv2.imwrite(str(tmp), mask.astype(np.uint8) * 255):
                raise InputError(target, "cannot write the mask")
        print(f"wrote {target}")
    return 0


def write_preview(video: Path, mask, out: Path, frame: int | None = None) -> None:
    """Frame ``frame`` of ``video`` (default: the middle one) beside it with ``mask`` tinted
    (:func:`media.masks.mask_preview_png`)."""
    from media.masks import mask_preview_png, preview_frame
    from media.video import VideoSource
    from isvi_models.atomic import write_bytes
    from isvi_models.errors import InputError

    with VideoSource(video) as src:
        k = preview_frame(src.info.frames, frame)
        image = src.read(k, k + 1)[0]
    try:
        write_bytes(out, mask_preview_png(image, mask))
    except OSError as exc:
        raise InputError(out, f"cannot write the preview ({exc.strerror or exc})") from None
    print(f"wrote preview {out} (frame {k} of {video})")
