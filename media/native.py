"""FFV1 output in the input's own pixel format and bit depth (restoration archives).

isvi works on 8-bit RGB; written as packed RGB, a 10-bit YUV input would lose its depth, and
even an 8-bit YUV input's pixels outside the hole would be an RGB round trip, not its samples.
Here the writer decodes the input a second time, in its own pixel format and in lockstep with
the frames written, and builds each output frame plane by plane:

- where the frame written equals the input's decoded RGB (everywhere outside the hole: the
  pipeline pastes the input's pixels back), the input's own decoded samples: every luma (or
  grey) sample there, and every chroma sample whose block of luma pixels is wholly unchanged;
- elsewhere (the filled hole), the frame's RGB converted to the input's format with the
  colour matrix and range the decoder used to make the RGB (the input frame's own tags),
  8-bit values scaled to the native depth by the conversion.

A frame that does not line up with the input (another size, or past the input's end) is
converted whole, so the output always shows the frames written. Memory: one input frame.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger("isvi.video")

# full-range ("JPEG") YUV formats: the same samples as their yuv twin, tagged full range
_FULL_RANGE_TWINS = {"yuvj420p": "yuv420p", "yuvj422p": "yuv422p", "yuvj444p": "yuv444p", "yuvj440p": "yuv440p",
                     "yuvj411p": "yuv411p"}
_JPEG_RANGE = 2  # AVCOL_RANGE_JPEG


def ffv1_native_format(pix_fmt: str | None) -> str | None:
    """The pixel format an FFV1 output keeps for an input in ``pix_fmt``: the input's own where it is
    planar YUV or grey without alpha and FFV1 writes it (a full-range ``yuvj`` format as its ``yuv``
    twin, tagged full range); None otherwise (RGB inputs, alpha, big-endian, float, ...)."""
    if not pix_fmt:
        return None
    fmt = _FULL_RANGE_TWINS.get(pix_fmt, pix_fmt)
    if not fmt.startswith(("yuv", "gray")) or fmt.startswith("yuva") or "f16" in fmt or "f32" in fmt:
        return None
    import av

    return fmt if fmt in {f.name for f in av.codec.Codec("ffv1", "w").video_formats} else None


def plane_arrays(frame) -> list[np.ndarray]:
    """Views of a PyAV frame's planes as (height, width) arrays of its samples (uint8, or uint16
    for a format deeper than 8 bits), without the line padding."""
    dtype = np.dtype(np.uint16 if max(c.bits for c in frame.format.components) > 8 else np.uint8)
    return [np.frombuffer(p, dtype).reshape(p.height, p.line_size // dtype.itemsize)[:, :p.width]
            for p in frame.planes]


def block_any(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """For a subsampled plane of ``shape``: True where the block of full-resolution pixels that a
    sample covers holds any True of ``mask`` (blocks at an odd edge are partial)."""
    h, w = mask.shape
    ch, cw = shape
    fy, fx = -(-h // ch), -(-w // cw)
    padded = np.zeros((ch * fy, cw * fx), bool)
    padded[:h, :w] = mask
    return padded.reshape(ch, fy, cw, fx).any(axis=(1, 3))


class NativeFrames:
    """Builds the output frames of an FFV1 stream in the input's own pixel format (see module doc)."""

    def __init__(self, source: Path, out_fmt: str, pts: tuple[int, ...] | None = None):
        import av

        self.source, self.out_fmt, self.pts = Path(source), out_fmt, pts
        self._container = av.open(str(self.source))
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._frames = self._container.decode(stream)
        self._index = 0
        self._misaligned = 0
        self._like = None  # the last input frame: its format and colour tags, for frames converted whole
        self._peeked = self._decode()  # the first frame, read now for its chroma siting
        self.chroma_location = chroma_location(self._peeked, stream) if self._peeked is not None else None

    @classmethod
    def open_for(cls, source: Path | None, info, stream) -> "NativeFrames | None":
        """For a writer about to encode FFV1 into ``stream`` the frames of ``source`` (the input video
        the output is made from, probed as ``info``): set the stream's pixel format and colour tags to
        the input's and return the frame builder; None (and the stream untouched) without a source
        (frames that are not an input's), for a frame folder, or where FFV1 cannot keep the format."""
        if source is None or info.is_folder or Path(source).is_dir():
            return None
        fmt = None if info.pix_fmt is None else ffv1_native_format(info.pix_fmt)
        if fmt is None:
            if info.pix_fmt and info.pix_fmt.startswith(("yuv", "gray")):
                log.info("%s: FFV1 cannot keep %s; the output is lossless RGB (bgr0)", info.path, info.pix_fmt)
            return None
        import av

        try:
            native = cls(source, fmt, info.pts)
        except (OSError, av.error.FFmpegError):  # not the file the frames come from: RGB, as before
            return None
        stream.pix_fmt = fmt
        if native.chroma_location:  # where the chroma samples sit: decoders interpolate by it (10-bit, players)
            stream.codec_context.options = {**stream.codec_context.options,
                                            "chroma_sample_location": native.chroma_location}
        src = native._container.streams.video[0].codec_context
        cc = stream.codec_context
        for tag in ("color_range", "colorspace", "color_primaries", "color_trc"):
            try:
                setattr(cc, tag, getattr(src, tag))
            except (AttributeError, TypeError, ValueError):  # an older PyAV without the setter
                pass
        if fmt != info.pix_fmt:  # a yuvj input: its samples are full range
            cc.color_range = _JPEG_RANGE
        return native

    def _decode(self):
        if self._frames is None:
            return None
        try:
            return next(self._frames)
        except StopIteration:
            self._frames = None
            return None

    def _next_input(self):
        """The input's next decoded frame in display order, or None past its end."""
        frame, self._peeked = (self._peeked, None) if self._peeked is not None else (self._decode(), None)
        if frame is None:
            return None
        i, self._index = self._index, self._index + 1
        if self.pts is not None and i < len(self.pts) and frame.pts is not None and frame.pts != self.pts[i]:
            self._misaligned += 1
            if self._misaligned == 1:
                log.warning("%s: decoded frame %d has time %s, expected %s; frames that differ from the input "
                            "are written converted from RGB", self.source, i, frame.pts, self.pts[i])
        return frame

    def frame(self, rgb: np.ndarray):
        """The output frame (a PyAV frame in the output format, without timestamps) for the uint8
        RGB frame (H, W, 3) written next."""
        import av

        native = self._next_input()
        h, w = rgb.shape[:2]
        out = av.VideoFrame(w, h, self.out_fmt)
        if native is not None and (native.width, native.height) != (w, h):
            native = None
        changed = None
        if native is not None:
            changed = (native.to_ndarray(format="rgb24") != rgb).any(axis=-1)
        nat_planes = plane_arrays(native) if native is not None else None
        if changed is None or changed.any():
            conv_planes = plane_arrays(self._convert(rgb, native if native is not None else self._like))
        out_planes = plane_arrays(out)
        for k, dst in enumerate(out_planes):
            if changed is None:
                dst[...] = conv_planes[k]
            elif not changed.any():
                dst[...] = nat_planes[k]
            else:
                where = changed if dst.shape == changed.shape else block_any(changed, dst.shape)
                dst[...] = np.where(where, conv_planes[k], nat_planes[k])
        like = self._like = native if native is not None else self._like
        if like is not None:
            out.colorspace, out.color_range = like.colorspace, like.color_range
            out.color_primaries, out.color_trc = like.color_primaries, like.color_trc
            if like.format.name in _FULL_RANGE_TWINS:
                out.color_range = _JPEG_RANGE
        return out

    def _convert(self, rgb: np.ndarray, like):
        """``rgb`` in the input's pixel format, by the inverse of the decoder's conversion: with the
        colour matrix and range of the input frame ``like`` (the decoder made its RGB with them) and
        swscale's default interpolation, as the decoder's."""
        import av

        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        fmt = self.out_fmt
        if like is not None:
            # the new frame takes these tags from the RGB frame; swscale reads them as the target's
            vf.colorspace, vf.color_range = like.colorspace, like.color_range
            fmt = like.format.name  # a yuvj format converts to full range by itself
        return vf.reformat(format=fmt)

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
            self._frames = self._peeked = self._like = None


