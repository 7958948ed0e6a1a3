"""Benchmark and evaluation reports: Markdown, JSON, PNG plots and contact sheets.

Layout written under the report folder::

    report.md               tables per clip and the means over clips
    results.json            every number (per-frame lists included); null = not finite
                            (PSNR of identical frames, or a metric with no pixel to score)
    plots/psnr_hole_<clip>.png     per-frame PSNR inside the hole, one line per method
    plots/quality_vs_time.png      mean in-hole PSNR against seconds per frame
    sheets/<clip>__<method>.png    rows = a few frames; columns = input, result, ground truth,
                                   |result - ground truth| x4

Every file is written to a temporary name beside its destination and renamed when complete.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np

from isvi_models.atomic import write_bytes

# (key in a summary, column title, format)
COLUMNS = (
    ("psnr", "PSNR", "{:.2f}"),
    ("ssim", "SSIM", "{:.4f}"),
    ("ssim_w65", "SSIM w65", "{:.4f}"),
    ("psnr_hole", "PSNR hole", "{:.2f}"),
    ("ssim_hole", "SSIM hole", "{:.4f}"),
    ("warp_error", "warp err", "{:.2f}"),
    ("flicker", "flicker", "{:.2f}"),
    ("lpips", "LPIPS", "{:.4f}"),
    ("outside_max_abs", "outside max Δ", "{:.0f}"),
    ("seconds_per_frame", "s/frame", "{:.3f}"),
    ("peak_mb", "peak MB", "{:.0f}"),
)

METRIC_NOTES = """\
- **PSNR / SSIM**: whole frame, scikit-image, averaged over frames (the papers' protocol).
  SSIM: 7x7 uniform window (scikit-image default); **SSIM w65**: `win_size=65` (ProPainter-style).
- **PSNR hole / SSIM hole**: over the clip's own hole pixels only (SSIM: mean of the 7x7 SSIM map there).
- **warp err**: mean |O_t - warp(O_t-1)| in the hole (0-255), warped along OpenCV DIS flow of the
  ground truth, where that flow passes a forward-backward check; lower is steadier. The ground
  truth's own value (its floor) is `warp_error_gt` in results.json. It rewards content that moves
  with the scene *and* flat content (a black hole scores low), so read it next to PSNR hole.
- **flicker**: mean |(O_t - O_t-1) - (G_t - G_t-1)| over hole pixels (0-255), flow-free.
- **outside max Δ**: largest change of any pixel outside the hole the method was given (0 = untouched).
- **s/frame**: wall seconds of the method call / frames (inputs already in memory, imports done).
  **peak MB**: peak RSS of the process running the method (fresh interpreter per method; inputs,
  libraries and interpreter included; `peak_above_inputs_mb` in results.json is the method's own).
"""


# ---------------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------------
def atomic_write_bytes(path: Path, data: bytes) -> Path:
    return write_bytes(path, data)


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def json_safe(obj):
    """nan/inf -> None, numpy scalars/arrays -> Python, recursively (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: Path, obj) -> Path:
    return atomic_write_text(path, json.dumps(json_safe(obj), indent=1, allow_nan=False) + "\n")


def write_png(path: Path, rgb: np.ndarray) -> Path:
    import cv2

    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"{path}: PNG encoding failed")
    return atomic_write_bytes(path, buf.tobytes())


# ---------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------
def fmt(value, spec: str = "{:.3f}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return spec.format(value)


def markdown_table(rows: dict[str, dict], columns=COLUMNS, first: str = "Method") -> str:
    """``rows``: name -> summary dict. Columns with no value in any row are left out."""
    cols = [c for c in columns if any(r.get(c[0]) is not None for r in rows.values())]
    head = "| " + " | ".join([first] + [c[1] for c in cols]) + " |"
    sep = "|" + "---|" * (len(cols) + 1)
    lines = [head, sep]
    for name, r in rows.items():
        lines.append("| " + " | ".join([name] + [fmt(r.get(k), f) for k, _, f in cols]) + " |")
    return "\n".join(lines)


def means_over_clips(clips: dict) -> dict[str, dict]:
    """method -> {metric: mean over the clips where the method ran}."""
    from tasks.evaluation.metrics import nanmean

    acc: dict[str, dict[str, list]] = {}
    for clip in clips.values():
        for method, res in clip.get("methods", {}).items():
            s = res.get("summary")
            if not s:
                continue
            d = acc.setdefault(method, {})
            for k, v in s.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    d.setdefault(k, []).append(float(v) if v is not None else math.nan)
            d.setdefault("_clips", []).append(1.0)
    out = {}
    for method, d in acc.items():
        clips_n = len(d.pop("_clips"))
        out[method] = {k: nanmean(v) for k, v in d.items()}
        out[method]["clips"] = clips_n
        if "outside_max_abs" in d:
            out[method]["outside_max_abs"] = float(np.max(d["outside_max_abs"]))
    return out


# ---------------------------------------------------------------------------------
# Plots and contact sheets
# ---------------------------------------------------------------------------------
def _savefig(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return atomic_write_bytes(path, buf.getvalue())


def plot_per_frame(path: Path, clip: str, per_method: dict[str, list], key_label: str = "PSNR in hole (dB)") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    for method, values in per_method.items():
        v = np.array([np.nan if x is None else x for x in values], dtype=float)
        v[np.isinf(v)] = np.nan
        ax.plot(np.arange(len(v)), v, label=method, lw=1.5)
    ax.set_xlabel("frame")
    ax.set_ylabel(key_label)
    ax.set_title(clip)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    try:
        return _savefig(fig, path)
    finally:
        plt.close(fig)


def plot_quality_vs_time(path: Path, means: dict[str, dict]) -> Path:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, m in means.items():
        x, y = m.get("seconds_per_frame"), m.get("psnr_hole")
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            continue
        ax.scatter([max(x, 1e-4)], [y], s=40)
        ax.annotate(method, (max(x, 1e-4), y), textcoords="offset points", xytext=(5, 4), fontsize=9)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("seconds per frame (log)")
    ax.set_ylabel("mean PSNR in hole (dB)")
    ax.set_title("quality against time (means over clips)")
    ax.grid(alpha=0.3, which="both")
    try:
        return _savefig(fig, path)
    finally:
        plt.close(fig)


def pick_sheet_frames(holes: np.ndarray, count: int = 3) -> list[int]:
    """``count`` frames spread over the clip, among frames that have a hole."""
    with_hole = np.flatnonzero(holes.reshape(len(holes), -1).any(axis=1))
    pool = with_hole if with_hole.size else np.arange(len(holes))
    if pool.size <= count:
        return [int(i) for i in pool]
    pos = np.linspace(0, pool.size - 1, count + 2)[1:-1].round().astype(int)
    return [int(pool[p]) for p in pos]


def contact_sheet(inp: np.ndarray, result: np.ndarray, gt: np.ndarray, holes: np.ndarray,
                  max_width: int = 1600, diff_gain: float = 4.0) -> np.ndarray:
    """RGB image: one row per given frame; columns input (hole outlined red), result, ground
    truth and |result - gt| x ``diff_gain``; a title bar on top."""
    import cv2

    n, h, w = holes.shape
    scale = min(1.0, max_width / (4 * w + 5 * 4))
    tw, th = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    pad, bar = 4, 22
    sheet = np.full((bar + n * (th + pad) + pad, 4 * (tw + pad) + pad, 3), 255, np.uint8)
    for j, title in enumerate(("input", "result", "ground truth", f"|diff| x{diff_gain:g}")):
        cv2.putText(sheet, title, (pad + j * (tw + pad) + 2, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                    cv2.LINE_AA)
    for i in range(n):
        shown = inp[i].copy()
        contours, _ = cv2.findContours(holes[i].astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(shown, contours, -1, (255, 0, 0), max(1, int(round(1 / scale))))
        diff = np.abs(result[i].astype(np.int16) - gt[i].astype(np.int16)).astype(np.float32) * diff_gain
        tiles = (shown, result[i], gt[i], np.clip(diff, 0, 255).astype(np.uint8))
        y = bar + i * (th + pad)
        for j, tile in enumerate(tiles):
            x = pad + j * (tw + pad)
            small = tile if scale == 1.0 else cv2.resize(tile, (tw, th), interpolation=cv2.INTER_AREA)
            sheet[y:y + th, x:x + tw] = small
    return sheet


# ---------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------
def render_markdown(results: dict) -> str:
    meta = results.get("meta", {})
    clips = results.get("clips", {})
    means = results.get("means", {})
    lines = ["# Video inpainting benchmark", ""]
    if meta.get("command"):
        lines += ["Command:", "", "```", meta["command"], "```", ""]
    machine = meta.get("machine")
    if machine:
        lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()), ""]
    if meta.get("load_average_at_start"):
        lines += [f"Load average (1/5/15 min) at start {meta['load_average_at_start']}, at end "
                  f"{meta.get('load_average_at_end')} (other work on the machine slows the timings)", ""]
    for key, label in (("created", "Created"), ("protocol", "Protocol"), ("lpips", "LPIPS")):
        if meta.get(key):
            lines += [f"{label}: {meta[key]}", ""]
    if means:
        lines += [f"## Means over {len(clips)} clip(s)", "", markdown_table(means), "",
                  "![quality against time](plots/quality_vs_time.png)", ""]
    for name, clip in clips.items():
        info = ", ".join(f"{k} {clip[k]}" for k in ("frames", "width", "height", "mask", "hole_fraction")
                         if k in clip)
        lines += [f"## {name}", "", info, ""]
        rows = {m: {**r.get("summary", {})} for m, r in clip.get("methods", {}).items() if r.get("summary")}
        if rows:
            lines += [markdown_table(rows), ""]
        for m, r in clip.get("methods", {}).items():
            if r.get("error"):
                lines += [f"- **{m} failed**: `{r['error'].splitlines()[0] if r['error'] else ''}`"]
        if clip.get("plot"):
            lines += ["", f"![per-frame PSNR in hole]({clip['plot']})", ""]
        sheets = [(m, r["sheet"]) for m, r in clip.get("methods", {}).items() if r.get("sheet")]
        if sheets:
            lines += ["Contact sheets (frames " + ", ".join(map(str, clip.get("sheet_frames", []))) + "): "
                      + ", ".join(f"[{m}]({p})" for m, p in sheets), ""]
    lines += ["## Metrics", "", METRIC_NOTES]
    return "\n".join(lines) + "\n"


def write_report(out_dir: Path, results: dict, plots: bool = True) -> Path:
    """Write report.md, results.json and the plots for ``results`` (sheets are written by the
    caller with :func:`contact_sheet` and referenced in ``results``). Returns report.md's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results.setdefault("means", means_over_clips(results.get("clips", {})))
    if plots:
        for name, clip in results.get("clips", {}).items():
            per = {m: r["per_frame"]["psnr_hole"] for m, r in clip.get("methods", {}).items()
                   if r.get("per_frame")}
            if per:
                rel = f"plots/psnr_hole_{name}.png"
                plot_per_frame(out_dir / rel, name, per)
                clip["plot"] = rel
        if results["means"]:
            plot_quality_vs_time(out_dir / "plots" / "quality_vs_time.png", results["means"])
    write_json(out_dir / "results.json", results)
    return atomic_write_text(out_dir / "report.md", render_markdown(results))
