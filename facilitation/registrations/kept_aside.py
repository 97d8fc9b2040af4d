"""What waits for the secretariat: rows kept aside (保留) and their retry or dismissal, imported rows
to check (確認), and choices that name no room."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.assignment import choices
from facilitation.files.tabular import Table
from facilitation.meetings import schedule
from facilitation.registrations.importing import (
    CHECK_DONE,
    CHECK_NO_EMAIL,
    CHECK_NO_ORG,
    CHECK_OPEN,
    EDIT_SECRETARIAT_ONLY,
    SECRETARIAT_ONLY,
    ImportResult,
    RegistrationError,
    import_table,
)
from facilitation.registrations.models import KeptAsideRow
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Person, Registration, utcnow
from facilitation.text.normalize import as_typed


def room_themes(session: Session, meeting_id: int) -> list[str]:
    """The meeting's room themes in room order (what a choice should name)."""
    return [r.theme or r.name for r in schedule.list_rooms(session, meeting_id)]




def kept_aside(session: Session, viewer: Viewer, meeting_id: int, include_resolved: bool = False) -> list[KeptAsideRow]:
    """Rows kept aside (raw personal data: the secretariat only), by source and row."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    stmt = select(KeptAsideRow).where(KeptAsideRow.meeting_id == meeting_id,
                                      KeptAsideRow.resolution.not_in((CHECK_OPEN, CHECK_DONE)))
    if not include_resolved:
        stmt = stmt.where(KeptAsideRow.resolved.is_(False))
    return list(session.scalars(stmt.order_by(KeptAsideRow.source_ref, KeptAsideRow.row_number)))


def to_check(session: Session, viewer: Viewer, meeting_id: int) -> list[KeptAsideRow]:
    """Imported rows the secretariat should look at (a shared e-mail, no organisation, no e-mail), by row.

    A registrant without an organisation or an e-mail drops off the list once it is known.
    """
    require_secretariat(viewer, SECRETARIAT_ONLY)
    rows = list(session.scalars(
        select(KeptAsideRow).where(KeptAsideRow.meeting_id == meeting_id, KeptAsideRow.resolution == CHECK_OPEN)
        .order_by(KeptAsideRow.source_ref, KeptAsideRow.row_number, KeptAsideRow.id)))
    known = {rid for rid, in session.execute(
        select(Registration.id).join(Person, Registration.person_id == Person.id)
        .where(Registration.meeting_id == meeting_id,
               (Person.organisation_id.is_not(None)) | (Registration.org_text != "")))}
    with_email = {rid for rid, in session.execute(
        select(Registration.id).join(Person, Registration.person_id == Person.id)
        .where(Registration.meeting_id == meeting_id, Person.email != ""))}
    return [k for k in rows if not (k.column == CHECK_NO_ORG and k.registration_id in known)
            and not (k.column == CHECK_NO_EMAIL and k.registration_id in with_email)]


def mark_checked(session: Session, viewer: Viewer, row_id: int) -> None:
    """The secretariat has looked at an imported row: off the list, and not raised again."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    entry = session.get(KeptAsideRow, row_id)
    if entry is None or entry.resolution not in (CHECK_OPEN, CHECK_DONE):
        raise RegistrationError(f"確認が必要な申込（ID {row_id}）が見つかりません。")
    entry.resolved, entry.resolution = True, CHECK_DONE
    entry.resolved_at, entry.resolved_by = utcnow(), viewer.actor
    session.flush()


def retry_kept_aside(session: Session, viewer: Viewer, row_id: int, values: dict[str, str]) -> ImportResult:
    """Import a kept-aside row again with the secretariat's corrections; resolved when it goes in."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    entry = session.get(KeptAsideRow, row_id)
    if entry is None:
        raise RegistrationError(f"保留の行（ID {row_id}）が見つかりません。")
    headers = list(values)
    table = Table(headers=headers, rows=[[as_typed(values[h]) for h in headers]], source=entry.source_ref,
                  row_numbers=[entry.row_number or 0])
    result = import_table(session, viewer, entry.meeting_id, table, source=entry.source, source_ref=entry.source_ref,
                          keep_aside=False)
    if result.quarantined:
        entry.raw, entry.reason = dict(values), result.quarantined[0]["reason"]
    else:
        entry.resolved, entry.resolution = True, "imported"
        entry.resolved_at, entry.resolved_by = utcnow(), viewer.actor
        entry.registration_id = result.registration_ids[0] if result.registration_ids else None
    session.flush()
    return result


def dismiss_kept_aside(session: Session, viewer: Viewer, row_id: int) -> None:
    """Mark a kept-aside row as needing nothing (a test answer, an empty line); it stays on record."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    entry = session.get(KeptAsideRow, row_id)
    if entry is None:
        raise RegistrationError(f"保留の行（ID {row_id}）が見つかりません。")
    entry.resolved, entry.resolution = True, "dismissed"
    entry.resolved_at, entry.resolved_by = utcnow(), viewer.actor
    session.flush()


def unmatched_choices(session: Session, meeting_id: int) -> pd.DataFrame:
    """Choice texts that map to no room and wait for a decision (the 「対応なし」 rows of
    `choices.choice_review`, columns and headers `choices.REVIEW_LABELS`); empty while the meeting
    has no rooms."""
    review = choices.choice_review(session, meeting_id)
    if not schedule.list_rooms(session, meeting_id):
        return review.iloc[0:0]
    return review[review["match"] == choices.NO_ROOM].reset_index(drop=True)
