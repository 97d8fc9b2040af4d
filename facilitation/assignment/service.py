"""The database side of room assignment: rooms and themes, running the optimiser for a meeting,
manual moves, publishing versions, and exports of the saved assignment. Free-text choices are
mapped to rooms by `facilitation.choices` (one implementation for both pages and the optimiser).

Instance ids: a person is "p<registration id>", a room "r<room id>". Pinned assignments stay where
they are; a pinned facilitator is that room's fixed facilitator. `Room.facilitator_id` follows the
saved answer so the roster and reports see who facilitates.

Frames for a page or the CLI have English snake_case columns, shown under the Japanese headers of
the *_LABELS dict next to each; documents (the Google Sheet tab, exports) keep Japanese headers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from facilitation.access import gate
from facilitation.assignment import concurrency, exports
from facilitation.assignment.check import Violation, violations
from facilitation.assignment.choices import ChoiceMapper, active_registrations
from facilitation.assignment.choices import choice_review as choice_review  # re-exported: the rooms page, tests
from facilitation.assignment.choices import map_choice as map_choice  # re-exported: the rooms page, tests
from facilitation.assignment.concurrency import explain
from facilitation.assignment.instance import Instance, InstanceError, PersonSpec, Result, RoomSpec, Rules, _rules
from facilitation.assignment.models import AssignmentVersion, SolverRun
from facilitation.assignment.quality import QualityReport, explain_all, overall_explanation, report, rules_sentence
from facilitation.assignment.solver import DEFAULT_BACKEND, solve
from facilitation.errors import AccessDenied, UserError
from facilitation.meetings.schedule import get_meeting, label, list_rooms
from facilitation.roles import Viewer, require_secretariat
from facilitation.sheets.gsheets import SheetsClient, SheetsError
from facilitation.storage import settings
from facilitation.storage.models import Assignment, Meeting, Organisation, Person, Registration, Room
from facilitation.text import vocab
from facilitation.text.normalize import as_typed, clean, key, with_note

SECRETARIAT_ONLY = "ルームの割り当ては事務局だけが変更できます。"

RULES_SETTING = "assignment_rules"  # key in Meeting.settings
THEMES_SETTING = "assignment.theme_library"  # Setting: themes the secretariat added
DEFAULT_RULES: dict[str, Any] = {
    "one_facilitator_per_room": True, "max_per_org": 1, "spread_government": True,
    "choice_weights": [3, 2, 1], "repeat_penalty": 1,
}
PAST_MEETINGS = 6  # how many earlier meetings count for "meet new people"
SHEET_TAB = "ルーム割り当て"


class AssignmentError(UserError):
    """Something the secretariat can fix; the message is Japanese."""


def pid(registration_id: int) -> str:
    return f"p{registration_id}"


def rid(room_id: int) -> str:
    return f"r{room_id}"


def _num(text: str) -> int:
    return int(text[1:])


# --- rules ---

def get_rules(session: Session, meeting_id: int) -> dict[str, Any]:
    """The rule switches saved for this meeting (the defaults when none were saved)."""
    meeting = get_meeting(session, meeting_id)
    saved = (meeting.settings or {}).get(RULES_SETTING)
    return dict(saved) if isinstance(saved, dict) else dict(DEFAULT_RULES)


def saved_rules(session: Session, meeting_id: int) -> Rules:
    """The meeting's saved rules as the typed value the page and the solver share."""
    return _rules(get_rules(session, meeting_id), [])


def set_rules(session: Session, viewer: Viewer, meeting_id: int, rules: Rules | dict[str, Any]) -> dict[str, Any]:
    """Check and save the rules (the typed value, or its dict from a file); raises AssignmentError
    with Japanese problems."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    problems: list[str] = []
    parsed = _rules(rules.as_dict() if isinstance(rules, Rules) else rules, problems)
    if problems:
        raise AssignmentError("\n".join(problems))
    meeting = get_meeting(session, meeting_id)
    meeting.settings = {**(meeting.settings or {}), RULES_SETTING: parsed.as_dict()}
    session.flush()
    return parsed.as_dict()


def last_run(session: Session, meeting_id: int) -> SolverRun | None:
    """The latest optimiser run whose answer was saved as the meeting's assignment."""
    return session.scalar(select(SolverRun).where(SolverRun.meeting_id == meeting_id, SolverRun.saved.is_(True))
                          .order_by(SolverRun.id.desc()).limit(1))


