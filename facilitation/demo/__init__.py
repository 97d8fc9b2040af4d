"""Believable, deterministic demo data for the app, the tests and the benchmarks.

`dataset` (organisations, people, past meetings with rooms, attendance and notes),
`surveys_chat` (demo survey answers and a demo open-chat history), `sheets` (the demo spreadsheet
the local Sheets emulator serves).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEMO_ENV = "FACILITATION_DEMO"


def wanted(url: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether an empty database at `url` gets the demo history (the app's first start, `init`).

    FACILITATION_DEMO=1 loads it anywhere, FACILITATION_DEMO=0 nowhere; unset, only into an
    embedded SQLite file, never into a shared PostgreSQL server (README, 設定).
    """
    value = (os.environ if env is None else env).get(DEMO_ENV, "").strip()
    if value in ("0", "1"):
        return value == "1"
    return url.startswith("sqlite")
