"""The audit log: every change made through an ORM session becomes an AuditEntry row.

Registered once for all sessions (facilitation.db imports this module). The actor is
`session.info["actor"]`; entries are written with the change, in the same transaction, so a rolled
back change leaves no entry. Values go to the database only (readable by the secretariat, scrubbed
by privacy.forget_person); nothing here writes to the application log.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import NO_VALUE

from facilitation.errors import AccessDenied
from facilitation.roles import Viewer
from facilitation.storage.models import AuditEntry, utcnow
from facilitation.text.dates import to_jst

ACTION_LABELS = {"insert": "追加", "update": "変更", "delete": "削除", "bulk_update": "一括変更",
                 "bulk_delete": "一括削除", "restore": "復元", "erase": "個人情報の削除"}
ENTITY_LABELS = {
    "organisations": "機関", "org_aliases": "機関の別名", "people": "人", "meetings": "会",
    "rooms": "ルーム", "registrations": "申込", "assignments": "ルーム割り当て", "attendance": "出欠",
    "room_notes": "ルームのメモ", "settings": "設定", "access_accounts": "アカウント",
    "facilitator_links": "ファシリテーター用リンク", "database": "データベース全体",
}
SKIP_TABLES = {"audit_log"}
# Columns whose change alone is not worth an entry (they move on every write).
NOISE = {"updated_at"}
REDACTED = "（削除済み）"


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _identity(state) -> str:
    obj = state.obj()
    key = state.mapper.primary_key_from_instance(obj) if obj is not None else state.identity
    return ",".join(str(k) for k in key or () if k is not None)


def _columns(state) -> dict[str, Any]:
    mapper = state.mapper
    out = {}
    for prop in mapper.column_attrs:
        value = state.attrs[prop.key].loaded_value
        if value is NO_VALUE:
            continue
        out[prop.columns[0].name] = _plain(value)
    return out


def _changes(state) -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = {}, {}
    for prop in state.mapper.column_attrs:
        hist = state.attrs[prop.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if _plain(old) == _plain(new) and hist.deleted:
            continue
        name = prop.columns[0].name
        before[name], after[name] = _plain(old), _plain(new)
    return before, after


def _entries(session: Session) -> list[dict[str, Any]]:
    actor = str(session.info.get("actor", ""))[:254]
    mode = session.info.get("audit_action")  # e.g. "erase": values are not kept
    now = utcnow()
    rows = []

    def add(action: str, state, before, after) -> None:
        table = state.mapper.persist_selectable
        name = getattr(table, "name", state.class_.__name__)
        if name in SKIP_TABLES:
            return
        if mode == "erase":
            before = {k: REDACTED for k in (before or {})} or None
            after = {k: REDACTED for k in (after or {})} or None
            action = "erase" if action == "update" else action
        rows.append({"at": now, "actor": actor, "action": action, "entity": name[:50],
                     "entity_id": _identity(state)[:50], "before": before, "after": after})

    for obj in session.new:
        state = inspect(obj)
        add("insert", state, None, _columns(state))
    for obj in session.dirty:
        state = inspect(obj)
        if not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(state)
        if not before or set(before) <= NOISE:
            continue
        add("update", state, before, after)
    for obj in session.deleted:
        state = inspect(obj)
        add("delete", state, _columns(state), None)
    return rows


def _after_flush(session: Session, _flush_context) -> None:
    if session.info.get("audit_off"):
        return
    rows = _entries(session)
    if rows:
        # Core insert on the flush's own connection: part of the same transaction, no re-flush.
        session.connection().execute(insert(AuditEntry.__table__), rows)


def _after_bulk(orm_execute_state) -> None:
    """ORM-enabled UPDATE/DELETE statements bypass the flush: note which table and columns."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    session = orm_execute_state.session
    if session.info.get("audit_off"):
        return
    stmt = orm_execute_state.statement
    table = getattr(stmt, "table", None)
    name = getattr(table, "name", "")
    if not name or name in SKIP_TABLES:
        return
    result = orm_execute_state.invoke_statement()
    columns = sorted(str(getattr(c, "key", c)) for c in getattr(stmt, "_values", None) or {})
    action = "bulk_update" if orm_execute_state.is_update else "bulk_delete"
    session.connection().execute(insert(AuditEntry.__table__), [{
        "at": utcnow(), "actor": str(session.info.get("actor", ""))[:254], "action": action,
        "entity": name[:50], "entity_id": "", "before": None,
        "after": {"columns": columns, "rows": result.rowcount},
    }])
    return result


