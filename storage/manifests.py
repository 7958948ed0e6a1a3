"""What a batch job works on: a folder, a glob, an fsspec URL, or a manifest (CSV or JSONL).

Manifest columns (CSV header or JSONL keys):

``video``   path or URL of the video (relative paths are relative to the manifest's folder)
``mask``    its own mask (image, folder, mask video, ``auto`` or ``text``); empty, or ``static``, uses
            the job's mask
``boxes``   its own rectangles ``X,Y,W,H`` separated by ``;`` (JSONL: a list of strings)
``output``  output name relative to the destination (default: the video's own relative name)

Listing is pure of side effects; bad input raises :class:`InputError` naming the file (and row).
"""

from __future__ import annotations

import csv
import glob as globlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from isvi_models.errors import InputError
from storage.zarr_cache import get_fs, is_local, local_path

VIDEO_EXTS = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".nut", ".mpg", ".mpeg", ".m4v", ".ts")
MANIFEST_EXTS = (".csv", ".jsonl")
DETECTED_MASKS = ("auto", "text")  # mask values that name a detection, not a file


@dataclass(frozen=True)
class VideoItem:
    """One video of a job: where it is, its own mask (if any), and its output name."""

    source: str                      # local path or fsspec URL
    name: str                        # output name relative to the destination (posix)
    mask: str | None = None          # None: the job's mask
    boxes: tuple[str, ...] = ()      # rectangles of this video (in addition to its mask)
    own_mask: bool = False           # True when the manifest describes this video's mask


def _is_glob(s: str) -> bool:
    return any(c in s for c in "*?[")


def _video_like(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in VIDEO_EXTS


def list_videos(source: str) -> list[VideoItem]:
    """Videos named by ``source`` (folder, glob, fsspec URL or manifest), sorted by output name."""
    if source.lower().endswith(MANIFEST_EXTS):
        return read_manifest(source)
    if is_local(source):
        path = local_path(source)
        if _is_glob(str(path)):
            root = Path(str(path).split("*")[0].split("?")[0].split("[")[0])
            root = root if root.is_dir() else root.parent
            hits = sorted(Path(p) for p in globlib.glob(str(path), recursive=True))
            items = [VideoItem(str(p), p.relative_to(root).as_posix()) for p in hits if p.is_file()]
        elif path.is_dir():
            items = [VideoItem(str(p), p.relative_to(path).as_posix())
                     for p in sorted(path.rglob("*")) if p.is_file() and _video_like(p.name)
                     and not p.name.startswith(".")]
        elif path.is_file():
            items = [VideoItem(str(path), path.name)]
        else:
            raise InputError(path, "no such file, folder or glob match")
    else:
        fs, root = get_fs(source)
        protocol = source.split("://", 1)[0]
        if _is_glob(root):
            base = root.split("*")[0].rsplit("/", 1)[0]
            hits = sorted(fs.glob(root))
        elif fs.isfile(root):
            base, hits = root.rsplit("/", 1)[0], [root]
        else:
            base, hits = root.rstrip("/"), sorted(fs.find(root))
        items = [VideoItem(f"{protocol}://{h}", h[len(base) + 1:]) for h in hits
                 if _video_like(h) and not PurePosixPath(h).name.startswith(".")]
    items = [i for i in items if _video_like(i.source) or Path(i.source).is_dir()]
    if not items:
        raise InputError(source, "holds no video files (" + ", ".join(VIDEO_EXTS) + ")")
    return items


def _resolve(ref: str, base: str) -> str:
    if "://" in ref or os.path.isabs(ref):
        return ref
    return f"{base.rstrip('/')}/{ref}" if "://" in base else str(Path(base) / ref)


def _row_item(row: dict, where: str, base: str) -> VideoItem:
    video = (row.get("video") or "").strip() if isinstance(row.get("video"), str) else row.get("video")
    if not video:
        raise InputError(where, "row has no 'video'")
    mask = row.get("mask") or None
    mask = mask.strip() if isinstance(mask, str) else mask
    boxes = row.get("boxes") or ""
    if isinstance(boxes, str):
        boxes = tuple(b.strip() for b in boxes.split(";") if b.strip())
    elif isinstance(boxes, list):
        boxes = tuple(str(b) for b in boxes)
    else:
        raise InputError(where, f"'boxes' must be a string or a list, got {boxes!r}")
    if mask in ("static", ""):
        mask = None
    own = mask is not None or bool(boxes)
    src = _resolve(video, base)
    name = (row.get("output") or "").strip() or PurePosixPath(video).name
    # "auto" and "text" are detections, not files next to the manifest.
    return VideoItem(src, name, _resolve(mask, base) if mask and mask not in DETECTED_MASKS else mask, boxes, own)


def read_manifest(path: str) -> list[VideoItem]:
    """Rows of a CSV or JSONL manifest (see module docstring)."""
    try:
        if is_local(path):
            text = local_path(path).read_text()
            base = str(local_path(path).resolve().parent)
        else:
            fs, p = get_fs(path)
            text = fs.cat_file(p).decode()
            base = path.rsplit("/", 1)[0]
    except FileNotFoundError:
        raise InputError(path, "manifest does not exist") from None
    except UnicodeDecodeError:
        raise InputError(path, "manifest is not UTF-8 text") from None
    items = []
    if path.lower().endswith(".csv"):
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "video" not in reader.fieldnames:
            raise InputError(path, "CSV manifest needs a header with a 'video' column")
        for n, row in enumerate(reader, start=2):
            items.append(_row_item(row, f"{path}:{n}", base))
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}", f"is not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise InputError(f"{path}:{n}", "each line must be a JSON object")
            items.append(_row_item(row, f"{path}:{n}", base))
    names = [i.name for i in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(path, f"two rows write the same output: {', '.join(dupes)}")
    if not items:
        raise InputError(path, "manifest has no rows")
    return items


def _scratch_folder(url: str, scratch: str | os.PathLike) -> Path:
    return Path(scratch) / hashlib.sha256(url.encode()).hexdigest()[:16]


def localize(url: str, scratch: str | os.PathLike) -> Path:
    """A local path for ``url``: itself when local, else a copy under ``scratch`` (atomic, reused
    until :func:`release` removes it)."""
    if is_local(url):
        return local_path(url)
    fs, p = get_fs(url)
    dest = _scratch_folder(url, scratch) / PurePosixPath(p).name
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        fs.get_file(p, str(tmp))
    except FileNotFoundError:
        raise InputError(url, "no such object") from None
    os.replace(tmp, dest)
    return dest


def release(url: str, scratch: str | os.PathLike) -> None:
    """Remove the copy :func:`localize` made of ``url`` under ``scratch`` (nothing for a local ``url``
    or one never copied), so a batch over remote sources holds only the videos still in work."""
    if not is_local(url):
        shutil.rmtree(_scratch_folder(url, scratch), ignore_errors=True)


def publish(local_file: Path, dest_url: str) -> None:
    """Move a finished local file onto ``dest_url`` (local: rename; object stores: one upload)."""
    if is_local(dest_url):
        target = local_path(dest_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local_file, target)  # same filesystem expected (callers write beside the target)
        return
    fs, p = get_fs(dest_url)
    if local_file.is_dir():
        fs.put(str(local_file), p, recursive=True)
        shutil.rmtree(local_file, ignore_errors=True)
    else:
        fs.put_file(str(local_file), p)
        local_file.unlink(missing_ok=True)


def exists(url: str) -> bool:
    if is_local(url):
        return local_path(url).exists()
    fs, p = get_fs(url)
    return fs.exists(p)
