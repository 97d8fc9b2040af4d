"""Two people editing at once: a stale edit is refused with a Japanese message and the newer state.

`Assignment.version` is SQLAlchemy's version counter. A page shows an assignment with its version;
when the person saves, `move_assignment` refuses if the version moved on in the meantime (someone
else saved first), and the database refuses (StaleDataError) if it moves between our read and our
write. Either way nothing is overwritten and the caller gets a `StaleEdit` to show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from facilitation.storage.models import Assignment, Person, Registration, Room
from facilitation.text.dates import to_jst

STALE = ("ほかの方（{who}）が {when} にこの割り当てを変更したため、保存しませんでした。"
         "いまは「{room}」です。最新の状態を確認してから、もう一度操作してください。")
GONE = "この割り当ては、ほかの方が削除したため保存できませんでした。画面を更新してください。"
CONCURRENT = "ほかの方が同時に割り当てを変更したため、今回の変更は保存しませんでした。画面を更新して、最新の状態を確認してから、もう一度操作してください。"
# PostgreSQL: serialization failure, deadlock, lock not available
_PG_CONFLICT_CODES = {"40001", "40P01", "55P03"}


def is_conflict(exc: BaseException) -> bool:
    """True for an error that means someone else saved at the same moment (not a bug).

    A version that moved between our read and our write (StaleDataError), a uniqueness rule that the
    other save took first (IntegrityError, e.g. one facilitator per room), or a lock the database
    gave to the other writer (SQLite busy/locked, PostgreSQL deadlock or serialization failure).
    """
    if isinstance(exc, (StaleDataError, IntegrityError)):
        return True
    if isinstance(exc, OperationalError):
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        text = str(getattr(exc, "orig", exc)).lower()
        return code in _PG_CONFLICT_CODES or "locked" in text or "busy" in text
    return False


@dataclass
class StaleEdit:
    """A refused edit: what to tell the person and the state that won."""

    message: str
    current: dict = field(default_factory=dict)


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "少し前"
    local = to_jst(moment)
    return local.strftime("%H時%M分")


def assignment_state(session: Session, assignment_id: int) -> dict | None:
    """The assignment as it is now in the database (None when deleted)."""
    session.expire_all()
    a = session.get(Assignment, assignment_id, populate_existing=True)
    if a is None:
        return None
    room = session.get(Room, a.room_id)
    reg = session.get(Registration, a.registration_id)
    person = session.get(Person, reg.person_id) if reg else None
    return {"assignment_id": a.id, "version": a.version, "room_id": a.room_id,
            "room": room.name if room else "", "person": person.name if person else "",
            "updated_by": a.updated_by, "updated_at": a.updated_at, "pinned": a.pinned}


def explain(session: Session, assignment_id: int) -> StaleEdit:
    """The Japanese message and newer state for a refused edit of this assignment."""
    state = assignment_state(session, assignment_id)
    if state is None:
        return StaleEdit(GONE, {})
    who = state["updated_by"] or "別の担当者"
    return StaleEdit(STALE.format(who=who, when=_when(state["updated_at"]), room=state["room"]), state)
