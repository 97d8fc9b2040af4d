"""Rows of people who do not take part (cancelled, not drawn, waiting for a seat — a connpass or
Peatix status, any list's 「状態」): listed with their row and reason, never counted as participants.

When such a row is a person this meeting already has a registration for (read from an earlier
file, a sheet, typed in), that registration is marked cancelled and the reason says so: the next
connpass file, where someone cancelled since, brings the count down by itself. A person whose
other row of the same file was imported keeps that registration.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.registrations import forms
from facilitation.storage.models import Person, Registration, utcnow
from facilitation.text import vocab
from facilitation.text.normalize import email_key, org_key, person_key


def apply(session: Session, meeting_id: int, rows: list[tuple[int, list[str], str]], cmap: forms.ColumnMap,
          imported_now: set[int]) -> list[dict]:
    """[{row, reason, registration_id}] for each (row number, cells, reason) of people not taking part."""
    if not rows:
        return []
    regs = session.execute(
        select(Registration.id, Registration.status, Registration.org_text, Person.email, Person.name_key, Person.name)
        .join(Person, Registration.person_id == Person.id).where(Registration.meeting_id == meeting_id)).all()
    by_email = {email_key(r.email): r for r in regs if email_key(r.email)}
    by_name: dict[str, list] = {}
    for r in regs:
        if r.name_key:
            by_name.setdefault(r.name_key, []).append(r)
    col = cmap.columns
    out = []
    for number, cells, reason in rows:
        def value(f: str, cells=cells) -> str:
            return cells[col[f]] if f in col and col[f] < len(cells) else ""
        hit = by_email.get(email_key(value("email")))
        if hit is None:
            same = by_name.get(person_key(value("name")), [])
            ok = org_key(value("org"))
            narrowed = [r for r in same if ok and org_key(r.org_text) == ok] or same
            hit = narrowed[0] if len(narrowed) == 1 else None
        rid = None
        if hit is not None:
            rid = hit.id
            if hit.id in imported_now:
                reason += f"同じ方の別の行は取り込みました（{hit.name}さん）。"
            elif hit.status == vocab.STATUS_CANCELLED:
                reason += f"登録済みの{hit.name}さんの申込はすでにキャンセルになっています。"
            else:
                session.execute(Registration.__table__.update().where(Registration.id == hit.id)
                                .values(status=vocab.STATUS_CANCELLED, updated_at=utcnow()))
                reason += f"登録済みの{hit.name}さんの申込（ID {hit.id}）をキャンセルにしました。"
        out.append({"row": number, "reason": reason, "registration_id": rid})
    return out
