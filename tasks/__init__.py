"""isvi."""
