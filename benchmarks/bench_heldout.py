"""A default chosen on the dev set, checked on footage it was not chosen on.

The training clips (``../shared/trainclips``: vtest, bikes' first shot, two ViSP sequences;
never scored by ``bench_devset.py``) get two made-up holes each, a moving blob and a static
text logo (OpenCV Hershey), on their first 50 frames (``--frames``), or with ``--logo-places``
four static logos each (a disc and a word, at four places of the frame: what no frame shows is
filled spatially in a key frame, so these cases weigh the key-frame fill); isvi runs on each with two option sets
(``--a`` and ``--b``, ``InpaintConfig`` field names, as ``bench_devset.py --set``) and the
in-hole PSNR of both is printed per case (frame mean, as ``bench_devset.py``). Nothing here
chooses a default: it shows whether a choice made on the dev set holds elsewhere.

    python benchmarks/bench_heldout.py ../shared/trainclips --a flow_dilate_px=20 --b flow_dilate_px=14 \
        --out benchmarks/results/heldout_flow_band.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_devset import hole_psnr, options  # noqa: E402
from media.video import read_video  # noqa: E402
from tasks.config import InpaintConfig  # noqa: E402
from tasks.inpaint_video import inpaint_arrays  # noqa: E402

FRAMES = 50


def moving_blob(t: int, h: int, w: int) -> np.ndarray:
    """A tilted ellipse a tenth of the frame wide crossing the middle of the frame."""
    out = np.zeros((t, h, w), np.uint8)
    for k in range(t):
        centre = (int(w * (0.3 + 0.4 * k / t)), int(h * 0.5 + 0.1 * h * np.sin(k / 8)))
        cv2.ellipse(out[k], centre, (w // 10, h // 8), 20, 0, 360, 1, -1)
    return out.astype(bool)


def _logo(t: int, h: int, w: int, x: int, y: int, text: str, disc: bool) -> np.ndarray:
    """``text`` from (x, y) (its baseline's start), with ``disc`` a disc left of it, strokes grown
    by 1 px, the same in every frame."""
    one = np.zeros((h, w), np.uint8)
    cv2.putText(one, text, (x, y), cv2.FONT_HERSHEY_DUPLEX, w / 500, 1, max(2, w // 160))
    if disc:
        cv2.circle(one, (x - w // 25, y - h // 30), w // 30, 1, -1)
    return np.repeat(cv2.dilate(one, np.ones((3, 3), np.uint8))[None].astype(bool), t, 0)


def static_logo(t: int, h: int, w: int) -> np.ndarray:
    """'LOGO TV' in the upper left, strokes grown by 1 px, the same in every frame."""
    return _logo(t, h, w, w // 20, h // 6, "LOGO TV", disc=False)


# (x, y of the text's baseline start as fractions of the frame, text) for ``--logo-places``
LOGO_PLACES = ((0.10, 0.15, "LOGO TV"), (0.62, 0.15, "NEWS 24"), (0.10, 0.92, "CH 9 HD"), (0.55, 0.88, "ARCHIVE"))


def placed_logo(t: int, h: int, w: int, place: int) -> np.ndarray:
    """A station logo at ``LOGO_PLACES[place]``: a disc left of the text, strokes grown by 1 px, the
    same in every frame."""
    fx, fy, text = LOGO_PLACES[place]
    return _logo(t, h, w, int(w * fx), int(h * fy), text, disc=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", type=Path, help="folder of .mp4 clips")
    ap.add_argument("--a", action="append", default=[], metavar="KEY=VALUE", help="first option set")
    ap.add_argument("--b", action="append", default=[], metavar="KEY=VALUE", help="second option set")
    ap.add_argument("--frames", type=int, default=FRAMES, help="first N frames of each clip (default %(default)s)")
    ap.add_argument("--logo-places", action="store_true", help="four placed logos per clip instead of blob and logo")
    ap.add_argument("--out", type=Path, help="JSON results")
    args = ap.parse_args()
    a, b = options(args.a), options(args.b)
    rows = []
    print(f"{'clip':<18} {'hole':<6} {'a':>7} {'b':>7} {'b - a':>7}")
    for clip in sorted(args.clips.glob("*.mp4")):
        gt = read_video(clip)[0][:args.frames]
        cases = (("blob", moving_blob), ("logo", static_logo))
        if args.logo_places:
            cases = tuple((f"logo{i}", lambda *shape, i=i: placed_logo(*shape, i)) for i in range(len(LOGO_PLACES)))
        for name, make in cases:
            holes = make(*gt.shape[:3])
            blank = gt.copy()
            blank[holes] = 0
            pa, pb = (hole_psnr(inpaint_arrays(blank, holes, InpaintConfig(**o)), gt, holes) for o in (a, b))
            rows.append({"clip": clip.stem, "hole": name, "frames": len(gt), "a": pa, "b": pb})
            print(f"{clip.stem:<18} {name:<6} {pa:7.2f} {pb:7.2f} {pb - pa:+7.2f}", flush=True)
    diffs = [r["b"] - r["a"] for r in rows]
    print(f"mean b - a {np.mean(diffs):+.2f} dB over {len(rows)} cases; b higher on {sum(d > 0.005 for d in diffs)}, "
          f"lower on {sum(d < -0.005 for d in diffs)}")
    if args.out:
        args.out.write_text(json.dumps({"a": a, "b": b, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