def designated_only(session: Session, meeting_id: int) -> int | None:
    """Before the first run: how many people are placed (designated facilitators, moves by hand);
    None once a run was saved or anyone was placed otherwise (then there is an assignment to describe)."""
    if last_run(session, meeting_id) is not None:
        return None
    placed = session.scalars(select(Assignment).join(Room, Room.id == Assignment.room_id)
                             .where(Room.meeting_id == meeting_id)).all()
    return len(placed) if all(a.is_facilitator or a.pinned for a in placed) else None


def applied_rules(session: Session, meeting_id: int) -> Rules | None:
    """The rules the saved assignment was made with (its last saved run); None before any run."""
    run = last_run(session, meeting_id)
    return _rules(run.rules or {}, []) if run is not None else None


@dataclass
class RulesState:
    """What the page says about rules: those of the saved run, and whether the saved switches differ."""

    run_sentence: str  # 「決まり: …」 of the saved run ("" before any run)
    run_at: Any  # when that run was made (UTC) or None
    changed_since_run: bool  # the meeting's switches now differ from the run's


def rules_state(session: Session, meeting_id: int) -> RulesState:
    run = last_run(session, meeting_id)
    if run is None:
        return RulesState("", None, False)
    used = _rules(run.rules or {}, [])
    now = _rules(get_rules(session, meeting_id), [])
    return RulesState(rules_sentence(used), run.started_at, used.as_dict() != now.as_dict())


def _as_run(status: Status, session: Session) -> Instance:
    """The status's instance with the rules of the saved run, so reasons name only rules that applied."""
    used = applied_rules(session, status.built.meeting_id)
    return replace(status.built.instance, rules=used) if used is not None else status.built.instance


def overview(session: Session, meeting_id: int, status: Status | None = None) -> str:
    """The overall explanation of the saved assignment (Japanese sentences; "" when nothing is saved)."""
    status = status or check(session, meeting_id)
    if not status.has_assignment:
        return ""
    return overall_explanation(_as_run(status, session), status.assignment, status.facilitators)


# --- rooms and themes ---

@dataclass
class RoomInput:
    name: str
    theme: str = ""
    capacity: int | None = None
    zoom_name: str = ""
    id: int | None = None


ROOM_LABELS = {"name": "ルーム名", "theme": "テーマ", "capacity": "定員", "zoom_name": "Zoomのルーム名",
               "facilitator": "ファシリテーター", "people": "人数"}


def rooms_frame(session: Session, meeting_id: int) -> pd.DataFrame:
    """The meeting's rooms for the editor: id, name, theme, capacity, Zoom name, facilitator, people
    placed (headers: ROOM_LABELS)."""
    counts = dict(session.execute(
        select(Assignment.room_id, func.count()).join(Room).where(Room.meeting_id == meeting_id)
        .group_by(Assignment.room_id)).all())
    rows = []
    for r in list_rooms(session, meeting_id):
        fac = session.get(Person, r.facilitator_id) if r.facilitator_id else None
        rows.append({"id": r.id, "name": r.name, "theme": r.theme, "capacity": r.capacity,
                     "zoom_name": r.zoom_name, "facilitator": fac.name if fac else "",
                     "people": counts.get(r.id, 0)})
    return pd.DataFrame(rows, columns=["id", *ROOM_LABELS])


