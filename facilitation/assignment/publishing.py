"""Published versions of the assignment and who moved since the last one."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.assignment.errors import SECRETARIAT_ONLY, AssignmentError
from facilitation.assignment.models import AssignmentVersion
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Assignment, Registration, Room
from facilitation.text.normalize import clean


def latest_version(session: Session, meeting_id: int) -> AssignmentVersion | None:
    return session.scalar(select(AssignmentVersion).where(AssignmentVersion.meeting_id == meeting_id)
                          .order_by(AssignmentVersion.number.desc()).limit(1))


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
