"""個人情報の削除依頼: erase one person's personal fields everywhere, keeping every row (and count).

The person row stays (name 「削除済み」, no furigana, e-mail or name key) so registrations, rooms and
meeting counts are unchanged: the organisation, role title and status stay. Each area that stores
personal data registers an eraser with `@eraser("name")`; the built-in ones below cover the core
tables and, when present, the registrations, rosters, surveys and open-chat tables. Earlier audit
entries about the erased rows lose their personal values too, so the log does not keep what the
person asked to delete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from facilitation.errors import AccessDenied, UserError
from facilitation.roles import Viewer
from facilitation.storage.models import AuditEntry, Person, Registration, utcnow
from facilitation.text.normalize import clean, email_key

ERASED_NAME = "削除済み"
REDACTED = "（削除済み）"


@dataclass
class Subject:
    """Who is being erased: their ids and the identifying values to look for in free data."""

    person_id: int
    registration_ids: list[int]
    name: str
    email: str
    furigana: str

    def needles(self) -> list[str]:
        """Values distinctive enough to recognise in raw rows and old audit entries."""
        out = []
        if self.email:
            out.append(self.email)
        for text in (self.name, self.furigana):
            compact = clean(text).replace(" ", "").replace("\u3000", "")
            if len(compact) >= 2 and compact != ERASED_NAME:
                out.append(clean(text))
                if compact != clean(text):
                    out.append(compact)
        return out

    def matches(self, value: str) -> bool:
        v = clean(value)
        if not v:
            return False
        if self.email and self.email in v.lower():
            return True
        compact = v.replace(" ", "").replace("\u3000", "")
        return any(compact == n.replace(" ", "").replace("\u3000", "") or
                   (len(n) >= 3 and n in v) for n in self.needles() if "@" not in n)


@dataclass
class Erased:
    """Rows of one table whose personal fields were erased (for the audit scrub and the report)."""

    table: str
    ids: list[Any] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


EraserFn = Callable[[Session, Subject], Iterable[Erased]]
_ERASERS: dict[str, EraserFn] = {}


def eraser(name: str) -> Callable[[EraserFn], EraserFn]:
    """Register an area's eraser: fn(session, subject) → Erased records (run in name order)."""
    def deco(fn: EraserFn) -> EraserFn:
        _ERASERS[name] = fn
        return fn
    return deco


def registered() -> list[str]:
    return sorted(_ERASERS)


@dataclass
class ErasureReport:
    person_id: int
    erased: list[Erased]
    audit_entries_scrubbed: int

    @property
    def message(self) -> str:
        tables = sum(1 for e in self.erased if e.ids)
        rows = sum(len(e.ids) for e in self.erased)
        return (f"ID {self.person_id} の方の個人情報を削除しました（{tables}種類のデータ・{rows}件、"
                f"変更履歴 {self.audit_entries_scrubbed}件）。参加人数・機関数の集計はそのままです。")


def _table(session: Session, name: str) -> Table | None:
    from facilitation.storage.schema import metadata

    return metadata.tables.get(name)


def _scrub(value: Any, subject: Subject) -> tuple[Any, bool]:
    """A copy of a JSON value with every string that identifies the subject replaced."""
    if isinstance(value, str):
        return (REDACTED, True) if subject.matches(value) else (value, False)
    if isinstance(value, dict):
        changed, out = False, {}
        for k, v in value.items():
            out[k], c = _scrub(v, subject)
            changed |= c
        return out, changed
    if isinstance(value, list):
        changed, out = False, []
        for v in value:
            nv, c = _scrub(v, subject)
            out.append(nv)
            changed |= c
        return out, changed
    return value, False


# --- Built-in erasers -----------------------------------------------------------------------

@eraser("10_people")
def _erase_person(session: Session, subject: Subject) -> Iterable[Erased]:
    p = session.get(Person, subject.person_id)
    p.name, p.furigana, p.email, p.name_key = ERASED_NAME, "", "", ""
    p.deleted_at = utcnow()
    return [Erased("people", [p.id], ["name", "furigana", "email", "name_key"])]


@eraser("20_registrations")
def _erase_registrations(session: Session, subject: Subject) -> Iterable[Erased]:
    regs = session.scalars(select(Registration).where(Registration.person_id == subject.person_id)).all()
    for r in regs:
        r.note, r.extra = "", {}
    return [Erased("registrations", [r.id for r in regs], ["note", "extra"])]


