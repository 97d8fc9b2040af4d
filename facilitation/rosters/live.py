"""A room's live roster for its facilitator, the secretariat's overview of all rooms, and attendance taps.

Reads are two queries per call (members, earlier attendance) so 30 phones refreshing every few
seconds stay cheap. Taps are single-row upserts: phones tapping different people never touch each
other's rows, and for the same person the last tap wins without an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from facilitation.access import gate
from facilitation.access.models import FacilitatorLink
from facilitation.errors import AccessDenied, UserError
from facilitation.meetings.schedule import get_meeting, label, list_rooms
from facilitation.roles import FACILITATOR, Viewer
from facilitation.storage import audit, db
from facilitation.storage.models import (
    Assignment,
    Attendance,
    Meeting,
    Organisation,
    Person,
    Registration,
    Room,
    utcnow,
)
from facilitation.text import vocab
from facilitation.text.normalize import clean

MARKS = vocab.ATTENDANCE_MARKS  # 出席 / 欠席 / 遅刻 / 途中退室
UNMARKED = "未確認"


class AttendanceError(UserError):
    """A tap that cannot be recorded (unknown mark or registration); Japanese message."""


class AttendanceChanged(AttendanceError):
    """The mark changed since the tapping screen showed it (someone else recorded another one)."""

    def __init__(self, message: str, current: str):
        super().__init__(message)
        self.current = current


@dataclass(frozen=True)
class RosterPerson:
    """One person in a room as the facilitator needs to see them."""

    registration_id: int
    name: str
    furigana: str
    organisation: str
    region: str  # short: 石狩, オホーツク, 道外
    programs: tuple[str, ...]
    role_title: str
    first_time: bool  # never attended an earlier meeting
    zoom_name: str  # 「R3_佐藤陽子」: the name to use in Zoom
    mark: str  # one of MARKS, or "" before anyone tapped
    marked_by: str
    is_facilitator: bool
    attendance_mode: str  # オンライン / 会場


def counts_of(people: tuple[RosterPerson, ...] | list[RosterPerson]) -> dict[str, int]:
    """Marks counted: 出席, 遅刻, 途中退室, 欠席, 未確認, and 合計."""
    out = {m: 0 for m in (*MARKS, UNMARKED)}
    for p in people:
        out[p.mark or UNMARKED] += 1
    out["合計"] = len(people)
    return out


@dataclass(frozen=True)
class RoomRoster:
    """A room's roster: what a facilitator's phone shows."""

    meeting_id: int
    meeting_label: str
    room_id: int
    room_name: str
    theme: str
    zoom_prefix: str  # R3
    people: tuple[RosterPerson, ...]

    @property
    def counts(self) -> dict[str, int]:
        return counts_of(self.people)


@dataclass(frozen=True)
class RoomStatus:
    """One room in the secretariat's overview (people empty for viewers who may not see names)."""

    room_id: int
    position: int
    name: str
    theme: str
    facilitator: str
    counts: dict[str, int]
    people: tuple[RosterPerson, ...]


@dataclass(frozen=True)
class Overview:
    meeting_id: int
    meeting_label: str
    rooms: tuple[RoomStatus, ...]
    unassigned: tuple[RosterPerson, ...]  # registered, not cancelled, not yet in a room
    unassigned_count: int

    @property
    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for room in self.rooms:
            for k, n in room.counts.items():
                out[k] = out.get(k, 0) + n
        return out


@dataclass(frozen=True)
class AttendanceMark:
    registration_id: int
    mark: str  # "" when cleared
    marked_at: dt.datetime
    marked_by: str
    status: str  # the registration's status after the tap


def zoom_prefix(room: Room) -> str:
    """The room's Zoom prefix: its zoom_name (「R3」), else R + its position."""
    return clean(room.zoom_name) or f"R{room.position}"


def zoom_display_name(prefix: str, name: str) -> str:
    """「R3_佐藤陽子」: the renaming convention for people Zoom cannot pre-assign."""
    return f"{prefix}_{clean(name).replace(' ', '')}"


# --- access ---

def check_room(viewer: Viewer, meeting_id: int, room_id: int | None, session: Session | None = None) -> None:
    """Raise AccessDenied unless the viewer may see this room: the secretariat, or its own facilitator.

    With a session, a facilitator's link must also still be valid (not revoked, not expired).
    """
    if viewer.is_secretariat:
        return
    if viewer.facilitates(meeting_id, room_id):
        if session is not None:
            gate.require_current(session, viewer)
        return
    raise AccessDenied("このルームの名簿を見る権限がありません。")