def save_rooms(session: Session, viewer: Viewer, meeting_id: int, rows: list[RoomInput]) -> list[Room]:
    """Replace the meeting's rooms with `rows` (kept ids are updated, missing ones deleted)."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    problems = []
    names = [key(r.name) for r in rows]  # 「ルーム１」 and 「ルーム1」 are one name
    for k, r in enumerate(rows, start=1):
        if not clean(r.name):
            problems.append(f"{k}行目: ルーム名を入力してください。")
        if r.capacity is not None and r.capacity < 1:
            problems.append(f"{k}行目: 定員は1以上の数で入力してください。")
    for dup in sorted({_one_line(r.name) for r, n in zip(rows, names, strict=True) if n and names.count(n) > 1}):
        problems.append(f"ルーム名「{dup}」が重複しています。")
    if problems:
        raise AssignmentError("\n".join(problems))
    existing = {r.id: r for r in list_rooms(session, meeting_id)}
    kept: list[Room] = []
    for k, row in enumerate(rows, start=1):
        room = existing.pop(row.id, None) if row.id is not None else None
        if room is None:
            room = Room(meeting_id=meeting_id)
            session.add(room)
        room.position, room.name, room.theme = k, _one_line(row.name), _one_line(row.theme)  # as typed
        room.capacity = row.capacity
        room.zoom_name = clean(row.zoom_name) or f"R{k}"
        kept.append(room)
    for room in existing.values():
        session.delete(room)
    session.flush()
    return kept


def meetings_with_rooms(session: Session, exclude: int | None = None) -> list[tuple[int, str, int]]:
    """(meeting id, label, number of rooms) of meetings that have rooms, newest first."""
    rows = session.execute(
        select(Meeting, func.count(Room.id)).join(Room, Room.meeting_id == Meeting.id)
        .group_by(Meeting.id).order_by(Meeting.starts_at.desc())).all()
    return [(m.id, label(m), n) for m, n in rows if m.id != exclude]


def copy_rooms(session: Session, viewer: Viewer, from_meeting_id: int, to_meeting_id: int) -> int:
    """Copy names, themes, capacities and Zoom names of another meeting's rooms; returns how many."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    if from_meeting_id == to_meeting_id:
        raise AssignmentError("同じ会からはコピーできません。")
    source = list_rooms(session, from_meeting_id)
    if not source:
        raise AssignmentError("コピー元の会にはルームがありません。")
    placed = session.scalar(select(func.count()).select_from(Assignment).join(Room)
                            .where(Room.meeting_id == to_meeting_id)) or 0
    if placed:
        raise AssignmentError(f"この会ではすでに {placed} 名をルームに割り当てています。"
                              "ルームをコピーすると割り当てが消えるため、先に割り当てを消してください。")
    session.execute(delete(Room).where(Room.meeting_id == to_meeting_id))
    for k, r in enumerate(source, start=1):
        session.add(Room(meeting_id=to_meeting_id, position=k, name=r.name, theme=r.theme,
                         capacity=r.capacity, zoom_name=r.zoom_name or f"R{k}"))
    session.flush()
    return len(source)


def theme_library(session: Session) -> list[str]:
    """Themes to choose from: the network's usual ones, those used in past meetings (most used
    first) and those the secretariat added."""
    used = session.execute(select(Room.theme, func.count()).where(Room.theme != "").group_by(Room.theme)).all()
    added = list(settings.get(session, THEMES_SETTING, [], kind=list))
    out: dict[str, str] = {}
    for theme in [*vocab.THEME_LIBRARY, *(t for t, _ in sorted(used, key=lambda x: -x[1])), *added]:
        out.setdefault(key(theme), str(theme).strip())
    return [t for t in out.values() if t]


def _one_line(text: object) -> str:
    """A room's name or theme as typed (full-width brackets stay 「（…）」), on one line."""
    return " ".join(as_typed(text).splitlines())


