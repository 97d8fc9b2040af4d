"""Attendance from a meeting's participant report, matched to the meeting's registrations.

The file may be Zoom's participant report (参加者レポート, per session or with unique users), Zoom's
webinar attendee report or Microsoft Teams' attendance report: `attendance_files` decides which
(the format is named to the person, with a confidence) and reads its rows; every row of the file is
attendance, recognised (title, summary, header), folded into a person already read, or listed with
its row number and reason (`ZoomImport.listed`, `row_counts`).

Zoom knows names and e-mails only of signed-in users; guests appear by the name they typed, often
renamed to the room convention 「R3_氏名」. Matching, in order: e-mail, then the normalised name
(display name, original name, the name inside 「R3_…」). People who left and rejoined appear on
several rows and are merged; sessions that overlap (the same person on a computer and a phone at
once) count their shared minutes once. Rows left unmatched are kept for the secretariat to resolve.

Durations are read from the report's minutes column (「期間（分）」, in the Japanese web UI
「所要時間（分）」, "Duration (minutes)", Teams' 「1h 5m 3s」); a report without one, or a row whose
value is impossible (negative, longer than Zoom allows), has its minutes taken from the join and
leave times instead, and the problems say so.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.meetings.schedule import get_meeting, list_rooms
from facilitation.roles import Viewer, require_secretariat
from facilitation.rosters.attendance_files import AttendanceFileError, ZoomRow, read_attendance
from facilitation.rosters.live import mark_attendance
from facilitation.rosters.models import ZoomParticipant
from facilitation.storage.models import Attendance, Person, Registration, utcnow
from facilitation.text import vocab
from facilitation.text.normalize import clean, email_key, person_key, tidy, with_note

ZOOM_ACTOR = "Zoom参加者レポート"

_ROOM_PREFIX = re.compile(r"^\s*(?:R|ルーム|room)\s*(\d{1,2})\s*[_\-ー:・.\s]*\s*(.+)$", re.IGNORECASE)
_SPLIT = re.compile(r"[_/・|\s]+")
ZoomReportError = AttendanceFileError  # the name callers and pages have always caught
# A meeting of 160 people who each rejoin a few times makes about 500 rows; a report beyond this is
# not one meeting's (refused with the limit named, so the page never hangs on it).
MAX_REPORT_ROWS = 10_000


@dataclass
class Presence:
    """A person's merged rows (rejoins) and what they matched."""

    rows: list[ZoomRow]
    registration_id: int | None = None
    match: str = ""  # email / name / room_name
    note: str = ""  # why not matched
    name: str = ""  # the registration's name when matched

    @property
    def display_name(self) -> str:
        return self.rows[0].display_name

    @property
    def original_name(self) -> str:
        return next((r.original_name for r in self.rows if r.original_name), "")

    @property
    def email(self) -> str:
        return next((r.email for r in self.rows if r.email), "")

    @property
    def minutes(self) -> int:
        """Minutes present: the rows' durations, with overlapping sessions counted once.

        Rows that overlap in time (two devices at once, or a rejoin before Zoom closed the first
        session) form one stretch of presence from the first join to the last leave; rows apart
        keep Zoom's own rounded durations.
        """
        timed = sorted((r for r in self.rows if r.joined_at and r.left_at and r.left_at >= r.joined_at),
                       key=lambda r: r.joined_at)
        total = sum(r.minutes for r in self.rows if not (r.joined_at and r.left_at and r.left_at >= r.joined_at))
        group: list[ZoomRow] = []
        end: dt.datetime | None = None
        for row in [*timed, None]:
            if row is not None and group and row.joined_at < end:
                group.append(row)
                end = max(end, row.left_at)
                continue
            if len(group) == 1:
                total += group[0].minutes
            elif group:
                span = math.ceil((end - group[0].joined_at).total_seconds() / 60)
                total += max(span, *(r.minutes for r in group))
            if row is not None:
                group, end = [row], row.left_at
        return total

    @property
    def listed_minutes(self) -> int:
        """The rows' durations added up, as the report lists them (overlaps counted twice)."""
        return sum(r.minutes for r in self.rows)

    @property
    def joined_at(self) -> dt.datetime | None:
        times = [r.joined_at for r in self.rows if r.joined_at]
        return min(times) if times else None

    @property
    def left_at(self) -> dt.datetime | None:
        times = [r.left_at for r in self.rows if r.left_at]
        return max(times) if times else None

    @property
    def lines(self) -> str:
        return ", ".join(str(r.line) for r in self.rows)


