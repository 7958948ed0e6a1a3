"""Contact sheet of a dev-set clip without ground truth (``schoolgirls_object``: real object
removal): ``isvi inpaint`` with its defaults (or ``--set KEY=VALUE``, ``InpaintConfig`` field names) on ``<clip>/input.mp4`` and ``<clip>/masks/``, then
frames side by side, the input with the mask's outline in red beside the output.

The clip's footage is not ours to ship (``../shared/devset/README.md``), so the sheet is written
where ``--out`` says, not into the repository; ``benchmarks/devset.md`` says what it shows.

    python benchmarks/object_sheet.py ../shared/devset/schoolgirls_object --out /tmp/schoolgirls.png
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


def outlined(frame: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``frame`` with the hole's outline drawn in red, 1 px."""
    edge = hole & ~cv2.erode(hole.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    out = frame.copy()
    out[edge] = (255, 0, 0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip", type=Path, help="dev-set clip folder with input.mp4 and masks/")
    ap.add_argument("--out", type=Path, required=True, help="PNG to write")
    ap.add_argument("--frames", default="10,40,70", help="comma-separated frame numbers (default %(default)s)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an InpaintConfig field")
    args = ap.parse_args()
    frames = [int(t) for t in args.frames.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clean.mkv"
        inpaint_video(args.clip / "input.mp4", out, InpaintConfig(mask=str(args.clip / "masks"), codec="ffv1",
                                                                  quiet=True, **options(args.set)))
        before, after = read_video(args.clip / "input.mp4")[0], read_video(out)[0]
    masks = sorted((args.clip / "masks").glob("*.png"))
    rows = []
    for t in frames:
        hole = cv2.imread(str(masks[t]), cv2.IMREAD_GRAYSCALE) > 127
        gap = np.full((before.shape[1], 4, 3), 255, np.uint8)
        rows.append(np.concatenate([outlined(before[t], hole), gap, after[t]], axis=1))
    sheet = np.concatenate([np.pad(r, ((0, 4), (0, 0), (0, 0)), constant_values=255) for r in rows])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