# --- reads ---

def _first_timers(session: Session, meeting: Meeting, person_ids: set[int]) -> set[int]:
    """The people among `person_ids` with no 出席 at any earlier meeting."""
    if not person_ids:
        return set()
    before = set(session.scalars(
        select(Registration.person_id).distinct()
        .join(Meeting, Registration.meeting_id == Meeting.id)
        .where(Registration.person_id.in_(person_ids),
               Registration.status == vocab.STATUS_ATTENDED,
               Meeting.starts_at < meeting.starts_at)
    ))
    return person_ids - before


def _region_order(region: str) -> int:
    try:
        return vocab.ALL_AREAS.index(region)
    except ValueError:
        return len(vocab.ALL_AREAS)


def _people(session: Session, meeting: Meeting, room_ids: list[int] | None,
            prefixes: dict[int, str], unassigned: bool = False) -> dict[int | None, list[RosterPerson]]:
    """Members per room id (None: not yet assigned), facilitator first, then by region and kana."""
    q = (
        select(Registration.id, Registration.person_id, Registration.programs, Registration.org_text,
               Registration.attendance_mode, Registration.role,
               Person.name, Person.furigana, Person.role_title,
               Organisation.name.label("org_name"), Organisation.region, Organisation.programs.label("org_programs"),
               Assignment.room_id, Assignment.is_facilitator, Attendance.mark, Attendance.marked_by)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting.id, Registration.status != vocab.STATUS_CANCELLED)
    )
    if unassigned:
        q = q.outerjoin(Assignment, Assignment.registration_id == Registration.id)
    else:
        q = q.join(Assignment, Assignment.registration_id == Registration.id)
        if room_ids is not None:
            q = q.where(Assignment.room_id.in_(room_ids))
    rows = session.execute(q).all()
    first = _first_timers(session, meeting, {r.person_id for r in rows})
    out: dict[int | None, list[RosterPerson]] = {}
    for r in rows:
        region = r.region or ""
        out.setdefault(r.room_id, []).append(RosterPerson(
            registration_id=r.id,
            name=r.name,
            furigana=r.furigana,
            organisation=r.org_name or r.org_text or "",
            region=vocab.short_region(region) if region else "",
            programs=tuple(r.programs or r.org_programs or ()),
            role_title=r.role_title or "",
            first_time=r.person_id in first,
            zoom_name=zoom_display_name(prefixes[r.room_id], r.name) if r.room_id in prefixes else "",
            mark=r.mark or "",
            marked_by=r.marked_by or "",
            is_facilitator=bool(r.is_facilitator) or (r.role == "ファシリテーター" and r.room_id is not None),
            attendance_mode=r.attendance_mode,
        ))
    regions = {r.id: r.region or "" for r in rows}
    for people in out.values():
        people.sort(key=lambda p: (not p.is_facilitator, _region_order(regions.get(p.registration_id, "")),
                                   p.organisation, p.furigana or p.name))
    return out


def change_stamp(session: Session, meeting_id: int) -> tuple:
    """A cheap fingerprint of everything a roster shows that changes during a meeting.

    Placements (count and the sum of their edit versions), attendance (count, latest tap) and
    registrations (count, latest edit): three small aggregates, so a page can refresh every few
    seconds and reread the roster only when this changed. Room names and people's details are not
    included (pages reread those after a short time anyway).
    """
    in_meeting = Registration.meeting_id == meeting_id
    placed = (select(func.count(Assignment.id), func.coalesce(func.sum(Assignment.version), 0))
              .join(Registration, Assignment.registration_id == Registration.id).where(in_meeting))
    taps = (select(func.count(Attendance.id), func.max(Attendance.marked_at))
            .join(Registration, Attendance.registration_id == Registration.id).where(in_meeting))
    regs = select(func.count(Registration.id), func.max(Registration.updated_at)).where(in_meeting)
    out: list = []
    for q in (placed, taps, regs):
        out.extend(session.execute(q).one())
    return tuple(str(x) for x in out)