@dataclass
class ZoomImport:
    """What an import did: counts, who matched, what the secretariat still has to resolve."""

    rows: int
    people: int  # after merging rejoins
    matched: list[Presence] = field(default_factory=list)
    unmatched: list[Presence] = field(default_factory=list)
    marked: int = 0  # registrations newly marked 出席
    already: int = 0  # registrations that already had a mark (left as the facilitator tapped it)
    merged: int = 0  # rows folded into an earlier row of the same person
    problems: list[str] = field(default_factory=list)
    format: str = ""  # 「Zoom参加者レポート（日本語）」「Microsoft Teams 出席レポート（日本語）」…
    confidence: float = 0.0  # how sure the format is (0–1)
    format_message: str = ""  # 「Microsoft Teams 出席レポート（日本語）として読みました。」
    listed: list[dict] = field(default_factory=list)  # rows not read as attendance: {"line", "text", "reason"}
    row_counts: dict[str, int] = field(default_factory=dict)  # every row of the file, by where it went

    def as_dict(self) -> dict:
        def item(p: Presence) -> dict:
            # "minutes" keeps its meaning (the report's durations added up); "minutes_present" counts
            # overlapping sessions once and is what is stored and shown.
            return {"display_name": p.display_name, "original_name": p.original_name, "email": p.email,
                    "minutes": p.listed_minutes, "minutes_present": p.minutes, "lines": p.lines, "registration_id": p.registration_id,
                    "name": p.name, "match": p.match, "note": p.note}
        return {"rows": self.rows, "people": self.people, "merged": self.merged, "marked": self.marked,
                "already": self.already, "matched": [item(p) for p in self.matched],
                "unmatched": [item(p) for p in self.unmatched], "problems": self.problems,
                "format": self.format, "confidence": self.confidence, "format_message": self.format_message,
                "listed": self.listed, "row_counts": self.row_counts}


# --- reading (facilitation.rosters.attendance_files decides what the file is) ---

def read_report(data: bytes, file_name: str = "") -> tuple[list[ZoomRow], list[str]]:
    """The attendance rows and Japanese problems (file, line, column named) of a Zoom participant
    report, a Zoom webinar attendee report or a Microsoft Teams attendance report."""
    rows, problems, _format = read_report_format(data, file_name)
    return rows, problems


def _too_many(where: str, lines: int) -> str:
    return (f"{where}: 行が多すぎます（約{lines:,}行）。出席のレポートは1回に{MAX_REPORT_ROWS:,}行まで読み込めます。"
            "1回の会のレポートか確かめ、会ごとにダウンロードし直してください。")


def _read(data: bytes, file_name: str):
    """read_attendance, bounded: a file far beyond MAX_REPORT_ROWS lines is refused before it is
    read (the page never hangs on it); one just beyond it, once its rows are counted."""
    where = file_name or "ファイル"
    lines = data.count(b"\n")
    if lines > 3 * MAX_REPORT_ROWS:  # UTF-16 text can hold more 0x0A bytes than lines: a wide margin
        raise ZoomReportError(_too_many(where, lines))
    found = read_attendance(data, file_name)
    if len(found.rows) > MAX_REPORT_ROWS:
        raise ZoomReportError(_too_many(where, len(found.rows)))
    return found


def read_report_format(data: bytes, file_name: str = "") -> tuple[list[ZoomRow], list[str], str]:
    """`read_report` plus the format recognised (「Zoom参加者レポート（日本語・会議の概要つき）」…)."""
    found = _read(data, file_name)
    return found.rows, found.problems, found.format


# --- matching ---

def _candidates(name: str) -> list[tuple[str, int | None]]:
    """(name key, room number) pairs to try for a Zoom name: whole, without 「R3_」, and its parts."""
    out: list[tuple[str, int | None]] = []
    s = tidy(name)
    if not s:
        return out
    room = None
    m = _ROOM_PREFIX.match(s)
    if m:
        room, s = int(m.group(1)), m.group(2)
    out.append((person_key(s), room))
    parts = [p for p in _SPLIT.split(s) if p]
    for a, b in zip(parts, parts[1:], strict=False):  # 「りんく 佐藤 陽子」: surname + given name
        out.append((person_key(a + b), room))
    out += [(person_key(p), room) for p in parts]
    return [(k, r) for k, r in dict.fromkeys(out) if k]


@dataclass
class _Reg:
    id: int
    name: str
    email: str
    name_key: str
    kana_key: str  # furigana: guests often type their name in kana
    room_number: int | None


