"""Reading and writing videos and frame folders.

PyAV probes the container (the exact rational frame rate, the audio/subtitle streams, the
pixel format), decodes frames (``media.decode.FrameCursor``, which holds no more than it is
asked for), encodes (libx264, ffv1) and stream-copies audio and subtitles, which OpenCV
cannot. decord (the maintained ``decord2`` build) counts the frames; each frame's
presentation time comes from the packets.

Outputs are written under a temporary name beside the destination and renamed only when
complete, so a failed or interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from isvi_models.atomic import remove_dead_siblings, rename_no_replace, temp_sibling
from isvi_models.errors import ConfigError, InputError
from media.decode import FrameCursor
from media.h264 import h264_format
from media.native import NativeFrames

log = logging.getLogger("isvi.video")

TIMESTAMPS_FILE = "timestamps.txt"  # written beside a frame-folder output's PNGs
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
LOSSLESS_CONTAINERS = (".mkv", ".avi", ".nut")


@dataclass(frozen=True)
class VideoInfo:
    """What a consumer needs to know about an input before reading pixels."""

    path: Path
    frames: int
    width: int
    height: int
    fps: Fraction
    is_folder: bool = False
    extra_streams: tuple[str, ...] = field(default=())  # e.g. ("audio:aac", "subtitle:mov_text")
    # Presentation time of every frame, in display order, in units of ``time_base`` (a file's
    # own; None for frame folders, or a file whose packets do not give one time per frame):
    # outputs keep them, so a variable frame rate stays variable and audio stays in sync.
    pts: tuple[int, ...] | None = field(default=None, repr=False, compare=False)
    time_base: Fraction | None = None
    pix_fmt: str | None = None  # the input's pixel format (e.g. yuv420p, yuv444p, yuv420p10le)

    def frame_time(self, i: int) -> float:
        """Presentation time of frame ``i`` in seconds (the input's own, else ``i / fps``)."""
        if self.pts is not None:
            return float(self.pts[i] * self.time_base)
        return float(i / Fraction(self.fps))


def list_frame_files(folder: Path) -> list[Path]:
    """Image files of a frame folder in lexical order (00000.png, 00001.png, ...)."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def read_image(path: Path, flags: int | None = None) -> np.ndarray:
    """Read an image file as uint8 RGB (or grey with ``flags=cv2.IMREAD_GRAYSCALE``; RGBA when
    ``flags=cv2.IMREAD_UNCHANGED`` and the file has alpha)."""
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR if flags is None else flags)
    if img is None:
        raise InputError(path, "cannot be read as an image")
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA if img.shape[-1] == 4 else cv2.COLOR_BGR2RGB)


def _reason(exc: Exception) -> str:
    """What went wrong, in words: FFmpeg's message without the errno and path PyAV adds, or the
    first line of decord's without its C++ source location (``[12:00:00] /src/...cc:123: ``) and
    without the C++ of a failed check."""
    import re

    text = getattr(exc, "strerror", None) or str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = re.sub(r"^\[[\d:]+\]\s*\S+:\d+:\s*", "", str(text))
    text = re.sub(r"^\s*\w*Error:\s*", "", text)
    if text.startswith("Check failed:"):  # a failed assertion in decord's C++, which says nothing to a user
        text = "its video stream cannot be decoded"
    return text.strip() or type(exc).__name__


class VideoSource:
    """Random-access reader over a video file or a folder of frames, yielding uint8 RGB."""

    def __init__(self, path: str | os.PathLike, folder_fps: Fraction = Fraction(25)):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(self.path, "no such file or folder")
        self._cursor: FrameCursor | None = None
        self._files: list[Path] = []
        if self.path.is_dir():
            self.info = self._probe_folder(folder_fps)
        else:
            self.info = self._probe_file()

    # -- probing -----------------------------------------------------------------
    def _probe_folder(self, fps: Fraction) -> VideoInfo:
        self._files = list_frame_files(self.path)
        if not self._files:
            raise InputError(self.path, "folder holds no image frames (png, jpg, bmp, tif, webp)")
        first = read_image(self._files[0])
        h, w = first.shape[:2]
        return VideoInfo(self.path, len(self._files), w, h, Fraction(fps), is_folder=True)

    def _probe_file(self) -> VideoInfo:
        import av
        import decord

        # decord's own FFmpeg would print its complaints about a damaged file on stderr, many lines
        # of them; what went wrong is reported in one line instead
        decord.logging.set_level(decord.logging.QUIET)
        try:
            with av.open(str(self.path)) as container:
                vstreams = container.streams.video
                if not vstreams:
                    raise InputError(self.path, "has no video stream")
                vs = vstreams[0]
                rate = vs.average_rate or vs.guessed_rate or vs.base_rate
                extra = tuple(
                    f"{s.type}:{s.codec_context.name if s.codec_context else '?'}"
                    for s in container.streams
                    if s.type in ("audio", "subtitle")
                )
                time_base = Fraction(vs.time_base) if vs.time_base else None
                pix_fmt = vs.codec_context.pix_fmt if vs.codec_context else None
                # packets only (no decoding): one presentation time per frame. decord's own
                # frame timestamps would save this pass but are not always set (seen: all
                # AV_NOPTS_VALUE on a short MKV whose stream has no start time).
                pts = sorted(pk.pts for pk in container.demux(vs) if pk.pts is not None and pk.size)
        except InputError:
            raise
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(self.path, f"is not a readable video ({_reason(exc)})") from None
        # decord counts the frames (its frames are read by FrameCursor, media.decode, not by decord)
        try:
            reader = decord.VideoReader(str(self.path), ctx=decord.cpu(0), num_threads=0)
            n = len(reader)
            if rate is None:
                rate = Fraction(reader.get_avg_fps()).limit_denominator(1001)
            del reader
        except Exception as exc:  # decord raises its own DECORDError and RuntimeError
            raise InputError(self.path, f"is not a readable video ({_reason(exc)})") from None
        if n == 0:
            raise InputError(self.path, "has zero video frames")
        if len(pts) != n or time_base is None or len(set(pts)) != n:
            if pts:
                log.warning("%s: %d frames but %d packet times; the output gets a constant %s fps", self.path, n,
                            len(pts), rate)
            pts, time_base = None, None
        pts = None if pts is None else tuple(pts)
        self._cursor = FrameCursor(self.path, n, pts)
        try:
            h, w = self._cursor.read(0, 1).shape[1:3]
        except Exception as exc:
            raise InputError(self.path, f"is not a readable video ({_reason(exc)})") from None
        return VideoInfo(self.path, n, w, h, Fraction(rate), extra_streams=extra, pts=pts, time_base=time_base,
                         pix_fmt=pix_fmt)

    # -- reading -----------------------------------------------------------------
    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``[start, stop)`` as uint8 (n, H, W, 3) RGB."""
        start, stop = max(0, start), min(stop, self.info.frames)
        if stop <= start:
            return np.zeros((0, self.info.height, self.info.width, 3), np.uint8)
        if self._files:
            frames = [read_image(p) for p in self._files[start:stop]]
            for p, f in zip(self._files[start:stop], frames):
                if f.shape[:2] != (self.info.height, self.info.width):
                    raise InputError(p, f"frame is {f.shape[1]}x{f.shape[0]}, the first frame is "
                                        f"{self.info.width}x{self.info.height}")
            return np.stack(frames)
        try:
            return self._cursor.read(start, stop)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(self.path, f"decoding frames {start}-{stop - 1} failed ({_reason(exc)})") from None

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()

    def __enter__(self) -> "VideoSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_video(path: str | os.PathLike, folder_fps: Fraction = Fraction(25)) -> tuple[np.ndarray, VideoInfo]:
    """Whole video (or frame folder) in memory: for short clips, tests and benchmarks."""
    with VideoSource(path, folder_fps) as src:
        return src.read(0, src.info.frames), src.info


# ---------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------
def replace_path(tmp: Path, dest: Path, overwrite: bool = True) -> None:
    """Move a finished ``tmp`` onto ``dest``; an existing folder is moved aside first. Without
    ``overwrite`` the rename never replaces anything: a ``dest`` that appeared meanwhile (another
    run writing the same output) is an :class:`InputError` and is left whole."""
    if not overwrite:
        try:
            rename_no_replace(tmp, dest)
        except FileExistsError:
            raise InputError(dest, "appeared while this run was writing it (another run?); it was left as "
                                   "it is and this run's result dropped") from None
        return
    if dest.is_dir() and not dest.is_symlink():
        old = temp_sibling(dest, ".old")
        os.replace(dest, old)
        os.replace(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, dest)


class FrameWriter:
    """Writes frames incrementally to a video file or a PNG folder, atomically.

    ``write`` may be called many times (bounded memory for long videos); ``commit``
    finalises (muxing the source's audio and subtitle streams for video outputs) and
    renames onto ``dest``. ``copy_streams_from`` is the input video the frames are made from:
    its audio and subtitles are copied and an FFV1 output keeps its YUV/grey pixel format and
    its samples outside the hole (``media.native``); without it FFV1 is packed RGB. ``abort``
    removes everything written so far. With ``overwrite=False`` the final rename never replaces a
    ``dest`` that appeared meanwhile.
    File-system errors (read-only folder, disk full) are one-line :class:`InputError` naming ``dest``.
    """

    def __init__(self, dest: str | os.PathLike, info: VideoInfo, *, codec: str = "h264", crf: int = 18,
                 preset: str = "medium", copy_streams_from: Path | None = None, overwrite: bool = True):
        self.dest = Path(dest)
        self.overwrite = overwrite
        self.info = info
        self.count = 0
        self.copy_from = copy_streams_from
        self.is_folder = self.dest.suffix == ""
        self._native: NativeFrames | None = None
        self._pad = (0, 0)  # rows, columns added at the bottom/right (an odd-sized input in H.264)
        if not self.dest.parent.exists():
            raise InputError(self.dest.parent, "output folder does not exist")
        for stale in remove_dead_siblings(self.dest):
            log.info("%s: removed %s, left by a run that was killed", self.dest, stale.name)
        if self.is_folder:
            try:
                self._tmp = temp_sibling(self.dest)
                self._tmp.mkdir()
            except OSError as exc:
                raise self._write_error(exc) from None
            self._container = None
            return
        if codec == "ffv1" and self.dest.suffix.lower() not in LOSSLESS_CONTAINERS:
            raise ConfigError(f"codec: ffv1 needs a .mkv, .avi or .nut output, not {self.dest.suffix}")
        import av

        try:
            self._tmp = temp_sibling(self.dest, self.dest.suffix)
            self._container = av.open(str(self._tmp), "w")
        except OSError as exc:  # PyAV's errors from the file system are OSErrors too
            raise self._write_error(exc) from None
        except (av.error.FFmpegError, ValueError):
            raise InputError(self.dest, f"no video format writes {self.dest.suffix!r} files; use .mp4, .mkv, "
                                        ".mov or .avi, or a folder name without a suffix") from None
        if codec == "h264":
            stream = self._container.add_stream("libx264", rate=info.fps)
            stream.pix_fmt, width, height = h264_format(info)
            stream.options = {"crf": str(crf), "preset": preset}
            self._pad = (height - info.height, width - info.width)
        elif codec == "ffv1":
            stream = self._container.add_stream("ffv1", rate=info.fps)
            # the input's own YUV/grey format and depth, its samples kept outside the hole (media.native);
            # else packed RGB: a bit-exact round trip of the RGB frames
            self._native = NativeFrames.open_for(copy_streams_from, info, stream)
            if self._native is None:
                stream.pix_fmt = "bgr0"
        else:
            raise ConfigError(f"codec: must be 'h264' or 'ffv1', got {codec!r}")
        stream.width, stream.height = info.width + self._pad[1], info.height + self._pad[0]
        if info.pts is not None:  # the input's own time base, so its frame times are kept exactly
            stream.time_base = stream.codec_context.time_base = info.time_base
        else:
            stream.time_base = 1 / Fraction(info.fps)
        self._stream = stream
        self._copier = (_StreamCopier(copy_streams_from, self._container, keep_times=info.pts is not None)
                        if copy_streams_from else None)
        if self._copier is not None and self._copier.video is not None:
            _copy_tags(self._copier.video, stream)  # the re-encoded video keeps the source's tags too

    def _write_error(self, exc: OSError) -> InputError:
        """A file-system error while writing (read-only folder, disk full) as a one-line error
        naming the output, not the temporary file."""
        return InputError(self.dest, f"cannot be written ({exc.strerror or exc})")

    def write(self, frames: np.ndarray) -> None:
        """Append uint8 RGB frames (n, H, W, 3)."""
        try:
            self._write(frames)
        except OSError as exc:
            raise self._write_error(exc) from None

    def _write(self, frames: np.ndarray) -> None:
        import cv2

        for frame in frames:
            if self._container is None:
                path = self._tmp / f"{self.count:05d}.png"
                # encoded here and written by Python, so a full disk is an OSError, not a libpng message
                ok, png = cv2.imencode(".png", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
                if not ok:
                    raise InputError(self.dest, f"frame {self.count} could not be encoded as PNG")
                path.write_bytes(png.tobytes())
            else:
                import av

                if self._pad != (0, 0):
                    frame = np.pad(frame, ((0, self._pad[0]), (0, self._pad[1]), (0, 0)), mode="edge")
                vf = (self._native.frame(frame) if self._native is not None
                      else av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24"))
                if self.info.pts is not None:
                    vf.pts, vf.time_base = self.info.pts[self.count], self.info.time_base
                else:
                    vf.pts = self.count
                for packet in self._stream.encode(vf):
                    self._container.mux(packet)
                if self._copier is not None:  # keep audio interleaved with the video written so far
                    self._copier.mux_until(self.info.frame_time(self.count))
            self.count += 1

    def finish(self, expected: int, source: str | os.PathLike) -> Path:
        """Commit after checking that ``expected`` frames were written; otherwise an
        :class:`InputError` naming ``source`` (the writer is then aborted by ``__exit__``)."""
        if self.count != expected:
            raise InputError(source, f"gave {self.count} frames, expected {expected}")
        return self.commit()

    def commit(self) -> Path:
        """Finish the file (flush the encoder, mux the rest of the source's streams) and rename it
        onto ``dest``."""
        try:
            self._commit()
        except OSError as exc:
            raise self._write_error(exc) from None
        return self.dest

    def _commit(self) -> None:
        if self._container is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            if self._copier is not None:
                self._copier.mux_until(float("inf"))
                self._copier.close()
            if self._native is not None:
                self._native.close()
            self._container.close()
            self._container = None
        elif self.info.pts is not None:
            # beside the frames, each frame's presentation time (mkvmerge's "timestamp format v2",
            # milliseconds), so a variable frame rate is not lost in a frame folder
            times = "".join(f"{self.info.frame_time(i) * 1000:.3f}\n" for i in range(self.count))
            (self._tmp / TIMESTAMPS_FILE).write_text("# timestamp format v2\n" + times)
        replace_path(self._tmp, self.dest, self.overwrite)

    def abort(self) -> None:
        if getattr(self, "_copier", None) is not None:
            self._copier.close()
        if self._native is not None:
            self._native.close()
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # closing a broken encoder must not hide the original error
                pass
            self._container = None
        if self._tmp.is_dir():
            shutil.rmtree(self._tmp, ignore_errors=True)
        else:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "FrameWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()


def _copy_tags(src_stream, dst_stream) -> None:
    """The stream's language, title and other tags, and its dispositions (default, forced, ...),
    onto the output stream; the muxer's own statistics tags (DURATION, encoder) are not copied."""
    for k, v in src_stream.metadata.items():
        if k.upper() not in ("DURATION", "ENCODER", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES", "BPS") \
                and not k.startswith("_STATISTICS"):
            dst_stream.metadata[k] = v
    dst_stream.disposition = src_stream.disposition


class _StreamCopier:
    """Stream-copies the source's audio and subtitle packets into the output being written.

    Timestamps are shifted by the source video's start time, since the encoded video starts
    at zero; ``mux_until(t)`` writes the packets up to time t so the output stays
    interleaved while the video is encoded. A stream the output container cannot hold is
    reported and skipped, never silently dropped.
    """

    def __init__(self, source: Path, out, keep_times: bool = False):
        import av

        self._src = None
        self._pending = None
        self.video = None  # the source's video stream, whose tags the encoded one takes
        if source is None or Path(source).is_dir():
            return
        self._src = av.open(str(source))
        sv = self.video = self._src.streams.video[0] if self._src.streams.video else None
        # the video keeps its own times (``keep_times``): so does everything else; otherwise the
        # video starts at 0 and the other streams move with it
        offset = float(sv.start_time * sv.time_base) if sv is not None and sv.start_time and not keep_times else 0.0
        self._map, copied = {}, []
        for st in self._src.streams:
            if st.type not in ("audio", "subtitle"):
                continue
            try:
                self._map[st.index] = out.add_stream_from_template(st)
                _copy_tags(st, self._map[st.index])
                copied.append(st)
            except (av.error.FFmpegError, ValueError) as exc:
                log.warning("%s: %s stream #%d (%s) cannot be stored in %s and is not copied (%s); "
                            "use a .mkv output to keep it", source, st.type, st.index, st.codec_context.name,
                            Path(out.name).suffix, exc)
        self._out = out
        self._shift = {st.index: int(round(offset / st.time_base)) if st.time_base else 0 for st in copied}
        self._packets = self._src.demux(copied) if copied else iter(())

    def mux_until(self, t_s: float) -> None:
        if self._src is None:
            return
        while True:
            if self._pending is None:
                self._pending = next(self._packets, None)
                if self._pending is None:
                    return
            p = self._pending
            if p.dts is None and p.pts is None:  # demuxer flush packet
                self._pending = None
                continue
            shift = self._shift[p.stream.index]
            ts = (p.dts if p.dts is not None else p.pts) - shift
            if float(ts * p.time_base) > t_s:
                return
            self._pending = None
            if p.pts is not None:  # packets before the first video frame stay (Opus pre-skip, priming)
                p.pts -= shift
            if p.dts is not None:
                p.dts -= shift
            p.stream = self._map[p.stream.index]
            self._out.mux(p)

    def close(self) -> None:
        if self._src is not None:
            self._src.close()
            self._src = None
