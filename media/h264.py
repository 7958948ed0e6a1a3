"""The H.264 output's pixel format and frame size for an input (``media.video.FrameWriter``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from media.video import VideoInfo

log = logging.getLogger("isvi.video")

LAYOUTS = ("420", "422", "444")


def h264_size(width: int, height: int, layout: str) -> tuple[int, int]:
    """The size H.264 writes a ``width`` x ``height`` frame at in chroma ``layout`` ("420", "422",
    "444"): 4:2:0 needs even sides, 4:2:2 an even width; an odd side gets one more pixel."""
    return (width + (width % 2 if layout in ("420", "422") else 0), height + (height % 2 if layout == "420" else 0))


def h264_format(info: VideoInfo) -> tuple[str, int, int]:
    """The H.264 output's pixel format and size: the input's chroma layout (4:2:0, 4:2:2 or 4:4:4)
    at 8 bits. x264 needs even sides for 4:2:0 and an even width for 4:2:2, and H.264's cropping
    works in 2-pixel units there, so an odd-sized input is written one column and/or row larger
    (the last one repeated, every input pixel kept where it was) rather than as 4:4:4, which many
    players cannot play. What is not kept (the size, a depth above 8 bits, as frames are decoded
    to 8-bit RGB; FFV1 keeps both, media.native) is said in one warning line."""
    import av

    src = info.pix_fmt or "yuv420p"
    try:
        depth = max(c.bits for c in av.VideoFormat(src).components)
    except (ValueError, av.error.FFmpegError):
        depth = 8
    layout = "444" if ("444" in src or src.startswith(("gbr", "rgb", "bgr"))) else "422" if "422" in src else "420"
    width, height = h264_size(info.width, info.height, layout)
    lost = []
    if depth > 8:
        lost.append(f"the input is {depth}-bit ({src}) and the output 8-bit")
    if (width, height) != (info.width, info.height):
        added = " and ".join(n for n, on in (("column", width != info.width), ("row", height != info.height)) if on)
        lost.append(f"{info.width}x{info.height} is odd-sized and H.264 4:2:{'0' if layout == '420' else '2'} "
                    f"needs even sides, so the output is {width}x{height}, its last {added} repeated")
    if lost:
        keeps = " and ".join(k for k, on in (("exact size", (width, height) != (info.width, info.height)),
                                             ("depth", depth > 8)) if on)
        log.warning("%s: %s; --codec ffv1 keeps the %s", info.path, "; ".join(lost), keeps)
    return f"yuv{layout}p", width, height
