"""Long reach on a fixed camera: content shown only past the first window, H.264-encoded.

A photograph (scikit-image's astronaut, 256x192) held still for 60 frames and encoded with
x264 at each CRF given; a 80x60 hole over frames 0-29 only, so the first window (24 frames,
``--window 24 --overlap 4``) never sees under it and frames 30-59 do. ``isvi inpaint``'s
defaults otherwise, with reference frames (default) and without (``reference_stride=0``);
in-hole PSNR of the first 20 frames against the decoded video. Shows that compression noise
on a still scene stays under the references' ring-change limit, so the copy happens
(``benchmarks/devset.md``, fifth round).

    python benchmarks/bench_reach.py --crf 18 23 28 --out benchmarks/results/reach.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from media.video import read_video  # noqa: E402
from tasks.config import InpaintConfig  # noqa: E402
from tasks.inpaint_video import inpaint_arrays  # noqa: E402


def still_clip(crf: int, frames: int = 60) -> np.ndarray:
    """The decoded frames of a still photograph encoded with x264 at ``crf``."""
    import av
    from skimage import data

    scene = np.ascontiguousarray(data.astronaut()[::2, ::2][:192, :256])
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/still.mp4"
        with av.open(path, "w") as out:
            stream = out.add_stream("libx264", rate=25)
            stream.width, stream.height, stream.pix_fmt = 256, 192, "yuv420p"
            stream.options = {"crf": str(crf)}
            for _ in range(frames):
                out.mux(stream.encode(av.VideoFrame.from_ndarray(scene, format="rgb24")))
            out.mux(stream.encode())
        return read_video(path)[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crf", type=int, nargs="+", default=[18, 23, 28])
    ap.add_argument("--out", type=Path, help="JSON results")
    args = ap.parse_args()
    rows = []
    print(f"{'crf':>4} {'references':>11} {'none':>7}")
    for crf in args.crf:
        gt = still_clip(crf)
        holes = np.zeros(gt.shape[:3], bool)
        holes[:30, 60:120, 80:160] = True
        blank = gt.copy()
        blank[holes] = 0
        scores = []
        for stride in (5, 0):
            out = inpaint_arrays(blank, holes, InpaintConfig(window_frames=24, overlap_frames=4,
                                                             reference_stride=stride))
            h = holes[:20]
            mse = np.mean((out[:20][h].astype(np.float64) - gt[:20][h]) ** 2)
            scores.append(float(10 * np.log10(255.0 ** 2 / max(mse, 1e-10))))
        rows.append({"crf": crf, "references": scores[0], "none": scores[1]})
        print(f"{crf:>4} {scores[0]:11.2f} {scores[1]:7.2f}", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
