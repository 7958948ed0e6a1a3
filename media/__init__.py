"""Media I/O floor: video and frame-folder decode/encode, mask sources, shot detection and static-overlay
(watermark) detection. Imports only ``isvi_models`` below it."""
