"""The saved assignment re-checked against the rules: its status, quality, overall explanation and
the editor's table of placed people (headers: PEOPLE_LABELS)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.assignment.building import MeetingInstance, build_instance, rid
from facilitation.assignment.check import Violation, violations
from facilitation.assignment.instance import Instance
from facilitation.assignment.quality import QualityReport, explain_all, overall_explanation, report
from facilitation.assignment.rule_settings import applied_rules
from facilitation.errors import AccessDenied
from facilitation.roles import Viewer
from facilitation.storage.models import Assignment, Room


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
