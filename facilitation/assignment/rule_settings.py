"""The meeting's rule switches: saved, checked, and compared with those of the saved run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.assignment.errors import SECRETARIAT_ONLY, AssignmentError
from facilitation.assignment.instance import Rules, _rules
from facilitation.assignment.models import SolverRun
from facilitation.assignment.quality import rules_sentence
from facilitation.meetings.schedule import get_meeting
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Assignment, Room

RULES_SETTING = "assignment_rules"  # key in Meeting.settings


DEFAULT_RULES: dict[str, Any] = {
    "one_facilitator_per_room": True, "max_per_org": 1, "spread_government": True,
    "choice_weights": [3, 2, 1], "repeat_penalty": 1,
}


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
