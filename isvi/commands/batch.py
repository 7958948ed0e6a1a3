"""``isvi batch SOURCE -o DEST``: inpaint a collection of videos with the ``inpaint-collection`` Prefect flow."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from flows.config import JobConfig
from isvi.commands.method_options import (MASK, METHOD, OUTPUT, SHOTS, add_options, add_text_options,
                                          refuse_text_options, text_overrides)
from tasks.config import field_choices

EPILOG = """\
SOURCE is a folder (searched recursively), a glob, an fsspec URL (s3://bucket/prefix, file://...)
or a manifest (.csv or .jsonl; columns: video, mask, boxes, output). DEST is a folder or an fsspec
URL; results keep the input's relative names, finished ones are skipped unless --overwrite.

examples:
  isvi batch videos/ --box 1180,40,80,60 -o clean/
  isvi batch 's3://archive/reels/*.mp4' --mask logo.png -o s3://archive/clean --cache s3://archive/cache
  isvi batch jobs.csv -o clean/ --cluster tcp://gpu-head:8786
  isvi batch videos/ --mask logo.png -o clean/ --workers 2 --gpus 1
  isvi batch channels/ --mask auto --auto-mask-pool folder -o clean/   # one logo per channel folder
  isvi batch subtitled/ --mask text -o clean/      # burnt-in subtitles, found frame by frame per video
  isvi batch subtitled/ --mask text --text-region bottom --text-shape boxes -o clean/

Intermediates live in a Zarr cache (default '<DEST>.isvi-cache'); a re-run after a crash recomputes
only unfinished stages ('isvi cache ls|clear'). A finished video's intermediates are removed once its
output is written unless --keep-cache (then a change of settings recomputes only affected stages).
Videos go through --videos-in-work at a time, in order (remote sources are downloaded as they start).
A report is written to '<DEST>/isvi-report.json' and '.csv' (rewritten as videos end); with
--mask auto, each video's detected mask is shown on the frame that shows its overlay most clearly
in '<DEST>/isvi-report-masks/<name>.png'.
With --mask text, the report lists each video's frames with text (its mask is shown there on the middle
one); a video without text is copied through. The text detector's options (--text-...) apply to
--mask text and to a manifest's text masks; in the TOML file they go in an [inpaint.text] table.
With --cluster, local paths (SOURCE, DEST, --cache, masks) must be on a folder every worker shares;
this is checked before any work (or use URLs).
Exit code 0 only if no video failed.
"""

def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="inpaint a collection of videos (Prefect flow on Dask)",
                       description="Inpaint every video of a folder, glob, URL or manifest, shot by shot, "
                                   "with resumable Zarr caches.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="folder, glob, fsspec URL, or CSV/JSONL manifest")
    p.add_argument("-o", "--output", dest="dest", required=True, help="destination folder or fsspec URL")
    p.add_argument("--config", metavar="TOML", help="job options (top-level keys, and an [inpaint] table)")
    p.add_argument("--mask", help="job-wide mask for videos the manifest does not describe ('auto': detect a "
                                  "static overlay; 'text': detect burnt-in text frame by frame); an image is "
                                  "scaled to each video of its aspect ratio")
    p.add_argument("--auto-mask-pool", choices=field_choices(JobConfig, "auto_mask_pool"),
                   help="videos that share one --mask auto detection: each its own (default), those in one "
                        "folder, or all; pooled videos of one source reveal a logo that one alone may not")
    p.add_argument("--box", action="append", metavar="X,Y,W,H", help="job-wide rectangle (repeatable)")
    p.add_argument("--cache", metavar="URL", help="where intermediates live; default '<DEST>.isvi-cache'")
    p.add_argument("--overwrite", action="store_const", const=True, help="redo videos whose output exists")
    p.add_argument("--keep-cache", action="store_const", const=True,
                   help="keep a finished video's per-shot intermediates (by default removed once its output is "
                        "written; a failed or interrupted video's always stay, to resume from)")
    p.add_argument("--report", metavar="PREFIX", help="report path prefix; default '<DEST>/isvi-report'")
    g = p.add_argument_group("cluster")
    g.add_argument("--cluster", metavar="tcp://HOST:8786", help="use this Dask scheduler instead of a local cluster")
    g.add_argument("--workers", type=int, metavar="N", help="local cluster worker processes; default: CPU count")
    g.add_argument("--gpus", type=int, metavar="N", help="GPUs the local workers advertise; GPU stages need one")
    g.add_argument("--videos-in-work", type=int, metavar="N",
                   help="videos probed (remote ones downloaded) and in work at once, in order; default 16")
    add_options(p.add_argument_group("shots (as in 'isvi inpaint')"), SHOTS, dest_prefix="m_")
    add_options(p.add_argument_group("mask (as in 'isvi inpaint')"), MASK, dest_prefix="m_")
    add_text_options(p.add_argument_group("text detector (with --mask text; as in 'isvi inpaint')"))
    add_options(p.add_argument_group("method (as in 'isvi inpaint')"), METHOD, dest_prefix="m_")
    add_options(p.add_argument_group("output (as in 'isvi inpaint')"), OUTPUT, dest_prefix="m_")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also print Prefect's and Dask's INFO logs (default: warnings and the summary only)")
    p.set_defaults(func=run)


def resolve_job(args: argparse.Namespace):
    """Job config: defaults < TOML file < command line."""
    import tomllib
    from pathlib import Path

    from flows.config import JobConfig
    from isvi_models.errors import InputError

    values: dict = {}
    if args.config:
        try:
            values = tomllib.loads(Path(args.config).read_text())
        except FileNotFoundError:
            raise InputError(args.config, "config file does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(args.config, f"is not valid TOML ({exc})") from None
    inpaint = dict(values.pop("inpaint", {}))
    for k, v in vars(args).items():
        if k.startswith("m_") and v is not None:
            inpaint[k[2:]] = v
    if args.mask is not None:
        inpaint["mask"] = args.mask
    if args.box:
        inpaint["box"] = tuple(args.box)
    if text := text_overrides(args):
        inpaint["text"] = {**inpaint.get("text", {}), **text}
    for k in ("cache", "overwrite", "keep_cache", "gpus", "report", "auto_mask_pool", "videos_in_work"):
        if getattr(args, k) is not None:
            values[k] = getattr(args, k)
    if values.get("overwrite"):
        inpaint["overwrite"] = True
    return JobConfig(source=args.source, dest=args.dest, inpaint=inpaint, **values)


def _text_detail(row: dict) -> str:
    """The summary's words on a ``mask: text`` video: its frames with text, or its note."""
    if row.get("note"):
        return f"; {row['note']}"
    if row.get("frames_with_text"):
        return f"; text in {row['frames_with_text']} frames ({row['text_frames']})"
    return ""


