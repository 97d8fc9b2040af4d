"""Edits of one registration (and its person's name, furigana, e-mail), checked like an import;
cancelling and restoring."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.orgs import matching
from facilitation.registrations import forms
from facilitation.registrations.importing import EDIT_SECRETARIAT_ONLY, RegistrationError
from facilitation.registrations.rows import MAX_LEN, MULTI_LINE
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Person, Registration, utcnow
from facilitation.text import vocab
from facilitation.text.normalize import as_typed, clean, email_key, one_line, person_key

EDITABLE = {"name", "furigana", "email", "org_text", "department", "choice1", "choice2", "choice3",
            "attendance_mode", "role", "status", "willing_facilitator", "note", "programs"}


def update_registration(session: Session, viewer: Viewer, registration_id: int, changes: dict) -> Registration:
    """Edit one registration (and its person's name, furigana, e-mail); checked like an import."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    reg = session.get(Registration, registration_id)
    if reg is None:
        raise RegistrationError(f"申込（ID {registration_id}）が見つかりません。")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise RegistrationError(f"変更できない項目です: {'、'.join(sorted(unknown))}")
    person = reg.person
    for k, value in changes.items():
        if k == "name":
            text = one_line(value)
            if not person_key(text):
                raise RegistrationError("氏名を入力してください。")
            person.name, person.name_key = text[: MAX_LEN["name"]], person_key(text)
        elif k == "furigana":
            person.furigana = one_line(value)[: MAX_LEN["furigana"]]
        elif k == "email":
            text = clean(value)
            if text and not email_key(text):
                raise RegistrationError(f"「{text}」はメールアドレスの形式ではありません。")
            other = session.scalar(select(Person.id).where(Person.email == email_key(text), Person.id != person.id)
                                   ) if text else None
            if other is not None:
                raise RegistrationError(f"メールアドレス「{text}」は別の方（ID {other}）に登録されています。")
            person.email = email_key(text)
        elif k == "org_text":
            reg.org_text = one_line(value)[: MAX_LEN["org"]]
            m = matching.OrgMatcher(session).match(reg.org_text, matching.Evidence(
                region=(reg.extra or {}).get(forms.STANDARD["region"], ""), department=reg.department,
                email=person.email))
            person.organisation_id = m.org_id
            if m.needs_review:
                matching.queue(session, [m], reg.meeting_id)
        elif k == "attendance_mode":
            if value not in vocab.ATTENDANCE_MODES:
                raise RegistrationError(f"参加方法は {' / '.join(vocab.ATTENDANCE_MODES)} から選んでください。")
            reg.attendance_mode = value
        elif k == "status":
            if value not in vocab.REGISTRATION_STATUSES:
                raise RegistrationError(f"状態は {' / '.join(vocab.REGISTRATION_STATUSES)} から選んでください。")
            reg.status = value
        elif k == "role":
            if value not in vocab.MEETING_ROLES:
                raise RegistrationError(f"役割は {' / '.join(vocab.MEETING_ROLES)} から選んでください。")
            reg.role = value
        elif k == "willing_facilitator":
            reg.willing_facilitator = bool(value)
        elif k == "programs":
            reg.programs = list(value) if isinstance(value, list | tuple) else forms.split_multi(str(value))
        elif k in ("choice1", "choice2", "choice3", "department", "note"):
            text = (as_typed if k in MULTI_LINE else one_line)(value)
            setattr(reg, k, text[: MAX_LEN.get(k, 10_000)])
    reg.updated_at = utcnow()
    session.flush()
    return reg


def cancel(session: Session, viewer: Viewer, registration_id: int) -> Registration:
    """Mark a registration cancelled (kept, counted apart; a re-sync does not bring it back)."""
    return update_registration(session, viewer, registration_id, {"status": vocab.STATUS_CANCELLED})


def restore(session: Session, viewer: Viewer, registration_id: int) -> Registration:
    """Undo a cancellation."""
    return update_registration(session, viewer, registration_id, {"status": vocab.STATUS_APPLIED})
