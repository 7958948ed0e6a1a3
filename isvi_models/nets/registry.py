"""Named model variants and a factory, so callers say ``create_model("igfc_base")`` instead of
repeating constructor arguments.

``*_base`` are the sizes used for export and benchmarks; ``*_tiny`` are for tests. The original
checkpoints' YAML (cnum, resBlocks, ...) is not public: IGFC's base follows LAFC, its successor
(cnum 48, one residual block); ASFN's base is our choice (cnum 48, one style-fusion block, one
residual block, skip connections, 2.4 M parameters, predicting a correction of its input: see
:class:`~isvi_models.nets.asfn.ASFN`). A real checkpoint's sizes can be read off its
state_dict (first conv's out-channels = cnum; count of ``middle.<k>`` / ``transfer.<k>`` entries).
"""

from __future__ import annotations

from typing import Callable

from torch import nn

_REGISTRY: dict[str, tuple[Callable[..., nn.Module], dict]] = {}


def register_model(name: str, factory: Callable[..., nn.Module], **defaults) -> None:
    """Record ``factory(**defaults)`` under ``name``."""
    _REGISTRY[name] = (factory, defaults)


def list_models(prefix: str = "") -> list[str]:
    """Registered variant names starting with ``prefix``, sorted."""
    return sorted(n for n in _REGISTRY if n.startswith(prefix))


def create_model(name: str, **overrides) -> nn.Module:
    """Build variant ``name``; keyword arguments override its defaults (e.g. ``cnum=16``)."""
    try:
        factory, defaults = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(list_models())}") from None
    return factory(**{**defaults, **overrides})


def _register_builtin() -> None:
    from isvi_models.nets.asfn import ASFN
    from isvi_models.nets.discriminator import PatchDiscriminator
    from isvi_models.nets.igfc import IGFC

    register_model("igfc_base", IGFC, cnum=48, res_blocks=1, num_frames=3)
    register_model("igfc_tiny", IGFC, cnum=8, res_blocks=1, num_frames=3)
    register_model("asfn_base", ASFN, cnum=48, transfer_blocks=1, res_blocks=1, residual=True)
    register_model("asfn_tiny", ASFN, cnum=8, transfer_blocks=1, res_blocks=1, residual=True)
    register_model("patchgan_base", PatchDiscriminator, in_channels=3, nf=64)
    register_model("patchgan_tiny", PatchDiscriminator, in_channels=3, nf=8)


_register_builtin()
