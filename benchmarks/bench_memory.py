"""Peak memory of ``isvi inpaint`` against the video's length (issue 24: flat in the length).

The bundled example (50 frames, 640x360, a static logo) is played forward and backward and
looped to each length, written as H.264, and inpainted with its mask by the CLI in a fresh
process; peak RSS comes from the kernel (``/usr/bin/time -v``'s "Maximum resident set size").

    python benchmarks/bench_memory.py --frames 100 800 1600 --out benchmarks/results/memory.json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from media.video import FrameWriter, VideoInfo, read_video  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, nargs="+", default=[100, 800, 1600])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    clip, info = read_video(ROOT / "examples" / "city_logo.mp4")
    loop = np.concatenate([clip, clip[::-1]])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.frames:
            frames = np.concatenate([loop] * (n // len(loop) + 1))[:n]
            src, out = Path(tmp) / f"loop{n}.mp4", Path(tmp) / f"out{n}.mp4"
            with FrameWriter(src, VideoInfo(src, n, info.width, info.height, Fraction(25)), crf=20,
                             preset="ultrafast") as w:
                w.write(frames)
                w.commit()
            t0 = time.perf_counter()
            res = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "isvi", "inpaint", str(src), "--mask",
                                  str(ROOT / "examples" / "city_logo_mask.png"), "-o", str(out), "-q"],
                                 capture_output=True, text=True, cwd=ROOT)
            seconds = time.perf_counter() - t0
            peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1)) // 1024
            rows.append({"frames": n, "peak_rss_mb": peak, "seconds": round(seconds, 1), "returncode": res.returncode})
            print(f"{n:>6} frames: peak RSS {peak} MB, {seconds:.1f} s", flush=True)
    for a, b in zip(rows, rows[1:]):
        print(f"{b['frames']} / {a['frames']} frames: {b['peak_rss_mb'] / a['peak_rss_mb']:.2f}x")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
