"""Organisations merged into another: a mapping {absorbed id: surviving id} in the settings table.

The absorbed organisation's whole history follows the surviving one (counts, history, coverage).
The key keeps its old name `history.merges` so existing databases keep their merges.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage import settings
from facilitation.storage.models import Organisation

MERGES_KEY = "history.merges"


def resolve_merge(org_id: int, merges: dict[int, int]) -> int:
    """Follow merges to the surviving organisation (stops on a cycle)."""
    seen = {org_id}
    while org_id in merges:
        org_id = merges[org_id]
        if org_id in seen:
            return org_id
        seen.add(org_id)
    return org_id


def merges(session: Session) -> dict[int, int]:
    """The organisation merge mapping {absorbed id: surviving id}."""
    raw = settings.get(session, MERGES_KEY, {}, kind=dict)
    return {int(k): int(v) for k, v in raw.items()}


def set_merge(session: Session, viewer: Viewer, absorbed_id: int, surviving_id: int) -> None:
    """Record that one organisation merged into another (history follows the surviving one)."""
    require_secretariat(viewer, "統合の設定は事務局だけが変更できます。")
    if absorbed_id == surviving_id:
        raise UserError("同じ機関どうしは統合できません。")
    for org_id in (absorbed_id, surviving_id):
        if session.get(Organisation, org_id) is None:
            raise UserError(f"ID {org_id} の機関はありません。")
    current = merges(session)
    current[absorbed_id] = surviving_id
    if resolve_merge(absorbed_id, current) == absorbed_id:  # the chain came back: a cycle
        raise UserError("統合の設定が循環しています（A→B→A）。")
    settings.put(session, MERGES_KEY, {str(k): v for k, v in current.items()})


def remove_merge(session: Session, viewer: Viewer, absorbed_id: int) -> None:
    require_secretariat(viewer, "統合の設定は事務局だけが変更できます。")
    current = merges(session)
    current.pop(absorbed_id, None)
    settings.put(session, MERGES_KEY, {str(k): v for k, v in current.items()})
