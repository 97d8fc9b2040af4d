"""Saving parsed exports: merge of overlapping exports without duplicates, and redaction.

A post is identified by a fingerprint of its minute, sender, content and its occurrence index
among identical posts in that minute, so a later export that repeats earlier days adds only what
is new, whatever app or OS wrote it. Redaction removes a text for good but keeps the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.openchat import members as members_mod
from facilitation.openchat.activity import is_question
from facilitation.openchat.models import ChatEvent, ChatImport, ChatMember, ChatMessage
from facilitation.openchat.parser import (
    EVENT_JOIN,
    EVENT_LEAVE,
    EVENT_OTHER,
    EVENT_RENAME,
    KIND_MEDIA,
    ParsedExport,
    parse_bytes,
)
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage import hooks
from facilitation.storage.models import AuditEntry, utcnow

SECRETARIAT_ONLY = "オープンチャットの取り込みと編集は事務局のみが行えます。"

UNPARSED_KEPT = 500  # unreadable lines kept with an import for the secretariat to look at
_BATCH = 5000


@dataclass
class ImportResult:
    import_id: int
    file_name: str
    already_imported: bool  # the very same file was imported before
    messages_found: int
    messages_added: int
    events_found: int
    events_added: int
    new_members: int
    unparsed_count: int
    unparsed: list[dict] = field(default_factory=list)  # [{"line", "text", "reason"}]
    line_counts: dict[str, int] = field(default_factory=dict)
    total_lines: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    format: str = ""  # the layout recognised, 「LINE（スマートフォン・日本語）」…; "" when none was
    warnings: list[dict] = field(default_factory=list)  # [{"line", "text", "reason"}]: read, with a doubt

    @property
    def duplicates(self) -> int:
        return self.messages_found - self.messages_added


# The import record's JSON list `unparsed_lines` holds the unreadable lines (plain entries, first),
# then the lines read with a doubt ({"kind": "warning"}) and the recognised layout ({"kind": "format"}).
WARNING, FORMAT = "warning", "format"


def _notes(parsed: ParsedExport) -> list[dict]:
    unparsed = [{"line": u.line_no, "text": u.text[:500], "reason": u.reason} for u in parsed.unparsed[:UNPARSED_KEPT]]
    warnings = [{"kind": WARNING, "line": w.line_no, "text": w.text[:500], "reason": w.message}
                for w in parsed.warnings[:UNPARSED_KEPT]]
    return unparsed + warnings + ([{"kind": FORMAT, "text": parsed.format}] if parsed.format else [])


def import_notes(record: ChatImport) -> tuple[str, list[dict], list[dict]]:
    """(format, unreadable lines, lines read with a doubt) stored with an import."""
    notes = list(record.unparsed_lines or [])
    fmt = next((n["text"] for n in notes if n.get("kind") == FORMAT), "")
    return (fmt, [n for n in notes if "kind" not in n],
            [{k: n[k] for k in ("line", "text", "reason")} for n in notes if n.get("kind") == WARNING])


def _minute(at: dt.datetime) -> str:
    return at.isoformat(timespec="minutes")


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def _content(kind: str, media: str, text: str) -> str:
    # Media placeholders differ by app language ([写真] / [Photo]); the label does not.
    if kind == KIND_MEDIA:
        return f"[{media}]"
    text = text.replace("\r", "").strip()
    if " \n" in text or "\t\n" in text or "\u3000\n" in text:  # trailing spaces differ between apps
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text


def message_fingerprints(parsed: ParsedExport) -> list[str]:
    """One stable fingerprint per post: minute + sender + content + occurrence index within the minute."""
    seen: dict[tuple[str, str, str], int] = {}
    minutes: dict[dt.datetime, str] = {}
    out = []
    for m in parsed.messages:
        minute = minutes.get(m.at)
        if minute is None:
            minute = minutes[m.at] = _minute(m.at)
        k = (minute, m.sender.strip(), _content(m.kind, m.media, m.text))
        n = seen.get(k, 0)
        out.append(_digest("m", *k, str(n)))
        seen[k] = n + 1
    return out


def event_fingerprints(parsed: ParsedExport) -> list[str]:
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for e in parsed.events:
        what = e.text.strip() if e.kind == EVENT_OTHER else f"{e.actor}\x1f{e.new_name}"
        k = (_minute(e.at), e.kind, what)
        n = seen.get(k, 0)
        out.append(_digest("e", *k, str(n)))
        seen[k] = n + 1
    return out


_MESSAGE_COLUMNS = ("at", "sender", "member_id", "kind", "media", "text", "length", "is_question", "redacted",
                    "redacted_by", "fingerprint", "import_id")
_EVENT_COLUMNS = ("at", "kind", "actor", "new_name", "text", "fingerprint", "import_id")


def _bulk_insert(session: Session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows in the session's transaction, straight through the driver.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own work at 100,000s of
    rows; values are therefore given in the driver's own terms (SQLite: text timestamps in
    SQLAlchemy's format, 0/1 booleans; PostgreSQL: COPY).
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect.name
    names = ", ".join(columns)
    if dialect == "sqlite":
        at = columns.index("at")
        bools = [i for i, c in enumerate(columns) if c in ("is_question", "redacted")]
        def convert(row: tuple) -> tuple:
            row = list(row)
            row[at] = row[at].isoformat(" ", "microseconds")  # SQLAlchemy's SQLite DateTime format
            for i in bools:
                row[i] = int(row[i])
            return tuple(row)
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA cache_size = -65536")  # 64 MB: the fingerprint index stays in memory
        marks = ", ".join("?" * len(columns))
        raw.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", map(convert, rows))
    elif dialect == "postgresql":
        with conn.connection.driver_connection.cursor() as cur:
            with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        for i in range(0, len(rows), _BATCH):
            session.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows[i:i + _BATCH]])


def _existing(session: Session, column, at_column, first: dt.datetime, last: dt.datetime) -> set[str]:
    return set(session.scalars(select(column).where(at_column >= first, at_column <= last)))


def _upsert_members(session: Session, parsed: ParsedExport, actor: str) -> tuple[dict[str, int], list[int]]:
    """Every display name in the export gets a member row; returns {nickname: id} and the new ids."""
    seen: dict[str, list[dt.datetime]] = {}
    for m in parsed.messages:  # sorted by time: the first post opens the span, later ones extend it
        span = seen.get(m.sender)
        if span is None:
            seen[m.sender] = [m.at, m.at]
        else:
            span[1] = m.at
    for e in parsed.events:
        for name in (e.actor, e.new_name if e.kind == EVENT_RENAME else ""):
            if name and e.kind in (EVENT_JOIN, EVENT_LEAVE, EVENT_RENAME):
                span = seen.setdefault(name, [e.at, e.at])
                span[0], span[1] = min(span[0], e.at), max(span[1], e.at)
    existing = {m.nickname: m for m in session.scalars(select(ChatMember))}
    created: list[ChatMember] = []
    for name, (first, last) in seen.items():
        name = name[:200]
        member = existing.get(name)
        if member is None:
            org_text, surname = members_mod.split_nickname(name)
            member = ChatMember(nickname=name, org_text=org_text[:200], surname=surname[:100],
                                status=members_mod.REVIEW_PENDING, first_seen=first, last_seen=last,
                                updated_by=actor)
            session.add(member)
            existing[name] = member
            created.append(member)
        else:
            member.first_seen = min(member.first_seen or first, first)
            member.last_seen = max(member.last_seen or last, last)
    session.flush()
    return {n: m.id for n, m in existing.items()}, [m.id for m in created]


def import_export(session: Session, viewer: Viewer, parsed: ParsedExport, file_name: str = "",
                  file_hash: str = "") -> ImportResult:
    """Store an export: new posts and events only (by fingerprint), members matched, an import record.

    An export in a UI language the parser does not read is refused (UserError naming the language)
    rather than stored half-read.
    """
    require_secretariat(viewer, SECRETARIAT_ONLY)
    if parsed.refusal:
        raise UserError(parsed.refusal)
    already = bool(file_hash) and session.scalar(
        select(ChatImport.id).where(ChatImport.file_hash == file_hash).limit(1)) is not None
    record = ChatImport(
        file_name=file_name[:300], file_hash=file_hash, chat_name=parsed.chat_name[:200],
        saved_at=parsed.saved_at, first_date=parsed.first_date, last_date=parsed.last_date,
        total_lines=parsed.total_lines, messages_found=len(parsed.messages), events_found=len(parsed.events),
        unparsed_count=len(parsed.unparsed),
        unparsed_lines=_notes(parsed),
        imported_by=viewer.actor,
    )
    session.add(record)
    session.flush()
    member_ids, new_ids = _upsert_members(session, parsed, viewer.actor)

    added = 0
    if parsed.messages:
        prints = message_fingerprints(parsed)
        have = _existing(session, ChatMessage.fingerprint, ChatMessage.at,
                         parsed.messages[0].at, parsed.messages[-1].at)
        rows = []
        rid = record.id
        for m, fp in zip(parsed.messages, prints, strict=True):
            if fp in have:
                continue
            have.add(fp)
            sender = m.sender[:200]
            rows.append((m.at, sender, member_ids.get(sender), m.kind, m.media, m.text, len(m.text),
                         m.kind != KIND_MEDIA and is_question(m.text), False, "", fp, rid))
        _bulk_insert(session, ChatMessage.__table__, _MESSAGE_COLUMNS, rows)
        added = len(rows)

    events_added = 0
    if parsed.events:
        prints = event_fingerprints(parsed)
        have = _existing(session, ChatEvent.fingerprint, ChatEvent.at, parsed.events[0].at, parsed.events[-1].at)
        rows = []
        for e, fp in zip(parsed.events, prints, strict=True):
            if fp in have:
                continue
            have.add(fp)
            rows.append((e.at, e.kind, e.actor[:200], e.new_name[:200], e.text, fp, record.id))
        _bulk_insert(session, ChatEvent.__table__, _EVENT_COLUMNS, rows)
        events_added = len(rows)

    record.messages_added, record.events_added = added, events_added
    hooks.emit(session, hooks.CHAT_IMPORTED, import_id=record.id)
    if new_ids:
        members_mod.match_members(session, new_ids)
    session.flush()
    return ImportResult(
        import_id=record.id, file_name=file_name, already_imported=already,
        messages_found=len(parsed.messages), messages_added=added,
        events_found=len(parsed.events), events_added=events_added, new_members=len(new_ids),
        unparsed_count=len(parsed.unparsed), unparsed=import_notes(record)[1],
        line_counts=dict(parsed.line_counts), total_lines=parsed.total_lines,
        first_date=parsed.first_date, last_date=parsed.last_date,
        format=parsed.format, warnings=import_notes(record)[2],
    )


def import_bytes(session: Session, viewer: Viewer, data: bytes, file_name: str = "") -> ImportResult:
    """Parse and store an uploaded export file."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    parsed = parse_bytes(data)
    return import_export(session, viewer, parsed, file_name=file_name,
                         file_hash=hashlib.sha256(data).hexdigest())


