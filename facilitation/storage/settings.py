"""The settings table: small JSON values by key (templates, the target population, merges, 和暦…).

The one way to read and write it; each area names its keys where it uses them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from facilitation.roles import require_secretariat
from facilitation.storage.models import Setting


def get(session: Session, key: str, default: Any = None, *, kind: type | None = None) -> Any:
    """The stored value, or `default` when missing (or, with `kind`, not of that type)."""
    row = session.get(Setting, key)
    if row is None or (kind is not None and not isinstance(row.value, kind)):
        return default
    return row.value


def put(session: Session, key: str, value: Any) -> None:
    """Store `value` (JSON-serialisable) under `key`, replacing what was there."""
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.flush()


# --- the secretariat's choice of calendar for official papers (report, committee pack) ---

WAREKI_SETTING = "calendar.wareki"  # key in the settings table: True → 和暦 on papers


def use_wareki(session) -> bool:
    """Whether the report and the committee pack print 和暦 (a setting in 設定; 西暦 by default)."""
    return get(session, WAREKI_SETTING) is True


def set_wareki(session, viewer, on: bool) -> None:
    """Choose 和暦 (True) or 西暦 for official papers; secretariat only."""
    require_secretariat(viewer, "暦の表記は事務局だけが変更できます。")
    put(session, WAREKI_SETTING, bool(on))
