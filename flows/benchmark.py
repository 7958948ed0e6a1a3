"""Prefect flow: run the ISVI pipeline and the classical baselines over a folder of clips, score
them against the ground truth, and write a report (``isvi benchmark`` is its command line).

Clip layout (that of ``shared/devset``)::

    CLIPS_DIR/<clip>/gt.mp4         ground truth (any video file named gt.*, or a gt/ frame folder)
    CLIPS_DIR/<clip>/masks/         one mask image per frame, non-zero = hole        (or:)
    CLIPS_DIR/<clip>/meta.json      {"mask_generator": "squares:3"} or {"mask_generator": {"kind": ...}}

A clip without masks/ and without a generator in meta.json uses the flow's ``mask_generator``.

Protocol:

* The masked input is the ground truth with the hole set to black; every method gets the same
  input and the same hole: the clip's mask grown by ``dilate_px`` (default 0, the papers'
  protocol of using masks as they are). The pipeline is therefore run with its own
  ``dilate_px=0`` (also its default): with ``dilate_px`` > 0 here all methods get the same
  grown hole.
* In-hole metrics use the clip's own mask; whole-frame metrics use every pixel; the outside
  check uses the complement of the hole the methods were given (any change there is a bug).
* Each method runs in a fresh interpreter (``tasks.evaluation.runner``): seconds per frame of
  the call alone, and peak RSS. Tasks run one after another, never two at once, so timings
  do not compete for the CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from flows.runtime import offline_env  # stdlib only: safe before prefect

offline_env()  # offline-friendly Prefect settings, before prefect is imported

import numpy as np  # noqa: E402
from prefect import flow, task  # noqa: E402

from isvi_models.errors import ConfigError, InputError  # noqa: E402

VIDEO_EXTS = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".nut", ".mpg")


# ---------------------------------------------------------------------------------
# Clip discovery
# ---------------------------------------------------------------------------------
def find_gt(clip_dir: Path) -> Path | None:
    if (clip_dir / "gt").is_dir():
        return clip_dir / "gt"
    for p in sorted(clip_dir.glob("gt.*")):
        if p.suffix.lower() in VIDEO_EXTS:
            return p
    return None


def discover_clips(clips_dir: str | Path, names: list[str] | None = None) -> dict[str, Path]:
    """Clip folders (those holding a ground truth) by name, sorted; ``names`` selects some."""
    root = Path(clips_dir)
    if not root.is_dir():
        raise InputError(root, "clips folder does not exist")
    found = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and find_gt(p) is not None}
    if names:
        missing = [n for n in names if n not in found]
        if missing:
            raise InputError(root, f"has no clip named {', '.join(missing)} (clips: {', '.join(found) or 'none'})")
        found = {n: found[n] for n in names}
    if not found:
        raise InputError(root, "holds no clip (a folder with gt.mp4 or a gt/ frame folder)")
    return found


def _clip_generator(clip_dir: Path, default: str | None):
    meta_path = clip_dir / "meta.json"
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(meta_path, f"is not valid JSON ({exc})") from None
        if meta.get("mask_generator"):
            return meta["mask_generator"]
    return default


# ---------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------
@task(name="prepare-clip")
def prepare_clip(name: str, clip_dir: str, work_dir: str, max_frames: int | None, mask_generator: str | None,
                 dilate_px: int) -> dict:
    """Decode the ground truth, get the holes, make the masked input; arrays go to .npy files."""
    from tasks.evaluation.mask_generators import generate
    from media.masks import dilate_holes, open_mask
    from media.video import VideoSource

    clip = Path(clip_dir)
    with VideoSource(find_gt(clip)) as src:
        info = src.info
        n = info.frames if not max_frames else min(info.frames, max_frames)
        gt = src.read(0, n)
    if (clip / "masks").is_dir():
        holes = open_mask(clip / "masks", [], info).read(0, n)
        mask_desc = "masks/"
    else:
        spec = _clip_generator(clip, mask_generator)
        if spec is None:
            raise InputError(clip, "has no masks/ folder, no mask_generator in meta.json, and no --mask-generator given")
        holes = generate(spec, n, info.height, info.width)
        mask_desc = spec if isinstance(spec, str) else json.dumps(spec)
    given = dilate_holes(holes, dilate_px)
    inp = gt.copy()
    inp[given] = 0
    out = Path(work_dir) / name
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: str(out / f"{k}.npy") for k in ("gt", "holes", "given", "input")}
    for k, arr in (("gt", gt), ("holes", holes), ("given", given), ("input", inp)):
        np.save(paths[k], arr)
    return {"name": name, "paths": paths, "frames": n, "width": info.width, "height": info.height,
            "fps": float(info.fps), "mask": mask_desc, "hole_fraction": float(holes.mean()),
            "given_hole_fraction": float(given.mean())}


@task(name="run-method")
def run_method(clip: dict, method: str, report_dir: str, isvi_config: dict, sheet_frames: int, temporal: bool,
               timeout_s: float | None) -> dict:
    """Run one method on one clip (fresh process), score it, and draw its contact sheet."""
    from tasks.evaluation import metrics
    from tasks.evaluation.report import contact_sheet, pick_sheet_frames, write_png
    from tasks.evaluation.runner import run_in_subprocess

    p = clip["paths"]
    out_path = Path(p["input"]).with_name(f"result_{method}.npy")
    config = {"dilate_px": 0, **isvi_config} if method == "isvi" else {}
    try:
        stats = run_in_subprocess(method, Path(p["input"]), Path(p["given"]), out_path, config, timeout_s)
    except Exception as exc:  # one failing method must not lose the others' numbers
        return {"error": f"{exc.__class__.__name__}: {exc}"}
    try:
        result = np.load(out_path)
        gt, holes, given = np.load(p["gt"]), np.load(p["holes"]), np.load(p["given"])
        if result.shape != gt.shape or result.dtype != np.uint8:
            return {"error": f"result has shape {result.shape} {result.dtype}, expected {gt.shape} uint8",
                    "stats": stats}
        scorer = metrics.ClipScorer(temporal=temporal)
        scorer.update(result, gt, holes, given)
        summary = scorer.summary()
        per_frame = dict(scorer.per_frame)
        lp_ok, _ = metrics.lpips_available()
        if lp_ok:
            per_frame["lpips"] = metrics.lpips_frames(result, gt)
            summary["lpips"] = metrics.nanmean(per_frame["lpips"])
        summary.update({k: stats[k] for k in ("seconds_per_frame", "peak_mb", "peak_above_inputs_mb")})
        idx = pick_sheet_frames(holes, sheet_frames)
        rel = f"sheets/{clip['name']}__{method}.png"
        if idx:
            inp = np.load(p["input"])
            write_png(Path(report_dir) / rel, contact_sheet(inp[idx], result[idx], gt[idx], given[idx]))
        return {"summary": summary, "per_frame": per_frame, "stats": stats, "sheet": rel if idx else None,
                "sheet_frames": idx}
    finally:
        out_path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------
# The flow
# ---------------------------------------------------------------------------------
@flow(name="isvi-benchmark", log_prints=True)
def benchmark_clips(clips_dir: str, out_dir: str, methods: list[str] | None = None, max_frames: int | None = None,
                    clips: list[str] | None = None, mask_generator: str | None = None, dilate_px: int = 0,
                    isvi_config: dict | None = None, sheet_frames: int = 3, temporal: bool = True,
                    method_timeout_s: float | None = None, command: str | None = None) -> dict:
    """Benchmark ``methods`` on every clip of ``clips_dir``; writes report.md, results.json,
    plots/ and sheets/ under ``out_dir`` and returns the results dict."""
    from tasks.evaluation import machine_info
    from tasks.evaluation.baselines import DEFAULT_METHODS, METHODS
    from tasks.evaluation.metrics import lpips_available
    from tasks.evaluation.report import write_report

    methods = list(methods or DEFAULT_METHODS)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"methods: unknown {', '.join(unknown)} (choose from {', '.join(METHODS)})")
    if dilate_px < 0:
        raise ConfigError("dilate_px: must be >= 0")
    found = discover_clips(clips_dir, clips)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".work-", dir=out))
    lp_ok, lp_note = lpips_available()
    results: dict = {
        "meta": {
            "command": command,
            "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": machine_info(),
            "clips_dir": str(clips_dir),
            "methods": methods,
            "max_frames": max_frames,
            "dilate_px": dilate_px,
            "isvi_config": {"dilate_px": 0, **(isvi_config or {})},
            "protocol": (f"input = ground truth with the hole (clip mask grown by {dilate_px} px) blacked out; "
                         "every method gets that hole; in-hole metrics on the clip's own mask; outside "
                         "check on the complement of the given hole; each method in a fresh process"),
            "lpips": "computed (AlexNet)" if lp_ok else f"skipped: {lp_note}",
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "clips": {},
    }
    try:
        for name, clip_dir in found.items():
            clip = prepare_clip.with_options(task_run_name=f"prepare-{name}")(
                name, str(clip_dir), str(work), max_frames, mask_generator, dilate_px)
            entry = {k: clip[k] for k in ("frames", "width", "height", "fps", "mask", "hole_fraction",
                                          "given_hole_fraction")}
            entry["methods"] = {}
            for method in methods:
                res = run_method.with_options(task_run_name=f"{method}-{name}")(
                    clip, method, str(out), isvi_config or {}, sheet_frames, temporal, method_timeout_s)
                if res.get("sheet_frames") is not None:
                    entry["sheet_frames"] = res.pop("sheet_frames")
                entry["methods"][method] = res
                s = res.get("summary")
                print(f"{name} / {method}: " + (f"PSNR {s['psnr']:.2f}, PSNR hole {s['psnr_hole']:.2f}, "
                                                 f"{s['seconds_per_frame']:.3f} s/frame" if s else res["error"]))
            results["clips"][name] = entry
            shutil.rmtree(work / name, ignore_errors=True)
        results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        write_report(out, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results
