"""A room's notes in the report's structure, saved field by field as the facilitator types.

Each save writes only the fields that changed (one upsert), so two people editing different fields
of the same room never erase each other's text. For the same field, `save_field` refuses a save
that would silently replace text someone else saved meanwhile (NoteConflict) and the editor chooses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.access import gate
from facilitation.errors import AccessDenied, UserError
from facilitation.roles import Viewer
from facilitation.storage import audit, db, hooks
from facilitation.storage.models import (
    Assignment,
    Attendance,
    Organisation,
    Person,
    Registration,
    Room,
    RoomNote,
    utcnow,
)
from facilitation.text import vocab

# The report's headings for each field (domain data: the secretariat's format).
FIELD_LABELS: dict[str, str] = {
    "theme": "テーマ",
    "participants": "参加者",
    "issues": "現状の課題",
    "efforts": "取り組み・工夫",
    "requests": "後方支援への要望",
    "summary": "まとめ",
}
FIELDS: tuple[str, ...] = tuple(FIELD_LABELS)
MAX_CHARS = 20_000
FACILITATOR_MARK = "（ファシリ）"


class NoteError(UserError):
    """A note that cannot be saved; Japanese message."""


@dataclass(frozen=True)
class Note:
    room_id: int
    theme: str
    participants: str
    issues: str
    efforts: str
    requests: str
    summary: str
    updated_at: dt.datetime | None  # None: nothing saved yet
    updated_by: str
    prefilled: tuple[str, ...] = ()  # fields shown from the room, not yet saved

    def values(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in FIELDS}


def _check(session: Session, viewer: Viewer, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None:
        raise UserError(f"ルーム（ID {room_id}）が見つかりません。")
    if viewer.is_secretariat:
        return room
    if viewer.facilitates(room.meeting_id, room.id):
        gate.require_current(session, viewer)  # a revoked or expired link neither reads nor saves
        return room
    raise AccessDenied("このルームの記録を見る・書く権限がありません。")


def room_organisations(session: Session, room_id: int, attended_only: bool = False) -> list[str]:
    """The room's organisations in roster order, the facilitator's marked 「（ファシリ）」.

    `attended_only` keeps people marked present (for the report after the meeting); people marked
    欠席 are always left out.
    """
    q = (
        select(Organisation.name, Registration.org_text, Assignment.is_facilitator, Organisation.region,
               Attendance.mark)
        .select_from(Assignment)
        .join(Registration, Assignment.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Assignment.room_id == room_id, Registration.status != vocab.STATUS_CANCELLED)
    )
    rows = [r for r in session.execute(q).all() if r.mark != "欠席"]  # absent people took no part
    if attended_only:
        present = [r for r in rows if r.mark in vocab.CAME_MARKS]
        rows = present or rows  # no marks at all: fall back to the room's placement
    order = {a: i for i, a in enumerate(vocab.ALL_AREAS)}
    rows = sorted(rows, key=lambda r: (not r.is_facilitator, order.get(r.region or "", 99), r.name or r.org_text))
    names: dict[str, bool] = {}
    for r in rows:
        name = r.name or r.org_text or ""
        if name:
            names[name] = names.get(name, False) or bool(r.is_facilitator)
    return [f"{n}{FACILITATOR_MARK}" if fac else n for n, fac in names.items()]


def default_participants(session: Session, room_id: int) -> str:
    """「札幌市・江別市社会福祉協議会（ファシリ）…」 from the people placed in the room."""
    return "、".join(room_organisations(session, room_id))


def get_note(session: Session, viewer: Viewer, room_id: int) -> Note:
    """The room's notes; theme and participants prefilled from the room until someone saves them."""
    room = _check(session, viewer, room_id)
    row = session.scalar(select(RoomNote).where(RoomNote.room_id == room_id))
    values = {f: (getattr(row, f) if row else "") or "" for f in FIELDS}
    prefilled = []
    if not values["theme"] and room.theme:
        values["theme"] = room.theme
        prefilled.append("theme")
    if not values["participants"]:
        values["participants"] = default_participants(session, room_id)
        if values["participants"]:
            prefilled.append("participants")
    return Note(room_id=room_id, **values, updated_at=row.updated_at if row else None,
                updated_by=row.updated_by if row else "", prefilled=tuple(prefilled))


def save_note(session: Session, viewer: Viewer, room_id: int, values: dict[str, str],
              base: dict[str, str] | None = None) -> dt.datetime:
    """Save the given fields (only those differing from `base`, when given); returns the saved time (UTC).

    Nothing to save returns the current time without writing.
    """
    _check(session, viewer, room_id)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise NoteError(f"記録の項目「{'、'.join(sorted(unknown))}」はありません。")
    changes = {k: ("" if v is None else str(v)) for k, v in values.items()
               if base is None or (base.get(k) or "") != (v or "")}
    for k, v in changes.items():
        if len(v) > MAX_CHARS:
            raise NoteError(f"「{FIELD_LABELS[k]}」が長すぎます（{MAX_CHARS:,}文字まで）。")
    return save_text_fields(session, viewer, RoomNote, "room_id", room_id, changes)


def save_text_fields(session: Session, viewer: Viewer, model, key_column: str, key: int,
                     values: dict[str, str]) -> dt.datetime:
    """Upsert the given text fields of one row (a room's notes, a meeting's report sections) and
    record them in the audit log; returns the save time (nothing is written when `values` is empty)."""
    now = utcnow()
    if values:
        db.upsert(session, model, key_column, {key_column: key, **values, "updated_at": now,
                                               "updated_by": viewer.actor})
        audit.record(session, "update", model.__tablename__, str(key), after={k: v[:500] for k, v in values.items()})
        hooks.emit(session, hooks.TEXT_SAVED, table=model.__tablename__, key=key)
    return now


class NoteConflict(Exception):
    """The field was saved by someone else after the editor started from `started_from`."""

    def __init__(self, field: str, current: str) -> None:
        super().__init__(f"「{FIELD_LABELS[field]}」はほかの方が保存しています。")
        self.field, self.current = field, current


def save_field(session: Session, viewer: Viewer, room_id: int, field: str, text: str,
               started_from: str | None = None) -> dt.datetime:
    """Save one field as an editor types it; returns the saved time (UTC).

    `started_from` is the saved text the editor's typing began from. If the field now holds
    something else (and not `text`), someone else saved in between: NoteConflict carries their
    text and nothing is written, so the editor can choose. Without it, the save simply wins.
    """
    if field not in FIELDS:
        raise NoteError(f"記録の項目「{field}」はありません。")
    if started_from is not None:
        current = get_note(session, viewer, room_id).values()[field]  # a prefill counts as the text
        if current not in (started_from, text):
            raise NoteConflict(field, current)
    return save_note(session, viewer, room_id, {field: text})


def notes_by_room(session: Session, meeting_id: int) -> dict[int, RoomNote]:
    """Saved notes of every room in a meeting (for the report)."""
    rows = session.scalars(
        select(RoomNote).join(Room, RoomNote.room_id == Room.id).where(Room.meeting_id == meeting_id)
    )
    return {n.room_id: n for n in rows}

