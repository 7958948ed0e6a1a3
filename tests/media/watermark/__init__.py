"""Tests of :mod:`media.watermark`, one file per module where that is natural."""