def _erase_json_rows(session: Session, table_name: str, column: str, subject: Subject,
                     where=None) -> Erased | None:
    """Scrub identifying values inside a JSON column (raw input rows) of matching rows."""
    t = _table(session, table_name)
    if t is None:
        return None
    query = select(t.c.id, t.c[column])
    if where is not None:
        query = query.where(where(t))
    done = Erased(table_name, [], [column])
    for row_id, value in session.execute(query).all():
        scrubbed, changed = _scrub(value or {}, subject)
        if changed:
            session.execute(update(t).where(t.c.id == row_id).values({column: scrubbed}))
            done.ids.append(row_id)
    return done


@eraser("30_registration_sources")
def _erase_sources(session: Session, subject: Subject) -> Iterable[Erased]:
    out = []
    t = _table(session, "registration_sources")
    if t is not None and subject.registration_ids:
        # The raw row goes entirely; row_hash stays so re-reading the sheet does not bring it back.
        ids = list(session.scalars(select(t.c.id).where(t.c.registration_id.in_(subject.registration_ids))))
        if ids:
            session.execute(update(t).where(t.c.id.in_(ids)).values(raw={}))
        out.append(Erased("registration_sources", ids, ["raw"]))
    kept = _erase_json_rows(session, "kept_aside_rows", "raw", subject)
    if kept:
        out.append(kept)
    return out


@eraser("40_zoom")
def _erase_zoom(session: Session, subject: Subject) -> Iterable[Erased]:
    t = _table(session, "zoom_participants")
    if t is None:
        return []
    cond = t.c.registration_id.in_(subject.registration_ids or [-1])
    if subject.email:
        cond = cond | (t.c.email == subject.email)
    ids = list(session.scalars(select(t.c.id).where(cond)))
    if ids:
        session.execute(update(t).where(t.c.id.in_(ids))
                        .values(display_name=ERASED_NAME, original_name=ERASED_NAME, email=""))
    return [Erased("zoom_participants", ids, ["display_name", "original_name", "email"])]


@eraser("50_openchat")
def _erase_openchat(session: Session, subject: Subject) -> Iterable[Erased]:
    members = _table(session, "openchat_members")
    if members is None:
        return []
    rows = session.execute(select(members.c.id, members.c.nickname)
                           .where(members.c.person_id == subject.person_id)).all()
    out = [Erased("openchat_members", [], ["nickname", "surname"])]
    messages = _table(session, "openchat_messages")
    events = _table(session, "openchat_events")
    for member_id, nickname in rows:
        alias = f"{ERASED_NAME}{member_id}"  # nicknames are unique
        session.execute(update(members).where(members.c.id == member_id).values(nickname=alias, surname=""))
        out[0].ids.append(member_id)
        if messages is not None:
            cond = (messages.c.member_id == member_id) | (messages.c.sender == nickname)
            ids = list(session.scalars(select(messages.c.id).where(cond)))
            if ids:
                # Texts go too (the person's own words); time, kind, length and question flag stay.
                session.execute(update(messages).where(messages.c.id.in_(ids)).values(
                    sender=alias, text=None, redacted=True, redacted_at=utcnow(),
                    redacted_by=str(session.info.get("actor", ""))[:254]))
            out.append(Erased("openchat_messages", ids, ["sender", "text"]))
        if events is not None:
            ids = list(session.scalars(select(events.c.id).where(
                (events.c.actor == nickname) | (events.c.new_name == nickname))))
            for col in ("actor", "new_name"):
                session.execute(update(events).where(events.c.id.in_(ids), events.c[col] == nickname)
                                .values({col: alias}))
            if ids:
                session.execute(update(events).where(events.c.id.in_(ids)).values(text=""))
            out.append(Erased("openchat_events", ids, ["actor", "new_name", "text"]))
    return out