def room_stamp(session: Session, meeting_id: int, room_id: int) -> str:
    """A cheap fingerprint of everything one room's roster shows, as one string: what a phone waits
    on (ui/live_stamp.py), and the key of the shared roster cache.

    The room's placements (count, sum of registration ids and of edit versions: a move in or out, or a
    facilitator flag, changes it), their registrations' latest edit (a cancellation), their
    attendance (count, latest tap), the room's name, theme and Zoom name, and the room's facilitator
    links (count, revoked, latest revocation: a revocation makes a waiting phone rerun, and that
    rerun's link check stops it). Other rooms' changes leave it alone, so a secretary moving people
    between other rooms costs this room's phones nothing.
    """
    in_room = Assignment.room_id == room_id
    placed = (select(func.count(Assignment.id), func.coalesce(func.sum(Assignment.version), 0),
                     func.coalesce(func.sum(Assignment.registration_id), 0), func.max(Registration.updated_at))
              .join(Registration, Assignment.registration_id == Registration.id).where(in_room))
    taps = (select(func.count(Attendance.id), func.max(Attendance.marked_at))
            .join(Assignment, Attendance.registration_id == Assignment.registration_id).where(in_room))
    room = select(Room.meeting_id, Room.name, Room.theme, Room.zoom_name).where(Room.id == room_id)
    links = (select(func.count(FacilitatorLink.id), func.count(FacilitatorLink.revoked_at),
                    func.max(FacilitatorLink.revoked_at)).where(FacilitatorLink.room_id == room_id))
    out: list = [meeting_id]
    for q in (placed, taps, links):
        out.extend(session.execute(q).one())
    out.extend(session.execute(room).one_or_none() or ("no room",))
    return "|".join(str(x) for x in out)



def meeting_stamp(session: Session, meeting_id: int) -> str:
    """A cheap fingerprint of everything the secretariat's all-rooms overview shows, as one string:
    what the overview waits on (ui/live_stamp.py), and the key of its shared cache.

    `change_stamp` (placements, taps, registrations of the whole meeting) plus the meeting's rooms
    (ids, order, names, themes, Zoom names: a room added, removed or renamed), hashed to a short
    string. People's own details (a corrected name) are not included, as for `room_stamp`.
    """
    rooms = session.execute(select(Room.id, Room.position, Room.name, Room.theme, Room.zoom_name)
                            .where(Room.meeting_id == meeting_id).order_by(Room.id)).all()
    text = repr((meeting_id, change_stamp(session, meeting_id), [tuple(r) for r in rooms]))
    return f"{meeting_id}-" + hashlib.sha256(text.encode()).hexdigest()[:32]

def room_roster(session: Session, viewer: Viewer, meeting_id: int, room_id: int) -> RoomRoster:
    """The people in one room; a facilitator may ask only for their own meeting and room."""
    check_room(viewer, meeting_id, room_id, session)
    room = session.get(Room, room_id)
    if room is None or room.meeting_id != meeting_id:
        raise UserError(f"この会にルーム（ID {room_id}）はありません。")
    meeting = get_meeting(session, meeting_id)
    prefix = zoom_prefix(room)
    people = _people(session, meeting, [room.id], {room.id: prefix}).get(room.id, [])
    return RoomRoster(meeting_id=meeting.id, meeting_label=label(meeting), room_id=room.id, room_name=room.name,
                  theme=room.theme, zoom_prefix=prefix, people=tuple(people))


def rooms_of(session: Session, viewer: Viewer, meeting_id: int) -> list[tuple[int, str]]:
    """(room id, 「ルーム3：テーマ」) for pickers; a facilitator gets only their own room."""
    gate.require_current(session, viewer)
    rooms = list_rooms(session, meeting_id)
    if not viewer.is_secretariat:
        rooms = [r for r in rooms if viewer.facilitates(meeting_id, r.id)]
    return [(r.id, f"{r.name}：{r.theme}" if r.theme else r.name) for r in rooms]