def _registrations(session: Session, meeting_id: int) -> list[_Reg]:
    from facilitation.storage.models import Assignment

    rooms = {r.id: r for r in list_rooms(session, meeting_id)}
    rows = session.execute(
        select(Registration.id, Person.name, Person.email, Person.name_key, Person.furigana, Assignment.room_id)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Assignment, Assignment.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting_id, Person.deleted_at.is_(None))
    ).all()
    out = []
    for r in rows:
        room = rooms.get(r.room_id)
        number = None
        if room is not None:
            m = re.search(r"\d+", clean(room.zoom_name))
            number = int(m.group()) if m else room.position
        out.append(_Reg(id=r.id, name=r.name, email=email_key(r.email), name_key=r.name_key or person_key(r.name),
                        kana_key=person_key(r.furigana), room_number=number))
    return out


def match_presence(p: Presence, regs: list[_Reg]) -> None:
    """Fill p.registration_id / match / note: e-mail first, then names (room prefix disambiguates)."""
    if p.email:
        by_mail = [r for r in regs if r.email and r.email == p.email]
        if len(by_mail) == 1:
            p.registration_id, p.match, p.name = by_mail[0].id, "email", by_mail[0].name
            return
        if len(by_mail) > 1:  # a shared office address: let the name decide among them
            regs = by_mail
    by_key: dict[str, list[_Reg]] = {}
    for r in regs:
        by_key.setdefault(r.name_key, []).append(r)
        if r.kana_key and r.kana_key != r.name_key:
            by_key.setdefault(r.kana_key, []).append(r)
    ambiguous = False
    for name in (p.display_name, p.original_name):
        for k, room in _candidates(name):
            found = by_key.get(k, [])
            if len(found) > 1 and room is not None:
                found = [r for r in found if r.room_number == room] or found
            if len(found) == 1:
                p.registration_id, p.name = found[0].id, found[0].name
                p.match = "room_name" if room is not None else "name"
                return
            ambiguous = ambiguous or len(found) > 1
    if not ambiguous:  # 「りんく渡辺大樹」 typed without spaces: a registered full name inside it
        for name in (p.display_name, p.original_name):
            for k, _room in _candidates(name)[:1]:
                inside = {r.id: r for key_, rs in by_key.items() if len(key_) >= 3 and key_ in k for r in rs}
                if len(inside) == 1:
                    reg = next(iter(inside.values()))
                    p.registration_id, p.name, p.match = reg.id, reg.name, "name"
                    return
                ambiguous = ambiguous or len(inside) > 1
    p.note = "同じ名前の申込が複数あります" if ambiguous else "申込に一致する名前・メールがありません"


def _merge(rows: list[ZoomRow]) -> tuple[list[Presence], int]:
    """Group rejoins: same e-mail, else same display/original name key."""
    groups: dict[str, Presence] = {}
    merged = 0
    for row in rows:
        # The display name, not the original: many guests join as 「iPhone」 and rename themselves.
        k = ("mail:" + row.email) if row.email else ("name:" + person_key(row.display_name))
        if k in groups:
            groups[k].rows.append(row)
            merged += 1
        else:
            groups[k] = Presence(rows=[row])
    return list(groups.values()), merged


def _regroup(people: list[Presence]) -> tuple[list[Presence], int]:
    """Fold presences that matched the same registration (e.g. signed in once, guest once)."""
    by_reg: dict[int, Presence] = {}
    out, merged = [], 0
    for p in people:
        if p.registration_id is None:
            out.append(p)
        elif p.registration_id in by_reg:
            by_reg[p.registration_id].rows.extend(p.rows)
            merged += len(p.rows)
        else:
            by_reg[p.registration_id] = p
            out.append(p)
    return out, merged