def add_theme(session: Session, viewer: Viewer, theme: str) -> None:
    """Add a theme to the library (kept in settings), as typed."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    theme = _one_line(theme)
    if not theme:
        raise AssignmentError("テーマを入力してください。")
    added = list(settings.get(session, THEMES_SETTING, [], kind=list))
    if key(theme) not in {key(t) for t in added}:
        settings.put(session, THEMES_SETTING, [*added, theme])


# --- building the instance (free-text choices → rooms: assignment.choices) ---

@dataclass
class MeetingInstance:
    """An instance built from the database, with what is needed to map answers back."""

    instance: Instance
    meeting_id: int
    registration: dict[str, Registration]  # person id → registration
    person: dict[str, Person]
    room: dict[str, Room]  # room id → room
    assignment_of: dict[str, Assignment] = field(default_factory=dict)
    unmatched_choices: int = 0
    published_version: int | None = None


def latest_version(session: Session, meeting_id: int) -> AssignmentVersion | None:
    return session.scalar(select(AssignmentVersion).where(AssignmentVersion.meeting_id == meeting_id)
                          .order_by(AssignmentVersion.number.desc()).limit(1))


def rule_tensions(session: Session, meeting_id: int, rules: Rules | dict[str, Any] | None = None) -> list[str]:
    """Before a run: where the rules on the page will keep people from their first wish (Japanese)."""
    from facilitation.assignment.diagnose import wishes_against_rules

    if not list_rooms(session, meeting_id):
        return []
    try:
        built = build_instance(session, meeting_id, rules.as_dict() if isinstance(rules, Rules) else rules,
                               past_meetings=0)
    except AssignmentError:  # nothing to assign yet: the run itself says why
        return []
    return wishes_against_rules(built.instance)


def build_instance(session: Session, meeting_id: int, rules: dict[str, Any] | None = None,
                   time_limit_s: float = 10.0, past_meetings: int = PAST_MEETINGS) -> MeetingInstance:
    """The meeting's registrations (not cancelled or absent) and rooms as an optimiser instance."""
    meeting = get_meeting(session, meeting_id)
    rooms = list_rooms(session, meeting_id)
    if not rooms:
        raise AssignmentError("この会にはまだルームがありません。先にルームを作ってください。")
    regs = active_registrations(session, meeting_id)
    if not regs:
        raise AssignmentError("この会にはまだ申込がありません。")
    mapper = ChoiceMapper(session, meeting_id)
    current = {a.registration_id: a for a in session.scalars(
        select(Assignment).join(Room).where(Room.meeting_id == meeting_id))}
    published = latest_version(session, meeting_id)
    previous = {row["registration_id"]: row["room_id"] for row in (published.snapshot if published else [])}
    rule_data = rules if rules is not None else get_rules(session, meeting_id)
    room_ids = {r.id for r in rooms}

    people: list[PersonSpec] = []
    by_pid: dict[str, Registration] = {}
    persons: dict[str, Person] = {}
    assignment_of: dict[str, Assignment] = {}
    unmatched = 0
    fixed_facilitator: dict[str, str] = {}
    for reg in regs:
        person = session.get(Person, reg.person_id)
        org: Organisation | None = session.get(Organisation, person.organisation_id) if person.organisation_id else None
        choices: list[str] = []
        for text in (reg.choice1, reg.choice2, reg.choice3):
            if not clean(text):
                continue
            m = mapper.match(text)
            if m.room_id is None:
                unmatched += m.how == "対応なし"
            elif rid(m.room_id) not in choices:
                choices.append(rid(m.room_id))
        a = current.get(reg.id)
        p = pid(reg.id)
        pinned = rid(a.room_id) if (a is not None and a.pinned) else None
        if a is not None:
            assignment_of[p] = a
            if a.pinned and a.is_facilitator:
                fixed_facilitator.setdefault(rid(a.room_id), p)
        prev = previous.get(reg.id)
        people.append(PersonSpec(
            id=p, name=person.name, org=(org.name if org else clean(reg.org_text)),
            area=org.region if org else "", sector=vocab.sector(org.kind if org else None),
            government=vocab.is_government(org.kind) if org else False,
            facilitator=bool(reg.willing_facilitator or reg.role == "ファシリテーター"),
            choices=choices, pinned=pinned, programs=list(reg.programs or (org.programs if org else [])),
            role=person.role_title, experience=person.years_experience,
            previous=rid(prev) if prev in room_ids else None, email=person.email,
        ))
        by_pid[p] = reg
        persons[p] = person

    # Past rooms: who sat together in the last few meetings before this one.
    person_to_pid = {reg.person_id: p for p, reg in by_pid.items()}
    earlier = list(session.scalars(select(Meeting.id).where(Meeting.starts_at < meeting.starts_at)
                                   .order_by(Meeting.starts_at.desc()).limit(past_meetings)))
    groups: dict[int, list[str]] = defaultdict(list)
    if earlier:
        rows = session.execute(select(Assignment.room_id, Registration.person_id).join(Registration)
                               .where(Registration.meeting_id.in_(earlier))).all()
        for room_id, person_id in rows:
            if person_id in person_to_pid:
                groups[room_id].append(person_to_pid[person_id])
    past = [g for g in groups.values() if len(g) >= 2]

    room_specs = [RoomSpec(id=rid(r.id), name=r.name, theme=r.theme, capacity=r.capacity,
                           facilitator=fixed_facilitator.get(rid(r.id)), zoom_name=r.zoom_name) for r in rooms]
    data = Instance(rooms=room_specs, people=people, past_rooms=past, time_limit_s=time_limit_s).to_dict()
    data["rules"] = rule_data
    try:
        instance = Instance.from_dict(data)
    except InstanceError as exc:
        raise AssignmentError(str(exc)) from None
    return MeetingInstance(instance=instance, meeting_id=meeting_id, registration=by_pid, person=persons,
                           room={rid(r.id): r for r in rooms}, assignment_of=assignment_of,
                           unmatched_choices=unmatched, published_version=published.number if published else None)


