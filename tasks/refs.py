"""What the batch's stage tasks pass each other: small refs, and the one skip-or-compute rule.

Tasks pass refs (:class:`StageRef`, :class:`VideoRef`), never arrays: frames live in the Zarr
cache and never travel through the Dask scheduler or Prefect results.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storage.manifests import localize
from storage.zarr_cache import StageComplete, StageKey, ZarrCache, is_local

log = logging.getLogger("isvi.batch")


@dataclass(frozen=True)
class ShotSpec:
    index: int
    start: int   # absolute frame range of the shot in the video
    stop: int


@dataclass(frozen=True)
class VideoRef:
    """A probed video: identity, geometry, shots and where its output goes."""

    name: str               # output name relative to the destination
    source: str             # URL or path as given
    local: str              # local path of the source (a downloaded copy for remote URLs)
    output: str             # destination URL or path of the result
    video_id: str           # content hash of the source and its mask
    mask: str | None
    boxes: tuple[str, ...]
    frames: int
    width: int
    height: int
    fps: str
    is_folder: bool
    shots: tuple[ShotSpec, ...]
    passthrough: bool       # empty mask: copy through
    mask_pool: str | None = None  # id of the pooled auto mask it uses (None: its own)
    frames_with_hole: int | None = None  # frames the mask has a hole in (an auto mask: those showing the overlay)
    frames_with_text: int | None = None  # a text mask: how many frames had text; else None
    text_frames: str | None = None  # a text mask: the frames with text, as ranges ("12-40, 55-60"); else None

    def local_file(self) -> str:
        """The source as a local file on this host: ``local``, copied in again from ``source`` when
        this host has no copy (a Dask worker on another host than the probe's, or after the
        flow released the copy), at the same path (``storage.manifests.localize``)."""
        if is_local(self.source) or os.path.exists(self.local):
            return self.local
        return str(localize(self.source, Path(self.local).parent.parent))


@dataclass(frozen=True)
class StageRef:
    """A finished stage output: its cache key, whether this run computed it, and how long that took."""

    key: StageKey
    video: str
    computed: bool
    seconds: float
    passthrough: bool = False
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def cached(cache: ZarrCache, key: StageKey, video: str) -> StageRef | None:
    """The ref of a stage whose completion marker exists, else None: the one place that decides
    "already done" (the flow uses it to skip submitting, a task to skip computing)."""
    marker = cache.complete_marker(key)
    if marker is None:
        return None
    return StageRef(key, video, computed=False, seconds=0.0, passthrough=bool(marker.get("passthrough")))


def run_stage(cache: ZarrCache, key: StageKey, video: str, compute: Callable[[], dict | None]) -> StageRef:
    """Skip when the key's marker exists, else ``compute()`` (which writes data and marker)."""
    done = cached(cache, key, video)
    if done is not None:
        log.info("%s: %s %s %s cached", video, key.group, key.stage, key.part)
        return done
    t0 = time.perf_counter()
    try:
        info = compute() or {}
    except StageComplete:  # another writer finished the same key meanwhile: its output is ours
        log.info("%s: %s %s %s completed by another writer", video, key.group, key.stage, key.part)
        return cached(cache, key, video)
    seconds = time.perf_counter() - t0
    log.info("%s: %s %s %s computed in %.2f s", video, key.group, key.stage, key.part, seconds)
    return StageRef(key, video, computed=True, seconds=seconds, passthrough=bool(info.get("passthrough")))
