"""Subcommands of the ``isvi`` CLI: one module each, exposing ``register(subparsers)``."""
