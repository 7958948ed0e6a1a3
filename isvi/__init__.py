"""isvi: batch video inpainting with the ISVI method (application layer: CLI, config, video I/O)."""

__version__ = "0.1.0"