_registered = False


def register() -> None:
    """Listen on every Session (idempotent)."""
    global _registered
    if _registered:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _after_bulk)
    _registered = True


def record(session: Session, action: str, entity: str, entity_id: str = "",
           before: dict | None = None, after: dict | None = None) -> None:
    """An entry for something that is not a row change (a restore, an erasure request…)."""
    session.add(AuditEntry(at=utcnow(), actor=str(session.info.get("actor", ""))[:254], action=action,
                           entity=entity, entity_id=str(entity_id)[:50], before=before, after=after))


# --- Reading the log -----------------------------------------------------------------------

@dataclass
class AuditFilter:
    """What the secretariat narrows the log to; empty fields do not filter."""

    since: dt.datetime | None = None  # naive UTC
    until: dt.datetime | None = None
    actor: str = ""
    entity: str = ""
    action: str = ""
    entity_id: str = ""
    text: str = ""  # searched in the before/after values
    limit: int = 500


def _summary(before: dict | None, after: dict | None) -> str:
    keys = list(dict.fromkeys([*(before or {}), *(after or {})]))
    parts = []
    for k in keys[:8]:
        old = (before or {}).get(k)
        new = (after or {}).get(k)
        if before is None:
            parts.append(f"{k}={_short(new)}")
        elif after is None:
            parts.append(f"{k}={_short(old)}")
        else:
            parts.append(f"{k}: {_short(old)} → {_short(new)}")
    if len(keys) > 8:
        parts.append(f"ほか{len(keys) - 8}項目")
    return "、".join(parts)


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def read_log(session: Session, viewer: Viewer, flt: AuditFilter | None = None) -> pd.DataFrame:
    """The newest entries first, filtered; the secretariat only. Times in Japan time."""
    if not viewer.is_secretariat:
        raise AccessDenied("変更履歴は事務局だけが見られます。")
    flt = flt or AuditFilter()
    q = select(AuditEntry)
    if flt.since:
        q = q.where(AuditEntry.at >= flt.since)
    if flt.until:
        q = q.where(AuditEntry.at < flt.until)
    if flt.actor:
        q = q.where(AuditEntry.actor.contains(flt.actor.strip()))
    if flt.entity:
        q = q.where(AuditEntry.entity == flt.entity)
    if flt.action:
        q = q.where(AuditEntry.action == flt.action)
    if flt.entity_id:
        q = q.where(AuditEntry.entity_id == flt.entity_id.strip())
    limit = max(1, min(int(flt.limit), 10_000))
    rows = session.scalars(q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                           .limit(limit if not flt.text else limit * 20)).all()
    needle = flt.text.strip()
    data = []
    for e in rows:
        if needle and needle not in f"{e.before} {e.after}":
            continue
        local = to_jst(e.at)
        data.append({"日時": local.strftime("%Y/%m/%d %H:%M:%S"), "操作者": e.actor,
                     "操作": ACTION_LABELS.get(e.action, e.action),
                     "対象": ENTITY_LABELS.get(e.entity, e.entity), "ID": e.entity_id,
                     "内容": _summary(e.before, e.after), "entry_id": e.id})
        if len(data) >= limit:
            break
    return pd.DataFrame(data, columns=["日時", "操作者", "操作", "対象", "ID", "内容", "entry_id"])


def actors(session: Session) -> list[str]:
    """Everyone who appears in the log (for a filter's choices)."""
    return [a for a in session.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)) if a]


def entities(session: Session) -> list[str]:
    """Entities present in the log, for a filter's choices."""
    return list(session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


register()
