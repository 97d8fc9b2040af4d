"""Meetings (情報交換会 and others): create, edit, list, and the counts the home page shows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.meetings.counts import Counts, org_at_meeting, tally, unique_org_keys
from facilitation.orgs.merges import merges
from facilitation.storage.models import Meeting, Organisation, Person, Registration, Room
from facilitation.text import vocab
from facilitation.text.dates import fiscal_year, ja_date, ja_time, now_jst

DEFAULT_PROGRAM = [
    {"time": "14:00", "item": "開会・事務局からのお知らせ"},
    {"time": "14:20", "item": "全体講演"},
    {"time": "14:50", "item": "ブレイクアウトルーム（テーマ別）"},
    {"time": "15:50", "item": "各ルームからの報告（1ルーム1分30秒）"},
    {"time": "16:10", "item": "閉会"},
    {"time": "16:15", "item": "交流タイム（自由参加）"},
]


class MeetingError(UserError):
    """A meeting input the user can fix; the message is Japanese and names the field."""


@dataclass
class MeetingInput:
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    number: int | None = None
    kind: str = "情報交換会"
    format: str = "オンライン"
    venue: str = ""
    capacity: int | None = None
    status: str = "準備中"
    registration_url: str = ""
    program: list[dict] = field(default_factory=lambda: [dict(p) for p in DEFAULT_PROGRAM])


def _check(data: MeetingInput) -> None:
    if not data.title.strip():
        raise MeetingError("タイトルを入力してください。")
    if data.format not in vocab.MEETING_FORMATS:
        raise MeetingError(f"開催方法「{data.format}」は選べません（{' / '.join(vocab.MEETING_FORMATS)}）。")
    if data.kind not in vocab.MEETING_KINDS:
        raise MeetingError(f"種別「{data.kind}」は選べません（{' / '.join(vocab.MEETING_KINDS)}）。")
    if data.status not in vocab.MEETING_STATUSES:
        raise MeetingError(f"状態「{data.status}」は選べません。")
    if data.capacity is not None and data.capacity < 0:
        raise MeetingError("定員は0以上の数で入力してください。")
    if data.ends_at and data.ends_at < data.starts_at:
        raise MeetingError("終了時刻が開始時刻より前になっています。")


def _check_not_duplicate(session: Session, data: MeetingInput, meeting_id: int | None = None) -> None:
    """Refuse a second meeting with the same title and start (a form sent twice)."""
    same = session.scalars(select(Meeting).where(Meeting.title == data.title.strip(),
                                                 Meeting.starts_at == data.starts_at)).all()
    same = [m for m in same if m.id != meeting_id]
    if same:
        raise MeetingError(f"同じタイトル・同じ開始日時の会がすでにあります（{label(same[0])}）。"
                           "同じ会を二度登録しないよう、日時かタイトルを確かめてください。")


def renumber(session: Session, fiscal_year: int, kind: str) -> None:
    """Number the meetings of one fiscal year and kind 第1回, 第2回… in date order."""
    series = session.scalars(select(Meeting).where(Meeting.fiscal_year == fiscal_year, Meeting.kind == kind)
                             .order_by(Meeting.starts_at, Meeting.id)).all()
    for n, meeting in enumerate(series, start=1):
        meeting.number = n
    session.flush()


def add_meeting(session: Session, data: MeetingInput) -> Meeting:
    """Create a meeting. Without a number, the year's meetings of its kind are numbered by date.

    An exact duplicate (same title and start) is refused with a Japanese message.
    """
    _check(data)
    _check_not_duplicate(session, data)
    fy = fiscal_year(data.starts_at)
    meeting = Meeting(
        title=data.title.strip(),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        number=data.number,
        kind=data.kind,
        format=data.format,
        venue=data.venue,
        capacity=data.capacity,
        status=data.status,
        registration_url=data.registration_url,
        fiscal_year=fy,
        program=data.program,
    )
    session.add(meeting)
    session.flush()
    if data.number is None:
        renumber(session, fy, data.kind)
    return meeting


def delete_meeting(session: Session, meeting_id: int) -> str:
    """Delete a meeting that has no registrations (with its rooms and links); returns its label.

    A meeting with registrations is refused: its history counts in the reports. Set its status to
    中止 instead. The remaining meetings of its year and kind are numbered again by date.
    """
    meeting = get_meeting(session, meeting_id)
    n = registration_count(session, meeting_id)
    if n:
        raise MeetingError(f"この会には申込が {n} 件あるため削除できません。"
                           "開催しない場合は、状態を「中止」にしてください。")
    text, fy, kind = label(meeting), meeting.fiscal_year, meeting.kind
    session.delete(meeting)
    session.flush()
    renumber(session, fy, kind)
    return text


def registration_count(session: Session, meeting_id: int) -> int:
    """How many registrations (of any status) a meeting has."""
    return session.scalar(select(func.count()).select_from(Registration)
                          .where(Registration.meeting_id == meeting_id)) or 0


def previous_meeting(session: Session, meeting_id: int, among: list[int] | None = None) -> int | None:
    """The id of the latest meeting that starts before this one (optionally among some ids)."""
    meeting = get_meeting(session, meeting_id)
    query = select(Meeting.id).where(Meeting.starts_at < meeting.starts_at, Meeting.id != meeting_id)
    if among is not None:
        query = query.where(Meeting.id.in_(among))
    return session.scalar(query.order_by(Meeting.starts_at.desc()).limit(1))


def update_meeting(session: Session, meeting_id: int, data: MeetingInput) -> Meeting:
    """Edit a meeting's title, date, format, venue, capacity, status and program.

    Without a number, its year's meetings of its kind are numbered again by date.
    """
    _check(data)
    _check_not_duplicate(session, data, meeting_id)
    meeting = get_meeting(session, meeting_id)
    old_series = (meeting.fiscal_year, meeting.kind)
    for name in ("title", "starts_at", "ends_at", "kind", "format", "venue", "capacity", "status",
                 "registration_url", "program"):
        setattr(meeting, name, getattr(data, name))
    meeting.title = data.title.strip()
    meeting.fiscal_year = fiscal_year(data.starts_at)
    if data.number is not None:
        meeting.number = data.number
    session.flush()
    if data.number is None:
        renumber(session, meeting.fiscal_year, meeting.kind)
        if old_series != (meeting.fiscal_year, meeting.kind):
            renumber(session, *old_series)
    return meeting


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingError(f"ID {meeting_id} の会はありません。")
    return meeting


def list_meetings(session: Session) -> list[Meeting]:
    """All meetings, newest first."""
    return list(session.scalars(select(Meeting).order_by(Meeting.starts_at.desc())))


def list_rooms(session: Session, meeting_id: int) -> list[Room]:
    """The meeting's rooms in their order (position, then id): the one query for them."""
    return list(session.scalars(select(Room).where(Room.meeting_id == meeting_id).order_by(Room.position, Room.id)))


