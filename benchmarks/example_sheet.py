"""Before/after still of the bundled example: ``isvi inpaint`` with its defaults on
``examples/city_logo.mp4`` (the quick start's command), frames 0, 25 and 49 around the logo,
input beside output, enlarged 2x. Writes ``benchmarks/results/example_before_after.png``
(``--out``); ``--set KEY=VALUE`` (``InpaintConfig`` field names) runs with other options.

    python benchmarks/example_sheet.py
    python benchmarks/example_sheet.py --set noise_flow_px=0 --out /tmp/example_plume.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_devset import options  # noqa: E402
from media.video import read_video  # noqa: E402
from tasks.config import InpaintConfig  # noqa: E402
from tasks.inpaint_video import inpaint_video  # noqa: E402

FRAMES = (0, 25, 49)
MARGIN_PX = 30


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an InpaintConfig field")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "example_before_after.png")
    args = ap.parse_args()
    clip, mask_png = ROOT / "examples" / "city_logo.mp4", ROOT / "examples" / "city_logo_mask.png"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clean.mkv"
        inpaint_video(clip, out, InpaintConfig(mask=str(mask_png), codec="ffv1", quiet=True, **options(args.set)))
        before, after = read_video(clip)[0], read_video(out)[0]
    ys, xs = np.nonzero(cv2.imread(str(mask_png), cv2.IMREAD_GRAYSCALE) > 127)
    y0, y1 = max(ys.min() - MARGIN_PX, 0), min(ys.max() + MARGIN_PX, before.shape[1])
    x0, x1 = max(xs.min() - MARGIN_PX, 0), min(xs.max() + MARGIN_PX, before.shape[2])
    rows = [np.concatenate([before[t, y0:y1, x0:x1], np.full((y1 - y0, 4, 3), 255, np.uint8),
                            after[t, y0:y1, x0:x1]], axis=1) for t in FRAMES]
    sheet = np.concatenate([np.pad(r, ((0, 4), (0, 0), (0, 0)), constant_values=255) for r in rows])
    sheet = cv2.resize(sheet, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
