"""The settings table: small JSON values by key (templates, the target population, merges…).

The one way to read and write it; each area names its keys where it uses them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

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