def upcoming_meeting(session: Session, now: dt.datetime | None = None) -> Meeting | None:
    """The next meeting that has not started yet (cancelled ones excluded)."""
    now = now or now_jst()  # meetings are stored in Japan time; the host's clock may be UTC
    return session.scalar(
        select(Meeting)
        .where(Meeting.starts_at >= now, Meeting.status != vocab.MEETING_CANCELLED)
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def label(meeting: Meeting) -> str:
    """「第3回 情報交換会（2021年12月17日（金））」 for selectors and headings."""
    number = f"第{meeting.number}回 " if meeting.number else ""
    return f"{number}{meeting.title}（{ja_date(meeting.starts_at)}）"


def as_dict(meeting: Meeting) -> dict:
    """The meeting as plain data (for JSON on the command line)."""
    return {
        "id": meeting.id,
        "number": meeting.number,
        "kind": meeting.kind,
        "title": meeting.title,
        "date": meeting.starts_at.date().isoformat(),
        "starts_at": meeting.starts_at.isoformat(timespec="minutes"),
        "ends_at": meeting.ends_at.isoformat(timespec="minutes") if meeting.ends_at else None,
        "format": meeting.format,
        "venue": meeting.venue,
        "capacity": meeting.capacity,
        "fiscal_year": meeting.fiscal_year,
        "status": meeting.status,
    }


@dataclass(frozen=True)
class MeetingCounts(Counts):
    """Headline figures for one meeting (by default its registrations that are not cancelled)."""

    by_mode: dict[str, int] = field(default_factory=dict)
    by_region: dict[str, int] = field(default_factory=dict)
    rooms: int = 0
    cancelled: int = 0
    capacity: int | None = None


def meeting_counts(session: Session, meeting_id: int, statuses: tuple[str, ...] | None = None) -> MeetingCounts:
    """Counts of people and organisations (the rule of `meetings.counts`); by default every
    registration not cancelled, else those whose status is in `statuses`."""
    rows = session.execute(
        select(Registration.status, Registration.attendance_mode, Registration.org_text, Person.id,
               Person.organisation_id)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.meeting_id == meeting_id)
    ).all()
    cancelled = sum(1 for r in rows if r.status == vocab.STATUS_CANCELLED)
    if statuses is None:
        rows = [r for r in rows if r.status != vocab.STATUS_CANCELLED]
    else:
        rows = [r for r in rows if r.status in statuses]
    keys, merged = unique_org_keys(session), merges(session)
    at_meeting = [org_at_meeting(r.org_text, r.organisation_id, keys, merged) for r in rows]
    info = {o.id: o for o in session.scalars(select(Organisation).where(
        Organisation.id.in_({i for i in at_meeting if i is not None})))}
    headline = tally((r.id, org_id, vocab.count_category(info[org_id].kind if org_id in info else None))
                     for r, org_id in zip(rows, at_meeting, strict=True))
    meeting = get_meeting(session, meeting_id)
    n_rooms = session.scalar(select(func.count()).select_from(Room).where(Room.meeting_id == meeting_id)) or 0
    return MeetingCounts(
        **vars(headline),
        by_mode=dict(Counter(r.attendance_mode for r in rows)),
        by_region=dict(Counter((info[o].region if o in info else "") or "不明" for o in at_meeting)),
        rooms=n_rooms,
        cancelled=cancelled,
        capacity=meeting.capacity,
    )


def time_range(meeting: Meeting) -> str:
    """「14:00〜16:30」."""
    end = f"〜{ja_time(meeting.ends_at)}" if meeting.ends_at else "〜"
    return f"{ja_time(meeting.starts_at)}{end}"