# --- running and saving ---

@dataclass
class RunOutcome:
    result: Result
    built: MeetingInstance
    run_id: int
    saved: bool


def run_optimiser(session: Session, viewer: Viewer, meeting_id: int, rules: dict[str, Any] | None = None,
                  time_limit_s: float = 10.0, save: bool = True, backend: str = DEFAULT_BACKEND) -> RunOutcome:
    """Solve the meeting and (when the answer is feasible and `save`) store it as the assignment."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    built = build_instance(session, meeting_id, rules, time_limit_s)
    result = solve(built.instance, backend=backend)
    saved = bool(save and result.ok)
    if saved:
        save_result(session, viewer, built, result)
    run = SolverRun(meeting_id=meeting_id, actor=viewer.actor, backend=result.backend, status=result.status,
                    objective=result.objective, bound=result.bound, seconds=round(result.seconds, 3),
                    people=len(built.instance.people), rooms=len(built.instance.rooms), saved=saved,
                    rules=built.instance.rules.as_dict(), reasons=list(result.reasons))
    session.add(run)
    session.flush()
    return RunOutcome(result=result, built=built, run_id=run.id, saved=saved)


def save_result(session: Session, viewer: Viewer, built: MeetingInstance, result: Result) -> int:
    """Write an answer into the assignments table; returns how many rows changed."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    facilitators = set(result.facilitators.values())
    changed = 0
    keep_ids = set()
    for p, room in result.assignment.items():
        reg = built.registration[p]
        a = built.assignment_of.get(p)
        room_id = _num(room)
        is_fac = p in facilitators
        reason = result.why.get(p, "")[:300]
        if a is None:
            a = Assignment(registration_id=reg.id, room_id=room_id, pinned=False)
            session.add(a)
        if (a.room_id, a.is_facilitator, a.reason) != (room_id, is_fac, reason):
            a.room_id, a.is_facilitator, a.reason = room_id, is_fac, reason
            a.updated_by = viewer.actor
            changed += 1
        keep_ids.add(reg.id)
    stale = session.scalars(select(Assignment).join(Room).where(
        Room.meeting_id == built.meeting_id, Assignment.registration_id.not_in(keep_ids or {0})))
    for a in stale:  # cancelled or absent since the last run
        session.delete(a)
        changed += 1
    for room_key, room in built.room.items():
        fac = result.facilitators.get(room_key)
        room.facilitator_id = built.registration[fac].person_id if fac else None
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise AssignmentError("ほかの方が同時に割り当てを変更したため、保存しませんでした。もう一度実行してください。") from None
    return changed


