"""Prefect flow ``inpaint-collection``: inpaint every video of a collection, shot by shot, on Dask.

    for each video:  probe -> per shot: decode -> per window: flow -> complete -> fill -> composite
                     -> encode (all shots, original audio)
    with --mask auto and a pool ("folder", "job"): one pooled detection per pool before its probes
    with --mask auto or text: a preview PNG per video of its mask ('<report>-masks/<name>.png')

Windows of a shot chain through their anchors; shots and videos run in parallel, ``videos_in_work``
videos at a time in the collection's order (the next is probed when the oldest has ended, and a
remote source's local copy is removed then, so local disk holds at most that many). Every stage
reads and writes the per-video Zarr cache and skips work whose completion marker exists, so a
re-run after a crash recomputes only unfinished stages. One bad video is reported failed with
its error; the others finish. The flow writes a report (JSON and CSV) and returns it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import shutil
import time
import uuid
from collections import Counter, defaultdict, deque
from pathlib import PurePosixPath

from flows.runtime import offline_env  # stdlib only: safe before prefect

offline_env()  # offline-friendly Prefect settings, before prefect is imported

from prefect import flow, get_run_logger  # noqa: E402
from prefect.futures import wait  # noqa: E402

from flows.config import JobConfig  # noqa: E402
from flows.runtime import count_gpus, default_task_runner, prefect_server, task_runner  # noqa: E402
from storage.manifests import DETECTED_MASKS, exists, list_videos, release  # noqa: E402
from storage.zarr_cache import ZarrCache, get_fs, is_local, put_bytes  # noqa: E402
from tasks import stage_tasks as T  # noqa: E402
from tasks.automask import auto_mask_pools, mask_of, scratch_dir  # noqa: E402
from tasks.keys import encode_key, overlay_key, plan_shot  # noqa: E402
from tasks.refs import StageRef, cached  # noqa: E402

GPU_STAGES = ("flow", "complete", "fill")
REPORT_FIELDS = ("name", "status", "frames", "frames_with_hole", "frames_with_text", "text_frames", "shots", "windows",
                 "seconds", "computed_stages", "cached_stages", "error", "note", "output", "mask_preview",
                 "duplicate_of")
NO_TEXT_NOTE = "no text found; copied through"
REPORT_EVERY_S = 60.0  # the report is rewritten while the job runs, at most this often


def _on_workers(fn, *args) -> None:
    """Run ``fn(*args)`` on every Dask worker as well: a stage on another host than the flow's
    copies a remote source in there (``VideoRef.local_file``), and only a call on that host can
    remove it. Best effort: a clean-up that fails is logged, never fails the job."""
    try:
        from prefect_dask import get_dask_client

        with get_dask_client() as client:
            client.run(fn, *args)
    except Exception as exc:  # noqa: BLE001
        logging.getLogger("isvi.batch").warning("clean-up on the Dask workers failed: %s", exc)


def _gpu(job: JobConfig):
    """Dask resource annotation for GPU stages, when workers advertise GPUs."""
    if job.gpus <= 0:
        return contextlib.nullcontext()
    import dask

    return dask.annotate(resources={"GPU": 1})


def _error_of(futures) -> str:
    """``ExcType: message`` of the first failed future (the root cause; later ones only waited on it)."""
    for fut in futures:
        state = fut.state
        if state.is_failed() or state.is_crashed():
            try:
                fut.result()
            except Exception as exc:
                return f"{type(exc).__name__}: {exc}"
            return state.message or state.name
    return "unknown failure"


def _text_fields(v) -> dict:
    """Report fields of a ``mask: text`` video: the frames that had text (count and ranges), and
    the note that a video without text was copied through."""
    if v.mask != "text":
        return {}
    note = "" if v.frames_with_text else NO_TEXT_NOTE if v.passthrough else "no text found"
    return {"frames_with_text": v.frames_with_text, "text_frames": v.text_frames, "note": note}


def write_report(rows: list[dict], prefix: str) -> None:
    """``{prefix}.json`` and ``{prefix}.csv``, each written in one put (local: tmp + rename)."""
    body_json = json.dumps({"videos": rows}, indent=2, sort_keys=True).encode()
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[*REPORT_FIELDS, "stage_seconds"], extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "computed_stages": len(r.get("computed_stages", [])),
                    "cached_stages": r.get("cached_stages", 0),
                    "stage_seconds": json.dumps(r.get("stage_seconds", {}), sort_keys=True)})
    for suffix, body in ((".json", body_json), (".csv", buf.getvalue().encode())):
        put_bytes(*get_fs(prefix + suffix), body)


class _Progress:
    """One bar per video on a terminal: stages finished, with the stage just finished."""

    def __init__(self, totals: dict[str, int]):
        import sys

        from tqdm import tqdm

        width = max((len(n) for n in totals), default=4)
        self.bars = {n: tqdm(total=t, desc=f"{n:<{width}}", unit="stage", position=i, leave=True, file=sys.stderr,
                             dynamic_ncols=True) for i, (n, t) in enumerate(totals.items())}

    def update(self, name: str, stage: str) -> None:
        self.bars[name].set_postfix_str(stage, refresh=False)
        self.bars[name].update(1)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _follow(per_video: dict[str, list]) -> None:
    """Terminal progress per video and stage while the futures finish (only when stderr is a terminal)."""
    import sys

    from prefect.futures import as_completed

    if not per_video or not sys.stderr.isatty():
        return
    owner = {id(f): n for n, futs in per_video.items() for f in futs}
    progress = _Progress({n: len(futs) for n, futs in per_video.items()})
    try:
        for fut in as_completed([f for futs in per_video.values() for f in futs]):
            name, state = owner.get(id(fut)), fut.state
            if name is not None:
                progress.update(name, fut.result().key.stage if state.is_completed() else state.name.lower())
    finally:
        progress.close()


def _finish_row(row: dict, entries: list, log) -> None:
    """Wait for one video's stages and fill its report row: failed with the first error, or done with
    the seconds per stage and which stages were computed or found in the cache."""
    futs = [f for f in entries if not isinstance(f, StageRef)]
    wait(futs)
    name = row["name"]
    if not all(f.state.is_completed() for f in futs):
        row.update(status="failed", error=_error_of(futs))
        log.error("%s: failed: %s", name, row["error"])
        return
    secs: dict[str, float] = defaultdict(float)
    for f in entries:
        ref = f if isinstance(f, StageRef) else f.result()
        secs[ref.key.stage] += ref.seconds
        if ref.computed:
            row["computed_stages"].append(f"{ref.key.group}/{ref.key.stage}" +
                                          (f"/{ref.key.part}" if ref.key.part else ""))
        else:
            row["cached_stages"] += 1
    row.update(status="done", stage_seconds={k: round(v, 3) for k, v in secs.items()},
               seconds=round(sum(secs.values()), 3))
    log.info("%s: done (%d frames, %d shots; %d stages computed, %d cached)", name, row["frames"],
             row["shots"], len(row["computed_stages"]), row["cached_stages"])


def _submit_stages(v, job: JobConfig, cache: ZarrCache, computed_by: dict, rows: dict, log) -> list:
    """Submit the stages of probed video ``v`` (those without a completion marker) and fill the plan's
    fields of its report row; returns its stage futures and cached refs, the encode last. A copy of a
    video already planned (same content and hole) gets only its own encode."""
    cfg, name = job.inpaint, v.name
    if (first := computed_by.get(v.video_id)) is not None:
        # Same stage keys as the first copy, so they run once; only the encode, to its own output, is its own.
        first_name, composites, composite_fps = first
        rows[name].update(frames=v.frames, frames_with_hole=v.frames_with_hole, shots=len(v.shots),
                          windows=rows[first_name]["windows"], duplicate_of=first_name)
        log.info("%s: same content as %s: its stages are computed once", name, first_name)
        return [T.encode.submit(v, encode_key(v, composite_fps, cfg), composites, cfg, cache)]
    futs, composites, composite_fps = [], [], []
    n_windows = 0

    def done(key):
        """A ref for a stage whose marker exists (not submitted: no task, no Prefect overhead)."""
        return cached(cache, key, v.name)

    okey = overlay_key(v, cfg)
    o = None if okey is None else done(okey) or T.overlay.submit(v, okey, cfg, cache)
    if o is not None:
        futs.append(o)
    for shot in v.shots:
        plan = plan_shot(v, shot, cfg)
        d = done(plan.decode) or T.decode.submit(v, shot, plan.decode, cfg, cache)
        futs.append(d)
        prev = None
        for wk in plan.windows:
            n_windows += 1
            p = done(wk.composite)
            if p is not None:  # the window's output exists: its inner stages are not needed
                f = c = fi = None
            else:
                with _gpu(job):
                    f = done(wk.flow) or T.flow.submit(v, shot, wk, d, prev, cfg, cache)
                    c = done(wk.complete) or T.complete.submit(v, shot, wk, f, cfg, cache)
                    fi = done(wk.fill) or T.fill.submit(v, shot, wk, f, c, cfg, cache, o)
                p = T.composite.submit(v, shot, wk, d, prev, f, fi, cfg, cache)
            futs += [x for x in (f, c, fi, p) if x is not None]
            composites.append(p)
            composite_fps.append(wk.composite.fp)
            prev = p
    futs.append(T.encode.submit(v, encode_key(v, composite_fps, cfg), composites, cfg, cache))
    computed_by[v.video_id] = (name, composites, composite_fps)
    rows[name].update(frames=v.frames, frames_with_hole=v.frames_with_hole, shots=len(v.shots), windows=n_windows)
    return futs


@flow(name="inpaint-collection", log_prints=True, validate_parameters=True, task_runner=default_task_runner())
def inpaint_collection(job: JobConfig) -> list[dict]:
    """Inpaint every video of ``job.source`` into ``job.dest``; returns the per-video report rows."""
    log = get_run_logger()
    cfg, cache = job.inpaint, ZarrCache(job.cache_url)
    started = time.perf_counter()
    items = list_videos(job.source)
    rows: dict[str, dict] = {}
    todo = []
    for item in items:
        out = job.output_for(item.name)
        rows[item.name] = {"name": item.name, "output": out, "status": "pending", "frames": 0,
                           "frames_with_hole": 0, "frames_with_text": None, "text_frames": None, "shots": 0,
                           "windows": 0, "error": "", "note": "", "stage_seconds": {}, "computed_stages": [],
                           "cached_stages": 0, "seconds": 0.0, "mask_preview": "", "duplicate_of": ""}
        if exists(out) and not job.overwrite:
            rows[item.name]["status"] = "skipped"
            preview = job.mask_preview_for(item.name)
            if mask_of(item, cfg)[0] in DETECTED_MASKS and exists(preview):  # from the run that made it
                rows[item.name]["mask_preview"] = preview
            log.info("%s: %s exists, skipped (pass --overwrite to redo it)", item.name, out)
            continue
        todo.append(item)
    # This run's copies of remote sources, in a folder of its own: another job on the host that
    # reads the same source keeps its own copy, which this one's clean-up cannot pull away.
    holder = f"job-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # this run's name for its leases on videos in the cache
    scratch = os.path.join(scratch_dir(None), holder)
    source_of = {i.name: i.source for i in todo}
    in_work = Counter(source_of.values())  # remote sources' local copies, freed as their videos end

    def finished(name: str) -> None:
        """``name`` needs its source no more: the copy goes once no other pending video reads it."""
        source = source_of[name]
        in_work[source] -= 1
        if in_work[source] == 0:
            release(source, scratch)
            if not is_local(source):
                _on_workers(release, source, scratch)

    # A pool's evidence includes its finished videos, so its mask does not change as a re-run skips them.
    pool_of = {}
    for members in auto_mask_pools(items, cfg, job.auto_mask_pool):
        if any(rows[m.name]["status"] == "pending" for m in members):
            label = str(PurePosixPath(members[0].name).parent) if job.auto_mask_pool == "folder" else "job"
            fut = T.pool_masks.submit(members, cfg, cache, label, scratch)
            pool_of.update((m.name, fut) for m in members)
    if job.gpus <= 0:
        log.info("no GPUs advertised: GPU stages (%s) run on CPU workers", ", ".join(GPU_STAGES))
    probes, per_video, previews = {}, {}, {}  # previews: --mask auto or text, a PNG per video of its mask
    computed_by: dict[str, tuple] = {}  # video id -> (first video with that content, its composites, their fps)
    id_of, id_users = {}, Counter()  # video in work -> its id; id -> videos in work with it (copies share stages)

    def start(item) -> None:
        """Submit the probe of ``item`` (after its pool's detection, which may fail it)."""
        pool = None
        if (pf := pool_of.get(item.name)) is not None:
            pf.wait()
            outcome = pf.result() if pf.state.is_completed() else None
            error = _error_of([pf]) if outcome is None else outcome.errors.get(item.name)
            if error:
                rows[item.name].update(status="failed", error=error)
                log.error("%s: failed: %s", item.name, error)
                return
            pool = outcome.pools.get(item.name)
        probes[item.name] = T.probe.submit(item, job.output_for(item.name), cfg, cache, pool, scratch)

    def plan(name: str) -> None:
        """Wait for the probe of ``name`` and submit its stages (or fail its row)."""
        pf = probes.pop(name)
        pf.wait()
        if not pf.state.is_completed():
            rows[name].update(status="failed", error=_error_of([pf]))
            log.error("%s: failed: %s", name, rows[name]["error"])
            return
        v = pf.result()
        rows[name].update(_text_fields(v))
        if v.mask in DETECTED_MASKS:
            previews[name] = T.mask_preview.submit(v, cfg, cache, job.mask_preview_for(name))
        if id_users[v.video_id] == 0:  # before its markers are read: another job's clean-up waits for ours
            cache.take_lease(v.video_id, holder)
        id_of[name] = v.video_id
        id_users[v.video_id] += 1
        per_video[name] = _submit_stages(v, job, cache, computed_by, rows, log)

    def retire(name: str) -> None:
        """Wait for the stages of ``name``, fill its report row, remove its per-shot intermediates once
        done (unless ``keep_cache``) and free its source's copy."""
        if name in per_video:
            entries = per_video.pop(name)
            _follow({name: [f for f in entries if not isinstance(f, StageRef)]})
            _finish_row(rows[name], entries, log)
            vid = id_of.pop(name)
            id_users[vid] -= 1
            # a copy still in work reads this video's composites: its shots go when the last one ends
            if id_users[vid] == 0:
                cache.end_lease(vid, holder)
                if rows[name]["status"] == "done" and not job.keep_cache:
                    cache.drop_shots(vid)  # unless another job holds a lease on it
                    computed_by.pop(vid, None)  # a later copy computes them again
        if (fut := previews.pop(name, None)) is not None:
            fut.wait()
            if fut.state.is_completed():
                rows[name]["mask_preview"] = fut.result()
            else:  # the video's result does not depend on its preview
                log.warning("%s: no mask preview: %s", name, _error_of([fut]))
        finished(name)

    # A sliding window over the videos, in order: at most job.videos_in_work are probed (a remote
    # source downloaded) and not yet finished; the oldest is waited for, then the next one starts.
    # The report is rewritten as videos end (at most every REPORT_EVERY_S), "pending" for those not
    # ended yet, so a long job can be followed and a job that dies leaves what it finished.
    queue, active = deque(todo), deque()
    last_report = time.monotonic()
    try:
        while queue or active:
            while queue and len(active) < job.videos_in_work:
                item = queue.popleft()
                start(item)
                active.append(item.name)
            for name in active:
                if name in probes:
                    plan(name)
            retire(active.popleft())
            if (queue or active) and time.monotonic() - last_report >= REPORT_EVERY_S:
                write_report([rows[i.name] for i in items], job.report_prefix)
                last_report = time.monotonic()
    finally:  # what is left: the skipped videos a pooled detection read, or all of it when interrupted
        shutil.rmtree(scratch, ignore_errors=True)
        if any(not is_local(s) for s in source_of.values()):
            _on_workers(shutil.rmtree, scratch, True)
        for vid in {v for v, n in id_users.items() if n > 0}:
            with contextlib.suppress(Exception):  # the error that got here matters more
                cache.end_lease(vid, holder)
    out_rows = [rows[i.name] for i in items]
    write_report(out_rows, job.report_prefix)
    log.info("collection: %s in %.1f s", ", ".join(f"{sum(r['status'] == s for r in out_rows)} {s}"
                                                   for s in ("done", "skipped", "failed")),
             time.perf_counter() - started)
    return out_rows


def run_collection(job, cluster: str | None = None, workers: int | None = None) -> list[dict]:
    """Run ``inpaint_collection`` on Dask with one Prefect server; returns the report rows."""
    offline_env()
    with prefect_server():
        from prefect.settings import PREFECT_API_URL, temporary_settings

        if cluster:
            have = count_gpus(cluster)
            if job.gpus and not have:
                logging.getLogger("isvi.batch").warning("cluster %s advertises no GPU: GPU stages run on CPU", cluster)
            job = job.model_copy(update={"gpus": have})
        with temporary_settings(updates={PREFECT_API_URL: os.environ["PREFECT_API_URL"]}):
            runner = task_runner(cluster, workers, 0 if cluster else job.gpus)
            try:
                return inpaint_collection.with_options(task_runner=runner)(job=job)
            finally:
                from prefect.logging.handlers import APILogHandler

                APILogHandler().flush()  # send the run's last logs before the server stops
