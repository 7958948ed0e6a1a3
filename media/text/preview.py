"""A contact sheet of a few frames with their text masks drawn: to check a detection by eye."""

from __future__ import annotations

import numpy as np

from media.masks import tint_mask


def pick_frames(has_text: np.ndarray, count: int = 6) -> list[int]:
    """Up to ``count`` frames spread over the video, from the frames with text when there are any."""
    pool = np.nonzero(has_text)[0] if has_text.any() else np.arange(len(has_text))
    if len(pool) == 0:
        return []
    picks = pool[np.linspace(0, len(pool) - 1, min(count, len(pool))).round().astype(int)]
    return sorted({int(k) for k in picks})


def contact_sheet(frames: np.ndarray, masks: np.ndarray, labels: list[str], columns: int = 3,
                  tile_width: int = 480) -> bytes:
    """PNG of uint8 RGB ``frames`` (n, H, W, 3), each with its bool mask (n, H, W) tinted red and
    outlined, captioned with ``labels``, ``columns`` per row, each ``tile_width`` px wide."""
    import cv2

    tiles = []
    for frame, mask, label in zip(frames, masks, labels):
        shown = tint_mask(frame, mask, outline_px=max(1, frame.shape[1] // 480))
        h = max(1, round(frame.shape[0] * tile_width / frame.shape[1]))
        tile = cv2.resize(shown, (tile_width, h), interpolation=cv2.INTER_AREA)
        cv2.putText(tile, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(tile, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 0), 1, cv2.LINE_AA)
        tiles.append(tile)
    if not tiles:
        raise ValueError("no frames for the contact sheet")
    columns = min(columns, len(tiles))
    blank = np.zeros_like(tiles[0])
    tiles += [blank] * (-len(tiles) % columns)
    rows = [np.concatenate(tiles[i:i + columns], axis=1) for i in range(0, len(tiles), columns)]
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("cannot encode the contact sheet as PNG")
    return png.tobytes()
