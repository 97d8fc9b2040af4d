"""Running the optimiser for a meeting and saving its answer as the assignment (`Room.facilitator_id`
follows the saved answer so the roster and reports see who facilitates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from facilitation.assignment.building import MeetingInstance, _num, build_instance
from facilitation.assignment.errors import SECRETARIAT_ONLY, AssignmentError
from facilitation.assignment.instance import Result
from facilitation.assignment.models import SolverRun
from facilitation.assignment.solver import DEFAULT_BACKEND, solve
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Assignment, Room


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
