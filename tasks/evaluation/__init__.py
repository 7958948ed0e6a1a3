"""Evaluation of video inpainting: metrics, seeded mask generators, classical baselines, reports.

``isvi evaluate`` scores one result against its ground truth; ``isvi benchmark`` (the Prefect
flow in ``flows.benchmark``) runs the pipeline and the baselines over a folder of clips.
"""

from __future__ import annotations


def machine_info() -> dict:
    """A short description of the machine, for reports."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info = {"cpu": cpu, "cores": cores, "memory_gb": mem_gb, "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version()}
    try:
        import torch

        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except Exception:
        info["gpu"] = "unknown"
    return info