def current_assignment(session: Session, built: MeetingInstance) -> tuple[dict[str, str], dict[str, str]]:
    """(person id → room id, room id → facilitator person id) as saved now."""
    assignment, facilitators = {}, {}
    rows = session.scalars(select(Assignment).join(Room).where(Room.meeting_id == built.meeting_id))
    reg_to_pid = {reg.id: p for p, reg in built.registration.items()}
    for a in rows:
        p = reg_to_pid.get(a.registration_id)
        if p is None:
            continue
        assignment[p] = rid(a.room_id)
        if a.is_facilitator:
            facilitators.setdefault(rid(a.room_id), p)
    return assignment, facilitators


@dataclass
class Status:
    """The saved assignment of a meeting, re-checked against the rules."""

    built: MeetingInstance
    assignment: dict[str, str]
    facilitators: dict[str, str]
    violations: list[Violation]
    unassigned: int

    @property
    def has_assignment(self) -> bool:
        return bool(self.assignment)


def check(session: Session, meeting_id: int, rules: dict[str, Any] | None = None) -> Status:
    """Re-check the saved assignment (after manual moves) against the meeting's rules."""
    built = build_instance(session, meeting_id, rules)
    assignment, facilitators = current_assignment(session, built)
    found = violations(built.instance, assignment, facilitators) if assignment else []
    unassigned = sum(1 for p in built.instance.people if p.id not in assignment)
    return Status(built=built, assignment=assignment, facilitators=facilitators, violations=found,
                  unassigned=unassigned)


def quality(session: Session, meeting_id: int, status: Status | None = None) -> QualityReport | None:
    """The quality report of the saved assignment (None when nothing is assigned yet)."""
    status = status or check(session, meeting_id)
    if not status.has_assignment:
        return None
    return report(status.built.instance, status.assignment, status.facilitators)


PEOPLE_LABELS = {"name": "氏名", "organisation": "所属", "sector": "区分", "room": "ルーム", "pinned": "固定",
                 "facilitator": "ファシリテーター", "choice": "希望", "reason": "理由"}
PEOPLE_COLUMNS = ["assignment_id", "version", *PEOPLE_LABELS]


def people_frame(session: Session, viewer: Viewer, meeting_id: int, status: Status | None = None) -> pd.DataFrame:
    """One line per placed person with their room, pin, role, choice rank and reason (for the
    editor; headers: PEOPLE_LABELS). Committee: no names; facilitator: their own room only."""
    if viewer.meeting_id is not None and viewer.meeting_id != meeting_id:
        raise AccessDenied("この会の割り当ては見られません。")
    status = status or check(session, meeting_id)
    built = status.built
    why = explain_all(_as_run(status, session), status.assignment, status.facilitators)
    rows = []
    for p in built.instance.people:
        a = built.assignment_of.get(p.id)
        room = status.assignment.get(p.id)
        if a is None or room is None:
            continue
        if viewer.room_id is not None and a.room_id != viewer.room_id:
            continue
        rank = p.choices.index(room) + 1 if room in p.choices else None
        rows.append({"assignment_id": a.id, "version": a.version,
                     "name": p.name if viewer.sees_names else "", "organisation": p.org, "sector": p.sector,
                     "room": built.room[room].name, "pinned": a.pinned, "facilitator": a.is_facilitator,
                     "choice": f"第{rank}希望" if rank else ("希望なし" if not p.choices else "希望外"),
                     "reason": why.get(p.id, "") if viewer.sees_names else ""})
    frame = pd.DataFrame(rows, columns=PEOPLE_COLUMNS)
    if not viewer.sees_names:
        frame = frame.drop(columns=["name", "reason"])
    return frame


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
    for reg in active_registrations(session, meeting_id):
        person = session.get(Person, reg.person_id)
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


