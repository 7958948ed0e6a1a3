"""Prefect flow: prepare (or reuse) the training samples, train IGFC or ASFN with checkpoints and
resume, and export ONNX (``isvi train`` is its command line).

Tasks: ``prepare-data`` (skipped when the Zarr cache exists) then ``train`` (resumes from
``OUT_DIR/last.pt`` if present). Interrupt the flow at any time and run the same command again:
training picks up at the last checkpoint and sees the same batches it would have seen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from flows.runtime import offline_env  # stdlib only: safe before prefect

offline_env()  # offline-friendly Prefect settings, before prefect is imported

from prefect import flow, task  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402

from isvi_models.train.loop import TrainConfig  # noqa: E402


class DataConfig(BaseModel):
    """How to prepare the samples when the cache does not exist yet."""

    n_sim: int = 3000
    n_clip: int = 1500
    size: int = 64
    photo_dirs: list[Path] = []
    clip_paths: list[Path] = []
    seed: int = 0
    mask_speed_px: float = Field(4.0, gt=0, description="IGFC masks: top speed in px/frame")
    asfn_clip_mode: Literal["simulated", "propagated"] = Field(
        "simulated", description="ASFN real-clip samples: the paper's simulation or the pipeline's own propagation")


@task(name="prepare-data")
def prepare_data(kind: str, data: str, dcfg: dict) -> str:
    path = Path(data)
    if path.exists():
        print(f"using cached samples {path}")
        return str(path)
    d = DataConfig(**dcfg)
    if kind == "igfc":
        from isvi_models.train.data import prepare_igfc_data as prep
    else:
        from isvi_models.train.asfn_sim import prepare_asfn_data as prep
    extra = {"mask_speed_px": d.mask_speed_px} if kind == "igfc" else {"clip_mode": d.asfn_clip_mode}
    prep(path, n_sim=d.n_sim, n_clip=d.n_clip, size=d.size, photo_dirs=d.photo_dirs, clip_paths=d.clip_paths,
         seed=d.seed, **extra)
    print(f"prepared {path}")
    return str(path)


@task(name="train")
def train_task(cfg: dict, stop_after: int | None = None) -> dict:
    from isvi_models.train.loop import train

    return train(TrainConfig(**cfg), stop_after=stop_after)


@flow(name="isvi-train", log_prints=True)
def train_flow(cfg: dict, data_cfg: dict | None = None, stop_after: int | None = None) -> dict:
    """Validate ``cfg`` (:class:`TrainConfig`), prepare data if needed, train/resume, export."""
    tc = TrainConfig(**cfg)
    prepare_data(tc.kind, str(tc.data), data_cfg or {})
    return train_task(tc.model_dump(mode="json"), stop_after)
