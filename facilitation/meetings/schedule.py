"""Meetings (情報交換会 and others): create, edit, list, and the counts the home page shows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facilitation.storage.models import Meeting, Organisation, Person, Registration, Room
from facilitation.text import vocab
from facilitation.text.dates import fiscal_year, ja_date, ja_time

DEFAULT_PROGRAM = [
    {"time": "14:00", "item": "開会・事務局からのお知らせ"},
    {"time": "14:20", "item": "全体講演"},
    {"time": "14:50", "item": "ブレイクアウトルーム（テーマ別）"},
    {"time": "15:50", "item": "各ルームからの報告（1ルーム1分30秒）"},
    {"time": "16:10", "item": "閉会"},
    {"time": "16:15", "item": "交流タイム（自由参加）"},
]


class MeetingError(ValueError):
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


def add_meeting(session: Session, data: MeetingInput) -> Meeting:
    """Create a meeting; its number defaults to the next one in its fiscal year and kind."""
    _check(data)
    fy = fiscal_year(data.starts_at)
    number = data.number
    if number is None:
        last = session.scalar(
            select(func.max(Meeting.number)).where(Meeting.fiscal_year == fy, Meeting.kind == data.kind)
        )
        number = (last or 0) + 1
    meeting = Meeting(
        title=data.title.strip(),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        number=number,
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
    return meeting


def update_meeting(session: Session, meeting_id: int, data: MeetingInput) -> Meeting:
    """Edit a meeting's title, date, format, venue, capacity, status and program."""
    _check(data)
    meeting = get_meeting(session, meeting_id)
    for name in ("title", "starts_at", "ends_at", "kind", "format", "venue", "capacity", "status",
                 "registration_url", "program"):
        setattr(meeting, name, getattr(data, name))
    if data.number is not None:
        meeting.number = data.number
    meeting.fiscal_year = fiscal_year(data.starts_at)
    session.flush()
    return meeting


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingError(f"ID {meeting_id} の会はありません。")
    return meeting


def list_meetings(session: Session) -> list[Meeting]:
    """All meetings, newest first."""
    return list(session.scalars(select(Meeting).order_by(Meeting.starts_at.desc())))


def upcoming_meeting(session: Session, now: dt.datetime | None = None) -> Meeting | None:
    """The next meeting that has not started yet (cancelled ones excluded)."""
    now = now or dt.datetime.now()
    return session.scalar(
        select(Meeting)
        .where(Meeting.starts_at >= now, Meeting.status != "中止")
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


NO_ORGANISATION = "所属未確認"  # registrants whose organisation is blank or waits for review


@dataclass
class MeetingCounts:
    """Headline figures for one meeting (registrations that are not cancelled)."""

    people: int
    organisations: int
    by_category: dict[str, int]  # people per 団体 / 自治体 / 国
    orgs_by_category: dict[str, int]
    by_mode: dict[str, int]
    by_region: dict[str, int]
    rooms: int
    cancelled: int
    capacity: int | None

    @property
    def line(self) -> str:
        """The reports' style: 「90名（52機関：団体42(67)・自治体9(13)・国(6)）」."""
        parts = []
        for cat in vocab.COUNT_CATEGORIES:
            n_people = self.by_category.get(cat, 0)
            if not n_people:
                continue
            if cat == vocab.CATEGORY_NATIONAL:  # the ministry counts as one 機関: people only
                parts.append(f"{cat}({n_people})")
            else:
                parts.append(f"{cat}{self.orgs_by_category.get(cat, 0)}({n_people})")
        if self.by_category.get(NO_ORGANISATION):
            parts.append(f"{NO_ORGANISATION}({self.by_category[NO_ORGANISATION]})")
        return f"{self.people}名（{self.organisations}機関：{'・'.join(parts)}）"


def meeting_counts(session: Session, meeting_id: int, statuses: tuple[str, ...] | None = None) -> MeetingCounts:
    """Counts of people and organisations; by default every registration not cancelled."""
    rows = session.execute(
        select(Registration.status, Registration.attendance_mode, Person.organisation_id,
               Organisation.kind, Organisation.region)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Registration.meeting_id == meeting_id)
    ).all()
    cancelled = sum(1 for r in rows if r.status == vocab.STATUS_CANCELLED)
    if statuses is None:
        rows = [r for r in rows if r.status != vocab.STATUS_CANCELLED]
    else:
        rows = [r for r in rows if r.status in statuses]
    by_category: Counter[str] = Counter()
    orgs: dict[str, set] = {c: set() for c in vocab.COUNT_CATEGORIES}
    for r in rows:
        if r.organisation_id is None:  # no organisation (yet): a person, not an organisation of any kind
            by_category[NO_ORGANISATION] += 1
            continue
        cat = vocab.count_category(r.kind)
        by_category[cat] += 1
        orgs[cat].add(r.organisation_id)
    orgs_by_category = {c: len(v) for c, v in orgs.items()}
    if orgs_by_category[vocab.CATEGORY_NATIONAL]:
        orgs_by_category[vocab.CATEGORY_NATIONAL] = 1
    meeting = get_meeting(session, meeting_id)
    n_rooms = session.scalar(select(func.count()).select_from(Room).where(Room.meeting_id == meeting_id)) or 0
    return MeetingCounts(
        people=len(rows),
        organisations=sum(orgs_by_category.values()),
        by_category=dict(by_category),
        orgs_by_category=orgs_by_category,
        by_mode=dict(Counter(r.attendance_mode for r in rows)),
        by_region=dict(Counter(r.region or "不明" for r in rows)),
        rooms=n_rooms,
        cancelled=cancelled,
        capacity=meeting.capacity,
    )


def time_range(meeting: Meeting) -> str:
    """「14:00〜16:30」."""
    end = f"〜{ja_time(meeting.ends_at)}" if meeting.ends_at else "〜"
    return f"{ja_time(meeting.starts_at)}{end}"
