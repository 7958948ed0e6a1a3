"""Per-video Zarr caches of stage outputs on any fsspec URL (local folder, ``file://``, ``s3://``).

Layout under the cache root::

    {root}/{video_id}/{group}/{stage}-{part}-{fp}.zarr/w-XXXX     one writer's stage output (a Zarr v3 group)
    {root}/{video_id}/{group}/{stage}-{part}-{fp}.complete.json   its completion marker, written last
    {root}/{video_id}/leases/{holder}.lease.json                    a job using the video's stages now

``video_id`` identifies the source content (and mask), ``group`` is ``shot-NNNN`` (or
``video`` for whole-video stages), ``part`` the window (``w0003``) and ``fp`` the stage
fingerprint (:mod:`storage.keys`). A stage counts as done only when its marker exists and
names its fingerprint; the marker names the writer whose data readers get. Each writer of a
key writes under a name of its own (two jobs on one cache, a retried task), so writers never
share a chunk and a reader never sees a half-written output; a writer that finds the key
completed by another when it finishes drops its own copy. Frame arrays are chunked along
time with writes that must cover whole chunks. Outputs written before writers had names
(no ``writer`` in the marker) are read from the ``.zarr`` group itself.

Credentials and endpoints never appear in configs: ``storage_options`` come from the
``ISVI_STORAGE_OPTIONS`` environment variable (JSON), or for ``s3://`` from the usual AWS
variables plus ``AWS_ENDPOINT_URL`` for S3-compatible servers.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

MARKER_SUFFIX = ".complete.json"
LEASE_SUFFIX = ".lease.json"
# A lease from another host cannot be checked for a live process: it counts for this long after it
# was taken (longer than any one video's run), then it is taken for a crashed job's.
LEASE_TTL_S = 2 * 24 * 3600.0


@dataclass(frozen=True)
class StageKey:
    """Address of one stage output; small and picklable, so tasks pass it instead of arrays."""

    video: str
    group: str
    stage: str
    part: str
    fp: str

    @property
    def name(self) -> str:
        return f"{self.stage}-{self.part}-{self.fp}" if self.part else f"{self.stage}-{self.fp}"

    @property
    def relpath(self) -> str:
        return f"{self.video}/{self.group}/{self.name}"


class StageComplete(ValueError):
    """A stage output was about to be created again although its completion marker exists."""


def storage_options_from_env(url: str) -> dict[str, Any]:
    """fsspec ``storage_options`` for ``url`` from the environment (never from configs)."""
    raw = os.environ.get("ISVI_STORAGE_OPTIONS")
    if raw:
        return json.loads(raw)
    if url.startswith(("s3://", "s3a://")):
        opts: dict[str, Any] = {}
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            opts["client_kwargs"] = {"endpoint_url": endpoint,
                                     "region_name": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
        return opts
    return {}


def is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def local_path(url: str) -> Path:
    return Path(url[len("file://"):] if url.startswith("file://") else url)


def get_fs(url: str, storage_options: Mapping[str, Any] | None = None):
    """(filesystem, path without protocol) for ``url``."""
    import fsspec

    if is_local(url):
        return fsspec.filesystem("file", auto_mkdir=True), str(local_path(url).resolve())
    opts = dict(storage_options_from_env(url) if storage_options is None else storage_options)
    fs, path = fsspec.core.url_to_fs(url, **opts)
    return fs, path


def put_bytes(fs, path: str, body: bytes) -> None:
    """Write ``body`` to ``path`` on ``fs`` so readers never see a partial file: a local file
    through a temporary sibling and a rename, an object store in its single (atomic) put."""
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    if "file" in protocols or "local" in protocols:
        from isvi_models.atomic import write_bytes

        write_bytes(path, body)
    else:
        fs.pipe_file(path, body)


def check_aligned(start: int, stop: int, chunk: int, length: int) -> None:
    """Raise ``ValueError`` unless frames ``[start, stop)`` cover whole chunks of ``chunk`` frames."""
    if start % chunk or (stop % chunk and stop != length):
        raise ValueError(f"write of frames [{start}, {stop}) is not aligned with {chunk}-frame chunks "
                         f"(array of {length} frames): concurrent writers could share a chunk")


class ZarrCache:
    """Stage outputs under one cache root URL. Cheap to construct; safe to pickle (holds only strings)."""

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None):
        self.url = url.rstrip("/")
        self.storage_options = dict(storage_options) if storage_options is not None else None
        self._fs = None
        self._writers: dict[StageKey, str] = {}  # stage outputs this object is writing -> writer name

    # -- plumbing ---------------------------------------------------------------
    @property
    def fs(self):
        if self._fs is None:
            self._fs, self._root = get_fs(self.url, self.storage_options)
        return self._fs

    @property
    def root(self) -> str:
        self.fs  # noqa: B018  (resolves _root)
        return self._root

    def __getstate__(self) -> dict:
        return {"url": self.url, "storage_options": self.storage_options, "_fs": None, "_writers": {}}

    def _store(self, key: StageKey, read_only: bool = False, writer: str | None = None):
        """The Zarr store of a stage output: ``<relpath>.zarr/<writer>`` (each writer its own; the
        marker names the one that counts), or ``<relpath>.zarr`` for outputs from before writers."""
        import zarr

        rel = f"{key.relpath}.zarr" + (f"/{writer}" if writer else "")
        if is_local(self.url):
            return zarr.storage.LocalStore(f"{self.root}/{rel}", read_only=read_only)
        opts = storage_options_from_env(self.url) if self.storage_options is None else self.storage_options
        return zarr.storage.FsspecStore.from_url(f"{self.url}/{rel}", storage_options=dict(opts), read_only=read_only)

    def marker_path(self, key: StageKey) -> str:
        return f"{self.root}/{key.relpath}{MARKER_SUFFIX}"

    # -- markers ----------------------------------------------------------------
    def complete_marker(self, key: StageKey) -> dict[str, Any] | None:
        """The marker when it exists and records this key's fingerprint, else None."""
        try:
            info = json.loads(self.fs.cat_file(self.marker_path(key)))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable marker: recompute rather than trust it
        return info if info.get("fp") == key.fp else None

    def is_complete(self, key: StageKey) -> bool:
        """True when the marker exists and records this key's fingerprint."""
        return self.complete_marker(key) is not None

    def marker(self, key: StageKey) -> dict[str, Any]:
        return json.loads(self.fs.cat_file(self.marker_path(key)))

    def mark_complete(self, key: StageKey, **info: Any) -> None:
        """Write the completion marker in one put (local: tmp + rename), after all data; it names
        this writer's data (see :meth:`create`). If another writer completed the key meanwhile,
        its marker stays and this writer's data, which no marker names, is removed."""
        writer = self._writers.pop(key, None)
        if writer is not None and self.is_complete(key):
            self.fs.rm(f"{self.root}/{key.relpath}.zarr/{writer}", recursive=True)
            return
        record = {**asdict(key), "created": time.time(), **info, **({"writer": writer} if writer else {})}
        put_bytes(self.fs, self.marker_path(key), json.dumps(record, sort_keys=True, default=str).encode())

    # -- data -------------------------------------------------------------------
    def create(self, key: StageKey, arrays: Mapping[str, tuple[tuple[int, ...], Any]], chunk_frames: int,
               attrs: Mapping[str, Any] | None = None):
        """Create (or recreate) a stage group with empty arrays ``name -> (shape, dtype)`` chunked by frames."""
        import zarr

        if self.is_complete(key):
            raise StageComplete(f"{key.relpath} is complete; refusing to overwrite it")
        # Each writer writes under a name of its own, so two writers of one key (two jobs on one
        # cache, a retried task still running) never touch each other's chunks; the marker,
        # written last, names the data readers get.
        writer = f"w-{uuid.uuid4().hex[:12]}"
        self._writers[key] = writer
        group = zarr.open_group(store=self._store(key, writer=writer), mode="w", zarr_format=3)
        group.attrs.update(dict(attrs or {}))
        dims = {3: ("t", "y", "x"), 4: ("t", "y", "x", "c")}
        for name, (shape, dtype) in arrays.items():
            chunks = (max(1, min(chunk_frames, shape[0] or 1)), *shape[1:])
            chunks = tuple(max(1, c) for c in chunks)
            group.create_array(name, shape=shape, chunks=chunks, dtype=dtype, fill_value=0,
                               dimension_names=dims.get(len(shape)))
        return group

    def write_frames(self, group, name: str, start: int, data: np.ndarray) -> None:
        """Write ``data`` at frames ``[start, start + len)``; the region must cover whole chunks."""
        arr = group[name]
        stop = start + data.shape[0]
        check_aligned(start, stop, arr.chunks[0], arr.shape[0])
        if data.shape[0]:
            arr[start:stop] = data

    def write(self, key: StageKey, arrays: Mapping[str, np.ndarray], chunk_frames: int,
              attrs: Mapping[str, Any] | None = None, **marker_info: Any) -> None:
        """Create the group, write whole arrays, then the marker. A stage already complete is left
        as it is: a key names its inputs, so a second writer (a duplicate video, a retried task,
        another job on this cache) would write the same content; it is not an error."""
        if self.is_complete(key):
            return
        try:
            group = self.create(key, {k: (v.shape, v.dtype) for k, v in arrays.items()}, chunk_frames, attrs)
        except StageComplete:  # completed by another writer since the check above
            return
        for name, value in arrays.items():
            self.write_frames(group, name, 0, value)
        self.mark_complete(key, shapes={k: list(v.shape) for k, v in arrays.items()}, **marker_info)

    def open(self, key: StageKey, marker: dict[str, Any] | None = None):
        """The stage output's group, as its marker (read here unless given) names it."""
        import zarr

        writer = (marker or self.complete_marker(key) or {}).get("writer")
        return zarr.open_group(store=self._store(key, read_only=True, writer=writer), mode="r", zarr_format=3)

    def read(self, key: StageKey, names: Iterable[str] | None = None,
             frames: slice = slice(None)) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays (optionally a frame range) and attrs of a complete stage output."""
        from isvi_models.errors import StageError

        marker = self.complete_marker(key)
        if marker is None:
            raise StageError(f"{self.url}/{key.relpath}: stage output is not complete")
        group = self.open(key, marker)
        names = list(names) if names is not None else [n for n, _ in group.arrays()]
        return {n: group[n][frames] for n in names}, dict(group.attrs)

    # -- listing and pruning ----------------------------------------------------
    def ls(self) -> list[dict[str, Any]]:
        """One row per stage output: video, group, stage, part, fp, complete."""
        fs, root = self.fs, self.root
        if not fs.exists(root):
            return []
        rows = []
        done = {p[len(root) + 1:-len(MARKER_SUFFIX)] for p in fs.glob(f"{root}/*/*/*{MARKER_SUFFIX}")}
        for p in sorted(fs.glob(f"{root}/*/*/*.zarr")):
            rel = p[len(root) + 1:-len(".zarr")]
            video, group, name = rel.split("/")
            stage, _, rest = name.partition("-")
            part, _, fp = rest.rpartition("-")
            rows.append({"video": video, "group": group, "stage": stage, "part": part, "fp": fp,
                         "complete": rel in done})
        return rows

    def sources(self) -> dict[str, list[str]]:
        """Video id -> the sources (paths or URLs) the batch probed under that id, read from the
        ``probe`` stage markers (which record them), so a cache can be listed by file name; then
        those of the ``encode`` markers, which name copies of one video under other names too
        (their stages are shared: one probe, one encode per output)."""
        fs, root = self.fs, self.root
        out: dict[str, list[str]] = {}
        if not fs.exists(root):
            return out
        for p in (sorted(fs.glob(f"{root}/*/video/probe-*{MARKER_SUFFIX}"))
                  + sorted(fs.glob(f"{root}/*/video/encode-*{MARKER_SUFFIX}"))):
            try:
                info = json.loads(fs.cat_file(p))
            except (OSError, ValueError):
                continue
            if info.get("source"):
                names = out.setdefault(info.get("video", p[len(root) + 1:].split("/")[0]), [])
                if info["source"] not in names:
                    names.append(info["source"])
        return out

    def encoded_videos(self) -> set[str]:
        """Ids of the videos with an ``encode`` marker (an output was written from this cache)."""
        fs, root = self.fs, self.root
        if not fs.exists(root):
            return set()
        return {p[len(root) + 1:].split("/")[0] for p in fs.glob(f"{root}/*/video/encode-*{MARKER_SUFFIX}")}

    # -- leases: which jobs use a video's stages now ----------------------------------
    def _lease_path(self, video: str, holder: str) -> str:
        return f"{self.root}/{video}/leases/{holder}{LEASE_SUFFIX}"

    def take_lease(self, video: str, holder: str) -> None:
        """Record that job ``holder`` (a name unique to one run) uses ``video``'s stages, so that
        another job's :meth:`drop_shots` leaves them alone until :meth:`end_lease`."""
        record = {"host": socket.gethostname(), "pid": os.getpid(), "taken": time.time()}
        put_bytes(self.fs, self._lease_path(video, holder), json.dumps(record).encode())

    def end_lease(self, video: str, holder: str) -> None:
        """Remove ``holder``'s lease on ``video`` (no error if there is none)."""
        try:
            self.fs.rm(self._lease_path(video, holder))
        except FileNotFoundError:
            pass

    def live_leases(self, video: str) -> list[str]:
        """Holders of the leases on ``video`` whose job may still run: on this host, those whose
        process is alive; from another host, those younger than ``LEASE_TTL_S``. A lease that
        cannot be read counts as live (keeping data is the safe mistake)."""
        return self.videos_in_use(video).get(video, [])

    def videos_in_use(self, video: str = "*") -> dict[str, list[str]]:
        """Video id -> holders of its live leases (see :meth:`live_leases`), for every video of the
        cache in one listing (or for ``video``)."""
        fs, root = self.fs, self.root
        live: dict[str, list[str]] = {}
        for p in sorted(fs.glob(f"{root}/{video}/leases/*{LEASE_SUFFIX}")):
            try:
                info = json.loads(fs.cat_file(p))
                alive = (_pid_alive(int(info["pid"])) if info.get("host") == socket.gethostname()
                         else time.time() - float(info["taken"]) < LEASE_TTL_S)
            except FileNotFoundError:
                continue  # ended while listed
            except (OSError, ValueError, KeyError, TypeError):
                alive = True
            if alive:
                vid, _, name = p[len(root) + 1:].partition("/leases/")
                live.setdefault(vid, []).append(name[:-len(LEASE_SUFFIX)])
        return live

    def drop_shots(self, video: str) -> int:
        """Remove the per-shot stage outputs of ``video`` (decode, flow, completion, fill, composite: all
        but its ``video`` group's probe, detected masks and encode); returns the shot groups removed.
        Markers go first, so an interrupted removal leaves unfinished outputs, never a marker without data.

        Nothing is removed while another job holds a live lease on the video (:meth:`live_leases`;
        the caller ends its own lease first). The leases are read again after the markers are gone:
        a job that took one in between finds the data still there (or, having read no marker,
        computes the stages again)."""
        fs, root = self.fs, self.root
        if self.live_leases(video):
            return 0
        groups = [g for g in fs.glob(f"{root}/{video}/shot-*") if fs.isdir(g)]
        for g in groups:
            for marker in fs.glob(f"{g}/*{MARKER_SUFFIX}"):
                fs.rm(marker)
        if self.live_leases(video):
            return 0
        for g in groups:
            fs.rm(g, recursive=True)
        return len(groups)

    def clear(self, video: str | None = None, incomplete_only: bool = False, keep: Iterable[str] = ()) -> int:
        """Remove one video's cache, all of it, or only outputs without a marker, except the videos in
        ``keep``; returns outputs removed."""
        fs, root = self.fs, self.root
        keep = set(keep)
        rows = [r for r in self.ls() if (video is None or r["video"] == video) and r["video"] not in keep]
        if incomplete_only:
            rows = [r for r in rows if not r["complete"]]
            for r in rows:
                fs.rm(f"{root}/{r['video']}/{r['group']}/{r['stage']}-" + (f"{r['part']}-" if r["part"] else "")
                      + f"{r['fp']}.zarr", recursive=True)
            return len(rows)
        targets = [f"{root}/{video}"] if video else [p for p in fs.ls(root, detail=False)] if fs.exists(root) else []
        targets = [t for t in targets if t.rstrip("/").rsplit("/", 1)[-1] not in keep]
        for t in targets:
            if fs.exists(t):
                fs.rm(t, recursive=True)
        return len(rows)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