def _local_folders(job: JobConfig) -> list[Path]:
    """The local folders the run writes to: DEST, the cache, the report's (URLs left out)."""
    from storage.zarr_cache import is_local, local_path

    # The report's folder cut by string: PurePosixPath folds "s3://b/out" into "s3:/b/out", which reads
    # as a local path and used to leave a folder named "s3:" in the working directory.
    report_folder = job.report_prefix.rsplit("/", 1)[0] if "/" in job.report_prefix else "."
    return [local_path(u) for u in dict.fromkeys((job.dest, job.cache_url, report_folder)) if is_local(u)]


def _check_writable(job: JobConfig) -> None:
    """Each local folder the run writes to (DEST, the cache, the report's) is created if missing and
    takes a file, or a one-line :class:`InputError` names it."""
    import tempfile

    from isvi_models.errors import InputError

    made: list = []  # folders this check created, removed again if a later one fails
    for folder in _local_folders(job):
        try:
            made += [p for p in (folder, *folder.parents) if not p.exists()]
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            for p in sorted(made, key=lambda p: len(p.parts), reverse=True):  # deepest first
                try:
                    p.rmdir()
                except OSError:
                    pass
            raise InputError(folder, f"cannot be written ({exc.strerror or exc})") from None


def _check_cluster_sees(job: JobConfig, items: list, address: str) -> None:
    """With ``--cluster``, every local path of the job (DEST, the cache, the report's folder, local
    sources and mask files) must be the same on every worker's host (a shared folder): else each
    worker writes stages to its own disk and the others cannot read them. A marker file is put in
    each folder and looked for, with the sources, on every worker; the first path a worker cannot
    see is named in a one-line :class:`InputError`, as is a scheduler that cannot be reached.
    Workers that join after the check (an adaptive cluster scaling up) are not checked."""
    import uuid

    from distributed import Client

    from isvi_models.errors import InputError
    from storage.manifests import DETECTED_MASKS
    from storage.zarr_cache import is_local

    masks = {i.mask for i in items} | {job.inpaint.mask}
    files = sorted({i.source for i in items if is_local(i.source)}
                   | {m for m in masks if m and m not in DETECTED_MASKS and is_local(m)})
    markers = {folder / f".isvi-visible-{uuid.uuid4().hex[:12]}": folder for folder in _local_folders(job)}
    try:
        for m in markers:
            m.write_bytes(b"")
        wanted = [str(m) for m in markers] + files
        try:
            with Client(address, timeout="30s") as client:
                seen = client.run(lambda paths: [os.path.exists(p) for p in paths], wanted)
        except (OSError, TimeoutError) as exc:
            raise InputError(address, f"cannot reach the Dask scheduler ({exc})") from None
    finally:
        for m in markers:
            m.unlink(missing_ok=True)
    shown = [str(markers[Path(p)]) if Path(p) in markers else p for p in wanted]
    for worker, found in sorted(seen.items()):
        for path, ok in zip(shown, found):
            if not ok:
                raise InputError(path, f"is not visible on Dask worker {worker}: with --cluster the job's local "
                                       "paths must be on a folder every worker shares (or use URLs: s3://...)")