def overview(session: Session, viewer: Viewer, meeting_id: int) -> Overview:
    """All rooms side by side with live counts; names only for the secretariat.

    A facilitator is refused (other rooms' people); the committee gets counts without people.
    """
    if viewer.role == FACILITATOR:
        raise AccessDenied("全ルームの一覧は事務局だけが見られます。")
    meeting = get_meeting(session, meeting_id)
    rooms = list_rooms(session, meeting_id)
    prefixes = {r.id: zoom_prefix(r) for r in rooms}
    by_room = _people(session, meeting, None, prefixes, unassigned=True)
    show = viewer.is_secretariat
    statuses = []
    for room in rooms:
        people = by_room.get(room.id, [])
        fac = next((p for p in people if p.is_facilitator), None)
        statuses.append(RoomStatus(
            room_id=room.id, position=room.position, name=room.name, theme=room.theme,
            facilitator=(fac.name if fac and show else ""), counts=counts_of(people),
            people=tuple(people) if show else (),
        ))
    waiting = by_room.get(None, [])
    return Overview(meeting_id=meeting.id, meeting_label=label(meeting), rooms=tuple(statuses),
                    unassigned=tuple(waiting) if show else (), unassigned_count=len(waiting))


# --- writes ---

def _check_tap(session: Session, viewer: Viewer, registration_id: int) -> None:
    row = session.execute(
        select(Registration.meeting_id, Assignment.room_id)
        .outerjoin(Assignment, Assignment.registration_id == Registration.id)
        .where(Registration.id == registration_id)
    ).first()
    if row is None:
        raise AttendanceError(f"申込（ID {registration_id}）が見つかりません。")
    if not viewer.is_secretariat:
        if not viewer.facilitates(row.meeting_id, row.room_id):
            raise AccessDenied("このルームの方の出欠だけを記録できます。")
        gate.require_current(session, viewer)  # a revoked or expired link records nothing


def status_for(mark: str) -> str:
    """The registration status a mark implies: 欠席 → 欠席, any presence → 出席, none → 申込."""
    if not mark:
        return vocab.STATUS_APPLIED
    return vocab.STATUS_ABSENT if mark == "欠席" else vocab.STATUS_ATTENDED


def mark_attendance(session: Session, viewer: Viewer, registration_id: int, mark: str, *,
                    recorded_as: str = "", shown: str | None = None) -> AttendanceMark:
    """Record one tap (出席 / 欠席 / 遅刻 / 途中退室; "" clears it) and derive the registration status.

    One upsert on the person's own row: concurrent taps for different people never collide, and
    for the same person the last one wins. The viewer is always checked (a facilitator may mark
    only their own room, on a current link); `recorded_as` names the source shown instead of the
    viewer, such as the Zoom report the secretariat imported.

    `shown`: the mark the tapping screen showed ("" for none). When the stored mark is no longer
    that one, someone else changed it meanwhile: AttendanceChanged, nothing written (a phone must
    never overwrite a change it has not seen, e.g. when the browser re-sends an old value).
    """
    mark = clean(mark)
    if mark and mark not in MARKS:
        raise AttendanceError(f"「{mark}」は出欠の記録に使えません（{' / '.join(MARKS)}）。")
    _check_tap(session, viewer, registration_id)
    if shown is not None:
        current = session.scalar(select(Attendance.mark).where(Attendance.registration_id == registration_id)) or ""
        if current != clean(shown):
            raise AttendanceChanged(
                f"この方の出欠は、ほかの方が「{current or UNMARKED}」に変更していました。"
                "最新の表示を確認してから、必要ならもう一度押してください。", current)
    now = utcnow()
    actor = recorded_as or viewer.actor
    # Core statements on the session's connection: single-row, no ORM bookkeeping; one audit entry below.
    conn = session.connection()
    if mark:
        db.upsert(session, Attendance, "registration_id",
                  {"registration_id": registration_id, "mark": mark, "marked_at": now, "marked_by": actor})
    else:
        conn.execute(delete(Attendance.__table__).where(Attendance.__table__.c.registration_id == registration_id))
    status = status_for(mark)
    reg = Registration.__table__
    conn.execute(update(reg).where(reg.c.id == registration_id).values(status=status, updated_at=now))
    audit.record(session, "update", "attendance", str(registration_id),
                 after={"mark": mark or UNMARKED, "status": status, "by": actor})
    return AttendanceMark(registration_id=registration_id, mark=mark, marked_at=now, marked_by=actor,
                          status=status)


def marks_of(session: Session, meeting_id: int) -> dict[int, str]:
    """registration id → mark for one meeting (for checks and the Zoom import)."""
    return dict(session.execute(
        select(Attendance.registration_id, Attendance.mark)
        .join(Registration, Attendance.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting_id)
    ).all())