def chroma_location(frame, stream) -> str | None:
    """Where a decoded frame's chroma samples sit (``left`` for H.264 4:2:0, ...), which PyAV does not
    expose: read from FFmpeg's ``showinfo`` line for a 16x16 corner of the frame. None where the
    chroma is not subsampled, unspecified, or the line cannot be read."""
    import av
    import av.filter
    import av.logging

    if len(frame.planes) < 3 or frame.planes[1].width == frame.width and frame.planes[1].height == frame.height:
        return None
    old = av.logging.get_level()
    try:
        graph = av.filter.Graph()
        corner = f"{min(16, frame.width)}:{min(16, frame.height)}:0:0"  # showinfo checksums what it sees
        chain = [graph.add_buffer(template=stream), graph.add("crop", corner), graph.add("showinfo"),
                 graph.add("buffersink")]
        for a, b in zip(chain, chain[1:]):
            a.link_to(b)
        graph.configure()
        av.logging.set_level(av.logging.INFO)
        with av.logging.Capture() as logs:
            graph.push(frame)
            graph.pull()
    except (av.error.FFmpegError, ValueError, AttributeError, TypeError):
        return None
    finally:
        av.logging.set_level(old)
    for _, name, text in logs:
        if name == "showinfo" and " cl:" in text:
            loc = text.split(" cl:", 1)[1].split()[0]
            return None if loc in ("unspecified", "unknown") else loc
    return None