def import_report(session: Session, viewer: Viewer, meeting_id: int, data: bytes, file_name: str = "",
                  fill: bool = True) -> ZoomImport:
    """Read a participant report, match it, keep its rows (replacing an earlier import), fill 出席.

    Registrations that already have a mark (a facilitator's 遅刻 or 欠席 tap) keep it.
    """
    require_secretariat(viewer, "Zoomの参加者レポートの取り込みは事務局が行います。")
    get_meeting(session, meeting_id)
    found = _read(data, file_name)
    rows, problems = found.rows, found.problems
    people, merged = _merge(rows)
    regs = _registrations(session, meeting_id)
    for p in people:
        match_presence(p, regs)
    people, merged2 = _regroup(people)
    result = ZoomImport(rows=len(rows), people=len(people), merged=merged + merged2, problems=problems,
                        format=found.format, confidence=found.confidence, format_message=found.message,
                        listed=[{"line": x.line, "text": x.text[:300], "reason": x.reason} for x in found.listed],
                        row_counts={**found.counts(), "merged": merged + merged2 + found.folded})
    for p in people:
        if p.minutes < p.listed_minutes:
            result.problems.append(
                f"{p.display_name}（{p.lines}行目）: 同じ時間に重なる参加（複数の端末など）があるため、参加時間は"
                f"重なりを1回として {p.minutes}分としました（レポートの合計は {p.listed_minutes}分）。")
    result.matched = [p for p in people if p.registration_id is not None]
    result.unmatched = [p for p in people if p.registration_id is None]

    session.execute(delete(ZoomParticipant).where(ZoomParticipant.meeting_id == meeting_id))
    now = utcnow()
    session.add_all(ZoomParticipant(
        meeting_id=meeting_id, display_name=p.display_name[:200], original_name=p.original_name[:200],
        email=p.email[:254], joined_at=p.joined_at, left_at=p.left_at, minutes=p.minutes, sessions=len(p.rows),
        guest=any(r.guest for r in p.rows), source_rows=p.lines[:200], registration_id=p.registration_id,
        match=p.match, note=p.note, source_ref=file_name[:300], imported_at=now,
    ) for p in people)
    session.flush()
    if fill:
        result.marked, result.already = _fill(session, viewer, [p.registration_id for p in result.matched])
    return result


def _fill(session: Session, viewer: Viewer, registration_ids: list[int | None]) -> tuple[int, int]:
    ids = [i for i in registration_ids if i is not None]
    if not ids:
        return 0, 0
    marked_before = set(session.scalars(select(Attendance.registration_id).where(Attendance.registration_id.in_(ids))))
    for rid in ids:
        if rid not in marked_before:
            mark_attendance(session, viewer, rid, "出席", recorded_as=ZOOM_ACTOR)
    return len(set(ids) - marked_before), len(marked_before)


@dataclass(frozen=True)
class StoredRow:
    id: int
    display_name: str
    original_name: str
    email: str
    minutes: int
    sessions: int
    guest: bool
    source_rows: str
    registration_id: int | None
    match: str
    note: str


def stored_rows(session: Session, viewer: Viewer, meeting_id: int, unmatched_only: bool = True) -> list[StoredRow]:
    """The kept rows of the last import (by default only those still to resolve)."""
    require_secretariat(viewer, "Zoomの参加者レポートは事務局だけが見られます。")
    q = select(ZoomParticipant).where(ZoomParticipant.meeting_id == meeting_id).order_by(ZoomParticipant.id)
    if unmatched_only:
        q = q.where(ZoomParticipant.registration_id.is_(None), ZoomParticipant.match != "ignored")
    return [StoredRow(id=z.id, display_name=z.display_name, original_name=z.original_name, email=z.email,
                      minutes=z.minutes, sessions=z.sessions, guest=z.guest, source_rows=z.source_rows,
                      registration_id=z.registration_id, match=z.match, note=z.note)
            for z in session.scalars(q)]


def resolve(session: Session, viewer: Viewer, row_id: int, registration_id: int | None) -> None:
    """The secretariat decides: this Zoom row is that registration (marked 出席), or None = not a participant."""
    require_secretariat(viewer, "Zoomの参加者レポートの確認は事務局が行います。")
    row = session.get(ZoomParticipant, row_id)
    if row is None:
        raise UserError(f"Zoomの行（ID {row_id}）が見つかりません。")
    if registration_id is None:
        row.registration_id, row.match, row.note = None, "ignored", "参加者ではない（事務局が確認）"
        return
    reg = session.get(Registration, registration_id)
    if reg is None or reg.meeting_id != row.meeting_id:
        raise UserError(f"この会の申込（ID {registration_id}）が見つかりません。")
    row.registration_id, row.match, row.note = registration_id, "manual", ""
    session.flush()
    _fill(session, viewer, [registration_id])


def registration_choices(session: Session, viewer: Viewer, meeting_id: int) -> list[tuple[int, str]]:
    """(registration id, 「佐藤 陽子（りんく）」) of the meeting, for resolving rows by hand."""
    require_secretariat(viewer, "申込の一覧は事務局だけが見られます。")
    from facilitation.storage.models import Organisation

    rows = session.execute(
        select(Registration.id, Person.name, Person.furigana, Organisation.name.label("org"), Registration.org_text,
               Registration.status)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Registration.meeting_id == meeting_id)
        .order_by(Person.furigana)
    ).all()
    return [(r.id, with_note(r.name, r.org or r.org_text or '所属不明')
             + ("・キャンセル" if r.status == vocab.STATUS_CANCELLED else "")) for r in rows]
