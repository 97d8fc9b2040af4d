"""Manual moves in the editor (refusing stale edits), designated facilitators, pins."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from facilitation.assignment import concurrency
from facilitation.assignment.check import Violation
from facilitation.assignment.checking import check
from facilitation.assignment.choices import active_registrations
from facilitation.assignment.concurrency import explain
from facilitation.assignment.errors import SECRETARIAT_ONLY, AssignmentError
from facilitation.meetings.schedule import list_rooms
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Assignment, Person, Registration, Room
from facilitation.text.normalize import clean, with_note


@dataclass
class EditOutcome:
    changed: int
    refused: list[str]  # Japanese: stale edits that were not saved
    violations: list[Violation]


def apply_edits(session: Session, viewer: Viewer, meeting_id: int, edits: pd.DataFrame) -> EditOutcome:
    """Save rows changed in the editor (people_frame's room by name, pinned, facilitator), refusing
    rows whose version moved on since they were shown; then re-check the rules."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    rooms = {r.name: r for r in list_rooms(session, meeting_id)}
    changed, refused = 0, []
    try:
        for row in edits.to_dict("records"):
            a = session.get(Assignment, int(row["assignment_id"]))
            if a is None or a.room.meeting_id != meeting_id:
                refused.append(concurrency.GONE)
                continue
            room = rooms.get(str(row["room"]))
            if room is None:
                raise AssignmentError(f"ルーム「{row['room']}」はこの会にありません。")
            new = (room.id, bool(row["pinned"]), bool(row["facilitator"]))
            if new == (a.room_id, a.pinned, a.is_facilitator):
                continue
            if a.version != int(row["version"]):
                refused.append(_stale_message(session, a))
                continue
            person_id = a.registration.person_id  # loaded before the row changes (no autoflush later)
            moved = room.id != a.room_id
            a.room_id, a.pinned, a.is_facilitator = new
            if moved:
                a.pinned = True  # a hand-placed person stays put when the optimiser runs again
                a.reason = "事務局が手動でこのルームに移しました。"
            if a.is_facilitator:
                room.facilitator_id = person_id
            a.updated_by = viewer.actor
            session.flush()
            changed += 1
    except Exception as exc:
        # Someone else saved at the same moment: every change of this save is undone and refused
        # in Japanese (the page shows it) instead of an error.
        if not concurrency.is_conflict(exc):
            raise
        session.rollback()
        changed, refused = 0, [concurrency.CONCURRENT]
    status = check(session, meeting_id)
    return EditOutcome(changed=changed, refused=refused, violations=status.violations)


def _stale_message(session: Session, a: Assignment) -> str:
    return explain(session, a.id).message  # the shared wording for refused edits


def designate_facilitator(session: Session, viewer: Viewer, room_id: int, registration_id: int | None) -> None:
    """Make a registrant the fixed facilitator of a room (pinned there); None clears the room's."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    with session.no_autoflush:  # one flush at the end, where a concurrent save is caught
        _designate(session, viewer, room_id, registration_id)
    try:
        session.flush()
    except Exception as exc:
        if not concurrency.is_conflict(exc):
            raise
        session.rollback()
        raise AssignmentError(concurrency.CONCURRENT) from None


def _designate(session: Session, viewer: Viewer, room_id: int, registration_id: int | None) -> None:
    room = session.get(Room, room_id)
    if room is None:
        raise AssignmentError(f"ルーム（ID {room_id}）はありません。")
    for a in session.scalars(select(Assignment).where(Assignment.room_id == room_id,
                                                      Assignment.is_facilitator.is_(True))):
        a.is_facilitator = False
        a.updated_by = viewer.actor
    room.facilitator_id = None
    if registration_id is not None:
        reg = session.get(Registration, registration_id)
        if reg is None or reg.meeting_id != room.meeting_id:
            raise AssignmentError("この方はこの会の申込者ではありません。")
        a = session.scalar(select(Assignment).where(Assignment.registration_id == registration_id))
        if a is None:
            a = Assignment(registration_id=registration_id, room_id=room_id)
            session.add(a)
        elif a.is_facilitator and a.room_id != room_id:
            old = session.get(Room, a.room_id)
            if old is not None and old.facilitator_id == reg.person_id:
                old.facilitator_id = None
        a.room_id, a.pinned, a.is_facilitator = room_id, True, True
        a.reason = "事務局がこのルームのファシリテーターに指定しました。"
        a.updated_by = viewer.actor
        room.facilitator_id = reg.person_id


def registrants(session: Session, meeting_id: int) -> list[tuple[int, str]]:
    """(registration id, 「氏名（所属）★」) of the meeting's registrants, willing facilitators first."""
    out = []
    regs = active_registrations(session, meeting_id)
    people = {p.id: p for p in session.scalars(select(Person).options(selectinload(Person.organisation))
                                               .where(Person.id.in_({r.person_id for r in regs})))}  # one query
    for reg in regs:
        person = people[reg.person_id]
        org = person.organisation.name if person.organisation else clean(reg.org_text)
        willing = reg.willing_facilitator or reg.role == "ファシリテーター"
        out.append((not willing, reg.id, with_note(person.name, org) + ("★" if willing else "")))
    return [(rid_, text) for _, rid_, text in sorted(out)]


def clear_pins(session: Session, viewer: Viewer, meeting_id: int) -> int:
    """Unpin everyone in the meeting; returns how many were pinned."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    rows = list(session.scalars(select(Assignment).join(Room).where(Room.meeting_id == meeting_id,
                                                                    Assignment.pinned.is_(True))))
    for a in rows:
        a.pinned = False
        a.updated_by = viewer.actor
    session.flush()
    return len(rows)
