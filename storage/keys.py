"""Stage keys: deterministic fingerprints of a stage's inputs and the settings that affect it.

A fingerprint is the sha256 of canonical JSON (sorted keys, fixed separators) of the stage
name, the stage's code version, the relevant configuration and the fingerprints of its
upstream stages. Changing one setting therefore changes the fingerprint of the stage that
reads it and of every stage downstream of it, and of nothing else. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

FP_LEN = 16  # hex digits kept in keys and paths


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace; tuples become lists, paths strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def sha256_json(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def stage_fingerprint(stage: str, version: int, config: Mapping[str, Any],
                      upstream: Iterable[str | None] = ()) -> str:
    """Fingerprint of one stage output: ``stage`` + ``version`` + ``config`` + upstream fingerprints (ordered)."""
    return sha256_json({"stage": stage, "version": int(version), "config": dict(config),
                        "upstream": list(upstream)})[:FP_LEN]


def bytes_fingerprint(chunks: Iterable[bytes]) -> str:
    """sha256 over a stream of byte chunks (content identity of a video or mask)."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def select(config: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The subset of ``config`` a stage depends on (missing fields raise ``KeyError``: a typo is a bug)."""
    return {f: config[f] for f in fields}
