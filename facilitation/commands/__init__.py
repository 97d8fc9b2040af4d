"""Subcommands of `python -m facilitation`, one module per area, each with `register(subparsers)`.

What every subcommand shares is here: the viewer a command runs as, and JSON output for scripts.
"""

from __future__ import annotations

import json

from facilitation.roles import SECRETARIAT, Viewer

# Whoever runs a command at this machine has the database itself: the secretariat, named 「cli」 in records.
CLI_VIEWER = Viewer(role=SECRETARIAT, email="cli")


def print_json(data) -> None:
    """JSON for scripts: UTF-8 Japanese as is, dates as ISO strings."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