@eraser("60_surveys")
def _erase_surveys(session: Session, subject: Subject) -> Iterable[Erased]:
    """Survey responses: identity columns (name, e-mail, person link) wherever the area keeps them."""
    from facilitation.storage.schema import metadata

    out = []
    identity_cols = ("name", "respondent_name", "email", "respondent_email", "furigana")
    for name, t in metadata.tables.items():
        if not name.startswith("survey"):
            continue
        cols = [c for c in identity_cols if c in t.c]
        conds = []
        if "person_id" in t.c:
            conds.append(t.c.person_id == subject.person_id)
        if "registration_id" in t.c and subject.registration_ids:
            conds.append(t.c.registration_id.in_(subject.registration_ids))
        for c in ("email", "respondent_email"):
            if c in t.c and subject.email:
                conds.append(t.c[c] == subject.email)
        for c in ("name", "respondent_name"):
            if c in t.c and clean(subject.name):
                conds.append(t.c[c].in_({clean(subject.name), clean(subject.name).replace(" ", "")}))
        if not cols or not conds:
            continue
        cond = conds[0]
        for c in conds[1:]:
            cond = cond | c
        pk = list(t.primary_key.columns)[0]
        ids = list(session.scalars(select(pk).where(cond)))
        if ids:
            values = {c: (ERASED_NAME if "name" in c else "") for c in cols}
            session.execute(update(t).where(pk.in_(ids)).values(values))
        out.append(Erased(name, ids, cols))
        for json_col in ("raw", "answers_raw"):
            if json_col in t.c and "id" in t.c:
                done = _erase_json_rows(session, name, json_col, subject)
                if done:
                    out.append(done)
    return out


# --- The request --------------------------------------------------------------------------

def subject_for(session: Session, person_id: int) -> Subject:
    p = session.get(Person, person_id)
    if p is None:
        raise UserError(f"ID {person_id} の人は見つかりません。")
    reg_ids = list(session.scalars(select(Registration.id).where(Registration.person_id == person_id)))
    return Subject(person_id=p.id, registration_ids=reg_ids, name=p.name or "", email=email_key(p.email),
                   furigana=p.furigana or "")


def scrub_audit(session: Session, subject: Subject, erased: list[Erased]) -> int:
    """Remove the subject's values from earlier audit entries; returns how many entries changed."""
    targets = {(e.table, str(i)): set(e.fields) for e in erased for i in e.ids}
    changed = 0
    rows = session.execute(select(AuditEntry.id, AuditEntry.entity, AuditEntry.entity_id,
                                  AuditEntry.before, AuditEntry.after)).all()
    for entry_id, entity, entity_id, before, after in rows:
        fields = targets.get((entity, entity_id), set())
        new = []
        dirty = False
        for values in (before, after):
            if values is None:
                new.append(None)
                continue
            values = dict(values)
            for f in fields & set(values):
                if values[f] not in (None, "", {}, [], REDACTED, ERASED_NAME):
                    values[f] = REDACTED
                    dirty = True
            values, c = _scrub(values, subject)
            dirty |= c
            new.append(values)
        if dirty:
            session.execute(update(AuditEntry).where(AuditEntry.id == entry_id)
                            .values(before=new[0], after=new[1]))
            changed += 1
    return changed


def forget_person(session: Session, viewer: Viewer, person_id: int,
                  now: dt.datetime | None = None) -> ErasureReport:
    """Erase the person's personal fields in every area; rows and counts stay. Secretariat only."""
    if not viewer.is_secretariat:
        raise AccessDenied("個人情報の削除は事務局だけが行えます。")
    subject = subject_for(session, person_id)
    previous = session.info.get("audit_action")
    session.info["audit_action"] = "erase"  # the entries of this erasure keep no values
    try:
        erased: list[Erased] = []
        for name in registered():
            erased.extend(_ERASERS[name](session, subject))
        session.flush()
        scrubbed = scrub_audit(session, subject, erased)
        from facilitation.storage import audit

        audit.record(session, "erase", "people", str(person_id), None,
                     {"tables": sorted({e.table for e in erased if e.ids})})
        session.flush()
    finally:
        session.info["audit_action"] = previous
    return ErasureReport(person_id=person_id, erased=erased, audit_entries_scrubbed=scrubbed)


def find_people(session: Session, viewer: Viewer, text: str, limit: int = 50) -> list[dict]:
    """People whose name, furigana or e-mail contains `text`, for choosing whom to erase."""
    if not viewer.is_secretariat:
        raise AccessDenied("個人情報の削除は事務局だけが行えます。")
    needle = clean(text)
    if not needle:
        return []
    from facilitation.storage.models import Organisation

    q = (select(Person, Organisation.name).outerjoin(Organisation, Organisation.id == Person.organisation_id)
         .where(Person.deleted_at.is_(None))
         .where(Person.name.contains(needle) | Person.furigana.contains(needle)
                | Person.email.contains(needle.lower())).order_by(Person.id).limit(limit))
    out = []
    for p, org in session.execute(q).all():
        n = session.scalar(select(Registration.id).where(Registration.person_id == p.id).limit(1))
        out.append({"id": p.id, "name": p.name, "email": p.email, "organisation": org or "",
                    "has_registrations": n is not None})
    return out
