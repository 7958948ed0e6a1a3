"""``JobConfig``: the parameters of a batch job, validated by pydantic (also when Prefect runs a deployment)."""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storage.manifests import DETECTED_MASKS
from tasks.config import InpaintConfig
from media.video import LOSSLESS_CONTAINERS


class JobConfig(BaseModel):
    """What to inpaint and where results and intermediates go (how shots are found is ``inpaint``'s,
    as for ``isvi inpaint``).

    Precedence in ``isvi batch``: command-line option > ``--config job.toml`` (its ``[inpaint]``
    table and top-level keys) > the defaults here.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="folder, glob, fsspec URL or CSV/JSONL manifest of videos")
    dest: str = Field(description="folder or fsspec URL receiving the results (input's relative names)")
    cache: str | None = Field(None, description="cache URL for intermediates; default: '<dest>.isvi-cache'")
    inpaint: InpaintConfig = Field(default_factory=InpaintConfig)
    auto_mask_pool: Literal["video", "folder", "job"] = Field(
        "video", description="which videos share one --mask auto detection: each its own, those in one folder "
                             "(one source per folder), or all of the job's; resolutions of one aspect ratio "
                             "pool together, each aspect ratio apart")
    overwrite: bool = False
    gpus: int = Field(0, ge=0, le=64, description="GPUs the Dask workers advertise (GPU stages ask for one)")
    report: str | None = Field(None, description="report path prefix; default '<dest>/isvi-report'")
    keep_cache: bool = Field(False, description="keep a finished video's per-shot intermediates (decode, flow, "
                             "completion, fill, composite); by default they are removed once its output is written")
    videos_in_work: int = Field(16, ge=1, description="videos in work at once (probed, a remote source "
                                "downloaded, stages queued), in order; the next starts when the oldest ends")

    @field_validator("source", "dest", "cache", "report")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        return _absolute_path(value)

    @model_validator(mode="before")
    @classmethod
    def _absolute_inpaint_paths(cls, data: Any) -> Any:
        """The mask file and model folder as absolute paths, as the other paths (:func:`_absolute_path`)."""
        if isinstance(data, dict) and data.get("inpaint") is not None:
            inpaint = data["inpaint"]
            fields = ({k: getattr(inpaint, k) for k in ("mask", "models")} if isinstance(inpaint, InpaintConfig)
                      else dict(inpaint))
            changed = {k: _absolute_path(fields[k]) for k in ("mask", "models")
                       if isinstance(fields.get(k), str) and fields[k] not in DETECTED_MASKS}
            if changed:
                data = {**data, "inpaint": inpaint.model_copy(update=changed) if isinstance(inpaint, InpaintConfig)
                        else {**inpaint, **changed}}
        return data

    @property
    def cache_url(self) -> str:
        return self.cache or self.dest.rstrip("/") + ".isvi-cache"

    @property
    def report_prefix(self) -> str:
        return self.report or self.dest.rstrip("/") + "/isvi-report"

    def mask_preview_for(self, name: str) -> str:
        """Where the preview of the ``--mask auto`` mask of video ``name`` goes, beside the report."""
        return f"{self.report_prefix}-masks/{PurePosixPath(name).as_posix()}.png"

    def output_for(self, name: str) -> str:
        """Destination of a video named ``name`` (relative): same name, ``.mkv`` for ffv1 if needed."""
        p = PurePosixPath(name)
        if self.inpaint.codec == "ffv1" and p.suffix and p.suffix.lower() not in LOSSLESS_CONTAINERS:
            p = p.with_suffix(".mkv")
        return f"{self.dest.rstrip('/')}/{p.as_posix()}"


def _absolute_path(value: str | None) -> str | None:
    """A relative local path made absolute against this process's working folder. The job's paths
    are read by Dask workers, which on a cluster (``--cluster``) run in folders of their own: a
    relative ``out/`` was each worker's ``out/``. URLs (``s3://``, ``file://``) are kept."""
    if value is None or "://" in value or os.path.isabs(value):
        return value
    return os.path.abspath(value)
