"""Did outreach work? Invited / registered / attended organisations, by 振興局, for one meeting.

Invited: organisations whose invitation for the meeting was sent. Registered: those of them with at
least one registration for the meeting that is not cancelled (people of organisations merged into
them count). Attended: those with at least one person who came (the history's rule: the live mark
出席・遅刻・途中退室 where there is one, else the status 出席). Counts of organisations, no names.

The committee sees the same table under the small-group rule of surveys.disclosure (threshold k, a
setting): a count between 1 and k−1 reads 「k未満」, and so does the next smallest count of the
column when the hidden ones could otherwise be worked out from the total. Facilitators see nothing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import AccessDenied
from facilitation.history.participation import UNKNOWN_REGION
from facilitation.invitations.models import InvitationSend
from facilitation.mail.models import SENT
from facilitation.orgs.merges import merges, resolve_merge
from facilitation.roles import COMMITTEE, Viewer
from facilitation.storage.models import Attendance, Organisation, Person, Registration
from facilitation.surveys import disclosure
from facilitation.text import vocab

LABELS = {"region": "地域", "invited": "ご案内した機関", "registered": "申し込んだ機関", "attended": "参加した機関"}
COUNTS = ("invited", "registered", "attended")
TOTAL = "合計"


def _came(status: str, mark: str | None) -> bool:
    return mark in vocab.CAME_MARKS if mark else status == vocab.STATUS_ATTENDED


def counts(session: Session, meeting_id: int) -> pd.DataFrame:
    """Per region (and 合計): invited / registered / attended organisations, as numbers."""
    mapping = merges(session)
    invited: dict[int, str] = {}
    for org_id, region in session.execute(
            select(InvitationSend.organisation_id, Organisation.region)
            .join(Organisation, Organisation.id == InvitationSend.organisation_id)
            .where(InvitationSend.meeting_id == meeting_id, InvitationSend.status == SENT)):
        invited[int(org_id)] = region or UNKNOWN_REGION
    registered: set[int] = set()
    attended: set[int] = set()
    rows = session.execute(
        select(Person.organisation_id, Registration.status, Attendance.mark)
        .join(Registration, Registration.person_id == Person.id)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting_id, Person.organisation_id.is_not(None),
               Registration.status != vocab.STATUS_CANCELLED))
    for org_id, status, mark in rows:
        unit = resolve_merge(int(org_id), mapping)
        if unit in invited:
            registered.add(unit)
            if _came(status, mark):
                attended.add(unit)
    order = [r for r in (*vocab.ALL_AREAS, UNKNOWN_REGION) if r in set(invited.values())]
    table = pd.DataFrame([{"region": r,
                           "invited": sum(1 for v in invited.values() if v == r),
                           "registered": sum(1 for o in registered if invited[o] == r),
                           "attended": sum(1 for o in attended if invited[o] == r)} for r in order],
                         columns=list(LABELS))
    total = {"region": TOTAL, "invited": len(invited), "registered": len(registered), "attended": len(attended)}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def small_label(k: int) -> str:
    return f"{k}未満"


def protect(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """The committee's copy: counts as text, those from 1 to k−1 (and what would reveal them) 「k未満」."""
    out = table.astype({c: object for c in COUNTS}).copy()
    body = table["region"] != TOTAL
    for col in COUNTS:
        values = table.loc[body, col].astype(int)
        hidden = {i for i, v in values.items() if 0 < v < k}
        shown = sorted((v, i) for i, v in values.items() if i not in hidden and v > 0)
        # The total minus the shown cells is the sum of the hidden ones: it must not be 1..k-1.
        while hidden and 0 < sum(values[i] for i in hidden) < k and shown:
            hidden.add(shown.pop(0)[1])
        for i in hidden:
            out.at[i, col] = small_label(k)
        total_index = table.index[~body][0]
        total = int(table.at[total_index, col])
        if 0 < total < k or (hidden and 0 < sum(values[i] for i in hidden) < k):
            out.at[total_index, col] = small_label(k)
    return out


def outcome(session: Session, viewer: Viewer, meeting_id: int) -> pd.DataFrame:
    """The outcome table for this viewer (columns: LABELS): the secretariat sees the numbers, the
    committee the protected copy; facilitators are refused."""
    if viewer.is_secretariat:
        return counts(session, meeting_id)
    if viewer.role == COMMITTEE:
        return protect(counts(session, meeting_id), disclosure.threshold(session))
    raise AccessDenied("ご案内の結果は、事務局と検討委員会だけが見られます。")