def run(args: argparse.Namespace) -> int:
    import os

    from flows.runtime import offline_env

    offline_env()
    # Without -v: warnings and the per-video summary only (progress bars on a terminal); the INFO
    # logs still reach the Prefect server (its UI shows the run). Workers inherit the environment.
    level = "INFO" if args.verbose else "WARNING"
    for name in ("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL",
                 "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL"):
        os.environ[name] = level
    os.environ["DASK_LOGGING__DISTRIBUTED"] = level.lower()
    job = resolve_job(args)
    from storage.manifests import list_videos

    items = list_videos(job.source)  # bad SOURCE or manifest: exit 2 before any server or cluster starts
    from tasks.automask import mask_of

    refuse_text_options(args, job.inpaint, any(mask_of(i, job.inpaint)[0] == "text" for i in items),
                        "[inpaint.text]")
    _check_writable(job)  # and an unwritable DEST, cache or report folder, not after all the work
    if args.cluster:
        _check_cluster_sees(job, items, args.cluster)  # and a cluster whose workers cannot see them
    from flows.inpaint_collection import run_collection

    rows = run_collection(job, cluster=args.cluster, workers=args.workers)
    width = max((len(r["name"]) for r in rows), default=4)
    for r in rows:
        detail = r["error"] if r["status"] == "failed" else (
            f"{r['frames']} frames, {r['shots']} shots, {len(r['computed_stages'])} stages computed, "
            f"{r['cached_stages']} cached" + (f" (same content as {r['duplicate_of']}: computed once)"
                                              if r.get("duplicate_of") else "") + _text_detail(r)
            if r["status"] == "done" else r["output"])
        print(f"{r['name']:<{width}}  {r['status']:<7}  {detail}", file=sys.stderr)
    print(f"report: {job.report_prefix}.json, .csv", file=sys.stderr)
    return 1 if any(r["status"] == "failed" for r in rows) else 0