def list_imports(session: Session) -> list[ChatImport]:
    """Imports, newest first."""
    return list(session.scalars(select(ChatImport).order_by(ChatImport.imported_at.desc(), ChatImport.id.desc())))


def redact(session: Session, viewer: Viewer, message_id: int) -> bool:
    """Remove a post's text for good (the row, its time, sender and flags stay). False if already done.

    On SQLite the freed bytes are zeroed (secure_delete); call `scrub_storage` after the commit to
    flush the write-ahead log as well.
    """
    require_secretariat(viewer, SECRETARIAT_ONLY)
    msg = session.get(ChatMessage, message_id)
    if msg is None:
        raise UserError(f"ID {message_id} のメッセージはありません。")
    if msg.redacted and msg.text is None:
        return False
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))
    session.execute(
        update(ChatMessage).where(ChatMessage.id == message_id)
        .values(text=None, redacted=True, redacted_at=utcnow(), redacted_by=viewer.actor)
    )
    session.expire(msg)
    # The audit entry says that and by whom, never what.
    session.add(AuditEntry(actor=viewer.actor, action="redact", entity="openchat_messages",
                           entity_id=str(message_id), before=None, after={"redacted": True}))
    session.flush()
    hooks.emit(session, hooks.CHAT_REDACTED, message_ids=[message_id])
    return True


def scrub_storage(session: Session, viewer: Viewer) -> None:
    """After redactions are committed: push SQLite's write-ahead log into the file and empty it
    (old page images would otherwise keep the text), or VACUUM the table on PostgreSQL."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM openchat_messages")
