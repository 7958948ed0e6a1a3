"""Per-frame cost of the ISVI networks through ONNX Runtime (IGFC and ASFN), CPU provider by default.

What one call is, per video frame:

- IGFC: one pivot with a window of 3 flows, batch 1 (``flows`` 1x3x2xHxW). The pipeline makes
  this call twice per frame that has a hole (forward and backward flow), so the per-frame
  column doubles it. The Laplacian initial fill is not included (it is a scipy solve).
- ASFN: the x- and y-gradient of one frame in one batch of 2 (``image`` 2x3xHxW).

Sizes are W x H: 432x240 and 864x480 (both multiples of 8). The models are the base variants
(``igfc_base``: cnum 48, 1 residual block, window 3, 3.81 M parameters; ``asfn_base``: cnum 48,
1 style-fusion block, 1 residual block, 2.43 M parameters) with seeded random weights: the cost
does not depend on the weights. Pass ``--models DIR`` to time other files.

    .venv/bin/python benchmarks/bench_networks.py [--repeats 5] [--out benchmarks/results/networks.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from isvi_models.runtime import CPU, load_model  # noqa: E402

SIZES = ((432, 240), (864, 480))


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def igfc_feeds(w: int, h: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    masks = np.zeros((1, 3, 1, h, w), np.float32)
    masks[..., h // 3: 2 * h // 3, w // 3: 2 * w // 3] = 1
    return {"flows": rng.normal(scale=3, size=(1, 3, 2, h, w)).astype(np.float32), "masks": masks,
            "shifts": np.array([[1.0, 0.0, -1.0]], np.float32)}


def asfn_feeds(w: int, h: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    mask = np.zeros((2, 1, h, w), np.float32)
    mask[..., h // 3: 2 * h // 3, w // 3: 2 * w // 3] = 1
    return {"image": rng.uniform(-0.2, 0.2, (2, 3, h, w)).astype(np.float32), "mask": mask}


def time_calls(model, feeds, output: str, repeats: int) -> list[float]:
    model.run(feeds, [output])  # warm-up: first call allocates
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.run(feeds, [output])
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", type=Path, help="folder with igfc.onnx / asfn.onnx (default: export base variants)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "networks.json")
    args = ap.parse_args(argv)

    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        models_dir = args.models
        export_s = None
        if models_dir is None:
            from isvi_models.export import export_models

            t0 = time.perf_counter()
            export_models(tmp, random_weights=True, seed=0)
            export_s = time.perf_counter() - t0
            models_dir = Path(tmp)
        igfc = load_model(models_dir / "igfc.onnx", kind="igfc", providers=[CPU])
        asfn = load_model(models_dir / "asfn.onnx", kind="asfn", providers=[CPU])
        rng = np.random.default_rng(0)
        rows = []
        for w, h in SIZES:
            ti = time_calls(igfc, igfc_feeds(w, h, rng), "flow", args.repeats)
            ta = time_calls(asfn, asfn_feeds(w, h, rng), "refined", args.repeats)
            igfc_ms, asfn_ms = statistics.median(ti), statistics.median(ta)
            rows.append({"size": f"{w}x{h}", "igfc_call_ms": igfc_ms, "igfc_call_ms_min": min(ti),
                         "igfc_per_frame_ms": 2 * igfc_ms, "asfn_per_frame_ms": asfn_ms,
                         "asfn_per_frame_ms_min": min(ta), "igfc_samples_ms": ti, "asfn_samples_ms": ta})
        providers = {"igfc": igfc.providers, "asfn": asfn.providers}
    import onnxruntime

    result = {
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "gpu": None, "platform": platform.platform(),
                    "python": platform.python_version(), "onnxruntime": onnxruntime.__version__,
                    "load_avg_1m_start": load_start[0], "load_avg_1m_end": os.getloadavg()[0]},
        "note": "CPU provider only (no GPU on this machine); other jobs shared the CPU, see load averages",
        "models": {"igfc": igfc.metadata.get("isvi.variant"), "asfn": asfn.metadata.get("isvi.variant")},
        "providers": providers, "repeats": args.repeats, "export_seconds": export_s, "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"ONNX Runtime {onnxruntime.__version__}, {providers['igfc'][0]}, {cpu_name()}, {os.cpu_count()} cores, "
          f"load {load_start[0]:.1f} -> {os.getloadavg()[0]:.1f}; median of {args.repeats}")
    print("| size (WxH) | IGFC per call (ms) | IGFC per frame, fwd+bwd (ms) | ASFN per frame, x+y (ms) |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {r['igfc_call_ms']:.0f} | {r['igfc_per_frame_ms']:.0f} | {r['asfn_per_frame_ms']:.0f} |")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
