"""Did outreach work? Invited / registered / attended organisations, by 振興局, for one meeting.

Invited: organisations whose invitation for the meeting was sent. Registered: those of them with at
least one registration for the meeting that is not cancelled (people of organisations merged into
them count). After: those of them with such a registration received after their invitation was sent
(the form's timestamp, else when the registration was recorded; an invitation that crossed an
application already on its way is not a success of outreach). Attended: those with at least one
person who came (the history's rule: the live mark 出席・遅刻・途中退室 where there is one, else the
status 出席). Counts of organisations, no names.

The committee sees the same table under the small-group rule of surveys.disclosure (threshold k, a
setting): a count between 1 and k−1 reads 「k未満」, and so does the next smallest count of the
column when the hidden ones could otherwise be worked out from the total. Facilitators see nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import AccessDenied
from facilitation.history import committee_pack, participation
from facilitation.history.participation import UNKNOWN_REGION
from facilitation.invitations.models import InvitationSend
from facilitation.mail.models import SENT
from facilitation.meetings.schedule import label
from facilitation.orgs.merges import merges, resolve_merge
from facilitation.roles import COMMITTEE, Viewer
from facilitation.storage.models import Attendance, Meeting, Organisation, Person, Registration
from facilitation.surveys import disclosure
from facilitation.text import vocab
from facilitation.text.dates import to_jst

LABELS = {"region": "地域", "invited": "ご案内した機関", "registered": "申し込んだ機関",
          "after": "うちご案内後に申し込んだ機関", "attended": "参加した機関"}
COUNTS = ("invited", "registered", "after", "attended")
TOTAL = "合計"


def _came(status: str, mark: str | None) -> bool:
    return mark in vocab.CAME_MARKS if mark else status == vocab.STATUS_ATTENDED


def received_at(submitted_at: dt.datetime | None, created_at: dt.datetime | None) -> dt.datetime | None:
    """When a registration arrived, in Japan time: the form's timestamp (Japan time), else when it
    was recorded (stored as UTC)."""
    return submitted_at or to_jst(created_at)


def counts(session: Session, meeting_id: int) -> pd.DataFrame:
    """Per region (and 合計): invited / registered / registered after the invitation / attended
    organisations, as numbers."""
    mapping = merges(session)
    invited: dict[int, str] = {}
    sent: dict[int, dt.datetime] = {}  # each invited organisation's first invitation, Japan time
    for org_id, region, when in session.execute(
            select(InvitationSend.organisation_id, Organisation.region, InvitationSend.sent_at)
            .join(Organisation, Organisation.id == InvitationSend.organisation_id)
            .where(InvitationSend.meeting_id == meeting_id, InvitationSend.status == SENT)):
        unit = resolve_merge(int(org_id), mapping)
        invited.setdefault(unit, region or UNKNOWN_REGION)
        when = to_jst(when)
        if when is not None and (unit not in sent or when < sent[unit]):
            sent[unit] = when
    registered: set[int] = set()
    after: set[int] = set()
    attended: set[int] = set()
    rows = session.execute(
        select(Person.organisation_id, Registration.status, Registration.submitted_at, Registration.created_at,
               Attendance.mark)
        .join(Registration, Registration.person_id == Person.id)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting_id, Person.organisation_id.is_not(None),
               Registration.status != vocab.STATUS_CANCELLED))
    for org_id, status, submitted_at, created_at, mark in rows:
        unit = resolve_merge(int(org_id), mapping)
        if unit in invited:
            registered.add(unit)
            arrived = received_at(submitted_at, created_at)
            if unit in sent and arrived is not None and arrived >= sent[unit]:
                after.add(unit)
            if _came(status, mark):
                attended.add(unit)
    order = [r for r in (*vocab.ALL_AREAS, UNKNOWN_REGION) if r in set(invited.values())]

    def row(region: str, keep) -> dict:
        return {"region": region, "invited": sum(1 for o in invited if keep(o)),
                "registered": sum(1 for o in registered if keep(o)), "after": sum(1 for o in after if keep(o)),
                "attended": sum(1 for o in attended if keep(o))}

    body = [row(r, lambda o, r=r: invited[o] == r) for r in order]
    return pd.DataFrame([*body, row(TOTAL, lambda o: True)], columns=list(LABELS))


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


# --- the committee pack's page ----------------------------------------------------------------------

PACK_TITLE = "ご案内の結果（振興局別）"
PACK_LABELS = {"meeting": "会", **LABELS}
PACK_EMPTY = "この範囲の会には、ご案内メールを送っていません。"


def invited_meetings(session: Session, scope: participation.Scope) -> list[Meeting]:
    """The meetings of the scope (年度・種別・開催方法) with at least one invitation sent, oldest first."""
    q = (select(Meeting).where(Meeting.id.in_(select(InvitationSend.meeting_id).where(InvitationSend.status == SENT)))
         .order_by(Meeting.starts_at, Meeting.id))
    if scope.fiscal_years:
        q = q.where(Meeting.fiscal_year.in_(scope.fiscal_years))
    if scope.kinds:
        q = q.where(Meeting.kind.in_(scope.kinds))
    if scope.formats:
        q = q.where(Meeting.format.in_(scope.formats))
    return list(session.scalars(q))


def pack_section(session: Session, viewer: Viewer, scope: participation.Scope) -> committee_pack.Section:
    """The committee pack's page: for each meeting of the scope that had invitations, its outcome by
    振興局 as the committee sees it (counts only, small ones and their complements 「k未満」),
    whoever builds the pack. No organisation name, no address."""
    if not (viewer.is_secretariat or viewer.role == COMMITTEE):
        raise AccessDenied("ご案内の結果は、事務局と検討委員会だけが見られます。")
    k = disclosure.threshold(session)
    blocks = [protect(counts(session, m.id), k).assign(meeting=label(m))
              for m in invited_meetings(session, scope)]
    frame = (pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame(columns=list(PACK_LABELS)))
    frame = frame[list(PACK_LABELS)].rename(columns=PACK_LABELS)
    return committee_pack.Section(
        PACK_TITLE, frame, empty=PACK_EMPTY,
        note=("ご案内メールを送った会ごとに、ご案内した機関のうち、その会に申し込んだ機関（キャンセルを除く）、"
              "そのうちご案内をお送りした後に申し込んだ機関、当日参加した機関の数です。地域は機関の所在地の振興局です。"
              f"機関名・メールアドレスは載せていません。{k}未満の数と、差し引きで{k}未満の数が分かってしまう欄は"
              f"「{k}未満」としています。"))
