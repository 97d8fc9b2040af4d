"""Subcommands of `python -m facilitation`, one module per area, each with `register(subparsers)`."""
