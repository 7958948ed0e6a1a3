"""``mask: text`` in the batch: each video's per-frame text masks, detected once and cached.

The detection is a stage like the others: :func:`media.text.detect_text` (the same call, with
the same settings, as ``isvi inpaint --mask text``: the job's ``InpaintConfig.text`` made into a
:class:`media.text.TextParams` by :func:`tasks.config.text_params`) runs once per video, at its probe, and its
:class:`media.text.TextMasks` is written to the cache under :func:`text_key` (the video's
content id + the detector's settings and model); the decode stages and any re-run read it
back (each only the frames it needs: :func:`cached_text_reader`), through the same
``TextMasks.read``, so the holes are the ones ``isvi inpaint --mask text`` inpaints, bit for bit.

Stored compactly, as ``TextMasks`` holds them: one bit-packed mask per frame *with text*, at
the analysis size of the searched region for line boxes or at its full size for glyph masks
(``packed``, (k, bytes) uint8), and which frames those are (``has_text``, bool per frame); the
geometry that scales them back to the frame is in the group's attributes. The mask shape
(``TextParams.shape``) and the glyph settings are part of :func:`detector_settings`, so they
key the stage.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np

from storage.keys import bytes_fingerprint, sha256_json
from storage.zarr_cache import StageKey, ZarrCache
from tasks.keys import file_chunks, textmask_key

# Rows of packed masks per Zarr chunk (a 960x544 analysis mask packs to 64 KiB, a 1920x1080 glyph mask
# to 253 KiB).
PACKED_CHUNK = 64


@functools.lru_cache(maxsize=4)
def _model_fingerprint(path: str, mtime_ns: int, size: int) -> str:
    return bytes_fingerprint(file_chunks(Path(path)))[:16]


def model_fingerprint() -> str:
    """Content hash of the shipped detection model (another model, another mask)."""
    from media.text.model import model_path

    path = model_path()
    st = path.stat()
    return _model_fingerprint(str(path), st.st_mtime_ns, st.st_size)


def detector_settings(params) -> dict:
    """What the text masks found with ``params`` (a :class:`media.text.TextParams`) depend on, as JSON
    values: every field that changes the result (not ``chunk``, which only bounds memory) and the
    model's content."""
    conf = dataclasses.asdict(params)
    conf.pop("chunk", None)
    return {**conf, "model": model_fingerprint()}


def detector_fingerprint(params) -> str:
    """A short hash of :func:`detector_settings`: enters the video's content id for ``mask: text``."""
    return sha256_json(detector_settings(params))[:16]


def text_key(video_id: str, params) -> StageKey:
    """Where the text masks of video ``video_id`` (found with the :class:`media.text.TextParams` ``params``) live."""
    return textmask_key(video_id, detector_settings(params))


def write_text_masks(cache: ZarrCache, key: StageKey, masks, **marker_info) -> None:
    """Cache ``masks`` (a :class:`media.text.TextMasks`) under ``key``, marker last."""
    h, w = masks.shape
    has_text = masks.has_text
    nbytes = (h * w + 7) // 8
    packed = np.stack([p for p in masks.packed if p is not None]) if has_text.any() else np.zeros((0, nbytes), np.uint8)
    attrs = {"width": masks.width, "height": masks.height, "box": list(masks.box), "shape": list(masks.shape),
             "dilate_px": masks.dilate_px}
    cache.write(key, {"has_text": has_text, "packed": packed}, PACKED_CHUNK, attrs=attrs,
                frames_with_text=int(has_text.sum()), **marker_info)


def _text_masks(attrs: dict, packed: list):
    """A :class:`media.text.TextMasks` from a text-mask stage's attributes and per-frame packed masks."""
    from media.text import TextMasks

    return TextMasks(int(attrs["width"]), int(attrs["height"]), tuple(attrs["box"]), tuple(attrs["shape"]),
                     int(attrs["dilate_px"]), packed)


def read_text_masks(cache: ZarrCache, key: StageKey):
    """The :class:`media.text.TextMasks` of a finished text-mask stage."""
    arrays, attrs = cache.read(key, ["has_text", "packed"])
    rows = iter(arrays["packed"])
    return _text_masks(attrs, [next(rows) if t else None for t in np.asarray(arrays["has_text"], bool)])


def cached_text_reader(cache: ZarrCache, key: StageKey):
    """``read(start, stop) -> (n, H, W)`` holes of a finished text-mask stage that reads only the
    packed masks of frames ``[start, stop)`` from the cache (memory: the frames asked for, not
    the video), through :meth:`media.text.TextMasks.read`."""
    group = cache.open(key)
    attrs = dict(group.attrs)
    has_text = np.asarray(group["has_text"][:], bool)
    row = np.concatenate([[0], np.cumsum(has_text)])  # frame k's mask is packed row row[k]
    n = len(has_text)

    def read(start: int, stop: int) -> np.ndarray:
        start, stop = max(0, start), min(stop, n)
        masks = _text_masks(attrs, [None] * n)
        if stop > start and row[stop] > row[start]:
            rows = iter(group["packed"][int(row[start]):int(row[stop])])
            for k in np.flatnonzero(has_text[start:stop]) + start:
                masks.packed[k] = next(rows)
        return masks.read(start, stop)

    return read


def video_text_reader(cache: ZarrCache, video_id: str, local: str, params):
    """``read(start, stop) -> (n, H, W)``: the text holes of one video, detected now with ``params``
    (a :class:`media.text.TextParams`; once per video and detector settings, then cached) or read
    from the cache. ``local``: the video's local path or frame folder."""
    from media.text import detect_text
    from media.video import VideoSource

    key = text_key(video_id, params)
    if cache.is_complete(key):
        return cached_text_reader(cache, key)
    with VideoSource(local) as src:
        masks = detect_text(src, params)
    write_text_masks(cache, key, masks, source=str(local))
    return masks.read


def text_frames(cache: ZarrCache, video_id: str, params) -> np.ndarray:
    """Bool per frame of a video whose text masks (found with ``params``) are cached: whether the frame had text."""
    return np.asarray(cache.read(text_key(video_id, params), ["has_text"])[0]["has_text"], bool)


def frame_ranges(on: np.ndarray) -> str:
    """The frames ``on`` marks as inclusive ranges of frame indices (from 0): ``"12-40, 55, 60-61"``."""
    idx = np.flatnonzero(np.asarray(on, bool))
    if idx.size == 0:
        return ""
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts, stops = idx[np.r_[0, breaks + 1]], idx[np.r_[breaks, idx.size - 1]]
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in zip(starts.tolist(), stops.tolist()))
