"""Prefect tasks around the batch's stage functions (:mod:`tasks.probe`, :mod:`tasks.automask`,
:mod:`tasks.stages`): one per stage, each a thin call, with run names that say which shot/window.

Retries cover transient I/O only (object-store hiccups); bad input fails at once.
"""

from __future__ import annotations

from prefect import task

from tasks import automask, probe as probing, stages


def transient_io_only(task, task_run, state) -> bool:
    """Retry on connection problems and timeouts, never on bad input or bugs."""
    try:
        state.result()
    except (ConnectionError, TimeoutError):
        return True
    except Exception as exc:  # botocore/aiohttp errors do not subclass ConnectionError
        return type(exc).__name__ in ("EndpointConnectionError", "ClientConnectorError", "ReadTimeoutError")
    return False


RETRY = dict(retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=transient_io_only)


@task(name="pool-masks", task_run_name="pool-masks-{label}", **RETRY)
def pool_masks(items, cfg, cache, label, scratch=None):
    """One ``--mask auto`` detection over a pool of videos (``label`` names the pool in the UI);
    remote sources are copied under ``scratch`` (default: the temp folder's ``isvi-sources``)."""
    return automask.detect_pool_masks(items, cfg, cache, scratch=scratch)


@task(name="probe", task_run_name="probe-{item.name}", **RETRY)
def probe(item, output, cfg, cache, mask_pool=None, scratch=None):
    """Identity, mask checks and shots (``cfg``'s shot settings) of one video; a remote source is
    copied under ``scratch`` (default: the temp folder's ``isvi-sources``)."""
    return probing.probe_video(item, output, cfg, cache, mask_pool=mask_pool, scratch=scratch)


@task(name="mask-preview", task_run_name="mask-preview-{v.name}", **RETRY)
def mask_preview(v, cfg, cache, url):
    """A PNG of one video's frame with its (auto) mask tinted, for the report's folder."""
    return automask.write_mask_preview(v, cfg, cache, url)


@task(name="decode", task_run_name="decode-{v.name}-shot{shot.index}", **RETRY)
def decode(v, shot, key, cfg, cache):
    """Frames and grown holes of one shot into the cache."""
    return stages.decode_shot(v, shot, key, cfg, cache)


@task(name="overlay", task_run_name="overlay-{v.name}", **RETRY)
def overlay(v, key, cfg, cache):
    """The video's semi-transparent overlay, estimated from frames over all its shots."""
    return stages.overlay_video(v, key, cfg, cache)


@task(name="flow", task_run_name="flow-{v.name}-shot{shot.index}-w{wk.window.index}", **RETRY)
def flow(v, shot, wk, decode, prev, cfg, cache):
    """Working crop and raw forward/backward flow of one window (GPU stage)."""
    return stages.flow_window(v, wk.window, wk.flow, decode, prev, cfg, cache)


@task(name="complete", task_run_name="complete-{v.name}-shot{shot.index}-w{wk.window.index}", **RETRY)
def complete(v, shot, wk, flow, cfg, cache):
    """Flow completion of one window (GPU stage)."""
    return stages.complete_window(v, wk.complete, flow, cfg, cache)


@task(name="fill", task_run_name="fill-{v.name}-shot{shot.index}-w{wk.window.index}", **RETRY)
def fill(v, shot, wk, flow, complete, cfg, cache, overlay=None):
    """Propagation, fusion and reconstruction of one window (GPU stage)."""
    return stages.fill_window(v, wk.fill, flow, complete, cfg, cache, overlay)


@task(name="composite", task_run_name="composite-{v.name}-shot{shot.index}-w{wk.window.index}", **RETRY)
def composite(v, shot, wk, decode, prev, flow, fill, cfg, cache):
    """Full-resolution frames of one window."""
    return stages.composite_window(v, wk.window, wk.composite, decode, prev, flow, fill, cfg, cache)


@task(name="encode", task_run_name="encode-{v.name}", **RETRY)
def encode(v, key, composites, cfg, cache):
    """The video reassembled from its shots, with the source's audio, published atomically."""
    return stages.encode_video(v, key, composites, cfg, cache)