# --- publishing ---

def publish(session: Session, viewer: Viewer, meeting_id: int, note: str = "") -> AssignmentVersion:
    """Freeze the saved assignment as the next published version."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    rows = session.execute(select(Assignment, Room).join(Room).where(Room.meeting_id == meeting_id)).all()
    if not rows:
        raise AssignmentError("公開する割り当てがありません。先に割り当てを作ってください。")
    last = latest_version(session, meeting_id)
    version = AssignmentVersion(
        meeting_id=meeting_id, number=(last.number + 1) if last else 1, published_by=viewer.actor,
        note=clean(note)[:300],
        snapshot=[{"registration_id": a.registration_id, "room_id": r.id, "room": r.name,
                   "facilitator": a.is_facilitator} for a, r in rows])
    session.add(version)
    session.flush()
    return version


DIFF_LABELS = {"name": "氏名", "organisation": "所属", "published_room": "公開時のルーム", "current_room": "現在のルーム",
               "change": "変更"}


def diff_since_published(session: Session, viewer: Viewer, meeting_id: int) -> pd.DataFrame:
    """Who moved, arrived or left since the last published version (empty when nothing did;
    headers: DIFF_LABELS)."""
    columns = list(DIFF_LABELS)
    last = latest_version(session, meeting_id)
    if last is None:
        return pd.DataFrame(columns=columns)
    before = {row["registration_id"]: row["room"] for row in last.snapshot}
    now = dict(session.execute(select(Assignment.registration_id, Room.name).join(Room)
                               .where(Room.meeting_id == meeting_id)).all())
    rows = []
    for reg_id in sorted(set(before) | set(now)):
        old, new = before.get(reg_id), now.get(reg_id)
        if old == new:
            continue
        reg = session.get(Registration, reg_id)
        person = reg.person if reg else None
        org = person.organisation.name if (person and person.organisation) else (reg.org_text if reg else "")
        what = "追加" if old is None else ("取り消し" if new is None else "移動")
        rows.append({"name": person.name if (person and viewer.sees_names) else "", "organisation": org,
                     "published_room": old or "", "current_room": new or "", "change": what})
    return pd.DataFrame(rows, columns=columns)


# --- facilitator links for every room ---

@dataclass
class RoomLink:
    room_id: int
    room: str
    zoom_name: str
    facilitator: str  # "" when the room has none yet
    url: str
    expires: str  # Japan time, 「2026年12月10日（木） 0:00」
    new: bool  # issued just now (False: a link still valid was reused)


def facilitator_links(session: Session, viewer: Viewer, meeting_id: int, secret: bytes,
                      make_url: Callable[[str], str], *, issue: bool = True) -> list[RoomLink]:
    """A link for every room of the meeting: the room's valid link, else a new one (`issue`).

    Reusing valid links keeps one live link per room when the action is repeated. `make_url`
    turns a token into the address people open (the app knows its public base URL).
    """
    require_secretariat(viewer, SECRETARIAT_ONLY)
    out = []
    for r in list_rooms(session, meeting_id):
        link = gate.current_link(session, r.id, secret)
        new = False
        if link is None and issue:
            link, new = gate.issue_link(session, viewer, r.id, secret), True
        if link is None:
            continue
        fac = session.get(Person, r.facilitator_id) if r.facilitator_id else None
        out.append(RoomLink(room_id=r.id, room=r.name, zoom_name=r.zoom_name, facilitator=fac.name if fac else "",
                            url=make_url(link.token), expires=link.expires_text, new=new))
    return out


def links_message(meeting_title: str, links: list[RoomLink]) -> str:
    """The links as plain text to paste into one e-mail to the facilitators (room, facilitator, link, expiry)."""
    lines = [f"{meeting_title} ファシリテーター用リンク", "",
             "担当するルームのリンクを開くと、そのルームの名簿とメモの欄が見られます（ログインは不要です）。",
             "リンクはご自分のルームのものだけを開き、ほかの方には転送しないでください。", ""]
    for k in links:
        lines.append(f"■ {k.room}" + (f"（Zoom: {k.zoom_name}）" if k.zoom_name and k.zoom_name != k.room else ""))
        lines.append(f"ファシリテーター: {k.facilitator}さん" if k.facilitator else "ファシリテーター: 未定")
        lines.append(k.url)
        lines.append(f"有効期限: {k.expires}まで")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- exports ---

def roster(session: Session, viewer: Viewer, meeting_id: int, links: list[RoomLink] | None = None) -> exports.Roster:
    """The saved assignment as a roster for the exports (names and e-mails: secretariat only);
    `links` (facilitator_links) go into the overview sheet."""
    require_secretariat(viewer, "名簿の書き出しは事務局だけができます。")
    status = check(session, meeting_id)
    built = status.built
    why = explain_all(_as_run(status, session), status.assignment, status.facilitators)
    rooms = [exports.RosterRoom(id=rid(r.id), name=r.name, theme=r.theme, zoom_name=r.zoom_name,
                                capacity=r.capacity, position=k)
             for k, r in enumerate(list_rooms(session, meeting_id), start=1)]
    fac = set(status.facilitators.values())
    entries = []
    for p in built.instance.people:
        room = status.assignment.get(p.id)
        if room is None:
            continue
        person = built.person[p.id]
        entries.append(exports.RosterEntry(
            room_id=room, name=p.name, furigana=person.furigana, org=p.org, email=person.email, area=p.area,
            sector=p.sector, facilitator=p.id in fac,
            choice_rank=p.choices.index(room) + 1 if room in p.choices else None,
            reason=why.get(p.id, ""), pinned=p.pinned == room))
    meeting = get_meeting(session, meeting_id)
    return exports.Roster(title=f"{label(meeting)} ルーム名簿", rooms=rooms, entries=entries,
                          links={rid(k.room_id): (k.url, k.expires) for k in links or []})


def sheet_frame(r: exports.Roster) -> pd.DataFrame:
    """The assignment as one table (for the Google Sheet tab)."""
    rows = []
    for room in r.rooms:
        for e in r.members(room.id):
            rows.append({"ルーム": room.name, "Zoomのルーム名": room.zoom_label, "テーマ": room.theme, "氏名": e.name,
                         "所属": e.org, "役割": "ファシリテーター" if e.facilitator else "",
                         "希望": f"第{e.choice_rank}希望" if e.choice_rank else "希望外",
                         "Zoom表示名": exports.guest_name(room, e.name)})
    return pd.DataFrame(rows, columns=["ルーム", "Zoomのルーム名", "テーマ", "氏名", "所属", "役割", "希望", "Zoom表示名"])


def write_to_sheet(session: Session, viewer: Viewer, meeting_id: int, client: Any = None, tab: str = SHEET_TAB) -> str:
    """Write the assignment to a tab of the meeting's Google Sheet; returns a Japanese message."""
    meeting = get_meeting(session, meeting_id)
    if not clean(meeting.sheet_url):
        raise AssignmentError("この会には Google スプレッドシートが登録されていません。申込ページでシートを登録してください。")
    frame = sheet_frame(roster(session, viewer, meeting_id))
    client = client or SheetsClient()
    try:
        client.write_tab(meeting.sheet_url, tab, frame)
    except SheetsError as exc:
        raise AssignmentError(f"Google スプレッドシートに書き込めませんでした: {exc}") from None
    return f"スプレッドシートのタブ「{tab}」に {len(frame)} 名分の割り当てを書き込みました。"
