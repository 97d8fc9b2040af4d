"""What the registrations page and the CLI show: the registrant list trimmed to the viewer, the
header counts, and the cleaned list written back to the sheet.

Frames have English snake_case columns, shown under the Japanese headers of the LABELS dict next to
the function (`REGISTRANT_LABELS`); `cleaned_frame`, written back to the sheet, keeps the form's
Japanese headers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import AccessDenied
from facilitation.meetings import schedule
from facilitation.orgs import matching
from facilitation.registrations import forms
from facilitation.registrations.importing import SECRETARIAT_ONLY, SOURCE_LABELS
from facilitation.registrations.kept_aside import kept_aside, to_check, unmatched_choices
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT_LOCAL, Viewer, require_secretariat
from facilitation.storage.models import Assignment, Organisation, Person, Registration
from facilitation.text import vocab
from facilitation.text.normalize import key

# registrant_frame's columns → the headers a person reads, in the order shown. The editable ones carry
# update_registration's field names, so an edited row goes back as it is.
REGISTRANT_LABELS = {
    "name": "氏名", "furigana": "ふりがな", "email": "メールアドレス", "org_text": "所属（入力）",
    "organisation": "機関", "category": "区分", "region": "地域", "programs": "担当事業",
    "role_title": "職種・立場", "years_experience": "経験年数", "attendance_mode": "参加方法",
    "choice1": "第1希望", "choice2": "第2希望", "choice3": "第3希望", "willing_facilitator": "ファシリ協力",
    "status": "状態", "source": "取込元", "note": "備考",
}
COLUMNS = ["id", *REGISTRANT_LABELS]
PERSONAL = ["name", "furigana", "email", "note"]


def registrant_frame(session: Session, viewer: Viewer, meeting_id: int, search: str = "",
                     include_cancelled: bool = True) -> pd.DataFrame:
    """The registrants of a meeting, trimmed to the viewer: the committee sees no names or e-mails
    (PERSONAL columns dropped). Columns `COLUMNS`, shown under `REGISTRANT_LABELS`.

    `search` looks in name, furigana, e-mail and organisation (secretariat and facilitators only).
    """
    if viewer.role == FACILITATOR and viewer.meeting_id != meeting_id:
        raise AccessDenied("この会の申込は見られません。")
    stmt = (select(Registration, Person, Organisation)
            .join(Person, Registration.person_id == Person.id)
            .outerjoin(Organisation, Person.organisation_id == Organisation.id)
            .where(Registration.meeting_id == meeting_id)
            .order_by(Registration.submitted_at.is_(None), Registration.submitted_at, Registration.id))
    if viewer.role == FACILITATOR and viewer.room_id is not None:
        stmt = stmt.join(Assignment, Assignment.registration_id == Registration.id).where(
            Assignment.room_id == viewer.room_id)
    rows = []
    for reg, person, org in session.execute(stmt):
        if not include_cancelled and reg.status == vocab.STATUS_CANCELLED:
            continue
        rows.append({
            "id": reg.id, "name": person.name, "furigana": person.furigana, "email": person.email,
            "org_text": reg.org_text, "organisation": org.name if org else "（確認待ち）" if reg.org_text else "",
            "category": vocab.count_category(org.kind) if org else "",
            "region": org.region if org else (reg.extra or {}).get(forms.STANDARD["region"], ""),
            "programs": "、".join(reg.programs or []), "role_title": person.role_title,
            "years_experience": person.years_experience, "attendance_mode": reg.attendance_mode,
            "choice1": reg.choice1, "choice2": reg.choice2, "choice3": reg.choice3,
            "willing_facilitator": bool(reg.willing_facilitator), "status": reg.status,
            "source": SOURCE_LABELS.get(reg.source, reg.source), "note": reg.note,
        })
    df = pd.DataFrame(rows, columns=COLUMNS)
    if viewer.role == COMMITTEE or not viewer.sees_names:
        df = df.drop(columns=PERSONAL)
    elif search.strip():
        needle = search.strip().lower()
        hay = (df["name"] + " " + df["furigana"] + " " + df["email"] + " " + df["org_text"] + " "
               + df["organisation"]).str.lower()
        hay_key = hay.map(key)
        df = df[hay.str.contains(needle, regex=False) | hay_key.str.contains(key(needle), regex=False)]
    return df.reset_index(drop=True)


@dataclass
class Summary:
    """Counts for the page's header (registrations not cancelled)."""

    line: str
    people: int
    cancelled: int
    by_category: dict[str, int]
    by_program: dict[str, int]
    by_region: dict[str, int]
    by_mode: dict[str, int]
    org_pending: int
    kept_aside: int
    reviews: int
    unmatched_choices: int
    to_check: int = 0


def summary(session: Session, meeting_id: int) -> Summary:
    counts = schedule.meeting_counts(session, meeting_id)
    by_program: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    pending_org = 0
    for programs, extra, org_id, region in session.execute(
        select(Registration.programs, Registration.extra, Person.organisation_id, Organisation.region)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Registration.meeting_id == meeting_id, Registration.status != vocab.STATUS_CANCELLED)
    ):
        for p in programs or ["（未回答）"]:
            by_program[p] += 1
        by_region[region or (extra or {}).get(forms.STANDARD["region"]) or "不明"] += 1
        pending_org += org_id is None
    return Summary(
        line=counts.line, people=counts.people, cancelled=counts.cancelled, by_category=counts.by_category,
        by_program=dict(by_program.most_common()), by_region=dict(by_region.most_common()),
        by_mode=counts.by_mode, org_pending=pending_org, kept_aside=len(kept_aside(session, SECRETARIAT_LOCAL, meeting_id)),
        reviews=matching.pending_count(session, meeting_id),
        unmatched_choices=int(unmatched_choices(session, meeting_id)["count"].sum()),
        to_check=len(to_check(session, SECRETARIAT_LOCAL, meeting_id)),
    )


def cleaned_frame(session: Session, viewer: Viewer, meeting_id: int) -> pd.DataFrame:
    """The registrant list in the form's column order, cleaned, for writing back to the sheet."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    rows = []
    for reg, person, org in session.execute(
        select(Registration, Person, Organisation)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Registration.meeting_id == meeting_id)
        .order_by(Registration.submitted_at.is_(None), Registration.submitted_at, Registration.id)
    ):
        rows.append({
            "タイムスタンプ": reg.submitted_at.strftime("%Y/%m/%d %H:%M:%S") if reg.submitted_at else "",
            "メールアドレス": person.email, "氏名": person.name, "ふりがな": person.furigana,
            "所属（法人・機関名）": reg.org_text, "機関（名簿の名称）": org.name if org else "",
            "区分": vocab.count_category(org.kind) if org else "",
            "部署・事業所名": reg.department,
            "地域（振興局）": org.region if org else (reg.extra or {}).get(forms.STANDARD["region"], ""),
            "担当している事業（複数選択可）": ", ".join(reg.programs or []), "職種・立場": person.role_title,
            "経験年数": "" if person.years_experience is None else f"{person.years_experience:g}",
            "参加方法": reg.attendance_mode, "希望テーマ（第1希望）": reg.choice1,
            "希望テーマ（第2希望）": reg.choice2, "希望テーマ（第3希望）": reg.choice3,
            "ファシリテーターの協力": "はい" if reg.willing_facilitator else "いいえ", "備考": reg.note,
            "状態": reg.status,
        })
    return pd.DataFrame(rows)
